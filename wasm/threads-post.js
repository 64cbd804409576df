// wasm/threads-post.js: emcc --post-js of dist/crossbyte-core-threads.js (the
// pthreads build), inside the module's factory where Emscripten's PThread is.
//
// A pthread can only start on a Worker that has already loaded the module:
// loading needs the creating thread's event loop, and that thread is blocked
// in pthreadpool_create until its threads check in. So the module starts
// with no Workers (no PTHREAD_POOL_SIZE) and crossbyte.js reserves the ones a
// model's threads need before loading the model:
//
//   await Module.crossbyteReserveWorkers(n)   // n idle Workers, loaded
//
// A pthread_create that finds none fails (PTHREAD_POOL_SIZE_STRICT=2) and the
// load reports it, rather than deadlocking. Workers go back to the idle list
// when their thread ends (a disposed model), to be reused.
function crossbyteAddWorker() {
  PThread.allocateUnusedWorker();
  var worker = PThread.unusedWorkers[PThread.unusedWorkers.length - 1];
  worker.crossbyteLoaded = new Promise(function (resolve, reject) {
    PThread.loadWasmModuleToWorker(worker, function () {
      worker.onerror = emscriptenOnError; // Emscripten's handler once it runs threads
      resolve();
    });
    // Until it has loaded, an error (say a script the page's headers block)
    // rejects the reservation and drops the Worker, instead of Emscripten's
    // handler, which rethrows it where nobody catches it.
    var emscriptenOnError = worker.onerror;
    worker.onerror = function (e) {
      var i = PThread.unusedWorkers.indexOf(worker);
      if (i >= 0) PThread.unusedWorkers.splice(i, 1);
      worker.terminate();
      reject(new Error("crossbyte: a thread's Worker did not start: " + ((e && e.message) || "its script did not load")));
    };
  });
}

Module["crossbyteReserveWorkers"] = function (n) {
  while (PThread.unusedWorkers.length < n) crossbyteAddWorker();
  return Promise.all(PThread.unusedWorkers.map(function (w) { return w.crossbyteLoaded; }));
};

// The HEAP views of the thread calling in, renewed if another thread grew the
// memory since Emscripten last made them (crossbyte.js calls it before using them).
Module["crossbyteViews"] = function () {
  if (wasmMemory.buffer != buffer) updateGlobalBufferAndViews(wasmMemory.buffer);
};

// wasm/threads-pre.js: emcc --pre-js of dist/crossbyte-core-threads.js (the
// pthreads build), so it runs inside the module's factory, before Emscripten's
// own code.
//
// Emscripten 3.1.6 starts each pthread with `new Worker(url)`. Browsers have
// Worker; Node has none, and this build is made for the web (no Node code in
// it), so crossbyte.js hands it a worker_threads adapter as
// Module.crossbyteWorker. Declared here, the name is local to the factory:
// no global is set.
// eslint-disable-next-line no-var
var Worker = Module["crossbyteWorker"] || globalThis.Worker;

// Offline support: the page and the runtime (its JS, the worker and the .wasm)
// are answered from the network when there is one and from this cache when
// there is not. Models (.cbm) are left to crossbyte.js's own model cache
// (Cache API, checked and evicted there), so they are not stored twice.
const CACHE = "crossbyte-web-v3";
const SHELL = ["./", "index.html", "app.js", "style.css", "../wasm/crossbyte.js", "../wasm/crossbyte-worker.js",
               "../wasm/dist/crossbyte-core.js", "../wasm/dist/crossbyte-core.wasm",
               // the threads build, used when the page is cross-origin isolated
               "../wasm/dist/crossbyte-core-threads.js", "../wasm/dist/crossbyte-core-threads.wasm",
               "../wasm/dist/crossbyte-core-threads.worker.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Only this page's older shells: crossbyte-models-* belongs to crossbyte.js.
  const old = (k) => k.startsWith("crossbyte-web-") && k !== CACHE;
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter(old).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.endsWith(".cbm")) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((c) => c.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || Response.error())),
  );
});

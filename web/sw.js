// Offline support: everything this page fetches from its own origin (the page,
// the runtime's JS and .wasm, models loaded by URL) is answered from the
// network when there is one and from this cache when there is not.
const CACHE = "crossbyte-web-v1";
const SHELL = ["./", "index.html", "app.js", "style.css", "../wasm/crossbyte.js",
               "../wasm/dist/crossbyte-core.js", "../wasm/dist/crossbyte-core.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
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

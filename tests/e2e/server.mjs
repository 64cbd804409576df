// A static file server for the e2e test: the repository's web/ and wasm/ on
// 127.0.0.1, plus extra files (test models) under /models/, cross-origin
// isolated by default.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".wasm": "application/wasm", ".json": "application/json", ".cbm": "application/octet-stream",
};

// What makes a page cross-origin isolated (crossOriginIsolated, hence
// SharedArrayBuffer and crossbyte's threads build): COOP keeps other origins'
// windows out of its browsing context group, COEP lets it load only resources
// that agree to it (same-origin ones do). Every response carries them, so the
// workers and the service worker's cached copies are isolated too.
export const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

/**
 * Serves `root` (only its web/ and wasm/ folders) and `models` at /models/,
 * with ISOLATION_HEADERS unless `isolated` is false.
 * Resolves to {url, close, hits}: hits counts the requests per path.
 */
export function serve(root, models = {}, { isolated = true } = {}) {
  const hits = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    let file = null;
    if (path.startsWith("/models/")) file = models[path.slice("/models/".length)] ?? null;
    else if (/^\/(web|wasm)\//.test(path)) {
      const p = normalize(join(root, path.endsWith("/") ? path + "index.html" : path));
      if (p.startsWith(join(root, "web") + sep) || p.startsWith(join(root, "wasm") + sep)) file = p;
    }
    let st = null;
    try {
      st = file && statSync(file);
    } catch {}
    if (!st || !st.isFile()) {
      res.writeHead(404, { "content-type": "text/plain", ...(isolated ? ISOLATION_HEADERS : {}) }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": st.size,
      "cache-control": "no-cache",
      ...(isolated ? ISOLATION_HEADERS : {}),
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, hits, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) });
    });
  });
}

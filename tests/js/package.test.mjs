// `npm pack` of wasm/ gives a package that installs and runs with nothing else:
// the wrapper, its TypeScript declarations and the runtime (dist/).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { ROOT, convert, scratch } from "./support.mjs";

test("npm pack produces an installable package", () => {
  const dir = scratch();
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", dir], { cwd: join(ROOT, "wasm"), encoding: "utf8" }));
  const files = packed[0].files.map((f) => f.path).sort();
  assert.deepEqual(files, ["README.md", "crossbyte-worker.js", "crossbyte.d.ts", "crossbyte.js", "dist/crossbyte-core-threads.js",
    "dist/crossbyte-core-threads.wasm", "dist/crossbyte-core-threads.worker.js", "dist/crossbyte-core.js", "dist/crossbyte-core.wasm",
    "package.json"]);
  // install the tarball into an empty project (no registry needed: no dependencies)
  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, packed[0].filename)], { cwd: app, stdio: "ignore" });
  const model = convert("bert-tiny", "int8", dir);
  writeFileSync(join(app, "main.mjs"), `import { CrossEncoder } from "crossbyte";
const ce = await CrossEncoder.load(${JSON.stringify(model)});
console.log(JSON.stringify(ce.rank("q", ["a", "b"])));
const w = await CrossEncoder.load(${JSON.stringify(model)}, { worker: true });
console.log(JSON.stringify(await w.rank("q", ["a", "b"])));
w.dispose();
const t = await CrossEncoder.load(${JSON.stringify(model)}, { threads: true, numThreads: 2 });
console.log(JSON.stringify(t.rank("q", ["a", "b"])));
const s = await CrossEncoder.load(${JSON.stringify(model)}, { threads: false });
console.log(JSON.stringify(s.rank("q", ["a", "b"])));`);
  const [out, fromWorker, threads, single] = execFileSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8" }).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(fromWorker, out, "the packaged worker ranks as the synchronous API");
  assert.deepEqual(threads, single, "the packaged threads build ranks as the single-thread one");
  assert.deepEqual(out, single);
  assert.equal(out.length, 2);
  assert.deepEqual(out.map((r) => r.corpusId).sort(), [0, 1]);
  const pkg = JSON.parse(readFileSync(join(app, "node_modules", "crossbyte", "package.json"), "utf8"));
  assert.equal(pkg.types, "./crossbyte.d.ts");
});

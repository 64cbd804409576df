// Shared helpers for the Node tests of the WebAssembly wrapper (node --test tests/js/).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const FIXTURES = join(ROOT, "tests", "fixtures");
/** The native command-line program (tools/setup.sh builds it). */
export const CLI = process.env.CROSSBYTE_CLI || join(ROOT, "build", "crossbyte");
export const WRAPPER = new URL("../../wasm/crossbyte.js", import.meta.url).href;

/** Every BERT fixture folder (bert-*), sorted. */
export const BERT_FIXTURES = readdirSync(FIXTURES)
  .filter((n) => n.startsWith("bert-") && statSync(join(FIXTURES, n)).isDirectory())
  .sort();

/** Every fixture folder with a reference.json (BERT, ELECTRA, RoBERTa, DeBERTa), sorted. */
export const ALL_FIXTURES = readdirSync(FIXTURES)
  .filter((n) => statSync(join(FIXTURES, n)).isDirectory() && existsSync(join(FIXTURES, n, "reference.json")))
  .sort();

export function reference(name) {
  return JSON.parse(readFileSync(join(FIXTURES, name, "reference.json"), "utf8"));
}

export function requireNative() {
  if (!existsSync(CLI)) throw new Error(`native CLI ${CLI} not found: run tools/setup.sh (or set CROSSBYTE_CLI)`);
}

/** A scratch folder removed at exit. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "crossbyte-js-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Converts a fixture with the native CLI; returns the .cbm path. */
export function convert(name, dtype, dir) {
  requireNative();
  const out = join(dir, `${name}-${dtype}.cbm`);
  if (!existsSync(out)) execFileSync(CLI, ["convert", join(FIXTURES, name), "-o", out, "--dtype", dtype], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}

/** The real bi-encoders tools/setup.sh installs (tools/deps/models.sh). */
export const MODELS = process.env.CROSSBYTE_MODELS_DIR || join(process.env.CROSSBYTE_CACHE || join(homedir(), ".cache", "crossbyte"), "models");

/** Converts one of MODELS (e.g. all-MiniLM-L6-v2) with the native CLI; returns the .cbm path. */
export function convertRealModel(name, dtype, dir) {
  requireNative();
  const src = join(MODELS, name);
  if (!existsSync(join(src, "model.safetensors"))) throw new Error(`${src} is missing: run tools/setup.sh (tools/deps/models.sh)`);
  const out = join(dir, `${name}-${dtype}.cbm`);
  if (!existsSync(out)) execFileSync(CLI, ["convert", src, "-o", out, "--dtype", dtype], { stdio: ["ignore", "ignore", "inherit"] });
  return out;
}

/** Scores from the native CLI on the same .cbm file: a number or an array per pair. */
export function nativePredict(model, pairs, maxLength) {
  requireNative();
  const input = pairs.map((p) => JSON.stringify(p)).join("\n") + "\n";
  const out = execFileSync(CLI, ["predict", model, "--max-length", String(maxLength)], {
    input,
    maxBuffer: 1 << 28,
  });
  return out.toString("utf8").trim().split("\n").map((l) => JSON.parse(l));
}

/** Native `crossbyte rank`: [{corpus_id, score}] best first. */
export function nativeRank(model, query, docs, extra = []) {
  requireNative();
  const out = execFileSync(CLI, ["rank", model, "--query", query, ...extra], { input: docs.join("\n") + "\n" });
  return out.toString("utf8").trim().split("\n").map((l) => JSON.parse(l));
}

/** Indices sorted by descending value, ties in index order (as cb_rank). */
export function order(values) {
  return values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((x) => x[1]);
}

export function maxAbsDiff(a, b) {
  let m = 0;
  const fa = a.flat(), fb = b.flat();
  if (fa.length !== fb.length) return Infinity;
  for (let i = 0; i < fa.length; i++) m = Math.max(m, Math.abs(fa[i] - fb[i]));
  return m;
}


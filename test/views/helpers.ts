// Loading examples/bookinfo (or a variant) for the view tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { InputFile } from "../../src/frontend/index.js";
import { loadForView } from "../../src/views/load.js";
import type { MatrixSide } from "../../src/views/matrix.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const BOOKINFO = join(ROOT, "examples", "bookinfo");

export function readTree(dir: string): InputFile[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return readTree(p);
    return /\.(ya?ml|json)$/.test(n) ? [{ path: p, text: readFileSync(p, "utf8") }] : [];
  });
}

export function side(files: readonly InputFile[]): MatrixSide {
  const l = loadForView(files);
  if (!l.model) throw new Error(`inputs do not load:\n${l.stderr}`);
  return { model: l.model, sources: l.sources };
}

/** bookinfo where reviews, not productpage, may call details: a one-word policy edit. */
export function bookinfoEdited(): InputFile[] {
  return readTree(BOOKINFO).map((f) =>
    f.path.endsWith("bookinfo-allow.yaml") ? { ...f, text: f.text.replace(/(details-from-productpage[\s\S]*?app: )productpage/, "$1reviews") } : f,
  );
}

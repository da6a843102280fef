// Failing property cases become golden regression cases: the (shrunk)
// counterexample's input files are written to golden/regression-<hash>/, whose
// first lines say why it exists. The golden runner then demands expected/
// files, which are generated deliberately and reviewed:
//   UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts -t regression-<hash>
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import fc from "fast-check";
import type { InputFile } from "../../src/frontend/index.js";
import { caseFiles, type GeneratedCase } from "./arbitraries.js";

const GOLDEN = join(import.meta.dirname, "..", "..", "golden");

/**
 * Writes input files as golden/regression-<hash>/ (unless that exact case is
 * already there) and returns the directory. Each file's first line becomes
 * `# <why>`: one sentence, as the golden runner shows it as the case's purpose.
 * `args`: compile flags the case needs (the golden runner's `args` file).
 */
export function writeRegressionFiles(files: readonly InputFile[], why: string, args: readonly string[] = []): string {
  const comment = `# ${why.replace(/\s+/g, " ").trim().replace(/\.?$/, ".")}`;
  const body = (f: InputFile): string => (f.text.startsWith("# ") ? f.text.slice(f.text.indexOf("\n") + 1) : f.text);
  // The hash ignores the comment, so the same case found twice lands in one directory.
  const hash = createHash("sha1").update(files.map((f) => `${f.path}\0${body(f)}`).join("\0") + (args.length ? `\0${args.join(" ")}` : "")).digest("hex").slice(0, 8);
  const dir = join(GOLDEN, `regression-${hash}`);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(join(dir, basename(f.path)), `${comment}\n${body(f)}`);
    if (args.length) writeFileSync(join(dir, "args"), `${args.join(" ")}\n`);
  }
  return dir;
}

export function writeRegression(c: GeneratedCase, why: string): string {
  return writeRegressionFiles(caseFiles(c), why);
}

/**
 * fc.assert, except that the final (shrunk) counterexample is also saved as a
 * golden regression case before the failure is reported. `why` turns the
 * failure into the case's one-sentence description.
 */
export function assertWithRegression(
  prop: fc.IProperty<[GeneratedCase]>,
  params: fc.Parameters<[GeneratedCase]>,
  why: (error: unknown) => string,
): void {
  const details = fc.check(prop, params);
  if (!details.failed) return;
  const ce = details.counterexample?.[0];
  const saved = ce ? writeRegression(ce, `Property-test counterexample (seed ${details.seed}): ${why(details.errorInstance)}`) : null;
  const where = saved ? `\nSaved as a golden regression case: ${saved}` : "";
  throw new Error(fc.defaultReportMessage(details) + where);
}

/** The first line of an error's message, for a case description. */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split("\n").find((l) => l.trim()) ?? "failure").slice(0, 200);
}

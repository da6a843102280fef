// Shared by the kube-proxy backend tests: compile a golden case (or inline
// YAML) with given flags, and read the spec fixtures copied verbatim from
// ../shared/spec/kubeproxy-format.md (§4.1, §4.3, §6) into fixtures/.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "../../../src/cli/args.js";
import { compileOptionsFrom, runCompile } from "../../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../../src/cli/flags.js";
import type { InputFile } from "../../../src/frontend/index.js";
import { compile, type CompileResult } from "../../../src/pipeline.js";

export const GOLDEN = join(import.meta.dirname, "..", "..", "..", "golden");
const FIXTURES = join(import.meta.dirname, "fixtures");

export const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.txt`), "utf8");

export function caseFiles(name: string): InputFile[] {
  const dir = join(GOLDEN, name);
  return readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort().map((f) => ({ path: f, text: readFileSync(join(dir, f), "utf8") }));
}

export function caseArgs(name: string): string[] {
  const f = join(GOLDEN, name, "args");
  return existsSync(f) ? readFileSync(f, "utf8").trim().split(/\s+/) : [];
}

/** What `netpolc compile <case> <flags> --emit iptables` prints (stderr must be empty). */
export function emitCase(files: readonly InputFile[], flags: readonly string[]): string {
  const res = runCompile(files, parseArgs([...flags, "--emit", "iptables"], COMPILE_FLAGS));
  if (res.exitCode !== 0 || res.stderr) throw new Error(res.stderr);
  return res.stdout;
}

export function compileCase(files: readonly InputFile[], flags: readonly string[]): CompileResult {
  return compile(files, compileOptionsFrom(parseArgs(flags, COMPILE_FLAGS)));
}

/** One table's block (`*name` … `COMMIT`) of iptables-save text. */
export function tableBlock(text: string, table: string): string {
  const start = text.indexOf(`*${table}\n`);
  if (start < 0) return "";
  const end = text.indexOf("COMMIT\n", start);
  return text.slice(start, end + "COMMIT\n".length);
}

export function yamlFile(path: string, text: string): InputFile {
  return { path, text };
}

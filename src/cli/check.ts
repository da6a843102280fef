// `netpolc check`: the compile frontend (schema, API-server rules,
// defaulting) plus the lints of src/review, without a cluster when none is
// given; optionally "is the committed output in DIR up to date?".
// Findings are this command's results, so they go to stdout (like verify's
// report); usage and internal errors go to stderr.
import { compile, OUTPUT_FILE, outputFiles, type CompileOptions } from "../pipeline.js";
import { compileOptionsFrom } from "./compile.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { locate, renderGithub, renderJson, renderText, sortDiagnostics, type LocatedDiagnostic } from "../diagnostics/render.js";
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { SourceMap } from "../diagnostics/sources.js";
import { loadModel, type InputFile } from "../frontend/index.js";
import { LINT_IDS, LINT_RULES } from "../review/lint-rules.js";
import { lintModel, relabelDuplicates } from "../review/lints.js";
import { renderSarif } from "../review/sarif.js";
import { diffOutputDirs, type OutputTree } from "../review/output-diff.js";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { flag, flagAll, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { CHECK_FLAGS, OUTPUT_FLAGS } from "./flags.js";
import { gatherInputs } from "./inputs.js";
import { VERSION } from "./version.js";
import type { TextResult } from "./verify.js";

/** What a command needs of main's Io (kept structural so this file does not import main). */
export interface CommandIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readStdin: () => string;
}


export type ReadTree = (dir: string) => OutputTree | null;

function disabledIds(args: ParsedArgs): Set<string> {
  const ids = new Set<string>();
  for (const raw of flagAll(args, "disable").flatMap((v) => v.split(","))) {
    const s = raw.trim();
    if (!s) continue;
    const id = s.startsWith("lint/") ? s : `lint/${s}`;
    if (!LINT_IDS.has(id)) throw new UsageError(`--disable: unknown lint '${s}' (lints: ${LINT_RULES.map((r) => r.id.slice(5)).join(", ")})`);
    ids.add(id);
  }
  return ids;
}

function maxWarnings(args: ParsedArgs): number {
  const v = flag(args, "max-warnings");
  if (v === undefined) return Infinity;
  if (!/^\d+$/.test(v)) throw new UsageError(`--max-warnings needs a non-negative integer, not '${v}'`);
  return Number(v);
}

function render(ds: readonly LocatedDiagnostic[], format: string, version: string): string {
  if (format === "sarif") return renderSarif(ds, version);
  if (format === "json") return renderJson(ds) + "\n";
  if (ds.length === 0) return "";
  const lines = ds.map(format === "github" ? renderGithub : renderText);
  if (format === "github") return lines.join("\n") + "\n";
  const errors = ds.filter((d) => d.severity === "error").length;
  return `${lines.join("\n")}\nnetpolc check: ${errors} error(s), ${ds.length - errors} warning(s)\n`;
}

/** Validation and lints: every diagnostic but notes, lints last per file (sortDiagnostics is stable by file). */
function findings(files: readonly InputFile[], disabled: ReadonlySet<string>): { ds: LocatedDiagnostic[]; sources: SourceMap } {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel(files, diag, sources);
  const frontend = relabelDuplicates(diag.all.filter((d) => d.severity !== "note"));
  // Lints read a model the frontend accepted; a duplicate policy is the only error they can look past.
  const blocking = frontend.some((d) => d.severity === "error" && d.id !== "lint/duplicate-policy");
  const lints = blocking ? [] : lintModel(model, sources);
  const all: Diagnostic[] = [...frontend, ...lints].filter((d) => !disabled.has(d.id));
  return { ds: sortDiagnostics(all.map((d) => locate(d, sources))), sources };
}

/** The output-shaping compile flags given (` -O2 --dataplane nftables`), as the regenerate command must repeat them. */
function outputFlagsText(args: ParsedArgs): string {
  let out = "";
  for (const f of OUTPUT_FLAGS) {
    for (const v of args.flags.get(f.name) ?? []) out += f.value ? ` --${f.name} ${v}` : ` --${f.name}`;
  }
  return out;
}

/** `--expected DIR`: compile with the given compile flags and compare with the files committed in DIR. */
function staleness(files: readonly InputFile[], dir: string, readTree: ReadTree, opts: CompileOptions, flagsText: string): { diag: LocatedDiagnostic | null; diff: string } {
  const res = compile(files, opts);
  if (!res.model) return { diag: null, diff: "" };
  const committed = readTree(dir);
  const unlocated = (message: string): LocatedDiagnostic => ({ id: "check/stale-output", severity: "error", message, span: null, line: null, col: null });
  if (committed === null) return { diag: unlocated(`${dir}: no such directory (--expected needs the committed compiled output)`), diff: "" };
  const fresh: OutputTree = { files: outputFiles(res.outputs, res.options, res.model, res.renderer) };
  const d = diffOutputDirs(committed, fresh, { oldLabel: dir, newLabel: "compiled" });
  if (!d.changed) return { diag: null, diff: "" };
  const msg = `${dir} is stale: ${d.files.length} file(s) differ from what the inputs compile to; regenerate with \`netpolc compile <inputs>${flagsText} -o ${dir}\``;
  return { diag: unlocated(msg), diff: d.text };
}

export function runCheck(files: readonly InputFile[], args: ParsedArgs, readTree: ReadTree, version: string): TextResult {
  const format = flag(args, "format") ?? "text";
  const disabled = disabledIds(args);
  const limit = maxWarnings(args);
  const { ds } = findings(files, disabled);
  let diffText = "";
  const dir = flag(args, "expected");
  if (dir !== undefined && !ds.some((d) => d.severity === "error")) {
    const st = staleness(files, dir, readTree, compileOptionsFrom(args), outputFlagsText(args));
    if (st.diag) ds.push(st.diag);
    diffText = st.diff;
  }
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  const tooMany = warnings > limit;
  let stdout = render(ds, format, version);
  // The diff is for people; machine formats carry the finding only.
  if (diffText && (format === "text" || format === "github")) stdout += diffText;
  if (tooMany && format === "text") stdout += `netpolc check: ${warnings} warning(s) exceed --max-warnings ${limit}\n`;
  return { exitCode: errors > 0 || tooMany ? 1 : 0, stdout, stderr: "" };
}

/** Reads `<node>.*` output files of a directory (not recursive); null when it is not a directory. */
export function readOutputDir(dir: string): OutputTree | null {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return null;
    names = readdirSync(dir);
  } catch {
    return null;
  }
  // Sorted for determinism.
  const files = new Map<string, string>();
  for (const n of names.filter((x) => OUTPUT_FILE.test(x)).sort()) files.set(n, readFileSync(join(dir, n), "utf8"));
  return { files };
}



export function checkCommand(rest: readonly string[], io: CommandIo): number {
  const args = parseArgs(rest, CHECK_FLAGS);
  const paths = args.positionals.length ? args.positionals : ["."];
  const res = runCheck(gatherInputs(paths, io.readStdin), args, readOutputDir, VERSION);
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

// `netpolc diff OLD NEW` and `netpolc diff --git A..B [paths]`: the rule diff
// of two compiled sides and, when both sides are inputs, the flow diff.
// This file reads the sides (directories, files, git objects); the diffing
// itself is pure (src/review). Exit status follows diff(1): 0 same, 1
// different, 2 trouble (invalid input on either side included).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { compile, DEFAULT_COMPILE_OPTIONS, OUTPUT_FILE, outputFiles, type CompileOptions } from "../pipeline.js";
import { compileOptionsFrom } from "./compile.js";
import { renderAll } from "../diagnostics/render.js";
import type { InputFile } from "../frontend/index.js";
import { diffFlows, type ModelSide } from "../review/flow-diff.js";
import { diffOutputDirs, type OutputTree } from "../review/output-diff.js";
import { diffJson, diffMarkdown, diffText, reportChanged, type DiffReport } from "../review/render-diff.js";
import { byteCompare } from "../rules/writer.js";
import { flag, parseArgs, UsageError } from "./args.js";
import { DIFF_FLAGS } from "./flags.js";
import type { CommandIo } from "./check.js";
import { gatherInputs } from "./inputs.js";
import type { TextResult } from "./verify.js";


/** One side: inputs to compile, or compiled output (a directory of `<node>.*` files, or one node's iptables-save dump). */
export type Side =
  | { readonly kind: "inputs"; readonly label: string; readonly files: readonly InputFile[] }
  | { readonly kind: "output"; readonly label: string; readonly tree: OutputTree };

const INPUT_EXT = /\.(ya?ml|json)$/;
const OUTPUT_EXT = OUTPUT_FILE;

/** A node's rules file: what marks a directory (or git tree) as compiled output (`.nft` alone with an nftables dataplane). */
const isRulesFile = (p: string): boolean => p.endsWith(".iptables") || p.endsWith(".nft");

/** A side from files already read (a directory or a git tree): compiled output when it holds `*.iptables` or `*.nft`, inputs otherwise. */
export function sideOf(label: string, files: readonly InputFile[]): Side {
  const outputs = files.filter((f) => OUTPUT_EXT.test(f.path));
  if (outputs.some((f) => isRulesFile(f.path))) {
    // Sorted for determinism.
    const sorted = [...outputs].sort((a, b) => byteCompare(a.path, b.path));
    return {
      kind: "output", label,
      tree: { files: new Map(sorted.map((f) => [basename(f.path), f.text])), paths: new Map(sorted.map((f) => [basename(f.path), f.path])) },
    };
  }
  const inputs = files.filter((f) => INPUT_EXT.test(f.path) && !f.path.split("/").some((s) => s.startsWith(".") && s !== "." && s !== ".."));
  return { kind: "inputs", label, files: inputs };
}

function readPathSide(path: string, readStdin: () => string): Side {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`cannot read '${path}': no such file or directory`);
  }
  if (st.isDirectory()) {
    const top = readdirSync(path).filter(isRulesFile);
    if (top.length) {
      const names = readdirSync(path).filter((n) => OUTPUT_EXT.test(n)).sort(byteCompare);
      return sideOf(path, names.map((n) => ({ path: join(path, n), text: readFileSync(join(path, n), "utf8") })));
    }
    return { kind: "inputs", label: path, files: gatherInputs([path], readStdin) };
  }
  if (INPUT_EXT.test(path)) return { kind: "inputs", label: path, files: gatherInputs([path], readStdin) };
  // Anything else is one node's iptables-save text (a `.iptables` file or a node's dump; `.ip6tables` stays IPv6),
  // or its nft text (a `.nft` file, or a dump of `nft list ruleset` or of an `add table …` transaction).
  const node = basename(path).replace(/\.[^.]*$/, "");
  const text = readFileSync(path, "utf8");
  const nft = path.endsWith(".nft") || /^\s*(add )?table (ip|ip6) /.test(text);
  const name = path.endsWith(".ip6tables") ? `${node}.ip6tables` : nft ? `${node}.nft` : `${node}.iptables`;
  return { kind: "output", label: path, tree: { files: new Map([[name, text]]), paths: new Map([[name, path]]) } };
}

function git(args: readonly string[], input?: string): Buffer {
  try {
    return execFileSync("git", args, { input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new UsageError(`git ${args[0]} failed: ${err || String(e)}`);
  }
}

/**
 * The files of `paths` at `rev`, read from the object database (ls-tree +
 * one `cat-file --batch`), so the work tree and index are never touched.
 * Paths are labelled `rev:path` in diagnostics.
 */
export function readGitSide(rev: string, paths: readonly string[]): Side {
  const listed = git(["ls-tree", "-r", "-z", "--full-name", "--name-only", rev, "--", ...paths]).toString("utf8").split("\0").filter(Boolean);
  const wanted = listed.filter((p) => INPUT_EXT.test(p) || OUTPUT_EXT.test(p)).sort(byteCompare);
  if (!wanted.length) return { kind: "inputs", label: rev, files: [] };
  const out = git(["cat-file", "--batch"], wanted.map((p) => `${rev}:${p}\n`).join(""));
  const files: InputFile[] = [];
  let at = 0;
  for (const p of wanted) {
    const nl = out.indexOf(10, at);
    const header = out.subarray(at, nl).toString("utf8");
    const size = Number(header.split(" ")[2]);
    if (!Number.isFinite(size)) throw new UsageError(`git cat-file: unexpected '${header}' for ${rev}:${p}`);
    files.push({ path: `${rev}:${p}`, text: out.subarray(nl + 1, nl + 1 + size).toString("utf8") });
    at = nl + 1 + size + 1;
  }
  return sideOf(rev, files);
}

function parseRange(range: string): [string, string] {
  if (range.includes("...")) throw new UsageError(`--git takes A..B, not '${range}'`);
  const [a = "", b = ""] = range.split("..");
  if (!a) throw new UsageError(`--git needs a revision range A..B, not '${range}'`);
  return [a, b || "HEAD"];
}

interface Compiled {
  readonly tree: OutputTree;
  readonly model: ModelSide | null;
}

/** Compiles an inputs side; diagnostics (errors) are returned for stderr. */
function compiled(side: Side, format: string, opts: CompileOptions): Compiled | { error: string } {
  if (side.kind === "output") return { tree: side.tree, model: null };
  const res = compile(side.files, opts);
  if (!res.model) {
    const text = renderAll(res.diag.all.filter((d) => d.severity === "error"), res.sources, format === "json" ? "json" : "text");
    return { error: `netpolc: ${side.label}: invalid input\n${text}` };
  }
  return { tree: { files: outputFiles(res.outputs, res.options, res.model, res.renderer) }, model: { model: res.model, sources: res.sources } };
}

/** Compares only the kinds of file both sides have (a node's dump has no .ipsets), and pairs two single dumps. */
function comparable(a: OutputTree, b: OutputTree): [OutputTree, OutputTree] {
  const ext = (n: string): string => n.slice(n.lastIndexOf("."));
  const common = new Set([...a.files.keys()].map(ext).filter((e) => [...b.files.keys()].some((n) => ext(n) === e)));
  const keep = (t: OutputTree): Map<string, string> => new Map([...t.files].filter(([n]) => common.has(ext(n))));
  let [fa, fb] = [keep(a), keep(b)];
  const [na, nb] = [[...fa.keys()], [...fb.keys()]];
  if (na.length === 1 && nb.length === 1 && na[0] !== nb[0]) fa = new Map([[nb[0]!, fa.get(na[0]!)!]]);
  return [{ files: fa, paths: new Map([...fa.keys()].map((n) => [n, a.paths?.get(n) ?? n])) }, { files: fb, ...(b.paths ? { paths: b.paths } : {}) }];
}

/** `opts`: the compile options of inputs sides (the output-shaping compile flags given to diff). */
export function runDiff(oldSide: Side, newSide: Side, format: string, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): TextResult {
  const a = compiled(oldSide, format, opts);
  const b = compiled(newSide, format, opts);
  const errors = [a, b].flatMap((x) => ("error" in x ? [x.error] : []));
  if ("error" in a || "error" in b) return { exitCode: 2, stdout: "", stderr: errors.join("") };
  const [ta, tb] = comparable(a.tree, b.tree);
  const rules = diffOutputDirs(ta, tb, { oldLabel: oldSide.label, newLabel: newSide.label });
  if (rules.problems.length) return { exitCode: 2, stdout: "", stderr: rules.problems.map((p) => `${p}\n`).join("") };
  const flows = a.model && b.model ? diffFlows(a.model, b.model) : null;
  const report: DiffReport = { rules, flows };
  const stdout = format === "json" ? diffJson(report) : format === "markdown" ? diffMarkdown(report) : diffText(report);
  return { exitCode: reportChanged(report) ? 1 : 0, stdout, stderr: "" };
}

export function diffCommand(rest: readonly string[], io: CommandIo): number {
  const args = parseArgs(rest, DIFF_FLAGS);
  const format = flag(args, "format") ?? "text";
  const range = flag(args, "git");
  let sides: [Side, Side];
  if (range !== undefined) {
    const [ra, rb] = parseRange(range);
    const paths = args.positionals.length ? args.positionals : ["."];
    sides = [readGitSide(ra, paths), readGitSide(rb, paths)];
  } else {
    if (args.positionals.length !== 2) throw new UsageError("diff needs OLD and NEW (or --git A..B [paths])");
    const [pa, pb] = args.positionals as [string, string];
    sides = [readPathSide(pa, io.readStdin), readPathSide(pb, io.readStdin)];
  }
  const res = runDiff(sides[0], sides[1], format, compileOptionsFrom(args));
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

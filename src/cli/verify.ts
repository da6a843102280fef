// `netpolc verify`: compile (or read --rules DIR), walk every probe flow
// through the simulator, compare with the reference evaluator.
import { join } from "node:path";
import { compile, DEFAULT_COMPILE_OPTIONS, ipv6Enabled, unknownNodeMessage, type IPv6Switch } from "../pipeline.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { locate, renderGithub, renderJson, renderText, sortDiagnostics, type LocatedDiagnostic } from "../diagnostics/render.js";
import type { NodeOutput } from "../backends/types.js";
import type { InputFile } from "../frontend/index.js";
import {
  contextOf, fdbFile, inferredRoutesNote, ipsetsFile, iptablesFile, plannedFlows, routesFile, routeTableFromText, rulesFromOutput, rulesFromText, stableJson,
  verifyClassReport, verifyReport, verifyText, type NodeRules, type RouteTable, type Simulate, type VerifyContext, type VerifyReportData,
} from "../verify/index.js";
import { existsSync, readFileSync } from "node:fs";
import { createSimulator } from "../simulate/index.js";
import { flag, flagAll, has, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from "./args.js";
import { gatherInputs } from "./inputs.js";
import type { Io } from "./io.js";
import { NO_PROGRESS, progressFor, type Progress } from "./progress.js";
import { VERIFY_FLAGS } from "./flags.js";
import { optimizeOptionsFrom, routeOptionsFrom } from "./compile.js";



export interface TextResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Reads a file; null when it does not exist. The only I/O verify needs besides the inputs. */
export type ReadFile = (path: string) => string | null;

export interface Loaded {
  readonly ctx: VerifyContext;
  readonly rules: ReadonlyMap<string, NodeRules>;
  readonly stderr: string;
  /** The compile renders IPv6 (`--ipv6`, auto: the snapshot is dual-stack): its IPv6 tables are not walked. */
  readonly ipv6: boolean;
}

function renderDiagnostics(ds: readonly LocatedDiagnostic[], format: string): string {
  if (format === "json") return ds.length ? renderJson(ds) + "\n" : "";
  const lines = ds.map(format === "github" ? renderGithub : renderText);
  return lines.length ? lines.join("\n") + "\n" : "";
}

const unlocated = (d: Diagnostic): LocatedDiagnostic => ({ ...d, line: null, col: null });

/** Every node's compiled rules, re-parsed for line numbers. */
/** Every node's compiled rules, with the context's own route tables (so verify routes as it planned, once). */
function compiledRules(outputs: readonly NodeOutput[], ctx: VerifyContext): Map<string, NodeRules> {
  const rules = new Map<string, NodeRules>();
  for (const out of outputs) {
    const r = rulesFromOutput(out, ctx.compiledRoutes(out.node));
    // The writer's output failing to parse is a bug in netpolc, not in the input.
    if (!r.rules) throw new Error(`re-parsing the compiled rules of ${out.node} failed: ${r.diagnostics[0]?.message ?? "?"}`);
    rules.set(out.node, r.rules);
  }
  return rules;
}

/**
 * `--rules DIR`: the files of every node in `nodes` (those the flows cross
 * over the compiled routes), and of any other node of the snapshot whose
 * files are there (the files' own routes may lead through it). A missing
 * `.iptables` or `.ipsets` of a needed node, or any parse error, is a
 * positioned finding; a missing `.routes` is a warning, and that node is
 * routed with the routes compiled from the inputs.
 */
function rulesFromDir(dir: string, nodes: readonly string[], all: readonly string[], readFile: ReadFile): { rules: Map<string, NodeRules>; problems: LocatedDiagnostic[] } {
  const rules = new Map<string, NodeRules>();
  const problems: LocatedDiagnostic[] = [];
  const needed = new Set(nodes);
  for (const node of all) {
    const ipt = join(dir, iptablesFile(node));
    const ips = join(dir, ipsetsFile(node));
    const [iptText, ipsText] = [readFile(ipt), readFile(ips)];
    if (!needed.has(node) && (iptText === null || ipsText === null)) continue;
    for (const [p, t] of [[ipt, iptText], [ips, ipsText]] as const) {
      if (t === null) problems.push(unlocated({ id: "verify/missing-rules", severity: "error", message: `${p}: no such file (--rules needs the rules of every node the flows cross)`, span: null }));
    }
    if (iptText === null || ipsText === null) continue;
    const r = rulesFromText(node, iptText, ipt, ipsText, ips);
    problems.push(...r.diagnostics);
    const routes = routesFromDir(dir, node, readFile, problems);
    if (r.rules) rules.set(node, routes ? { ...r.rules, routes } : r.rules);
  }
  return { rules, problems };
}

function routesFromDir(dir: string, node: string, readFile: ReadFile, problems: LocatedDiagnostic[]): RouteTable | null {
  const path = join(dir, routesFile(node));
  const text = readFile(path);
  if (text === null) {
    const message = `${path}: no such file; routing ${node}'s flows with the routes compiled from the inputs`;
    problems.push(unlocated({ id: "verify/missing-routes", severity: "warning", message, span: null }));
    return null;
  }
  const fdbPath = join(dir, fdbFile(node));
  const t = routeTableFromText(text, path, readFile(fdbPath), fdbPath);
  problems.push(...t.diagnostics);
  return t.table;
}

/** `--node` names that are not in the snapshot, as input errors. */
function unknownNodeErrors(args: ParsedArgs, known: ReadonlySet<string>): LocatedDiagnostic[] {
  const msg = (n: string): string => unknownNodeMessage(n, known);
  return flagAll(args, "node")
    .filter((n) => !known.has(n))
    .map((n) => unlocated({ id: "input/unknown-node", severity: "error", message: msg(n), span: null }));
}

/**
 * Loads the model and the rules of `nodesFor(ctx)` (every node a check will
 * cross): compiled now, or read from --rules DIR, where a missing file or a
 * parse error is a finding (exit 1) with file:line:col, never a silent skip.
 */
export function loadRules(
  files: readonly InputFile[], args: ParsedArgs, simulate: Simulate, readFile: ReadFile,
  nodesFor: (ctx: VerifyContext) => readonly string[],
): Loaded | TextResult {
  const format = flag(args, "format") ?? "text";
  if (has(args, "flow-logs") && flag(args, "opt-level") === "2") throw new UsageError("--flow-logs cannot be combined with -O2: the optimizer would merge or drop NFLOG rules, and flow logs would change");
  const calico = { ...DEFAULT_COMPILE_OPTIONS.calico, ...routeOptionsFrom(args), flowLogs: has(args, "flow-logs") };
  const opts = { ...DEFAULT_COMPILE_OPTIONS, calico, optimize: optimizeOptionsFrom(args), calicoVersionGiven: has(args, "calico-version"), ipv6: (flag(args, "ipv6") ?? "auto") as IPv6Switch };
  const res = compile(files, opts);
  const shown = sortDiagnostics(res.diag.all.filter((d) => d.severity !== "note").map((d) => locate(d, res.sources)));
  const fail = (ds: readonly LocatedDiagnostic[]): TextResult => ({ exitCode: 1, stdout: "", stderr: renderDiagnostics(ds, format) });
  if (!res.model) return fail(shown);
  const badNodes = unknownNodeErrors(args, new Set(res.model.cluster.nodes.map((n) => n.name)));
  if (badNodes.length) return fail([...shown, ...badNodes]);
  const ctx: VerifyContext = contextOf({ ...res, model: res.model }, simulate);
  const dir = flag(args, "rules");
  const { rules, problems } = dir === undefined ? { rules: compiledRules(res.outputs, ctx), problems: [] } : rulesFromDir(dir, nodesFor(ctx), res.model.cluster.nodes.map((n) => n.name), readFile);
  if (problems.some((d) => d.severity === "error")) return fail([...shown, ...problems]);
  return { ctx, rules, stderr: renderDiagnostics([...shown, ...problems], format), ipv6: ipv6Enabled(opts, res.model) };
}

export function runVerify(files: readonly InputFile[], args: ParsedArgs, simulate: Simulate, readFile: ReadFile, progress: Progress = NO_PROGRESS): TextResult {
  const onlyNodes = flagAll(args, "node");
  const exhaustive = has(args, "exhaustive");
  // A class spans nodes, so class verify reads every node's rules; --exhaustive only those its flows cross.
  const nodesFor = (ctx: VerifyContext): readonly string[] => (exhaustive ? plannedFlows(ctx, onlyNodes).nodes : ctx.model.cluster.nodes.map((n) => n.name));
  const loaded = loadRules(files, args, simulate, readFile, nodesFor);
  if ("exitCode" in loaded) return loaded;
  let fallback = "";
  let report: VerifyReportData | null = null;
  if (!exhaustive) {
    const res = verifyClassReport(loaded.ctx, loaded.rules, onlyNodes, {
      start: (pairs) => progress.stage("verifying", pairs, "class pairs"),
      tick: () => progress.tick(),
    });
    report = res.report;
    if (res.fallback !== null) fallback = `netpolc: note: checking every flow one by one: class verify does not capture ${res.fallback}\n`;
  }
  if (report === null) {
    const { flows } = plannedFlows(loaded.ctx, onlyNodes, loaded.rules);
    progress.stage("verifying", flows.length, "flows");
    report = verifyReport(loaded.ctx, loaded.rules, flows, () => progress.tick());
  }
  const json = flag(args, "format") === "json";
  // The simulator walks IPv4 packets: with IPv6 on, the IPv6 tables are UNKNOWN here, and verify does not pass.
  const stdout = json ? stableJson(loaded.ipv6 ? { ...report, ipv6: "unknown" } : report) : verifyText(report) + (loaded.ipv6 ? IPV6_UNKNOWN : "");
  const note = json ? "" : fallback + inferredRoutesNote(report);
  return { exitCode: report.failures.length || loaded.ipv6 ? 1 : 0, stdout, stderr: loaded.stderr + note };
}

const IPV6_UNKNOWN =
  "UNKNOWN: IPv6: the IPv6 tables (<node>.ip6tables, cali60 sets, IPv6 routes) are not verified: the simulator walks IPv4 packets only " +
  "(the dual-stack kernel tests probe IPv6 in namespaces); the line above covers IPv4. --ipv6 off verifies the IPv4 side alone.\n";

const readIfExists: ReadFile = (path) => (existsSync(path) ? readFileSync(path, "utf8") : null);

/** verify and explain share their shape: inputs, a report on stdout, diagnostics on stderr. */
export function runChecker(
  name: string, rest: readonly string[], io: Io, flags: readonly FlagSpec[], run: (files: readonly InputFile[], args: ParsedArgs, simulate: Simulate, readFile: ReadFile, progress: Progress) => TextResult,
): number {
  const args = parseArgs(rest, flags);
  if (args.positionals.length === 0) throw new UsageError(`${name} needs at least one input file or directory`);
  const progress = progressFor(io, args, flag(args, "format"));
  try {
    // One simulator per run: it keeps the rule indexes and ipsets it compiles until the command ends.
    const res = run(gatherInputs(args.positionals, io.readStdin), args, createSimulator().simulatePath, readIfExists, progress);
    progress.done();
    if (res.stderr) io.stderr(res.stderr);
    if (res.stdout) io.stdout(res.stdout);
    return res.exitCode;
  } finally {
    progress.done();
  }
}

export function verifyCommand(rest: readonly string[], io: Io): number {
  return runChecker("verify", rest, io, VERIFY_FLAGS, runVerify);
}

// `netpolc verify`: compile (or read --rules DIR), walk every probe flow
// through the simulator, compare with the reference evaluator.
import { join } from "node:path";
import { compile, DEFAULT_COMPILE_OPTIONS, ipv6Enabled, unknownNodeMessage, type IPv6Switch } from "../pipeline.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { locate, renderGithub, renderJson, renderText, sortDiagnostics, type LocatedDiagnostic } from "../diagnostics/render.js";
import type { NodeOutput } from "../backends/types.js";
import type { InputFile } from "../frontend/index.js";
import {
  contextOf, fdbFile, inferredRoutesNote, ip6tablesFile, ipsetsFile, iptablesFile, plannedFlows, routesFile, routeTableFromText, rulesFromOutput, rulesFromText, stableJson,
  verifyClassReport, verifyReport, verifyText, type CompiledSnapshot, type NodeRules, type RouteTable, type Simulate, type VerifyContext, type VerifyReportData,
} from "../verify/index.js";
import { verifyIPv6, type NodeRules6 } from "../verify/ipv6.js";
import type { WorkloadPlace } from "../backends/index.js";
import { parseRuleSet, type RuleLineCache } from "../rules/parser.js";
import { parseIpSets } from "../rules/ipset-parser.js";
import { SAVE_STYLE, writeRuleSet } from "../rules/writer.js";
import { existsSync, readFileSync } from "node:fs";
import { createSimulator } from "../simulate/index.js";
import { flag, flagAll, has, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from "./args.js";
import { gatherInputs } from "./inputs.js";
import type { Io } from "./io.js";
import { NO_PROGRESS, progressFor, type Progress } from "./progress.js";
import { VERIFY_FLAGS } from "./flags.js";
import { dataplanesFrom, optimizeOptionsFrom, routeOptionsFrom } from "./compile.js";
import { RouteLineCache } from "../rules/route-parser.js";
import { compiledNftRules, nftFile, nftRulesFromText, readBack, RulesOnDemand, type ReadBack } from "../verify/rules.js";
import type { IpSet } from "../rules/ipset.js";
import type { RuleSet } from "../rules/types.js";



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
  /** The compile renders IPv6 (`--ipv6`, auto: the snapshot is dual-stack). */
  readonly ipv6: boolean;
  /** With IPv6 on: what the IPv6 check (src/verify/ipv6.ts) reads — the snapshot, where pods sit, each node's IPv6 rules. */
  readonly v6: { readonly snapshot: CompiledSnapshot; readonly places: readonly WorkloadPlace[]; readonly rules: ReadonlyMap<string, NodeRules6> } | null;
}

function renderDiagnostics(ds: readonly LocatedDiagnostic[], format: string): string {
  if (format === "json") return ds.length ? renderJson(ds) + "\n" : "";
  const lines = ds.map(format === "github" ? renderGithub : renderText);
  return lines.length ? lines.join("\n") + "\n" : "";
}

const unlocated = (d: Diagnostic): LocatedDiagnostic => ({ ...d, line: null, col: null });

/**
 * Every node's compiled rules (and with IPv6 its IPv6 rules), printed and parsed back for line numbers, with the
 * context's own route tables (so verify routes as it planned, once). Each node is rendered here and its output let
 * go once read back: verify keeps the rules it walks, not every node's output beside them.
 */
function compiledRules(
  res: { readonly nodes: readonly string[]; render(node: string): NodeOutput }, ctx: VerifyContext, rb: ReadBack, ipv6: boolean, progress: Progress,
): { rules: Map<string, NodeRules>; rules6: Map<string, NodeRules6> } {
  const rules = new Map<string, NodeRules>();
  const rules6 = new Map<string, NodeRules6>();
  progress.stage("compiling and reading back", res.nodes.length, "nodes");
  for (const node of res.nodes) {
    progress.tick();
    const out = res.render(node);
    rules.set(out.node, readBackNode(out, ctx, rb));
    const r6 = ipv6 ? compiledRules6(out, ctx, rb) : null;
    if (r6) rules6.set(out.node, r6);
  }
  return { rules, rules6 };
}

/** One node's compiled IPv4 rules, written and parsed back. */
function compiledNode(res: { render(node: string): NodeOutput }, node: string, ctx: VerifyContext, rb: ReadBack): NodeRules {
  return readBackNode(res.render(node), ctx, rb);
}

function readBackNode(out: NodeOutput, ctx: VerifyContext, rb: ReadBack): NodeRules {
  const r = rulesFromOutput(out, ctx.compiledRoutes(out.node), rb);
  // The writer's output failing to parse is a bug in netpolc, not in the input.
  if (!r.rules) throw new Error(`re-parsing the compiled rules of ${out.node} failed: ${r.diagnostics[0]?.message ?? "?"}`);
  return r.rules;
}

/**
 * `--rules DIR`: the files of every node in `nodes` (those the flows cross
 * over the compiled routes), and of any other node of the snapshot whose
 * files are there (the files' own routes may lead through it). A missing
 * `.iptables` or `.ipsets` of a needed node, or any parse error, is a
 * positioned finding; a missing `.routes` is a warning, and that node is
 * routed with the routes compiled from the inputs.
 */
function rulesFromDir(
  dir: string, nodes: readonly string[], all: readonly string[], readFile: ReadFile, lines: RuleLineCache, progress: Progress,
): { rules: Map<string, NodeRules>; problems: LocatedDiagnostic[] } {
  const rules = new Map<string, NodeRules>();
  const problems: LocatedDiagnostic[] = [];
  const needed = new Set(nodes);
  // One line cache for every node's .routes: each routes to every other node's blocks alike.
  const routeLines = new RouteLineCache();
  progress.stage("reading rules", all.length, "nodes");
  for (const node of all) {
    progress.tick();
    const ipt = join(dir, iptablesFile(node));
    const ips = join(dir, ipsetsFile(node));
    const [iptText, ipsText] = [readFile(ipt), readFile(ips)];
    const nftPath = join(dir, nftFile(node));
    const nftText = readFile(nftPath);
    if (nftText !== null) {
      // An nftables node: `.nft`, with `.iptables`/`.ipsets` only where an agent still uses iptables.
      const r = nftFromDir(node, { text: nftText, path: nftPath }, iptText === null ? null : { text: iptText, path: ipt }, ipsText === null ? null : { text: ipsText, path: ips }, "ip", problems, lines);
      const routes = routesFromDir(dir, node, readFile, problems, routeLines);
      if (r) rules.set(node, { node, ruleset: r.ruleset, ipsets: new Map(r.sets.map((x) => [x.name, x])), file: nftPath, ...(routes ? { routes } : {}) });
      continue;
    }
    if (!needed.has(node) && (iptText === null || ipsText === null)) continue;
    for (const [p, t] of [[ipt, iptText], [ips, ipsText]] as const) {
      if (t === null) problems.push(unlocated({ id: "verify/missing-rules", severity: "error", message: `${p}: no such file (--rules needs the rules of every node the flows cross)`, span: null }));
    }
    if (iptText === null || ipsText === null) continue;
    const r = rulesFromText(node, iptText, ipt, ipsText, ips, lines);
    problems.push(...r.diagnostics);
    const routes = routesFromDir(dir, node, readFile, problems, routeLines);
    if (r.rules) rules.set(node, routes ? { ...r.rules, routes } : r.rules);
  }
  return { rules, problems };
}

function routesFromDir(dir: string, node: string, readFile: ReadFile, problems: LocatedDiagnostic[], lines?: RouteLineCache): RouteTable | null {
  const path = join(dir, routesFile(node));
  const text = readFile(path);
  if (text === null) {
    const message = `${path}: no such file; routing ${node}'s flows with the routes compiled from the inputs`;
    problems.push(unlocated({ id: "verify/missing-routes", severity: "warning", message, span: null }));
    return null;
  }
  const fdbPath = join(dir, fdbFile(node));
  const t = routeTableFromText(text, path, readFile(fdbPath), fdbPath, lines);
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
  nodesFor: (ctx: VerifyContext) => readonly string[], progress: Progress = NO_PROGRESS, onDemand = false,
): Loaded | TextResult {
  const format = flag(args, "format") ?? "text";
  if (has(args, "flow-logs") && flag(args, "opt-level") === "2") throw new UsageError("--flow-logs cannot be combined with -O2: the optimizer would merge or drop NFLOG rules, and flow logs would change");
  const calico = { ...DEFAULT_COMPILE_OPTIONS.calico, ...routeOptionsFrom(args), flowLogs: has(args, "flow-logs") };
  const opts = {
    ...DEFAULT_COMPILE_OPTIONS, calico, optimize: optimizeOptionsFrom(args), calicoVersionGiven: has(args, "calico-version"), ipv6: (flag(args, "ipv6") ?? "auto") as IPv6Switch,
    dataplane: dataplanesFrom(args), kubeProxyModeGiven: has(args, "kube-proxy-mode") || has(args, "dataplane"),
  };
  const res = compile(files, opts);
  const shown = sortDiagnostics(res.diag.all.filter((d) => d.severity !== "note").map((d) => locate(d, res.sources)));
  const fail = (ds: readonly LocatedDiagnostic[]): TextResult => ({ exitCode: 1, stdout: "", stderr: renderDiagnostics(ds, format) });
  if (!res.model) return fail(shown);
  const badNodes = unknownNodeErrors(args, new Set(res.model.cluster.nodes.map((n) => n.name)));
  if (badNodes.length) return fail([...shown, ...badNodes]);
  // What the run keeps of the compile: not its node outputs (compiledRules reads each back and lets it go).
  const snapshot: CompiledSnapshot = { model: res.model, sources: res.sources, routes: (node) => res.routes(node), programs: res.programs };
  const ctx: VerifyContext = contextOf(snapshot, simulate);
  const dir = flag(args, "rules");
  const ipv6 = ipv6Enabled(opts, res.model);
  // Every node's rules are printed with the compile's renderer and their `-A` lines parsed once for the whole run
  // (most are the same on every node); files read with --rules share the line cache.
  const rb = readBack(res.renderer);
  let rules: ReadonlyMap<string, NodeRules>;
  let rules6: Map<string, NodeRules6> | null = null;
  let problems: LocatedDiagnostic[] = [];
  if (dir === undefined && onDemand) rules = new RulesOnDemand(res.nodes, (node) => compiledNode(res, node, ctx, rb), ctx.compiledRoutes);
  else if (dir === undefined) ({ rules, rules6 } = compiledRules(res, ctx, rb, ipv6, progress));
  else {
    ({ rules, problems } = rulesFromDir(dir, nodesFor(ctx), res.model.cluster.nodes.map((n) => n.name), readFile, rb.lines, progress));
    if (ipv6) rules6 = rules6FromDir(dir, res.model.cluster.nodes.map((n) => n.name), readFile, problems, rb.lines);
  }
  const v6: Loaded["v6"] = ipv6 ? { snapshot, places: res.programs?.workloads() ?? [], rules: rules6 ?? new Map() } : null;
  if (problems.some((d) => d.severity === "error")) return fail([...shown, ...problems]);
  return { ctx, rules, stderr: renderDiagnostics([...shown, ...problems], format), ipv6, v6 };
}

/** A node's compiled IPv6 tables, written and parsed back as `<node>.ip6tables` (line numbers for traces); null when it has none. */
function compiledRules6(o: NodeOutput, ctx: VerifyContext, rb: ReadBack): NodeRules6 | null {
  const nft = compiledNftRules(o, "ip6", rb);
  if (nft) return { node: o.node, ruleset: nft.ruleset, file: nftFile(o.node), sets: [...nft.ipsets, ...o.ipsets], routes: ctx.compiledRoutes(o.node) };
  if (!o.ruleset6) return null;
  const file = ip6tablesFile(o.node);
  const parsed = parseRuleSet(writeRuleSet(o.ruleset6, SAVE_STYLE, rb.renderer), { file, lines: rb.lines });
  if (parsed.diagnostics.some((d) => d.severity === "error")) throw new Error(`re-parsing the compiled IPv6 rules of ${o.node} failed: ${parsed.diagnostics[0]?.message ?? "?"}`);
  return { node: o.node, ruleset: parsed.ruleset, file, sets: o.ipsets, routes: ctx.compiledRoutes(o.node) };
}

interface FileText {
  readonly text: string;
  readonly path: string;
}

/** One node's `.nft` (and its iptables leftovers) of one family, lowered; parse errors become findings. */
function nftFromDir(
  node: string, nft: FileText, ipt: FileText | null, ips: FileText | null, family: "ip" | "ip6", problems: LocatedDiagnostic[], lines: RuleLineCache,
): { ruleset: RuleSet; sets: IpSet[] } | null {
  const iptParsed = ipt ? parseRuleSet(ipt.text, { file: ipt.path, lines }) : null;
  const setsParsed = ips ? parseIpSets(ips.text, { file: ips.path }) : null;
  problems.push(...(iptParsed?.diagnostics ?? []), ...(setsParsed?.diagnostics ?? []));
  const r = nftRulesFromText(nft.text, nft.path, family, iptParsed && iptParsed.ruleset.tables.length ? iptParsed.ruleset : null);
  problems.push(...r.diagnostics);
  if (!r.lowered || [...(iptParsed?.diagnostics ?? []), ...(setsParsed?.diagnostics ?? [])].some((d) => d.severity === "error")) return null;
  if (!r.lowered.ruleset.tables.length) problems.push(unlocated({ id: "verify/missing-rules", severity: "error", message: `${nft.path}: no ${family} table (node ${node})`, span: null }));
  return { ruleset: r.lowered.ruleset, sets: [...r.lowered.ipsets, ...(setsParsed?.sets ?? [])] };
}

/** `--rules DIR` with IPv6 on: every node's `.ip6tables` must be there (a missing one is a finding, as for `.iptables`). */
function rules6FromDir(dir: string, nodes: readonly string[], readFile: ReadFile, problems: LocatedDiagnostic[], lines: RuleLineCache): Map<string, NodeRules6> {
  const out = new Map<string, NodeRules6>();
  for (const node of nodes) {
    const nftPath = join(dir, nftFile(node));
    const nftText = readFile(nftPath);
    if (nftText !== null) {
      const ipt6 = join(dir, ip6tablesFile(node));
      const ips = join(dir, ipsetsFile(node));
      const [i6, is] = [readFile(ipt6), readFile(ips)];
      const r = nftFromDir(node, { text: nftText, path: nftPath }, i6 === null ? null : { text: i6, path: ipt6 }, is === null ? null : { text: is, path: ips }, "ip6", problems, lines);
      const routes = routesFromDir(dir, node, readFile, []);
      if (r) out.set(node, { node, ruleset: r.ruleset, file: nftPath, sets: r.sets, routes });
      continue;
    }
    const path = join(dir, ip6tablesFile(node));
    const text = readFile(path);
    if (text === null) {
      problems.push(unlocated({ id: "verify/missing-rules", severity: "error", message: `${path}: no such file (IPv6 is on: --rules needs every node's .ip6tables; --ipv6 off checks the IPv4 side alone)`, span: null }));
      continue;
    }
    const parsed = parseRuleSet(text, { file: path, lines });
    problems.push(...parsed.diagnostics);
    const setsPath = join(dir, ipsetsFile(node));
    const setsText = readFile(setsPath);
    const sets = setsText === null ? null : parseIpSets(setsText, { file: setsPath });
    if (sets) problems.push(...sets.diagnostics);
    const routes = routesFromDir(dir, node, readFile, []);
    if (parsed.diagnostics.some((d) => d.severity === "error") || !sets) continue;
    out.set(node, { node, ruleset: parsed.ruleset, file: path, sets: sets.sets, routes });
  }
  return out;
}

export function runVerify(files: readonly InputFile[], args: ParsedArgs, simulate: Simulate, readFile: ReadFile, progress: Progress = NO_PROGRESS): TextResult {
  const onlyNodes = flagAll(args, "node");
  const exhaustive = has(args, "exhaustive");
  // A class spans nodes, so class verify reads every node's rules; --exhaustive only those its flows cross.
  const nodesFor = (ctx: VerifyContext): readonly string[] => (exhaustive ? plannedFlows(ctx, onlyNodes).nodes : ctx.model.cluster.nodes.map((n) => n.name));
  const loaded = loadRules(files, args, simulate, readFile, nodesFor, progress);
  if ("exitCode" in loaded) return loaded;
  let fallback = "";
  let report: VerifyReportData | null = null;
  if (!exhaustive) {
    const res = verifyClassReport(loaded.ctx, loaded.rules, onlyNodes, progress);
    report = res.report;
    if (res.fallback !== null) fallback = `netpolc: note: checking every flow one by one: class verify does not capture ${res.fallback}\n`;
  }
  if (report === null) {
    const { flows } = plannedFlows(loaded.ctx, onlyNodes, loaded.rules);
    progress.stage("verifying", flows.length, "flows");
    report = verifyReport(loaded.ctx, loaded.rules, flows, () => progress.tick());
  }
  const json = flag(args, "format") === "json";
  // With IPv6 on, the IPv6 side is verified through its IPv4 image (src/verify/ipv6.ts); what cannot be imaged is UNKNOWN.
  const v6 = loaded.v6 ? verifyIPv6(loaded.v6.snapshot, loaded.v6.places, loaded.v6.rules, simulate, onlyNodes, progress, exhaustive) : null;
  let stdout: string;
  if (json) {
    // Flow counts of the image's classes are not IPv6's (an IPv6 class stands for far more addresses): classes only.
    // Flows walked one by one (--exhaustive, or class verify's fallback) are IPv6's, one each, as the text counts them.
    const ipv6 =
      v6 === null
        ? undefined
        : v6.kind === "unknown"
          ? { unknown: v6.reason }
          : { ...JSON.parse(v6.display(stableJson(v6.report))), flows: v6.report.classes === undefined ? v6.report.flows : null };
    stdout = stableJson(ipv6 === undefined ? report : { ...report, ipv6 });
  } else {
    stdout = verifyText(report);
    if (v6?.kind === "unknown") stdout += `UNKNOWN: IPv6: the IPv6 side (<node>.ip6tables, cali60 sets, IPv6 routes) cannot be verified: ${v6.reason}. --ipv6 off verifies the IPv4 side alone.\n`;
    else if (v6) stdout += ipv6Text(v6.display(verifyText(v6.report)));
  }
  const v6fallback = v6?.kind === "verified" && v6.fallback ? `netpolc: note: IPv6: checking every flow one by one: class verify does not capture ${v6.fallback}\n` : "";
  const note = json ? "" : fallback + v6fallback + inferredRoutesNote(report);
  const v6failed = v6 !== null && (v6.kind === "unknown" || v6.report.failures.length > 0);
  return { exitCode: report.failures.length || v6failed ? 1 : 0, stdout, stderr: loaded.stderr + note };
}

/**
 * The IPv6 report in IPv6 terms: the image's flow counts say how many IPv4 image addresses a class holds, not how
 * many IPv6 flows it stands for, so the IPv6 lines count classes only.
 */
function ipv6Text(text: string): string {
  return text
    .replace(/, [\d,]+ flows?; the flow shown is one of them/g, "; the flow shown is one of them")
    .replace(/^verified: (?:[\d,]+ flows in )?([\d,]+ classes|[\d,]+ flows)/m, (_m, what: string) => `verified IPv6: ${what.endsWith("classes") ? what.replace(/classes$/, "flow classes") : what}`);
}

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

// The rules verify checks, as NodeRules: either compiled now (written with
// the one writer and parsed back, so traces carry the line numbers of the
// `<node>.iptables` text an operator would read), or read from files given
// with --rules (compiled earlier, edited by hand, or dumped from a node).
import type { NodeOutput } from "../backends/types.js";
import type { IpSet } from "../rules/ipset.js";
import { parseIpSets } from "../rules/ipset-parser.js";
import { parseRuleSet, RuleLineCache, type ParseDiagnostic } from "../rules/parser.js";
import { Renderer, SAVE_STYLE, writeRuleSet } from "../rules/writer.js";
import { parseFdb, parseRoutes, RouteLineCache } from "../rules/route-parser.js";
import { writeFdb, writeRoutes, type FdbEntry, type RouteCommand } from "../rules/routes.js";
import type { NodeRules, RouteTable } from "./topology.js";
import { parseNft } from "../rules/nft/parse.js";
import { referenceErrors } from "../rules/nft/references.js";
import { printListing } from "../rules/nft/print.js";
import { lowerNft, type LoweredRules } from "../rules/nft/lower.js";
import type { RuleSet } from "../rules/types.js";

export interface RulesResult {
  /** Null when the text had errors: such rules are never verified. */
  readonly rules: NodeRules | null;
  /** Positioned (file:line:col) parse diagnostics. */
  readonly diagnostics: readonly ParseDiagnostic[];
}

export const iptablesFile = (node: string): string => `${node}.iptables`;
export const ip6tablesFile = (node: string): string => `${node}.ip6tables`;
export const ipsetsFile = (node: string): string => `${node}.ipsets`;
export const routesFile = (node: string): string => `${node}.routes`;
export const fdbFile = (node: string): string => `${node}.fdb`;
export const nftFile = (node: string): string => `${node}.nft`;

export interface RouteTableResult {
  /** Null when a text had errors: such routes are never walked. */
  readonly table: RouteTable | null;
  readonly diagnostics: readonly ParseDiagnostic[];
}

/** A node's route table from the texts of its `.routes` and (VXLAN only) `.fdb` files, named `routesPath`/`fdbPath`. */
export function routeTableFromText(routes: string, routesPath: string, fdbText: string | null, fdbPath: string | null, lines?: RouteLineCache): RouteTableResult {
  const r = parseRoutes(routes, { file: routesPath, lines });
  const f = fdbText === null ? null : parseFdb(fdbText, { file: fdbPath ?? "" });
  const diagnostics = [...r.diagnostics, ...(f?.diagnostics ?? [])];
  if (diagnostics.some((d) => d.severity === "error")) return { table: null, diagnostics };
  const table: RouteTable = {
    file: routesPath,
    routes: r.commands.map(({ line, ...cmd }) => ({ cmd: cmd as RouteCommand, line })),
    fdbFile: f ? fdbPath : null,
    fdb: (f?.entries ?? []).map(({ line, ...entry }) => ({ entry, line })),
  };
  return { table, diagnostics };
}

/**
 * Compiled rules read back one node at a time, when a walk first reaches it: `explain` follows one flow, which
 * crosses one to three nodes of hundreds, so it renders and parses those and no others. Every node's routes are
 * the compiled ones (as compiledRules gives them), known without rendering its rules. Iterating the map reads
 * back every node.
 */
export class RulesOnDemand implements ReadonlyMap<string, NodeRules> {
  private readonly read = new Map<string, NodeRules>();
  private readonly known: ReadonlySet<string>;

  constructor(
    private readonly nodes: readonly string[],
    private readonly load: (node: string) => NodeRules,
    /** A node's compiled routes (the routes of its NodeRules once read). */
    readonly routes: (node: string) => RouteTable,
  ) {
    this.known = new Set(nodes);
  }

  get size(): number {
    return this.nodes.length;
  }

  has(node: string): boolean {
    return this.known.has(node);
  }

  get(node: string): NodeRules | undefined {
    if (!this.known.has(node)) return undefined;
    let r = this.read.get(node);
    if (r === undefined) this.read.set(node, (r = this.load(node)));
    return r;
  }

  /** The nodes read back so far, in the order asked. */
  readNodes(): string[] {
    return [...this.read.keys()];
  }

  *entries(): MapIterator<[string, NodeRules]> {
    for (const n of this.nodes) yield [n, this.get(n)!];
  }

  keys(): MapIterator<string> {
    return this.nodes.values();
  }

  *values(): MapIterator<NodeRules> {
    for (const n of this.nodes) yield this.get(n)!;
  }

  [Symbol.iterator](): MapIterator<[string, NodeRules]> {
    return this.entries();
  }

  forEach(f: (value: NodeRules, key: string, map: ReadonlyMap<string, NodeRules>) => void): void {
    for (const [k, v] of this.entries()) f(v, k, this);
  }
}

/**
 * A node's compiled routes, written with the one writer and read back with
 * the one parser — what verify walks is what the `.routes` file says. A parse
 * error here is a writer/parser bug, not bad input.
 */
export function routeTableOf(node: string, routes: readonly RouteCommand[], fdb: readonly FdbEntry[], lines: RouteLineCache = new RouteLineCache()): RouteTable {
  const r = routeTableFromText(writeRoutes(routes), routesFile(node), fdb.length ? writeFdb(fdb) : null, fdb.length ? fdbFile(node) : null, lines);
  if (!r.table) throw new Error(`re-parsing the compiled routes of ${node} failed: ${r.diagnostics[0]?.message ?? "?"}`);
  return r.table;
}

function setMap(sets: readonly IpSet[]): Map<string, IpSet> {
  return new Map(sets.map((s) => [s.name, s]));
}

/** Rules from texts; `iptablesPath`/`ipsetsPath` name the files in diagnostics and traces. */
export function rulesFromText(node: string, iptables: string, iptablesPath: string, ipsets: string, ipsetsPath: string, lines?: RuleLineCache): RulesResult {
  const rs = parseRuleSet(iptables, { file: iptablesPath, lines });
  const is = parseIpSets(ipsets, { file: ipsetsPath });
  const diagnostics = [...rs.diagnostics, ...is.diagnostics];
  if (diagnostics.some((d) => d.severity === "error")) return { rules: null, diagnostics };
  return { rules: { node, ruleset: rs.ruleset, ipsets: setMap(is.sets), file: iptablesPath }, diagnostics };
}

/**
 * How one verify run prints its compiled rules and reads them back, shared by every node: the compile's renderer
 * (a chain many nodes hold is printed once) and one RuleLineCache (a line many nodes hold is parsed once).
 */
export interface ReadBack {
  readonly renderer: Renderer;
  readonly lines: RuleLineCache;
}

export const readBack = (renderer: Renderer = new Renderer()): ReadBack => ({ renderer, lines: new RuleLineCache() });

/**
 * Rules of a node compiled in this run. The ruleset is written and parsed
 * back for its line numbers; a parse error here is a writer/parser bug, so
 * it is reported as an internal error by the caller, not hidden.
 */
export function rulesFromOutput(out: NodeOutput, routes: RouteTable = routeTableOf(out.node, out.routes, out.fdb), rb: ReadBack = readBack()): RulesResult {
  const nft = compiledNftRules(out, "ip", rb);
  if (nft) return { rules: { node: out.node, ruleset: nft.ruleset, ipsets: setMap([...nft.ipsets, ...out.ipsets]), file: nftFile(out.node), routes }, diagnostics: [] };
  const file = iptablesFile(out.node);
  const rs = parseRuleSet(writeRuleSet(out.ruleset, SAVE_STYLE, rb.renderer), { file, lines: rb.lines });
  if (rs.diagnostics.some((d) => d.severity === "error")) return { rules: null, diagnostics: rs.diagnostics };
  return { rules: { node: out.node, ruleset: rs.ruleset, ipsets: setMap(out.ipsets), file, routes }, diagnostics: [] };
}


export interface NftRulesResult {
  /** Null when the text had errors (or cannot be lowered): such rules are never verified. */
  readonly lowered: LoweredRules | null;
  readonly diagnostics: readonly ParseDiagnostic[];
}

/**
 * A node's `.nft` text of one family (`ip` or `ip6` tables), with the tables an agent still writes to
 * iptables (`iptables`, parsed), lowered to the rule model the simulator walks (rules/nft/lower.ts): traces then
 * carry the `.nft` line of each nft rule.
 */
export function nftRulesFromText(text: string, path: string, family: "ip" | "ip6", iptables: RuleSet | null): NftRulesResult {
  const parsed = parseNft(text, { file: path });
  if (parsed.diagnostics.some((d) => d.severity === "error")) return { lowered: null, diagnostics: parsed.diagnostics };
  const dangling = referenceErrors(parsed.ruleset, text, path);
  if (dangling.length) return { lowered: null, diagnostics: [...parsed.diagnostics, ...dangling] };
  try {
    return { lowered: lowerNft(parsed.ruleset, family, iptables), diagnostics: parsed.diagnostics };
  } catch (e) {
    const message = `${path}: ${(e as Error).message}`;
    return { lowered: null, diagnostics: [...parsed.diagnostics, { id: "verify/nft-lowering", severity: "error", message, span: null, line: 1, col: 1 }] };
  }
}

/** A compiled node's `.nft` (printed with the one printer and parsed back, as the iptables text is) beside its iptables part. */
export function compiledNftRules(out: NodeOutput, family: "ip" | "ip6", rb: ReadBack = readBack()): LoweredRules | null {
  if (!out.nft || !out.nft.tables.some((t) => t.family === family)) return null;
  const ipt = family === "ip" ? out.ruleset : out.ruleset6;
  const iptables = ipt && ipt.tables.length ? parseRuleSet(writeRuleSet(ipt, SAVE_STYLE, rb.renderer), { file: family === "ip" ? iptablesFile(out.node) : `${out.node}.ip6tables`, lines: rb.lines }).ruleset : null;
  const r = nftRulesFromText(printListing(out.nft), nftFile(out.node), family, iptables);
  if (!r.lowered) throw new Error(`re-reading the compiled nftables rules of ${out.node} failed: ${r.diagnostics[0]?.message ?? "?"}`);
  return r.lowered;
}

// The rules verify checks, as NodeRules: either compiled now (written with
// the one writer and parsed back, so traces carry the line numbers of the
// `<node>.iptables` text an operator would read), or read from files given
// with --rules (compiled earlier, edited by hand, or dumped from a node).
import type { NodeOutput } from "../backends/types.js";
import type { IpSet } from "../rules/ipset.js";
import { parseIpSets } from "../rules/ipset-parser.js";
import { parseRuleSet, type ParseDiagnostic } from "../rules/parser.js";
import { writeRuleSet } from "../rules/writer.js";
import { parseFdb, parseRoutes } from "../rules/route-parser.js";
import { writeFdb, writeRoutes, type FdbEntry, type RouteCommand } from "../rules/routes.js";
import type { NodeRules, RouteTable } from "./topology.js";

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

export interface RouteTableResult {
  /** Null when a text had errors: such routes are never walked. */
  readonly table: RouteTable | null;
  readonly diagnostics: readonly ParseDiagnostic[];
}

/** A node's route table from the texts of its `.routes` and (VXLAN only) `.fdb` files, named `routesPath`/`fdbPath`. */
export function routeTableFromText(routes: string, routesPath: string, fdbText: string | null, fdbPath: string | null): RouteTableResult {
  const r = parseRoutes(routes, { file: routesPath });
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
 * A node's compiled routes, written with the one writer and read back with
 * the one parser — what verify walks is what the `.routes` file says. A parse
 * error here is a writer/parser bug, not bad input.
 */
export function routeTableOf(node: string, routes: readonly RouteCommand[], fdb: readonly FdbEntry[]): RouteTable {
  const r = routeTableFromText(writeRoutes(routes), routesFile(node), fdb.length ? writeFdb(fdb) : null, fdb.length ? fdbFile(node) : null);
  if (!r.table) throw new Error(`re-parsing the compiled routes of ${node} failed: ${r.diagnostics[0]?.message ?? "?"}`);
  return r.table;
}

function setMap(sets: readonly IpSet[]): Map<string, IpSet> {
  return new Map(sets.map((s) => [s.name, s]));
}

/** Rules from texts; `iptablesPath`/`ipsetsPath` name the files in diagnostics and traces. */
export function rulesFromText(node: string, iptables: string, iptablesPath: string, ipsets: string, ipsetsPath: string): RulesResult {
  const rs = parseRuleSet(iptables, { file: iptablesPath });
  const is = parseIpSets(ipsets, { file: ipsetsPath });
  const diagnostics = [...rs.diagnostics, ...is.diagnostics];
  if (diagnostics.some((d) => d.severity === "error")) return { rules: null, diagnostics };
  return { rules: { node, ruleset: rs.ruleset, ipsets: setMap(is.sets), file: iptablesPath }, diagnostics };
}

/**
 * Rules of a node compiled in this run. The ruleset is written and parsed
 * back for its line numbers; a parse error here is a writer/parser bug, so
 * it is reported as an internal error by the caller, not hidden.
 */
export function rulesFromOutput(out: NodeOutput, routes: RouteTable = routeTableOf(out.node, out.routes, out.fdb)): RulesResult {
  const file = iptablesFile(out.node);
  const rs = parseRuleSet(writeRuleSet(out.ruleset), { file });
  if (rs.diagnostics.some((d) => d.severity === "error")) return { rules: null, diagnostics: rs.diagnostics };
  return { rules: { node: out.node, ruleset: rs.ruleset, ipsets: setMap(out.ipsets), file, routes }, diagnostics: [] };
}


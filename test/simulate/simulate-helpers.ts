// Small builders for simulator tests: parse a hand-written ruleset (and fail
// on any parse error), a default packet and host, and compact trace views.
import { expect } from "vitest";
import { parseRuleSet } from "../../src/rules/parser.js";
import type { IpSet } from "../../src/rules/ipset.js";
import { createSimulator, type Simulator } from "../../src/simulate/index.js";
import type { HostContext, Packet, SimOutcome } from "../../src/simulate/types.js";
import type { RuleSet } from "../../src/rules/types.js";

/** One walk on a simulator of its own: every call here is a run by itself, so no test depends on another. */
export const simulatePath: Simulator["simulatePath"] = (...args) => createSimulator().simulatePath(...args);
export const simulateChain: Simulator["simulateChain"] = (...args) => createSimulator().simulateChain(...args);

export function rules(text: string): RuleSet {
  const r = parseRuleSet(text.replace(/^\s+/gm, ""));
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return r.ruleset;
}

export function pkt(over: Partial<Packet> = {}): Packet {
  return { src: "10.0.0.1", dst: "10.0.0.2", protocol: "tcp", srcPort: 40000, dstPort: 80, ctstate: "NEW", mark: 0, dnat: false, snat: false, ...over };
}

export function host(over: Partial<HostContext> & { sets?: readonly IpSet[] } = {}): HostContext {
  const { sets, ...rest } = over;
  return {
    localAddresses: new Set(["10.0.0.11"]),
    ipsets: new Map((sets ?? []).map((s) => [s.name, s])),
    rpfilterOk: () => true,
    ...rest,
  };
}

/** The single outcome of a walk with no branches. */
export function only(outcomes: SimOutcome[]): SimOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

/** "table chain index action" per step, for readable trace assertions. */
export function steps(o: SimOutcome): string[] {
  return o.trace.map((s) => `${s.table} ${s.chain} ${s.index} ${s.action}`);
}

export function hashNet(name: string, members: readonly (string | [string, "nomatch"])[], type: IpSet["type"] = "hash:net"): IpSet {
  return {
    name,
    type,
    options: ["family", "inet"],
    members: members.map((m) => (typeof m === "string" ? { value: m } : { value: m[0], nomatch: true })),
  };
}

// Ports the rules themselves mention. Rules read with --rules may have been
// edited by hand or dumped from a node; a port they open that no policy
// mentions would otherwise never be probed, so verify probes these too.
import type { Protocol } from "../ir/cluster.js";
import type { IpSet } from "../rules/ipset.js";
import type { Rule } from "../rules/types.js";
import { FELIX_VXLAN_PORT } from "./invariants.js";
import type { NodeRules } from "./topology.js";

const BY_NAME: Readonly<Record<string, Protocol>> = { tcp: "TCP", udp: "UDP", sctp: "SCTP" };
const ALL: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

/** `80`, `8000:8080` → the port, or both edges and their outer neighbours. */
function probePorts(spec: string): number[] {
  const [a = "", b] = spec.split(":");
  const lo = Number(a);
  const hi = b === undefined ? lo : Number(b);
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) return [];
  const ports = b === undefined ? [lo] : [lo - 1, lo, hi, hi + 1];
  return ports.filter((p) => p >= 1 && p <= 65535);
}

function ruleProtocols(rule: Rule): readonly Protocol[] {
  const p = rule.parts.find((x) => x.kind === "protocol");
  if (!p || p.kind !== "protocol") return ALL;
  const proto = BY_NAME[p.value.toLowerCase()];
  return proto && !p.negated ? [proto] : ALL;
}

function destinationPortSpecs(rule: Rule): string[] {
  const specs: string[] = [];
  for (const part of rule.parts) {
    if (part.kind !== "match") continue;
    for (const o of part.options) {
      if (o.name === "dports" || o.name === "destination-ports") specs.push(...(o.args[0] ?? "").split(","));
      if (o.name === "dport" || o.name === "destination-port") specs.push(o.args[0] ?? "");
    }
  }
  return specs;
}

/** Members like `10.0.0.1,tcp:9080` of port-carrying sets (Felix's named-port sets). */
function setPorts(set: IpSet, add: (proto: Protocol, port: number) => void): void {
  if (!set.type.includes(",port")) return;
  for (const m of set.members) {
    const hit = /,(tcp|udp|sctp):([0-9]+)/.exec(m.value);
    const proto = hit ? BY_NAME[hit[1]!] : undefined;
    if (proto) add(proto, Number(hit![2]));
  }
}

/** Destination ports per protocol mentioned by any filter rule or port set of the nodes' rules. */
export function rulePorts(rules: Iterable<NodeRules>): Map<Protocol, number[]> {
  const found = new Map<Protocol, Set<number>>();
  const add = (proto: Protocol, port: number): void => {
    const s = found.get(proto) ?? new Set<number>();
    // Felix's VXLAN guard drops UDP 4789 from workloads whatever the policy; it is not a policy port (invariants.ts).
    // Its protocol is still one the rules name, so UDP is probed (at the plan's unmentioned port), as class verify,
    // which cuts every protocol a rule's port names, checks it: a rule that opens every UDP port where the policies
    // say only TCP (a deleted jump to cali-INPUT) was caught by class verify alone.
    if (!(proto === "UDP" && port === FELIX_VXLAN_PORT)) s.add(port);
    found.set(proto, s);
  };
  for (const r of rules) {
    for (const table of r.ruleset.tables) {
      if (table.name !== "filter") continue;
      for (const chain of table.chains) {
        for (const rule of chain.rules) {
          const protos = ruleProtocols(rule);
          for (const spec of destinationPortSpecs(rule)) for (const port of probePorts(spec)) for (const p of protos) add(p, port);
        }
      }
    }
    for (const set of r.ipsets.values()) setPorts(set, add);
  }
  // Sorted for determinism.
  return new Map([...found].map(([k, v]) => [k, [...v].sort((a, b) => a - b)]));
}

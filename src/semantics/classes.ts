// Port and address classes: sets of ports (per protocol) and of addresses
// outside the cluster that no NetworkPolicy of a model can tell apart, so one
// representative decides for the whole class (spec netpol-semantics §5, §6).
//
// Ports. A rule matches a port by number, by range (port..endPort) or by
// name, resolved on the destination pod to its container ports of that name
// and protocol. Cut [1, 65535] before every mentioned port p and after it
// (p + 1), before every range's start and after its end, and likewise at the
// ports a name resolves to on the destination: inside one piece every rule
// answers alike, so the reference evaluator's verdict is the same on each of
// its ports.
//
// Addresses. An ipBlock matches by CIDR containment; `except` carves CIDRs
// out of it. CIDRs are nested or disjoint, so the addresses contained in the
// same CIDRs of the model form the class "the most specific CIDR holding them,
// except the CIDRs nested inside it", or, held by none, "any address outside
// the cluster but those CIDRs".
import type { Pod, Protocol } from "../ir/cluster.js";
import type { Model, PolicyRule } from "../ir/policy.js";
import { formatIP } from "../frontend/validation/ip.js";
import { cidrContains, parseAddress, parseCidr, type Cidr, type Family } from "./ip.js";
import { resolveNamedPort } from "./match.js";

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** Ports from..to, both included. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** Where port classes start, per protocol, and the port names to resolve on each destination. */
export interface PortCuts {
  readonly numeric: ReadonlyMap<Protocol, ReadonlySet<number>>;
  readonly named: ReadonlyMap<Protocol, ReadonlySet<string>>;
}

function rulesOf(model: Model): PolicyRule[] {
  return model.policies.flatMap((p) => [...p.ingress, ...p.egress]);
}

function add<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

/** The cuts every policy of `models` makes (several models: a class must be one in each, as diff compares two). */
export function portCuts(...models: readonly Model[]): PortCuts {
  const numeric = new Map<Protocol, Set<number>>();
  const named = new Map<Protocol, Set<string>>();
  for (const model of models) {
    for (const rule of rulesOf(model)) {
      if (rule.ports.kind === "any") continue;
      for (const e of rule.ports.ports) {
        const m = e.port;
        if (m.kind === "named") add(named, e.protocol, m.name);
        else if (m.kind === "number") {
          add(numeric, e.protocol, m.port);
          add(numeric, e.protocol, (m.endPort ?? m.port) + 1);
        } else {
          // Any port of the protocol: no cut.
          numeric.get(e.protocol) ?? numeric.set(e.protocol, new Set());
        }
      }
    }
  }
  return { numeric, named };
}

/** The classes of `protocol` for traffic to `dsts` (a pod on each side compared; an address has no named ports), in port order. */
export function portClasses(cuts: PortCuts, protocol: Protocol, dsts: readonly (Pod | null)[]): PortRange[] {
  const at = new Set<number>(cuts.numeric.get(protocol) ?? []);
  for (const pod of dsts) {
    if (pod === null) continue;
    for (const name of cuts.named.get(protocol) ?? []) {
      for (const p of resolveNamedPort(pod, name, protocol)) at.add(p).add(p + 1);
    }
  }
  const starts = [MIN_PORT, ...[...at].filter((p) => p > MIN_PORT && p <= MAX_PORT)].sort((a, b) => a - b);
  return starts.map((from, i) => ({ from, to: (starts[i + 1] ?? MAX_PORT + 1) - 1 }));
}

/** Sorted, merged ranges (adjacent and overlapping ranges joined). */
export function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) out[out.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else out.push(r);
  }
  return out;
}

/** The ports of [1, 65535] not in `ranges` (merged first). */
export function complementRanges(ranges: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let next = MIN_PORT;
  for (const r of mergeRanges(ranges)) {
    if (r.from > next) out.push({ from: next, to: r.from - 1 });
    next = Math.max(next, r.to + 1);
  }
  if (next <= MAX_PORT) out.push({ from: next, to: MAX_PORT });
  return out;
}

const rangeText = (r: PortRange): string => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);

/**
 * A port set as a reader takes it literally: `every TCP port`, `every TCP
 * port but 80, 443`, `80/TCP`, `8080-8090/TCP`, `53, 5353/UDP` — the shorter
 * of the set and its complement.
 */
export function portSetText(protocol: Protocol, ranges: readonly PortRange[]): string {
  const set = mergeRanges(ranges);
  const rest = complementRanges(set);
  if (rest.length === 0) return `every ${protocol} port`;
  if (set.length === 0) return `no ${protocol} port`;
  if (rest.length < set.length || (rest.length === set.length && set.some((r) => r.to - r.from > 1024))) {
    return `every ${protocol} port but ${rest.map(rangeText).join(", ")}`;
  }
  return `${set.map(rangeText).join(", ")}/${protocol}`;
}

/** The IPv4 CIDRs the ipBlocks of `models` name, blocks and excepts, canonical and de-duplicated, in address order. */
export function blockCidrs(...models: readonly Model[]): Cidr[] {
  return familyBlockCidrs(4, ...models);
}

/** blockCidrs for one family (IPv6: the flow diff of a dual-stack snapshot). */
export function familyBlockCidrs(family: Family, ...models: readonly Model[]): Cidr[] {
  const seen = new Map<string, Cidr>();
  for (const model of models) {
    for (const rule of rulesOf(model)) {
      if (rule.peers.kind === "any") continue;
      for (const p of rule.peers.peers) {
        if (p.kind !== "ipBlock" || p.cidr.includes(":") !== (family === 6)) continue;
        for (const text of [p.cidr, ...p.except]) {
          const c = parseCidr(text);
          if (c && c.family === family) seen.set(`${c.network}/${c.prefix}`, c);
        }
      }
    }
  }
  // Sorted for determinism: by network, then wider first.
  return [...seen.values()].sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefix - b.prefix));
}

function cidrText(c: Cidr): string {
  return `${formatIP(c.family, c.network)}/${c.prefix}`;
}

const inside = (inner: Cidr, outer: Cidr): boolean =>
  inner.family === outer.family && inner.prefix >= outer.prefix && cidrContains(outer, { family: inner.family, value: inner.network });

/** The widest of `cidrs` (those no other of them holds). */
function maximal(cidrs: readonly Cidr[]): Cidr[] {
  return cidrs.filter((c) => !cidrs.some((o) => o !== c && inside(c, o) && o.prefix < c.prefix));
}

/** The class of an address outside the cluster among `cidrs` (blockCidrs), as text: `10.0.0.0/8 except 10.1.0.0/16`, `any address outside the cluster but 10.0.0.0/8`. */
export function addressClassText(cidrs: readonly Cidr[], ip: string): string {
  const a = parseAddress(ip);
  const holding = a ? cidrs.filter((c) => c.family === a.family && cidrContains(c, a)) : [];
  if (holding.length === 0) {
    // IPv4 keeps its plain wording; an IPv6 class names its family (the flow diff of a dual-stack snapshot has both).
    const any = a?.family === 6 ? "any IPv6 address outside the cluster" : "any address outside the cluster";
    const top = maximal(cidrs.filter((c) => c.family === (a?.family ?? 4)));
    return top.length ? `${any} but ${top.map(cidrText).join(", ")}` : any;
  }
  const own = holding.reduce((x, y) => (y.prefix > x.prefix ? y : x));
  const carved = maximal(cidrs.filter((c) => c !== own && inside(c, own) && c.prefix > own.prefix));
  return carved.length ? `${cidrText(own)} except ${carved.map(cidrText).join(", ")}` : cidrText(own);
}

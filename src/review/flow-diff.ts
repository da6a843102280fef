// Flow diff: the flows whose verdict under the reference evaluator differs
// between two models (old and new inputs), with the policy rule responsible
// on each side, grouped by policy and aggregated per namespace.
//
// Flows: every ordered pair of endpoint pods present on both sides (matched
// by namespace/name), and pods to and from each class of addresses outside
// the cluster, on every port class (src/semantics/classes.ts: the ports and
// addresses neither side's policies can tell apart, so one representative
// decides for its whole class). A pod present on one side only has no
// "before" or "after" to compare and is left out.
//
// A change is reported for a set of ports and an address class, never for a
// representative: the classes of one pair and protocol that change alike
// (same kind, policy and reasons) are joined into one port set (`every TCP
// port`, `every TCP port but 80`, `8080-8090/TCP`). Aggregation: the source
// of a change becomes `ns/*` when every pod of that namespace changes the
// same way towards the same destination and ports; then the destination likewise.
import type { SourceMap } from "../diagnostics/sources.js";
import type { Pod, Protocol } from "../ir/cluster.js";
import type { Model, NetworkPolicy } from "../ir/policy.js";
import { createEvaluator, type DirectionVerdict, type Flow, type FlowEndpoint, type RuleRef, type Verdict } from "../semantics/index.js";
import { addressClassText, familyBlockCidrs, mergeRanges, portClasses, portCuts, portSetText, type PortRange } from "../semantics/classes.js";
import { familyOf, type Family } from "../semantics/ip.js";
import { allPodEndpoints, externalAddresses, hasIPv6Blocks, podEndpoints } from "../verify/flows.js";
import { position } from "../verify/views.js";
import { byteCompare } from "../rules/writer.js";

export interface ModelSide {
  readonly model: Model;
  readonly sources: SourceMap;
}

export interface FlowChange {
  readonly kind: "opens" | "closes";
  /** `ns/pod`, `ns/*` or an address. */
  readonly src: string;
  readonly dst: string;
  readonly protocol: Protocol;
  /** The ports that change alike, merged and sorted. */
  readonly ports: readonly PortRange[];
  /** `ports` as a reader takes it: `every TCP port`, `every TCP port but 80`, `8080-8090/TCP`. */
  readonly portText: string;
  /** The responsible policy (`ns/name`), or "(no policy)". */
  readonly policy: string;
  /** Why the old and the new verdict are what they are, one phrase each. */
  readonly before: string;
  readonly after: string;
  /** The IP family of the flows when the snapshot is dual-stack (each family is judged on its own); null otherwise. */
  readonly family: 4 | 6 | null;
}

export interface FlowDiff {
  /** Concrete flows compared: (source, destination, protocol, port), an address class counting once. */
  readonly flows: number;
  /** The classes they fall into, each decided by one representative. */
  readonly classes: number;
  readonly changes: readonly FlowChange[];
}

const qname = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`;
const podName = (p: Pod): string => `${p.namespace}/${p.name}`;
const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

function ruleAt(sources: SourceMap, r: RuleRef): string {
  const rule = r.policy[r.direction].find((x) => x.index === r.ruleIndex);
  const at = position(sources, rule?.span ?? r.policy.span);
  return `${qname(r.policy)} ${r.direction}[${r.ruleIndex}]${at ? ` (${at})` : ""}`;
}

function directionWhy(sources: SourceMap, dir: "egress" | "ingress", v: DirectionVerdict): string | null {
  if (v.reason === "not a pod") return null;
  if (v.allowed && v.allowedBy.length) return `${dir} allowed by ${v.allowedBy.map((r) => ruleAt(sources, r)).join(", ")}`;
  if (v.allowed) return `${dir} ${v.reason}`;
  return `${dir} denied: isolated by ${v.isolatedBy.map(qname).join(", ")}, no rule matched`;
}

/** Allowed: the rules that allow each side. Denied: only the directions that deny. */
function why(side: ModelSide, v: Verdict): string {
  const dirs = (["egress", "ingress"] as const).filter((d) => v.allowed || !v[d].allowed);
  const parts = dirs.flatMap((d) => directionWhy(side.sources, d, v[d]) ?? []);
  return parts.join("; ") || (v.allowed ? "allowed" : "denied");
}

/** The policy a change is filed under: the rule that now allows (opens) or used to (closes), else the isolating one. */
function responsible(oldV: Verdict, newV: Verdict): string {
  const [was, now] = newV.allowed ? [oldV, newV] : [newV, oldV];
  const names = new Set<string>();
  for (const d of ["egress", "ingress"] as const) {
    if (was[d].allowed) continue;
    for (const r of now[d].allowedBy) names.add(qname(r.policy));
    if (!now[d].allowedBy.length) for (const p of was[d].isolatedBy) names.add(qname(p));
  }
  // Sorted for determinism.
  return [...names].sort(byteCompare)[0] ?? "(no policy)";
}

interface Pair {
  readonly name: string;
  readonly ns: string | null;
  readonly old: FlowEndpoint;
  readonly new: FlowEndpoint;
  /** The families this end speaks: a pod's address families (old side), an address's own. */
  readonly families: readonly Family[];
}

/** Whether either side is dual-stack (IPv6 pools, IPv6 pod addresses or IPv6 ipBlocks): then each family is judged on its own. */
function isDualStack(...models: readonly Model[]): boolean {
  return models.some((m) => m.cluster.pools.some((p) => p.cidr.includes(":")) || m.cluster.pods.some((p) => p.ips.some((ip) => ip.includes(":"))) || hasIPv6Blocks(m));
}

function pairs(oldM: Model, newM: Model, dual: boolean): { pods: Pair[]; externals: Pair[] } {
  const endpointsIn = dual ? allPodEndpoints : podEndpoints;
  const newPods = new Map(endpointsIn(newM).map((e) => [podName(e.pod), e] as const));
  const pods: Pair[] = [];
  for (const e of endpointsIn(oldM)) {
    const n = newPods.get(podName(e.pod));
    const families = ([4, 6] as const).filter((f) => e.pod.ips.some((ip) => familyOf(ip) === f));
    if (n) pods.push({ name: podName(e.pod), ns: e.pod.namespace, old: e, new: n, families });
  }
  const externals: Pair[] = [];
  for (const family of dual ? ([4, 6] as const) : ([4] as const)) {
    // Sorted for determinism (externalAddresses sorts each side; the union needs it again); one address per class.
    const ips = [...new Set([...externalAddresses(oldM, family), ...externalAddresses(newM, family)])].sort(byteCompare);
    const cidrs = familyBlockCidrs(family, oldM, newM);
    const byClass = new Map<string, string>();
    for (const ip of ips) {
      const name = addressClassText(cidrs, ip);
      if (!byClass.has(name)) byClass.set(name, ip);
    }
    for (const [name, ip] of byClass) externals.push({ name, ns: null, old: { kind: "ip", ip }, new: { kind: "ip", ip }, families: [family] });
  }
  return { pods, externals };
}

interface RawChange extends FlowChange {
  readonly srcNs: string | null;
  readonly dstNs: string | null;
}

const podOf = (e: FlowEndpoint): Pod | null => (e.kind === "pod" ? e.pod : null);

/**
 * `byClass: false` judges every pair on its own (the property test compares the two: test/property/flow-diff.test.ts);
 * the output is the same.
 */
export function diffFlows(oldSide: ModelSide, newSide: ModelSide, opts: { readonly byClass?: boolean } = {}): FlowDiff {
  const cuts = portCuts(oldSide.model, newSide.model);
  // TCP always (the protocol most flows use); UDP and SCTP when a policy of either side names them.
  const protocols = PROTOCOLS.filter((p) => p === "TCP" || cuts.numeric.has(p) || cuts.named.has(p));
  const dual = isDualStack(oldSide.model, newSide.model);
  const { pods, externals } = pairs(oldSide.model, newSide.model, dual);
  // Each ordered pair in every family both ends speak (single-stack: IPv4, as the family is not named), visited as
  // they are made: a list of every pair was pods² entries (10k pods: 10^8).
  const eachRoute = (visit: (s: Pair, d: Pair, family: Family) => void): void => {
    const add = (a: Pair, b: Pair): void => {
      for (const f of a.families) if (b.families.includes(f)) visit(a, b, f);
    };
    for (const a of pods) for (const b of pods) if (a !== b) add(a, b);
    for (const a of pods) for (const x of externals) add(a, x);
    for (const x of externals) for (const a of pods) add(x, a);
  };
  const [oldEval, newEval] = [createEvaluator(oldSide.model), createEvaluator(newSide.model)];
  // A destination's port classes follow from its pods' named ports alone: made once per destination and protocol,
  // not once per pair (a thousand pods: a million pairs).
  const classesOf = new Map<Pair, Map<Protocol, PortRange[]>>();
  const portClassesTo = (d: Pair, protocol: Protocol): PortRange[] => {
    let byProtocol = classesOf.get(d);
    if (!byProtocol) classesOf.set(d, (byProtocol = new Map()));
    let got = byProtocol.get(protocol);
    if (!got) byProtocol.set(protocol, (got = portClasses(cuts, protocol, [podOf(d.old), podOf(d.new)])));
    return got;
  };
  /** A pair's changes, per protocol in order, each with its ports joined (names of the ends left out). */
  type Judged = ReadonlyArray<Omit<RawChange, "src" | "dst" | "srcNs" | "dstNs">>;
  const judge = (s: Pair, d: Pair, family: Family): Judged => {
    // A pair's policy sides (every rule's peers matched) do not depend on protocol or port: matched once per pair
    // and side, then each port class judged from them (Evaluator.verdictWith, which equals evaluate: laws.test.ts).
    const pairFlow = (side: "old" | "new"): Flow => ({ src: s[side], dst: d[side], protocol: "TCP", port: 0, ...(dual ? { family } : {}) });
    const [so, sn] = [oldEval.sides(pairFlow("old")), newEval.sides(pairFlow("new"))];
    const out: Array<Judged[number]> = [];
    for (const protocol of protocols) {
      // Classes that change alike, joined: kind, policy and reasons → ports.
      const alike = new Map<string, { change: Omit<Judged[number], "ports" | "portText">; ports: PortRange[] }>();
      for (const range of portClassesTo(d, protocol)) {
        const port = range.from;
        const fo: Flow = { src: s.old, dst: d.old, protocol, port, ...(dual ? { family } : {}) };
        const fn: Flow = { src: s.new, dst: d.new, protocol, port, ...(dual ? { family } : {}) };
        const [vo, vn] = [oldEval.verdictWith(fo, so), newEval.verdictWith(fn, sn)];
        if (vo.allowed === vn.allowed) continue;
        const change = {
          kind: vn.allowed ? ("opens" as const) : ("closes" as const), protocol,
          policy: responsible(vo, vn), before: why(oldSide, vo), after: why(newSide, vn), family: dual ? family : null,
        };
        const key = [change.kind, change.policy, change.before, change.after].join("\u0000");
        const entry = alike.get(key);
        if (entry) entry.ports.push(range);
        else alike.set(key, { change, ports: [range] });
      }
      for (const { change, ports } of alike.values()) {
        const merged = mergeRanges(ports);
        out.push({ ...change, ports: merged, portText: portSetText(protocol, merged) });
      }
    }
    return out;
  };
  // Single-stack, pods alike under both models (equal signatures under each evaluator: semantics/signature.ts) are
  // interchangeable in every verdict of two different pods, and so in every change: a pair of such classes is judged
  // once, its changes given to each of its pod pairs. (A signature reads a pod's IPv4 address: a dual-stack diff
  // judges every pair.) An address class is its own class.
  const ids = [new Map<string, number>(), new Map<string, number>()] as const;
  const classIds = new Map<Pair, number>();
  const classOf = (e: Pair): number => {
    let id = classIds.get(e);
    if (id === undefined) {
      if (e.old.kind === "pod" && e.new.kind === "pod") {
        const intern = (m: Map<string, number>, sig: string): number => {
          let n = m.get(sig);
          if (n === undefined) m.set(sig, (n = m.size));
          return n;
        };
        const key = `${intern(ids[0], oldEval.signature(e.old.pod))},${intern(ids[1], newEval.signature(e.new.pod))}`;
        id = intern(podClasses, key);
      } else id = -1 - classIds.size;
      classIds.set(e, id);
    }
    return id;
  };
  const podClasses = new Map<string, number>();
  // Flows and classes compared, per destination and protocol (its port classes): counted per pair without judging it.
  const countsTo = new Map<Pair, { classes: number; flows: number }>();
  const countTo = (d: Pair): { classes: number; flows: number } => {
    let c = countsTo.get(d);
    if (!c) {
      c = { classes: 0, flows: 0 };
      for (const protocol of protocols) {
        for (const r of portClassesTo(d, protocol)) {
          c.classes++;
          c.flows += r.to - r.from + 1;
        }
      }
      countsTo.set(d, c);
    }
    return c;
  };
  const raw: RawChange[] = [];
  let flows = 0;
  let classes = 0;
  const emit = (s: Pair, d: Pair, judged: Judged): void => {
    for (const c of judged) {
      // The fields in the order a change always had them (JSON keeps it).
      raw.push({
        kind: c.kind, src: s.name, dst: d.name, protocol: c.protocol, srcNs: s.ns, dstNs: d.ns,
        policy: c.policy, before: c.before, after: c.after, family: c.family, ports: c.ports, portText: c.portText,
      });
    }
  };
  if (dual || opts.byClass === false) {
    eachRoute((s, d, family) => {
      const n = countTo(d);
      classes += n.classes;
      flows += n.flows;
      emit(s, d, judge(s, d, family));
    });
  } else {
    // Single-stack: every end speaks IPv4 or nothing. The ends numbered, each with its class (dense), its counts as a
    // destination and whether it speaks IPv4, so the pairs (10^8 at 10k pods) are a loop over numbers in eachRoute's
    // order; a pair of classes is judged the first time it is met.
    const ends = [...pods, ...externals];
    const dense = new Map<number, number>();
    const cls = Int32Array.from(ends, (e) => {
      const c = classOf(e);
      let n = dense.get(c);
      if (n === undefined) dense.set(c, (n = dense.size));
      return n;
    });
    const speaks = ends.map((e) => e.families.includes(4));
    const counts = ends.map(countTo);
    const memo: Array<Array<Judged | undefined>> = Array.from({ length: dense.size }, () => []);
    const visit = (i: number, j: number): void => {
      if (!speaks[i] || !speaks[j]) return;
      classes += counts[j]!.classes;
      flows += counts[j]!.flows;
      const row = memo[cls[i]!]!;
      let judged = row[cls[j]!];
      if (judged === undefined) row[cls[j]!] = judged = judge(ends[i]!, ends[j]!, 4);
      if (judged.length) emit(ends[i]!, ends[j]!, judged);
    };
    const np = pods.length;
    for (let i = 0; i < np; i++) for (let j = 0; j < np; j++) if (i !== j) visit(i, j);
    for (let i = 0; i < np; i++) for (let x = np; x < ends.length; x++) visit(i, x);
    for (let x = np; x < ends.length; x++) for (let i = 0; i < np; i++) visit(x, i);
  }
  const nsPods = new Map<string, Set<string>>();
  for (const p of pods) if (p.ns !== null) nsPods.set(p.ns, (nsPods.get(p.ns) ?? new Set()).add(p.name));
  const merged = aggregate(aggregate(raw, "src", nsPods), "dst", nsPods);
  const changes = merged.map(({ srcNs: _s, dstNs: _d, ...c }): FlowChange => c);
  // Sorted for determinism: by policy, then opens before closes, destination, source, protocol, first port.
  const cmp = (a: FlowChange, b: FlowChange): number =>
    byteCompare(a.policy, b.policy) || byteCompare(a.kind, b.kind) * -1 || byteCompare(a.dst, b.dst) || byteCompare(a.src, b.src) ||
    PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol) || (a.ports[0]?.from ?? 0) - (b.ports[0]?.from ?? 0) ||
    byteCompare(a.portText, b.portText) || (a.family ?? 0) - (b.family ?? 0);
  return { flows, classes, changes: changes.sort(cmp) };
}

/**
 * Replaces the `end` of changes by `ns/*` where every pod of the namespace
 * (but the other end itself, which a pod never reaches through policy)
 * appears with otherwise identical change; keeps the first pod's reasons
 * (they differ only in which pod is named, if at all).
 */
function aggregate(changes: readonly RawChange[], end: "src" | "dst", nsPods: ReadonlyMap<string, ReadonlySet<string>>): RawChange[] {
  const other = end === "src" ? "dst" : "src";
  const nsOf = (c: RawChange): string | null => (end === "src" ? c.srcNs : c.dstNs);
  const keyOf = (c: RawChange): string => [c.kind, c.policy, nsOf(c) ?? "", c[other], c.protocol, c.portText, c.family ?? ""].join("\u0000");
  const groups = new Map<string, RawChange[]>();
  for (const c of changes) groups.set(keyOf(c), [...(groups.get(keyOf(c)) ?? []), c]);
  const out: RawChange[] = [];
  const done = new Set<string>();
  for (const c of changes) {
    const key = keyOf(c);
    if (done.has(key)) continue;
    done.add(key);
    const group = groups.get(key) ?? [c];
    const ns = nsOf(c);
    const all = ns === null ? undefined : nsPods.get(ns);
    const members = new Set(group.map((g) => g[end]));
    const expected = all ? [...all].filter((p) => p !== c[other]) : [];
    if (ns !== null && expected.length > 1 && expected.every((p) => members.has(p))) out.push({ ...c, [end]: `${ns}/*` });
    else out.push(...group);
  }
  return out;
}

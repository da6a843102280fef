// The objects kube-proxy's setupNFTables creates on every full sync
// (nftables.md §A.3), in the order it creates them: the base chains, the
// chains the base chains jump to (each jump rule in list order), the other
// top-level chains, then the sets and maps. The same on every node: built
// once per proxier. Only the nodeport-ips elements depend on the node
// (nodePortIPs below).
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NftBaseChain, NftChain, NftDataType, NftElement, NftRule, NftSet } from "../../../rules/nft/model.js";
import { cidrContains } from "../addresses.js";
import type { NodeContext } from "../context.js";
import type { NftProxier } from "./context.js";
import { BASE, CHAIN, COMMENT, SET } from "./names.js";
import {
  addrIn, addrInAnon, addrProtoPort, ctStateNew, DROP, fibLocal, jump, markClear, markSet, masqueradeFullyRandom, protoPort, REJECT, RETURN,
  rule, vmapRef,
} from "./stmts.js";

// knftables priorities are numeric in input (ParsePriority, §A.2): dstnat −100, filter 0, srcnat 100.
const DSTNAT = -100;
const SRCNAT = 100;
const FILTER = 0;

type BaseSpec = readonly [name: string, type: NftBaseChain["type"], hook: NftBaseChain["hook"], priority: number];

/** nftablesBaseChains, per layout (§A.1). */
function baseChains(layout: NftProxier["layout"]): readonly BaseSpec[] {
  const nat: readonly BaseSpec[] = [
    [BASE.natPrerouting, "nat", "prerouting", DSTNAT],
    [BASE.natOutput, "nat", "output", DSTNAT],
    [BASE.natPostrouting, "nat", "postrouting", SRCNAT],
  ];
  if (layout === "1.31") {
    return [
      [BASE.filterPrerouting, "filter", "prerouting", DSTNAT - 10],
      [BASE.filterInput, "filter", "input", DSTNAT - 10],
      [BASE.filterForward, "filter", "forward", DSTNAT - 10],
      [BASE.filterOutput, "filter", "output", DSTNAT - 10],
      [BASE.filterOutputPostDNAT, "filter", "output", DSTNAT + 10],
      ...nat,
    ];
  }
  return [
    [BASE.filterPreroutingPreDNAT, "filter", "prerouting", DSTNAT - 10],
    [BASE.filterOutputPreDNAT, "filter", "output", DSTNAT - 10],
    [BASE.filterInput, "filter", "input", FILTER],
    [BASE.filterForward, "filter", "forward", FILTER],
    [BASE.filterOutput, "filter", "output", FILTER],
    ...nat,
  ];
}

type Jump = readonly [target: string, from: string, ctNew: boolean];

/**
 * nftablesJumpChains, per layout: each target chain is created when first
 * named, and each jump appended to its base chain, in this order. The
 * 1.31–1.33 list is [KP-P33]'s; the 1.34 list is DERIVED (it is the only
 * order consistent with [KP-T]'s baseRules, which list the jumps in it).
 */
function jumpChains(layout: NftProxier["layout"]): readonly Jump[] {
  const pre = layout === "1.31" ? [BASE.filterPrerouting, BASE.filterOutput] : [BASE.filterPreroutingPreDNAT, BASE.filterOutputPreDNAT];
  const postDNATOutput = layout === "1.31" ? BASE.filterOutputPostDNAT : BASE.filterOutput;
  return [
    // Not jumped to from prerouting: reject is valid only in input/forward/output before kernel 5.9 (§C).
    [CHAIN.nodePortEndpointsCheck, BASE.filterInput, true],
    [CHAIN.serviceEndpointsCheck, BASE.filterInput, true],
    [CHAIN.serviceEndpointsCheck, BASE.filterForward, true],
    [CHAIN.serviceEndpointsCheck, BASE.filterOutput, true],
    ...pre.map((from): Jump => [CHAIN.firewallCheck, from, true]),
    [CHAIN.services, BASE.natOutput, false],
    [CHAIN.services, BASE.natPrerouting, false],
    [CHAIN.masquerading, BASE.natPostrouting, false],
    [CHAIN.clusterIPsCheck, BASE.filterForward, true],
    [CHAIN.clusterIPsCheck, postDNATOutput, true],
  ];
}

export interface FixedObjects {
  /** Chains in creation order, with their rules. */
  readonly chains: readonly NftChain[];
  /** Sets and maps in creation order, without elements (the services and the node add them). */
  readonly sets: readonly NftSet[];
}

const FIXED = memoTable<NftProxier, FixedObjects>("kubeproxy/nft-fixed");

export function fixedObjects(comp: Compilation, kp: NftProxier): FixedObjects {
  return comp.memo(FIXED, kp, () => ({ chains: fixedChains(kp), sets: fixedSets(kp) }));
}

function fixedChains(kp: NftProxier): NftChain[] {
  const rules = new Map<string, NftRule[]>();
  const order: string[] = [];
  const base = new Map<string, NftBaseChain>();
  const comments = new Map<string, string>([[CHAIN.reject, COMMENT.rejectChain]]);
  const ensure = (name: string): void => {
    if (rules.has(name)) return;
    rules.set(name, []);
    order.push(name);
  };
  const add = (chain: string, ...rs: NftRule[]): void => void rules.get(chain)?.push(...rs);
  for (const [name, type, hook, priority] of baseChains(kp.layout)) {
    ensure(name);
    base.set(name, { type, hook, priority, policy: "accept" });
  }
  for (const [target, from, ctNew] of jumpChains(kp.layout)) {
    ensure(target);
    add(from, rule(ctNew ? [ctStateNew, jump(target)] : [jump(target)]));
  }
  for (const c of [CHAIN.services, CHAIN.clusterIPsCheck, CHAIN.masquerading, CHAIN.markMasq, CHAIN.reject]) ensure(c);
  fixedRules(kp, add);
  return order.map((name) => ({ name, base: base.get(name) ?? null, comment: comments.get(name) ?? null, rules: rules.get(name) ?? [] }));
}

/** The rules setupNFTables writes into the regular chains (§A.3), nodePort forms by nodePortAddresses. */
function fixedRules(kp: NftProxier, add: (chain: string, ...rs: NftRule[]) => void): void {
  const { fam, mark } = kp;
  add(CHAIN.markMasq, rule([markSet("|", mark)]));
  add(CHAIN.masquerading, rule([markClear(mark), RETURN]), rule([markSet("^", mark)]), rule([masqueradeFullyRandom]));
  add(CHAIN.clusterIPsCheck, rule([addrIn(fam, "daddr", SET.clusterIPs), REJECT], COMMENT.rejectInvalidPorts));
  if (kp.serviceCIDRs.length > 0) {
    // kube-proxy strings.Join()s the CIDRs with a bare comma (§A.3).
    add(CHAIN.clusterIPsCheck, rule([addrInAnon(fam, "daddr", kp.serviceCIDRs, false, true), DROP], COMMENT.dropUnallocated));
  }
  add(CHAIN.reject, rule([REJECT]));
  add(CHAIN.serviceEndpointsCheck, rule([vmapRef(addrProtoPort(fam), SET.noEndpointServices)]));
  const nodePortDst = kp.nodePortAddresses === null ? [kp.notLocalhost] : [addrIn(fam, "daddr", SET.nodePortIPs)];
  add(CHAIN.nodePortEndpointsCheck, rule([...nodePortDst, vmapRef(protoPort, SET.noEndpointNodePorts)]));
  add(CHAIN.firewallCheck, rule([vmapRef(addrProtoPort(fam), SET.firewallIPs)]));
  add(CHAIN.services, rule([vmapRef(addrProtoPort(fam), SET.serviceIPs)]));
  const nodePortMatch = kp.nodePortAddresses === null ? [fibLocal("daddr"), kp.notLocalhost] : [addrIn(fam, "daddr", SET.nodePortIPs)];
  add(CHAIN.services, rule([...nodePortMatch, vmapRef(protoPort, SET.serviceNodePorts)]));
}

function set(kind: NftSet["kind"], name: string, type: readonly NftDataType[], comment: string): NftSet {
  return { kind, name, type, data: kind === "map" ? "verdict" : null, flags: [], timeout: null, size: null, comment, elements: [] };
}

/** Sets and maps in setupNFTables' order; nodeport-ips only when nodePort addresses are not "match all" (§A.3). */
function fixedSets(kp: NftProxier): NftSet[] {
  const a = kp.addrType;
  const svc: readonly NftDataType[] = [a, "inet_proto", "inet_service"];
  const np: readonly NftDataType[] = ["inet_proto", "inet_service"];
  return [
    set("set", SET.clusterIPs, [a], COMMENT.clusterIPs),
    ...(kp.nodePortAddresses === null ? [] : [set("set", SET.nodePortIPs, [a], COMMENT.nodePortIPs)]),
    set("map", SET.noEndpointServices, svc, COMMENT.noEndpointServices),
    set("map", SET.noEndpointNodePorts, np, COMMENT.noEndpointNodePorts),
    set("map", SET.firewallIPs, svc, COMMENT.firewallIPs),
    set("map", SET.serviceIPs, svc, COMMENT.serviceIPs),
    set("map", SET.serviceNodePorts, np, COMMENT.serviceNodePorts),
  ];
}

/**
 * The nodeport-ips elements on one node: its addresses of the family that
 * lie in nodePortAddresses ("primary": the node's own address), in interface
 * order, loopback skipped — kube-proxy refuses localhost NodePorts in
 * nftables mode (§A.3).
 */
export function nodePortIPs(kp: NftProxier, node: NodeContext): NftElement[] {
  const cidrs = kp.nodePortAddresses;
  if (cidrs === null) return [];
  return node.nodeAddresses
    .filter((ip) => ip !== "127.0.0.1" && ip !== "::1")
    .filter((ip) => cidrs.some((c) => (c === "primary" ? ip === node.nodeIP : cidrContains(c, ip))))
    .map((ip) => ({ key: [ip], comment: null, verdict: null }));
}

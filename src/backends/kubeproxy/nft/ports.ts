// One service port's share of the nftables ruleset (nftables.md §A.5): its
// chains (endpoint-, service-, local-, external-, firewall-, in the order
// syncProxyRules creates them), its affinity sets, and the elements it adds
// to the fixed sets and maps, in the order it adds them. Built once per
// compilation for every distinct way nodes see the port (plan.ts nodeFacts:
// which endpoints are local, whether a source range holds the node).
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NftChain, NftElement, NftRule, NftSet, NftVerdict } from "../../../rules/nft/model.js";
import type { NodeContext } from "../context.js";
import { nodeFacts, portPlan, type PlannedEndpoint, type PortPlan, type ServicePortPlan } from "../plan.js";
import type { NftProxier } from "./context.js";
import { affinitySet, CHAIN, COMMENT, endpointBase, portNameOf, servicePortBase, serviceChain, SET, type PortName } from "./names.js";
import {
  addrIn, addrInAnon, addrIs, DROP, dnatTo, dport, fibLocal, goto, jump, l4protoIs, numgenVmap, rule, updateSaddr,
} from "./stmts.js";

export interface PortObjects {
  readonly chains: readonly NftChain[];
  readonly sets: readonly NftSet[];
  /** Elements for the fixed sets and maps, as [set name, element], in the order kube-proxy adds them. */
  readonly elements: readonly (readonly [string, NftElement])[];
}

const PORTS = memoTable<NftProxier, Map<ServicePortPlan, Map<string, PortObjects>>>("kubeproxy/nft-ports");

export function portObjects(comp: Compilation, kp: NftProxier, p: ServicePortPlan, node: NodeContext): PortObjects {
  const byPlan = comp.memo(PORTS, kp, () => new Map<ServicePortPlan, Map<string, PortObjects>>());
  let variants = byPlan.get(p);
  if (!variants) byPlan.set(p, (variants = new Map()));
  const facts = nodeFacts(p, node);
  let out = variants.get(facts.key);
  if (!out) variants.set(facts.key, (out = buildPort(kp, portPlan(p, facts))));
  return out;
}

/** The port's names: chain names share one hashed base; endpoint chains hash their own (§A.4). */
interface Names {
  readonly port: PortName;
  readonly cluster: string;
  readonly local: string;
  readonly external: string;
  readonly firewall: string;
  readonly endpointBase: (e: PlannedEndpoint) => string;
}

function namesOf(p: PortPlan): Names {
  const port = portNameOf(p.spn, p.proto);
  const base = servicePortBase(port);
  return {
    port,
    cluster: serviceChain.cluster(base),
    local: serviceChain.local(base),
    external: serviceChain.external(base),
    firewall: serviceChain.firewall(base),
    endpointBase: (e) => endpointBase(port, e.ip, endpointPort(e)),
  };
}

/** The port of an endpoint string `ip:port` / `[ip6]:port`. */
const endpointPort = (e: PlannedEndpoint): number => Number(e.endpoint.slice(e.endpoint.lastIndexOf(":") + 1));

/** Rules per chain, and the chains in creation order (ensureChain). */
class ChainRules {
  private readonly rules = new Map<string, NftRule[]>();

  ensure(name: string): void {
    if (!this.rules.has(name)) this.rules.set(name, []);
  }

  add(name: string, ...rs: NftRule[]): void {
    this.rules.get(name)?.push(...rs);
  }

  chains(): NftChain[] {
    return [...this.rules].map(([name, rules]) => ({ name, base: null, comment: null, rules }));
  }
}

/** syncProxyRules for one service port (§A.5), as one node sees it. */
function buildPort(kp: NftProxier, p: PortPlan): PortObjects {
  const n = namesOf(p);
  const usesFW = p.lbIPs.length > 0 && p.sourceRanges.length > 0;
  const internalChain = p.itpLocal ? n.local : n.cluster;
  const out = new ChainRules();
  for (const e of p.reachable) out.ensure(serviceChain.endpoint(n.endpointBase(e)));
  if (p.svcChain) out.ensure(n.cluster);
  if (p.svlChain) out.ensure(n.local);
  if (p.extChain) out.ensure(n.external);
  if (usesFW) out.ensure(n.firewall);
  const elements = portElements(p, n, internalChain, usesFW);
  if (p.hasInternalEndpoints) masqueradeRule(kp, p, internalChain, out);
  if (p.extChain) externalRules(kp, p, n, out);
  if (usesFW) {
    // A node inside a source range reaches its own LB IPs from them (§A.5 step 4).
    const sources = p.allowFromNode ? [...p.sourceRanges, ...p.lbIPs] : p.sourceRanges;
    out.add(n.firewall, rule([addrInAnon(kp.fam, "saddr", sources, true, false), DROP]));
  }
  const sets = p.affinity === null ? [] : p.reachable.map((e) => affinitySetOf(kp, n.endpointBase(e), p.affinity ?? 0));
  if (p.svcChain) endpointRules(kp, p, n, n.cluster, p.clusterEndpoints, out);
  if (p.svlChain) endpointRules(kp, p, n, n.local, p.localEndpoints, out);
  for (const e of p.reachable) endpointChain(kp, p, n, e, out);
  return { chains: out.chains(), sets, elements };
}

/** The verdicts for traffic that finds no endpoint (§A.5 steps 2–3): reject without any endpoint, drop without a local one. */
function filterVerdicts(p: PortPlan): { internal: NftVerdict; external: NftVerdict } {
  const reject: NftVerdict = { kind: "goto", chain: CHAIN.reject };
  const drop: NftVerdict = { kind: "drop" };
  return p.hasEndpoints ? { internal: drop, external: drop } : { internal: reject, external: reject };
}

function portElements(p: PortPlan, n: Names, internalChain: string, usesFW: boolean): [string, NftElement][] {
  const out: [string, NftElement][] = [];
  const v = filterVerdicts(p);
  const key = (ip: string): string[] => [ip, p.proto, String(p.port)];
  const to = (ks: string[], verdict: NftVerdict, comment: string | null = null): NftElement => ({ key: ks, comment, verdict });
  out.push([SET.clusterIPs, { key: [p.clusterIP], comment: null, verdict: null }]);
  if (p.hasInternalEndpoints) out.push([SET.serviceIPs, to(key(p.clusterIP), { kind: "goto", chain: internalChain })]);
  else out.push([SET.noEndpointServices, to(key(p.clusterIP), v.internal, p.spn)]);
  const ext: NftVerdict = { kind: "goto", chain: n.external };
  for (const ip of p.externalIPs) {
    if (p.hasEndpoints) out.push([SET.serviceIPs, to(key(ip), ext)]);
    if (!p.hasExternalEndpoints) out.push([SET.noEndpointServices, to(key(ip), v.external, p.spn)]);
  }
  for (const ip of p.lbIPs) {
    if (p.hasEndpoints) out.push([SET.serviceIPs, to(key(ip), ext)]);
    if (usesFW) out.push([SET.firewallIPs, to(key(ip), { kind: "goto", chain: n.firewall })]);
  }
  if (!p.hasExternalEndpoints) for (const ip of p.lbIPs) out.push([SET.noEndpointServices, to(key(ip), v.external, p.spn)]);
  if (p.nodePort !== 0) {
    const np = [p.proto, String(p.nodePort)];
    if (p.hasEndpoints) out.push([SET.serviceNodePorts, to(np, ext)]);
    if (!p.hasExternalEndpoints) out.push([SET.noEndpointNodePorts, to(np, v.external, p.spn)]);
  }
  return out;
}

/**
 * The first rule of the internal policy chain (§A.5 step 6): masquerade
 * off-cluster traffic to the ClusterIP. 1.34+ dropped the port match
 * (#131492: the service-ips verdict already matched address, protocol and
 * port); masqueradeAll is assumed to have lost it too (UNCERTAIN, §D.2).
 */
function masqueradeRule(kp: NftProxier, p: PortPlan, chain: string, out: ChainRules): void {
  if (!kp.masqueradeAll && kp.detector === null) return;
  const port = kp.layout === "1.31" ? [dport(p.proto, p.port)] : [];
  const notLocal = kp.masqueradeAll || kp.detector === null ? [] : [kp.detector.notLocal];
  out.add(chain, rule([addrIs(kp.fam, "daddr", p.clusterIP), ...port, ...notLocal, jump(CHAIN.markMasq)]));
}

/** The external chain (§A.5 step 7). */
function externalRules(kp: NftProxier, p: PortPlan, n: Names, out: ChainRules): void {
  const c = n.external;
  if (!p.etpLocal) out.add(c, rule([jump(CHAIN.markMasq)]));
  else {
    if (kp.detector !== null) out.add(c, rule([kp.detector.isLocal, goto(n.cluster)], COMMENT.shortCircuitPods));
    out.add(c, rule([fibLocal("saddr"), jump(CHAIN.markMasq)], COMMENT.masqueradeLocal));
    out.add(c, rule([fibLocal("saddr"), goto(n.cluster)], COMMENT.shortCircuitLocal));
  }
  if (p.hasExternalEndpoints) out.add(c, rule([goto(p.etpLocal ? n.local : n.cluster)]));
}

/** A policy chain's rules to its endpoints: affinity lookups first, then one numgen vmap over them (§A.5 step 6). */
function endpointRules(kp: NftProxier, p: PortPlan, n: Names, chain: string, eps: readonly PlannedEndpoint[], out: ChainRules): void {
  const chains = eps.map((e) => serviceChain.endpoint(n.endpointBase(e)));
  if (p.affinity !== null) {
    eps.forEach((e, i) => out.add(chain, rule([addrIn(kp.fam, "saddr", affinitySet(n.endpointBase(e))), goto(chains[i] ?? "")])));
  }
  out.add(chain, rule([numgenVmap(chains)]));
}

/** An endpoint chain (§A.5 step 8): hairpin masquerade, affinity update, DNAT. */
function endpointChain(kp: NftProxier, p: PortPlan, n: Names, e: PlannedEndpoint, out: ChainRules): void {
  const base = n.endpointBase(e);
  const c = serviceChain.endpoint(base);
  out.add(c, rule([addrIs(kp.fam, "saddr", e.ip), jump(CHAIN.markMasq)]));
  if (p.affinity !== null) out.add(c, rule([updateSaddr(kp.fam, affinitySet(base))]));
  out.add(c, rule([l4protoIs(p.proto), dnatTo(e.ip, endpointPort(e))]));
}

/** `{ type ipv4_addr ; flags dynamic,timeout ; timeout <s>s ; }` (§A.5 step 9). */
function affinitySetOf(kp: NftProxier, base: string, seconds: number): NftSet {
  return { kind: "set", name: affinitySet(base), type: [kp.addrType], data: null, flags: ["dynamic", "timeout"], timeout: seconds, size: null, comment: null, elements: [] };
}

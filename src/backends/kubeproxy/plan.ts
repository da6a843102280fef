// The per-service-port decision procedure of spec kubeproxy-format §3.2, in
// two steps. What no node enters — the endpoints and their SEP names, the
// cluster set, whether SVC/EXT/FW chains exist, the targets — is planned once
// per compilation (planServices). A node then adds only which endpoints are
// its own (step 1's "local": the local set of steps 4–5) and whether its
// address lies in a source range (§3.3(i)); nodeFacts says what that is for
// one node, with a key that is equal exactly when two nodes' plans are.
// Pure data; the templates (modern.ts, legacy.ts) turn a plan into rules.
import { memoTable, type Compilation } from "../../compilation.js";
import { endpointString, type Endpoint, type Service, type ServicePort } from "../../ir/service.js";
import { byteCompare } from "../../rules/writer.js";
import { cidrContains } from "./addresses.js";
import type { NodeContext, ProxierContext } from "./context.js";
import { chain, servicePortHash, spnString } from "./names.js";

export interface PlannedEndpoint {
  readonly ip: string;
  /** `ip:port` or `[ip6]:port`. */
  readonly endpoint: string;
  readonly sep: string;
  /** Local on the node whose kube-proxy goes by this name. */
  readonly nodeName: string | null;
  readonly ready: boolean;
  /** Serving and terminating: KEP-1669's fallback when none is ready. */
  readonly fallback: boolean;
}

/** One service port as every node sees it. */
export interface ServicePortPlan {
  readonly spn: string;
  /** Lower case: tcp, udp, sctp. */
  readonly proto: string;
  readonly hash: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  readonly lbIPs: readonly string[];
  readonly sourceRanges: readonly string[];
  readonly healthCheckNodePort: number;
  /** ClientIP affinity timeout; null without affinity. */
  readonly affinity: number | null;
  readonly isLoadBalancer: boolean;
  readonly etpLocal: boolean;
  readonly itpLocal: boolean;
  readonly externallyAccessible: boolean;
  /** Every endpoint of the proxier's family, in endpoint order, and the same grouped by node name. */
  readonly endpoints: readonly PlannedEndpoint[];
  readonly byNode: ReadonlyMap<string, readonly PlannedEndpoint[]>;
  readonly usesCluster: boolean;
  readonly usesLocal: boolean;
  /** Endpoints for KUBE-SVC (the cluster set), in endpoint order, and their endpoint strings. */
  readonly clusterEndpoints: readonly PlannedEndpoint[];
  readonly clusterKeys: ReadonlySet<string>;
  readonly hasEndpoints: boolean;
  readonly svcChain: boolean;
  readonly extChain: boolean;
  readonly fwChain: boolean;
  readonly internalTarget: string;
  readonly externalTarget: string;
}

/** A service port as one node sees it. */
export interface PortPlan extends ServicePortPlan {
  /** The port's endpoints on this node (only for a port that uses local endpoints; empty otherwise). */
  readonly onNode: readonly PlannedEndpoint[];
  /** Endpoints for KUBE-SVL (the local set), in endpoint order. */
  readonly localEndpoints: readonly PlannedEndpoint[];
  /** The SEP chains to create. */
  readonly reachable: readonly PlannedEndpoint[];
  readonly hasInternalEndpoints: boolean;
  readonly hasExternalEndpoints: boolean;
  readonly svlChain: boolean;
  /** The node's address lies in a source range: its LB IPs are let in too (§3.3(i), §5.1). */
  readonly allowFromNode: boolean;
}

/** What one node changes in a port's plan; `key` is equal for two nodes exactly when their plans are. */
export interface NodeFacts {
  readonly onNode: readonly PlannedEndpoint[];
  readonly allowFromNode: boolean;
  readonly key: string;
}

const isV6 = (a: string): boolean => a.includes(":");
const NONE: readonly PlannedEndpoint[] = [];

const PLANS = memoTable<ProxierContext, readonly ServicePortPlan[]>("kubeproxy/service-plans");

/** Plans for every service port of the proxier's family, in kube-proxy's walk order (see orderPlans); once per compilation. */
export function planServices(comp: Compilation, px: ProxierContext): readonly ServicePortPlan[] {
  return comp.memo(PLANS, px, () => {
    const plans: ServicePortPlan[] = [];
    for (const svc of comp.model.cluster.services?.services ?? []) {
      // Headless services have no cluster IP; each proxier handles its own family (§3.2).
      if (svc.clusterIPs.kind === "headless") continue;
      const clusterIP = svc.clusterIPs.ips.find((ip) => isV6(ip) === (px.opts.family === 6));
      if (clusterIP === undefined) continue;
      // Sorted for determinism: by port name, then protocol (services come sorted by namespace and name).
      const ports = [...svc.ports].sort((a, b) => byteCompare(a.name, b.name) || byteCompare(a.protocol, b.protocol));
      for (const port of ports) plans.push(planPort(svc, port, clusterIP, px));
    }
    return orderPlans(plans, px.opts.serviceOrder);
  });
}

/** Given service ports first, in the given order; the rest keep their sorted (namespace, name, port) order. */
function orderPlans(plans: ServicePortPlan[], order: readonly string[]): ServicePortPlan[] {
  const rank = new Map(order.map((spn, i) => [spn, i]));
  const r = (p: ServicePortPlan): number => rank.get(p.spn) ?? order.length;
  // Array.prototype.sort is stable, so unlisted ports keep their order.
  return [...plans].sort((a, b) => r(a) - r(b));
}

/** §3.2 steps 2–4 and 6 as far as no node enters. */
function planPort(svc: Service, port: ServicePort, clusterIP: string, px: ProxierContext): ServicePortPlan {
  const fam = (a: string): boolean => isV6(a) === (px.opts.family === 6);
  const spn = spnString(svc.namespace, svc.name, port.name, px.profile.trailingColon);
  const proto = port.protocol.toLowerCase();
  const hash = servicePortHash(spn, proto);
  const lbIPs = svc.type === "LoadBalancer" ? svc.loadBalancerIPs.filter(fam) : [];
  const externalIPs = svc.externalIPs.filter(fam);
  const sourceRanges = svc.loadBalancerSourceRanges.filter(fam);
  const nodePort = svc.type === "ClusterIP" ? 0 : port.nodePort;
  const externallyAccessible = nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
  const etpLocal = externallyAccessible && svc.externalTrafficPolicy === "Local";
  const itpLocal = svc.internalTrafficPolicy === "Local";
  // ServicePort.UsesClusterEndpoints (pkg/proxy/serviceport.go, the same since
  // 1.24): "Even if the external traffic policy is Local, we need Cluster
  // endpoints to implement short circuiting" — KUBE-EXT's pod and LOCAL
  // rules jump to KUBE-SVC whatever the policies (§3.3(h)).
  const usesCluster = !itpLocal || externallyAccessible;
  const usesLocal = itpLocal || etpLocal;
  const endpoints = port.endpoints.filter((e) => fam(e.ip)).map((e) => planned(e, spn, proto));
  const ready = endpoints.filter((e) => e.ready);
  const clusterEndpoints = ready.length ? ready : endpoints.filter((e) => e.fallback);
  const anyUsable = endpoints.some((e) => e.ready || e.fallback);
  const hasEndpoints = (usesCluster && clusterEndpoints.length > 0) || (usesLocal && anyUsable);
  const svc_ = chain.svc(hash);
  const svl = chain.svl(hash);
  return {
    spn, proto, hash, clusterIP, port: port.port, nodePort, externalIPs, lbIPs, sourceRanges,
    healthCheckNodePort: svc.healthCheckNodePort,
    affinity: svc.sessionAffinity.kind === "ClientIP" ? svc.sessionAffinity.timeoutSeconds : null,
    isLoadBalancer: svc.type === "LoadBalancer",
    etpLocal, itpLocal, externallyAccessible,
    endpoints, byNode: byNode(endpoints), usesCluster, usesLocal,
    clusterEndpoints, clusterKeys: new Set(clusterEndpoints.map((e) => e.endpoint)), hasEndpoints,
    svcChain: usesCluster && clusterEndpoints.length > 0,
    extChain: hasEndpoints && externallyAccessible,
    fwChain: hasEndpoints && lbIPs.length > 0 && sourceRanges.length > 0,
    internalTarget: itpLocal ? svl : svc_,
    externalTarget: etpLocal ? svl : svc_,
  };
}

function planned(e: Endpoint, spn: string, proto: string): PlannedEndpoint {
  const endpoint = endpointString(e);
  return { ip: e.ip, endpoint, sep: chain.sep(spn, proto, endpoint), nodeName: e.nodeName, ready: e.ready, fallback: e.serving && e.terminating };
}

function byNode(eps: readonly PlannedEndpoint[]): Map<string, PlannedEndpoint[]> {
  const out = new Map<string, PlannedEndpoint[]>();
  for (const e of eps) {
    if (e.nodeName === null) continue;
    const list = out.get(e.nodeName);
    if (list) list.push(e);
    else out.set(e.nodeName, [e]);
  }
  return out;
}

/** §3.2 step 4's local set from the port's endpoints on one node: the ready ones, else the serving-and-terminating ones. */
function localSet(onNode: readonly PlannedEndpoint[]): { set: readonly PlannedEndpoint[]; fromFallback: boolean } {
  const ready = onNode.filter((e) => e.ready);
  return ready.length ? { set: ready, fromFallback: false } : { set: onNode.filter((e) => e.fallback), fromFallback: true };
}

/** Whether nodes can see the port differently at all (nodeFacts gives every node the same key otherwise). */
export function mayVary(p: ServicePortPlan): boolean {
  return p.usesLocal || (p.lbIPs.length > 0 && p.sourceRanges.length > 0);
}

export function nodeFacts(p: ServicePortPlan, node: NodeContext): NodeFacts {
  // Only a port that uses local endpoints tells nodes apart by them (§3.2 step 3).
  const onNode = p.usesLocal ? (p.byNode.get(node.localName) ?? NONE) : NONE;
  const ip = node.nodeIP;
  const allowFromNode = p.lbIPs.length > 0 && ip !== null && p.sourceRanges.some((r) => cidrContains(r, ip));
  return { onNode, allowFromNode, key: `${allowFromNode ? "node" : ""} ${onNode.map((e) => e.endpoint).join(" ")}` };
}

/** §3.2 steps 4–6 for one node (KEP-1669 terminating fallback included). */
export function portPlan(p: ServicePortPlan, f: NodeFacts): PortPlan {
  const local = localSet(f.onNode);
  const reachable = !p.usesLocal ? p.clusterEndpoints : !p.usesCluster ? local.set
    : local.fromFallback ? union(p.clusterEndpoints, local.set) : p.clusterEndpoints;
  return {
    ...p,
    onNode: f.onNode,
    localEndpoints: local.set,
    reachable,
    hasInternalEndpoints: p.hasEndpoints && !(p.itpLocal && local.set.length === 0),
    hasExternalEndpoints: p.hasEndpoints && !(p.etpLocal && local.set.length === 0),
    svlChain: p.usesLocal && local.set.length > 0,
    allowFromNode: f.allowFromNode,
  };
}

/**
 * The endpoints counted for large-cluster mode on the node whose kube-proxy
 * goes by `localName` (§3.2.9): each port's cluster set and local set, every
 * endpoint once (§8 question 4: whether kube-proxy counts non-ready ones is
 * open). The local set counts even where the port does not use it.
 */
export function endpointCount(plans: readonly ServicePortPlan[], localName: string): number {
  let n = 0;
  for (const p of plans) {
    n += p.clusterKeys.size;
    const mine = p.byNode.get(localName);
    if (mine) for (const e of localSet(mine).set) if (!p.clusterKeys.has(e.endpoint)) n++;
  }
  return n;
}

function union(a: readonly PlannedEndpoint[], b: readonly PlannedEndpoint[]): PlannedEndpoint[] {
  const seen = new Set(a.map((e) => e.endpoint));
  // Sorted for determinism, in kube-proxy's endpoint order.
  return [...a, ...b.filter((e) => !seen.has(e.endpoint))].sort((x, y) => (x.endpoint < y.endpoint ? -1 : x.endpoint > y.endpoint ? 1 : 0));
}

// The per-service-port decision procedure of spec kubeproxy-format §3.2:
// which endpoints are used, which chains exist, where traffic goes and what
// the drop/reject verdict is. Pure data; the templates (modern.ts,
// legacy.ts) turn a plan into rules.
import { endpointString, type Endpoint, type Service, type ServicePort } from "../../ir/service.js";
import { byteCompare } from "../../rules/writer.js";
import type { NodeContext } from "./context.js";
import { chain, servicePortHash, spnString } from "./names.js";

export interface PlannedEndpoint {
  readonly ip: string;
  /** `ip:port` or `[ip6]:port`. */
  readonly endpoint: string;
  readonly sep: string;
  readonly local: boolean;
}

export interface PortPlan {
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
  /** Endpoints for KUBE-SVC (cluster set) and KUBE-SVL (local set), in endpoint order. */
  readonly clusterEndpoints: readonly PlannedEndpoint[];
  readonly localEndpoints: readonly PlannedEndpoint[];
  /** The SEP chains to create. */
  readonly reachable: readonly PlannedEndpoint[];
  readonly hasEndpoints: boolean;
  readonly hasInternalEndpoints: boolean;
  readonly hasExternalEndpoints: boolean;
  readonly svcChain: boolean;
  readonly svlChain: boolean;
  readonly internalTarget: string;
  readonly externalTarget: string;
  readonly extChain: boolean;
  readonly fwChain: boolean;
}

const isV6 = (a: string): boolean => a.includes(":");

/** Plans for every service port of the proxier's family, in kube-proxy's walk order (see orderPlans). */
export function planServices(services: readonly Service[], ctx: NodeContext): PortPlan[] {
  const plans: PortPlan[] = [];
  for (const svc of services) {
    // Headless services have no cluster IP; each proxier handles its own family (§3.2).
    if (svc.clusterIPs.kind === "headless") continue;
    const clusterIP = svc.clusterIPs.ips.find((ip) => isV6(ip) === (ctx.opts.family === 6));
    if (clusterIP === undefined) continue;
    // Sorted for determinism: by port name, then protocol (services come sorted by namespace and name).
    const ports = [...svc.ports].sort((a, b) => byteCompare(a.name, b.name) || byteCompare(a.protocol, b.protocol));
    for (const port of ports) plans.push(planPort(svc, port, clusterIP, ctx));
  }
  return orderPlans(plans, ctx.opts.serviceOrder);
}

/** Given service ports first, in the given order; the rest keep their sorted (namespace, name, port) order. */
function orderPlans(plans: PortPlan[], order: readonly string[]): PortPlan[] {
  const rank = new Map(order.map((spn, i) => [spn, i]));
  const r = (p: PortPlan): number => rank.get(p.spn) ?? order.length;
  // Array.prototype.sort is stable, so unlisted ports keep their order.
  return [...plans].sort((a, b) => r(a) - r(b));
}

function planPort(svc: Service, port: ServicePort, clusterIP: string, ctx: NodeContext): PortPlan {
  const fam = (a: string): boolean => isV6(a) === (ctx.opts.family === 6);
  const spn = spnString(svc.namespace, svc.name, port.name, ctx.profile.trailingColon);
  const proto = port.protocol.toLowerCase();
  const externalIPs = svc.externalIPs.filter(fam);
  const lbIPs = svc.type === "LoadBalancer" ? svc.loadBalancerIPs.filter(fam) : [];
  const nodePort = svc.type === "ClusterIP" ? 0 : port.nodePort;
  const externallyAccessible = nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
  const base = {
    spn, proto, hash: servicePortHash(spn, proto), clusterIP, port: port.port, nodePort, externalIPs, lbIPs,
    sourceRanges: svc.loadBalancerSourceRanges.filter(fam),
    healthCheckNodePort: svc.healthCheckNodePort,
    affinity: svc.sessionAffinity.kind === "ClientIP" ? svc.sessionAffinity.timeoutSeconds : null,
    isLoadBalancer: svc.type === "LoadBalancer",
    etpLocal: externallyAccessible && svc.externalTrafficPolicy === "Local",
    itpLocal: svc.internalTrafficPolicy === "Local",
    externallyAccessible,
  };
  const eps = port.endpoints.filter((e) => fam(e.ip)).map((e) => planned(e, spn, proto, ctx.localName));
  return { ...base, ...categorize(base, port.endpoints.filter((e) => fam(e.ip)), eps) };
}

function planned(e: Endpoint, spn: string, proto: string, localName: string): PlannedEndpoint {
  const endpoint = endpointString(e);
  return { ip: e.ip, endpoint, sep: chain.sep(spn, proto, endpoint), local: e.nodeName === localName };
}

type Base = Pick<PortPlan, "hash" | "etpLocal" | "itpLocal" | "externallyAccessible" | "lbIPs" | "sourceRanges">;
type Categorized = Omit<PortPlan, keyof Base | "spn" | "proto" | "clusterIP" | "port" | "nodePort" | "externalIPs" | "healthCheckNodePort" | "affinity" | "isLoadBalancer">;

/** §3.2 steps 3–6 (KEP-1669 terminating fallback included). `eps` parallels `raw`. */
function categorize(b: Base, raw: readonly Endpoint[], eps: readonly PlannedEndpoint[]): Categorized {
  const usesCluster = !b.itpLocal || (b.externallyAccessible && !b.etpLocal);
  const usesLocal = b.itpLocal || b.etpLocal;
  const pick = (want: (e: Endpoint, p: PlannedEndpoint) => boolean): PlannedEndpoint[] => eps.filter((p, i) => want(raw[i]!, p));
  const fallback = (e: Endpoint): boolean => e.serving && e.terminating;
  const readyAll = pick((e) => e.ready);
  const clusterSet = readyAll.length ? readyAll : pick(fallback);
  const readyLocal = pick((e, p) => e.ready && p.local);
  const localFromFallback = readyLocal.length === 0;
  const localSet = localFromFallback ? pick((e, p) => fallback(e) && p.local) : readyLocal;
  const anyUsable = raw.some((e) => e.ready || fallback(e));
  const hasEndpoints = (usesCluster && clusterSet.length > 0) || (usesLocal && anyUsable);
  const reachable = !usesLocal ? clusterSet : !usesCluster ? localSet
    : localFromFallback ? union(clusterSet, localSet) : clusterSet;
  const svc = chain.svc(b.hash);
  const svl = chain.svl(b.hash);
  const extChain = hasEndpoints && b.externallyAccessible;
  return {
    clusterEndpoints: clusterSet,
    localEndpoints: localSet,
    reachable,
    hasEndpoints,
    hasInternalEndpoints: hasEndpoints && !(b.itpLocal && localSet.length === 0),
    hasExternalEndpoints: hasEndpoints && !(b.etpLocal && localSet.length === 0),
    svcChain: usesCluster && clusterSet.length > 0,
    svlChain: usesLocal && localSet.length > 0,
    internalTarget: b.itpLocal ? svl : svc,
    externalTarget: b.etpLocal ? svl : svc,
    extChain,
    fwChain: hasEndpoints && b.lbIPs.length > 0 && b.sourceRanges.length > 0,
  };
}

function union(a: readonly PlannedEndpoint[], b: readonly PlannedEndpoint[]): PlannedEndpoint[] {
  const seen = new Set(a.map((e) => e.endpoint));
  // Sorted for determinism, in kube-proxy's endpoint order.
  return [...a, ...b.filter((e) => !seen.has(e.endpoint))].sort((x, y) => (x.endpoint < y.endpoint ? -1 : x.endpoint > y.endpoint ? 1 : 0));
}

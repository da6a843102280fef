// What gets probed: flows between endpoints, where an endpoint is a pod or a
// node (the node namespace itself, as kubelet or a host process would talk).
import { SERVED_PORTS } from "./agents.js";
import type { NodeSpec, PodSpec, TopologySpec } from "./snapshot.js";
import { podKey } from "./topology.js";

export type Proto = "TCP" | "UDP";
export const PROTOCOLS: readonly Proto[] = ["TCP", "UDP"];

export type Endpoint = { readonly kind: "pod"; readonly pod: PodSpec } | { readonly kind: "node"; readonly node: NodeSpec };

export interface ProbeFlow {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly port: number;
  readonly protocol: Proto;
  /** Dual-stack only: 6 probes between the ends' IPv6 addresses; absent (or 4) = IPv4. */
  readonly family?: 4 | 6;
}

export interface Observation extends ProbeFlow {
  readonly allowed: boolean;
}

/** "ns/pod" for pods, "node:<name>" for nodes (':' cannot occur in a namespace name). */
export const endpointKey = (e: Endpoint): string => (e.kind === "pod" ? podKey(e.pod) : `node:${e.node.name}`);
export const endpointIp = (e: Endpoint, family: 4 | 6 = 4): string => {
  if (family === 4) {
    if (e.kind === "pod" && e.pod.ipv6Only) throw new Error(`${endpointKey(e)} has no IPv4 address (IPv6-only pod)`);
    return e.kind === "pod" ? e.pod.ip : e.node.ip;
  }
  const ip6 = e.kind === "pod" ? e.pod.ip6 : e.node.ip6;
  if (ip6 === undefined) throw new Error(`${endpointKey(e)} has no IPv6 address`);
  return ip6;
};
/** The node whose namespace the endpoint's packets leave from. */
export const endpointNode = (e: Endpoint): string => (e.kind === "pod" ? e.pod.node : e.node.name);

export const podEndpoint = (pod: PodSpec): Endpoint => ({ kind: "pod", pod });
export const nodeEndpoint = (node: NodeSpec): Endpoint => ({ kind: "node", node });

export interface FlowOptions {
  /** Also probe node → pod and pod → node (never node → node: no policy can apply). */
  readonly nodes: boolean;
}

/**
 * Every ordered pair of distinct endpoints × served ports × TCP/UDP. Self
 * pairs are never probed (a pod cannot block itself: netpol-semantics §7).
 */
export function allFlows(spec: TopologySpec, opts: FlowOptions = { nodes: true }): ProbeFlow[] {
  const ends = [...spec.pods.map(podEndpoint), ...(opts.nodes ? spec.nodes.map(nodeEndpoint) : [])];
  const flows: ProbeFlow[] = [];
  for (const src of ends) {
    for (const dst of ends) {
      if (src === dst || (src.kind === "node" && dst.kind === "node")) continue;
      for (const port of SERVED_PORTS) for (const protocol of PROTOCOLS) flows.push({ src, dst, port, protocol });
    }
  }
  return flows;
}

export const flowName = (f: ProbeFlow): string =>
  `${endpointKey(f.src)} -> ${endpointKey(f.dst)} ${f.protocol}/${f.port}${f.family === 6 ? " IPv6" : ""}`;

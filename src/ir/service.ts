// The Services half of the cluster model, in Kubernetes words only: Services,
// their ports joined with the endpoints that EndpointSlices (or, without a
// slice, v1 Endpoints) give them, and kube-proxy's own configuration.
//
// What consumers rely on (the kube-proxy backend, and later the simulator
// following DNAT and the kernel Service tests):
//   - every ServicePort carries its endpoints already resolved to (ip, port),
//     sorted and de-duplicated (readyEndpoints() for the ready ones);
//   - an Endpoint's nodeName says where it runs (localEndpoints() for a node);
//   - every address is canonical text, so comparisons are string equality.
import type { Span } from "../diagnostics/diagnostic.js";
import type { Protocol } from "./protocol.js";

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";
export type TrafficPolicy = "Cluster" | "Local";

/** spec.ports[].targetPort: a number, or a container port name resolved per pod. */
export type TargetPort = { readonly kind: "number"; readonly port: number } | { readonly kind: "named"; readonly name: string };

export type SessionAffinity = { readonly kind: "None" } | { readonly kind: "ClientIP"; readonly timeoutSeconds: number };

/** One address an EndpointSlice (or Endpoints subset) lists for a service port. */
export interface Endpoint {
  /** Canonical IPv4 or IPv6 text. */
  readonly ip: string;
  /** The slice port's number for this service port. */
  readonly port: number;
  readonly nodeName: string | null;
  /** conditions.ready; nil counts as ready (EndpointConditions doc). */
  readonly ready: boolean;
  /** conditions.serving; nil counts as true (kube-proxy endpointslicecache.go). */
  readonly serving: boolean;
  /** conditions.terminating; nil counts as false. */
  readonly terminating: boolean;
}

export interface ServicePort {
  /** "" for the single unnamed port. */
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly targetPort: TargetPort;
  /** 0 when the port has none (ClusterIP services, or allocateLoadBalancerNodePorts=false). */
  readonly nodePort: number;
  /** Sorted by "ip:port" string (kube-proxy's own endpoint order), unique. */
  readonly endpoints: readonly Endpoint[];
}

export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** Canonical cluster IPs (clusterIPs, else clusterIP); "headless" for clusterIP: None. */
  readonly clusterIPs: { readonly kind: "headless" } | { readonly kind: "ips"; readonly ips: readonly string[] };
  readonly ports: readonly ServicePort[];
  readonly externalIPs: readonly string[];
  /** status.loadBalancer.ingress[].ip, canonical, in order (hostname-only entries skipped). */
  readonly loadBalancerIPs: readonly string[];
  /** Trimmed and parsed network CIDRs, in spec order. */
  readonly loadBalancerSourceRanges: readonly string[];
  readonly externalTrafficPolicy: TrafficPolicy;
  readonly internalTrafficPolicy: TrafficPolicy;
  /** 0 when none. */
  readonly healthCheckNodePort: number;
  readonly sessionAffinity: SessionAffinity;
  /** Where endpoints came from: kube-proxy reads EndpointSlices; v1 Endpoints only when no slice names the service. */
  readonly endpointSource: "EndpointSlice" | "Endpoints" | "none";
  readonly span: Span | null;
}

/** How kube-proxy tells pod traffic from other traffic (KubeProxyConfiguration.detectLocalMode). */
export type LocalDetector =
  | { readonly kind: "none" }
  | { readonly kind: "cidr"; readonly cidrs: readonly string[] }
  | { readonly kind: "bridge"; readonly iface: string }
  | { readonly kind: "interface-prefix"; readonly prefix: string };

/** KubeProxyConfiguration, defaulted as kube-proxy defaults it. */
export interface KubeProxyConfig {
  /** The proxy mode the configuration names (`mode`); null when it names none (kube-proxy's default, iptables). */
  readonly mode: "iptables" | "nftables" | null;
  readonly detectLocal: LocalDetector;
  /** clusterCIDR as given (comma list split, canonical networks); used by old KUBE-FORWARD rules too. */
  readonly clusterCIDRs: readonly string[];
  /** Canonical CIDRs; empty = every local address. */
  readonly nodePortAddresses: readonly string[];
  readonly masqueradeAll: boolean;
  /** 0–31, default 14. */
  readonly masqueradeBit: number;
  /** Default true. */
  readonly localhostNodePorts: boolean;
  /** The node name kube-proxy believes it has, when overridden. */
  readonly hostnameOverride: string | null;
  readonly span: Span | null;
}

export const DEFAULT_KUBE_PROXY_CONFIG: KubeProxyConfig = {
  mode: null,
  detectLocal: { kind: "none" },
  clusterCIDRs: [],
  nodePortAddresses: [],
  masqueradeAll: false,
  masqueradeBit: 14,
  localhostNodePorts: true,
  hostnameOverride: null,
  span: null,
};

export interface ServiceModel {
  /** Sorted by (namespace, name). */
  readonly services: readonly Service[];
  readonly kubeProxy: KubeProxyConfig;
  /** Every ServiceCIDR's CIDRs (both families), canonical, unique, sorted; empty when the snapshot has none. */
  readonly serviceCIDRs: readonly string[];
}

/** `<namespace>/<name>[:<port name>]`, kube-proxy's ServicePortName.String() (spec kubeproxy-format §2). */
export function servicePortName(svc: Service, port: ServicePort): string {
  return port.name ? `${svc.namespace}/${svc.name}:${port.name}` : `${svc.namespace}/${svc.name}`;
}

export function readyEndpoints(port: ServicePort): Endpoint[] {
  return port.endpoints.filter((e) => e.ready);
}

export function localEndpoints(port: ServicePort, nodeName: string): Endpoint[] {
  return port.endpoints.filter((e) => e.nodeName === nodeName);
}

/** Go's net.JoinHostPort: IPv6 in brackets. */
export function endpointString(e: { readonly ip: string; readonly port: number }): string {
  return e.ip.includes(":") ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

// Every name, comment and fixed string of kube-proxy's nftables mode
// (STYLE.md "Names in one place"): the table, the fixed chains, sets and
// maps with their comments (spec nftables.md §A.2, §A.3), and the
// per-service and per-endpoint names (§A.4).
import { createHash } from "node:crypto";
import { base32 } from "../names.js";

export const TABLE = "kube-proxy";
export const TABLE_COMMENT = "rules for kube-proxy";

/**
 * knftables.NameLengthMax (256) less kube-proxy's longest chain-name prefix
 * allowance (16): a hashed base longer than this is cut to 237 characters
 * plus "..." (§A.4; practically only a long IPv6 endpoint could reach it).
 */
const BASE_LENGTH_MAX = 256 - 16;

/** kube-proxy's hashAndTruncate: the first 8 characters of base32(SHA-256(name)), a dash, the name (§A.4). */
export function hashAndTruncate(name: string): string {
  const hashed = `${base32(createHash("sha256").update(name, "utf8").digest()).slice(0, 8)}-${name}`;
  return hashed.length > BASE_LENGTH_MAX ? `${hashed.slice(0, BASE_LENGTH_MAX - 3)}...` : hashed;
}

/** What names a service port: its namespace, service and port names, and lower-case protocol. */
export interface PortName {
  readonly namespace: string;
  readonly service: string;
  readonly port: string;
  readonly proto: string;
}

/**
 * A ServicePortName string (`ns/svc:port`, `ns/svc` for an unnamed port) as
 * its parts. Namespaces, service and port names are DNS labels, so neither
 * `/` nor `:` occurs inside one.
 */
export function portNameOf(spn: string, proto: string): PortName {
  const slash = spn.indexOf("/");
  const rest = spn.slice(slash + 1);
  const colon = rest.indexOf(":");
  return {
    namespace: spn.slice(0, slash),
    service: colon < 0 ? rest : rest.slice(0, colon),
    port: colon < 0 ? "" : rest.slice(colon + 1),
    proto,
  };
}

/** `<hash>-<ns>/<svc>/<proto>/<port>` (§A.4). */
export function servicePortBase(p: PortName): string {
  return hashAndTruncate(`${p.namespace}/${p.service}/${p.proto}/${p.port}`);
}

/** `<hash>-<ns>/<svc>/<proto>/<port>__<ip>/<port>`, an IPv6 address with `.` for every `:` (chain names allow no `:`, §A.4). */
export function endpointBase(p: PortName, ip: string, port: number): string {
  return hashAndTruncate(`${p.namespace}/${p.service}/${p.proto}/${p.port}__${ip.replaceAll(":", ".")}/${port}`);
}

/** Per-service-port chains (§A.4); a name holding `/` is a service chain. */
export const serviceChain = {
  cluster: (base: string): string => `service-${base}`,
  local: (base: string): string => `local-${base}`,
  external: (base: string): string => `external-${base}`,
  firewall: (base: string): string => `firewall-${base}`,
  endpoint: (base: string): string => `endpoint-${base}`,
};

/** The ClientIP affinity set of one endpoint (same base as its chain). */
export const affinitySet = (base: string): string => `affinity-${base}`;

/** Regular chains of the fixed layout (§A.3). */
export const CHAIN = {
  services: "services",
  serviceEndpointsCheck: "service-endpoints-check",
  nodePortEndpointsCheck: "nodeport-endpoints-check",
  reject: "reject-chain",
  clusterIPsCheck: "cluster-ips-check",
  firewallCheck: "firewall-check",
  markMasq: "mark-for-masquerade",
  masquerading: "masquerading",
} as const;

/** Base chains, `<type>-<hook>[-pre-dnat|-post-dnat]` (§A.1, §A.2). */
export const BASE = {
  filterPrerouting: "filter-prerouting",
  filterPreroutingPreDNAT: "filter-prerouting-pre-dnat",
  filterInput: "filter-input",
  filterForward: "filter-forward",
  filterOutput: "filter-output",
  filterOutputPreDNAT: "filter-output-pre-dnat",
  filterOutputPostDNAT: "filter-output-post-dnat",
  natPrerouting: "nat-prerouting",
  natOutput: "nat-output",
  natPostrouting: "nat-postrouting",
} as const;

/** Sets and maps of the fixed layout (§A.3). */
export const SET = {
  clusterIPs: "cluster-ips",
  nodePortIPs: "nodeport-ips",
  noEndpointServices: "no-endpoint-services",
  noEndpointNodePorts: "no-endpoint-nodeports",
  firewallIPs: "firewall-ips",
  serviceIPs: "service-ips",
  serviceNodePorts: "service-nodeports",
} as const;

/** Comment texts exactly as kube-proxy writes them (quoting is the printer's business). */
export const COMMENT = {
  clusterIPs: "Active ClusterIPs",
  nodePortIPs: "IPs that accept NodePort traffic",
  noEndpointServices: "vmap to drop or reject packets to services with no endpoints",
  noEndpointNodePorts: "vmap to drop or reject packets to service nodeports with no endpoints",
  firewallIPs: "destinations that are subject to LoadBalancerSourceRanges",
  serviceIPs: "ClusterIP, ExternalIP and LoadBalancer IP traffic",
  serviceNodePorts: "NodePort traffic",
  rejectChain: "helper for @no-endpoint-services / @no-endpoint-nodeports",
  rejectInvalidPorts: "Reject traffic to invalid ports of ClusterIPs",
  dropUnallocated: "Drop traffic to unallocated ClusterIPs",
  shortCircuitPods: "short-circuit pod traffic",
  masqueradeLocal: "masquerade local traffic",
  shortCircuitLocal: "short-circuit local traffic",
} as const;

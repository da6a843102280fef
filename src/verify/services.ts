// Which Service probes verify walks, and what kube-proxy must do with each
// (spec kubeproxy-format §3.2–§3.3, netpol-semantics §7 "Services").
//
// A probe is the first packet of a connection to a service address: a
// ClusterIP:port from every endpoint pod of the port and from every node's
// host, a nodePort on every node from outside (in on the host interface),
// and, for ClientIP affinity, a ClusterIP probe per (pod, backend) whose
// client is already in that backend's `recent` list.
//
// The expectation is derived from the IR alone, never from the backend's
// plan, so a wrong plan cannot vouch for itself:
//   - the backends reached across every `statistic` branch are exactly the
//     usable endpoints (ready ones; with none, serving-and-terminating ones,
//     KEP-1669), or the source node's local ones for iTP=Local (ClusterIP)
//     and eTP=Local (nodePort), each equally likely, probabilities summing
//     to 1; with affinity, only the pinned backend, with probability 1;
//   - no usable backend: REJECT when the service has no endpoints at all,
//     DROP when only the local ones are missing ("has no local endpoints").
import type { Pod, Protocol } from "../ir/cluster.js";
import { podIPv4 } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import { servicePortName, type Endpoint, type Service, type ServicePort } from "../ir/service.js";
import type { FlowEndpoint } from "../semantics/index.js";
import { endpointsOf } from "../semantics/index.js";
import { cidrContains, parseAddress, parseCidr } from "../semantics/ip.js";
import { hostSource } from "./routing.js";
import { HOST_IFACE, podKey, type Topology } from "./topology.js";

/** The client of a nodePort probe: an address outside every pool, node and block (TEST-NET-3, RFC 5737). */
export const EXTERNAL_CLIENT = "203.0.113.77";

export type ServiceEntry = "cluster-ip" | "node-port" | "affinity";

/** Where the probe's first packet enters the netfilter path of its first node. */
export type ProbeSource =
  | { readonly kind: "pod"; readonly node: string; readonly iface: string }
  | { readonly kind: "host"; readonly node: string }
  /** From outside the cluster, arriving on `node`'s host interface. */
  | { readonly kind: "external"; readonly node: string; readonly iface: string };

export interface ServiceProbe {
  readonly entry: ServiceEntry;
  readonly service: Service;
  readonly port: ServicePort;
  /** `ns/name:port`, kube-proxy's service port name. */
  readonly spn: string;
  readonly src: FlowEndpoint;
  /** The source address the packet leaves with. */
  readonly srcIp: string;
  readonly from: ProbeSource;
  /** The service address and port the packet is sent to. */
  readonly vip: string;
  readonly vport: number;
  readonly protocol: Protocol;
  /** The backends that must be reached, sorted as the IR sorts endpoints. */
  readonly expected: readonly Endpoint[];
  /** What must happen when `expected` is empty. */
  readonly none: "REJECT" | "DROP";
  /** ClientIP affinity: the backend the client's `recent` entry names; only it may be reached. */
  readonly pinned: Endpoint | null;
}

/** Endpoints kube-proxy load-balances over: the ready ones, else the serving-and-terminating ones (§3.2 step 4). */
function usable(eps: readonly Endpoint[]): Endpoint[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length ? ready : eps.filter((e) => e.serving && e.terminating);
}

/**
 * The backends a probe entering on `node` must reach, and the verdict when there are none. Probes go to IPv4
 * service addresses, and each of kube-proxy's proxiers balances over the endpoints of its own family only.
 */
interface Expectation {
  readonly expected: readonly Endpoint[];
  readonly none: "REJECT" | "DROP";
}

function expectation(port: ServicePort, local: boolean, node: string): Expectation {
  const v4 = port.endpoints.filter((e) => !e.ip.includes(":"));
  const anywhere = usable(v4);
  const expected = local ? usable(v4.filter((e) => e.nodeName === node)) : anywhere;
  return { expected, none: anywhere.length ? "DROP" : "REJECT" };
}

const ipv4Of = (svc: Service): string[] => (svc.clusterIPs.kind === "ips" ? svc.clusterIPs.ips.filter((ip) => !ip.includes(":")) : []);

/** The endpoint pods by IPv4 address. */
function podsByIp(endpoints: readonly Pod[]): Map<string, Pod> {
  const m = new Map<string, Pod>();
  for (const p of endpoints) {
    const ip = podIPv4(p);
    if (ip && !m.has(ip)) m.set(ip, p);
  }
  return m;
}

/**
 * Pods that send to a service port: its endpoint pods (they include the
 * hairpin case); without any, the first endpoint pod of the cluster, so a
 * service without endpoints is still probed from a pod.
 */
function sourcePods(endpoints: readonly Pod[], byIp: ReadonlyMap<string, Pod>, port: ServicePort): Pod[] {
  const own = port.endpoints.flatMap((e) => byIp.get(e.ip) ?? []);
  // Sorted for determinism: endpoints are sorted by "ip:port", pods keep that order; duplicates dropped.
  const unique = [...new Map(own.map((p) => [podKey(p.namespace, p.name), p])).values()];
  if (unique.length) return unique;
  const first = endpoints[0];
  return first ? [first] : [];
}

/**
 * Whether kube-proxy serves NodePorts on the node's address `ip` (kubeproxy-format §3.1, nftables.md §A.3):
 * nodePortAddresses empty means every local address; else only addresses in its CIDRs ("primary": the node's own).
 */
function nodePortServed(model: Model, ip: string): boolean {
  const cidrs = model.cluster.services?.kubeProxy.nodePortAddresses ?? [];
  const addr = parseAddress(ip);
  if (cidrs.length === 0 || addr === null) return true;
  return cidrs.some((c) => {
    if (c === "primary") return true;
    const cidr = parseCidr(c);
    return cidr !== null && cidrContains(cidr, addr);
  });
}

/**
 * Every service probe of the model, in (service, port, entry, source) order; none without Services.
 * `nftables(node)`: kube-proxy programs that node in nftables mode (its rules hold `ip kube-proxy`), where a NodePort
 * on an address outside nodePortAddresses is no NodePort at all — no DNAT, and no reject without endpoints either
 * (`ip daddr @nodeport-ips`); in iptables mode the no-endpoint REJECT holds on every local address
 * (KUBE-EXTERNAL-SERVICES matches `--dst-type LOCAL`), while the DNAT is only where nodePortAddresses say.
 */
export function serviceProbes(model: Model, topo: Topology, nftables: (node: string) => boolean = () => false): ServiceProbe[] {
  const services = model.cluster.services?.services ?? [];
  const endpoints = endpointsOf(model);
  const byIp = podsByIp(endpoints);
  const out: ServiceProbe[] = [];
  // Made with every field in one order (verify makes ~10 probes per service port and node).
  const probe = (
    service: Service, port: ServicePort, spn: string, entry: ServiceEntry, src: FlowEndpoint, srcIp: string, from: ProbeSource, vip: string, vport: number,
    exp: Expectation, pinned: Endpoint | null,
  ): ServiceProbe => ({ entry, service, port, spn, src, srcIp, from, vip, vport, protocol: port.protocol, expected: exp.expected, none: exp.none, pinned });
  for (const service of services) {
    for (const port of service.ports) {
      const spn = servicePortName(service, port);
      const localIn = service.internalTrafficPolicy === "Local";
      const localEx = service.externalTrafficPolicy === "Local";
      // What a node that is not asked for its own endpoints must reach: the same on every node.
      const anywhere = localIn && localEx ? null : expectation(port, false, "");
      const expect = (local: boolean, node: string): Expectation => (local || anywhere === null ? expectation(port, local, node) : anywhere);
      for (const vip of ipv4Of(service)) {
        for (const pod of sourcePods(endpoints, byIp, port)) {
          const place = topo.pods.get(podKey(pod.namespace, pod.name));
          const ip = podIPv4(pod);
          if (!place || !ip) continue;
          const exp = expect(localIn, place.node);
          const src: FlowEndpoint = { kind: "pod", pod };
          out.push(probe(service, port, spn, "cluster-ip", src, ip, place, vip, port.port, exp, null));
          if (service.sessionAffinity.kind !== "ClientIP") continue;
          for (const pinned of exp.expected) out.push(probe(service, port, spn, "affinity", src, ip, place, vip, port.port, exp, pinned));
        }
        for (const [name, info] of topo.nodes) {
          const ip = hostSource(topo, name, vip);
          if (!info.ip || !ip) continue;
          out.push(probe(service, port, spn, "cluster-ip", { kind: "ip", ip }, ip, { kind: "host", node: name }, vip, port.port, expect(localIn, name), null));
        }
      }
      if (port.nodePort === 0 || ipv4Of(service).length === 0) continue;
      for (const [name, info] of topo.nodes) {
        if (!info.ip) continue;
        const exp = expect(localEx, name);
        // Not a NodePort on this address: nothing of kube-proxy's to check there (but iptables mode's LOCAL reject).
        if (!nodePortServed(model, info.ip) && (nftables(name) || exp.none !== "REJECT" || exp.expected.length > 0)) continue;
        const from: ProbeSource = { kind: "external", node: name, iface: HOST_IFACE };
        out.push(probe(service, port, spn, "node-port", { kind: "ip", ip: EXTERNAL_CLIENT }, EXTERNAL_CLIENT, from, info.ip, port.nodePort, exp, null));
      }
    }
  }
  return out;
}

/**
 * The probes of one connection `explain` is asked about, when its destination is a Service entry: `dst:port` a
 * ClusterIP's port, sent by a pod or by a node's host (from the address its route gives it, as the kernel picks
 * it); or a node's address and a nodePort, sent from outside the cluster (in on that node's host interface). A
 * client with no affinity history (its first connection). Empty when the destination is no Service entry.
 */
export function explainProbes(model: Model, topo: Topology, src: FlowEndpoint, dst: string, dport: number, protocol: Protocol): ServiceProbe[] {
  const out: ServiceProbe[] = [];
  const host = src.kind === "ip" ? topo.hosts.get(src.ip) : undefined;
  for (const service of model.cluster.services?.services ?? []) {
    for (const port of service.ports) {
      if (port.protocol !== protocol) continue;
      const base = { service, port, spn: servicePortName(service, port), protocol, pinned: null };
      if (port.port === dport && ipv4Of(service).includes(dst)) {
        const localIn = service.internalTrafficPolicy === "Local";
        if (src.kind === "pod") {
          const place = topo.pods.get(podKey(src.pod.namespace, src.pod.name));
          const ip = podIPv4(src.pod);
          if (place && ip) out.push({ ...base, entry: "cluster-ip", src, srcIp: ip, from: place, vip: dst, vport: dport, ...expectation(port, localIn, place.node) });
        } else if (host) {
          const ip = hostSource(topo, host.node, dst) ?? src.ip;
          out.push({ ...base, entry: "cluster-ip", src: { kind: "ip", ip }, srcIp: ip, from: host, vip: dst, vport: dport, ...expectation(port, localIn, host.node) });
        }
      }
      if (port.nodePort !== 0 && port.nodePort === dport && ipv4Of(service).length > 0 && src.kind === "ip" && !host) {
        for (const [name, info] of topo.nodes) {
          if (info.ip !== dst || !nodePortServed(model, dst)) continue;
          const from: ProbeSource = { kind: "external", node: name, iface: HOST_IFACE };
          const exp = expectation(port, service.externalTrafficPolicy === "Local", name);
          out.push({ ...base, entry: "node-port", src, srcIp: src.ip, from, vip: dst, vport: dport, ...exp });
        }
      }
    }
  }
  return out;
}

/**
 * Why explain does not walk a connection from a node's host to a NodePort (null: it is none). kube-proxy translates
 * it on the node that owns the address (after the client node's OUTPUT chains, untranslated there unless it is the
 * same node); explain walks NodePort connections from outside the cluster only, so this one is UNKNOWN, not judged as
 * traffic to a host.
 */
export function hostToNodePort(model: Model, topo: Topology, src: FlowEndpoint, dst: string, dport: number, protocol: Protocol): string | null {
  const host = src.kind === "ip" ? topo.hosts.get(src.ip) : undefined;
  // An address kube-proxy serves no NodePort on (nodePortAddresses) is a plain host address: nothing is translated.
  if (!host || !model.cluster.nodes.some((n) => n.ip === dst) || !nodePortServed(model, dst)) return null;
  for (const service of model.cluster.services?.services ?? []) {
    for (const port of service.ports) {
      if (port.nodePort !== dport || port.protocol !== protocol || ipv4Of(service).length === 0) continue;
      return `${dst}:${dport}/${protocol} is a NodePort of ${servicePortName(service, port)}, and the client is the host of node ${host.node}: explain walks NodePort connections from an address outside the cluster (--from ${EXTERNAL_CLIENT}, say), not from a node`;
    }
  }
  return null;
}

/** `pod default/a → ClusterIP 10.96.0.10:53/UDP (default/dns:dns)`, one line per probe. */
export function serviceProbeName(p: ServiceProbe): string {
  const src = p.src.kind === "pod" ? `${p.src.pod.namespace}/${p.src.pod.name}` : p.from.kind === "host" ? `host ${p.from.node} (${p.srcIp})` : `${p.srcIp} via ${p.from.node} ${p.from.iface}`;
  const what = p.entry === "node-port" ? "NodePort" : "ClusterIP";
  const pin = p.pinned ? ` [affinity: recent list names ${p.pinned.ip}:${p.pinned.port}]` : "";
  return `${src} → ${what} ${p.vip}:${p.vport}/${p.protocol} (${p.spn})${pin}`;
}

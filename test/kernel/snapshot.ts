// The physical layout the harness builds, read straight from the cluster
// snapshot YAML. Deliberately independent of src/frontend: the harness must
// be able to build (and be proven) before or without the compiler.
import { createHash } from "node:crypto";
import { loadAll } from "js-yaml";

export interface NodeSpec {
  readonly name: string;
  /** Uplink address on the fabric (10.77.0.0/24). */
  readonly ip: string;
  /** Prefix length of the node's IPv4Address annotation (the uplink's subnet). */
  readonly prefixLength: number;
  /**
   * The /26 of the node's IPIP tunnel address, e.g. 192.168.1.0/26: the block
   * the harness routes to it itself (topology.ts, routing "harness"); null
   * without an IPv4IPIPTunnelAddr annotation.
   */
  readonly block: string | null;
  /** Dual-stack only: the node's IPv6 uplink address and prefix length (projectcalico.org/IPv6Address); absent on an IPv4 node. */
  readonly ip6?: string;
  readonly prefixLength6?: number;
}

/** An IPPool as the harness needs it: where pods may live and how they are encapsulated. */
export interface PoolSpec {
  readonly name: string;
  readonly cidr: string;
  readonly ipipMode: string;
  readonly vxlanMode: string;
}

export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
  /** status.podIP: the IPv4 address, except on an IPv6-only pod (`ipv6Only`), where it is the IPv6 address (= `ip6`). */
  readonly ip: string;
  readonly node: string;
  /** Host-side veth name in the node namespace, as Calico CNI names it. */
  readonly iface: string;
  /** Dual-stack only: the pod's IPv6 address (the first IPv6 entry of status.podIPs, else an IPv6 status.podIP); absent on an IPv4-only pod. */
  readonly ip6?: string;
  /** Dual-stack only: status.podIPs (else status.podIP) hold no IPv4 address; the harness wires and probes IPv6 only. Absent otherwise. */
  readonly ipv6Only?: true;
}

export interface TopologySpec {
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly PodSpec[];
  readonly pools: readonly PoolSpec[];
}

/**
 * Calico's VethNameForWorkload: "cali" + first 11 hex digits of
 * SHA-1("<namespace>.<pod>") — spec felix-format §9.5. Kept here so the
 * harness can wire interfaces before the backend exists; the test checks it
 * agrees with the backend's workloadInterfaceName.
 */
export function caliVethName(namespace: string, pod: string): string {
  return "cali" + createHash("sha1").update(`${namespace}.${pod}`).digest("hex").slice(0, 11);
}

// Calico's default IPv4 block size (spec felix-format §9.1).
const BLOCK_PREFIX = 26;

function blockOf(ip: string): string {
  const n = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - BLOCK_PREFIX);
  const base = Math.floor(n / size) * size;
  const octets = [24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256);
  return `${octets.join(".")}/${BLOCK_PREFIX}`;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function nodeSpec(doc: Obj): NodeSpec {
  const meta = obj(doc["metadata"]);
  const name = str(meta["name"]) ?? "";
  const ann = obj(meta["annotations"]);
  const [ip = "", prefix = "32"] = (str(ann["projectcalico.org/IPv4Address"]) ?? "").split("/");
  const tunnel = str(ann["projectcalico.org/IPv4IPIPTunnelAddr"]);
  if (!ip) throw new Error(`node ${name}: the harness needs the projectcalico.org/IPv4Address annotation`);
  const v6 = str(ann["projectcalico.org/IPv6Address"]);
  const [ip6 = "", prefix6 = "128"] = (v6 ?? "").split("/");
  return { name, ip, prefixLength: Number(prefix), block: tunnel ? blockOf(tunnel) : null, ...(v6 ? { ip6, prefixLength6: Number(prefix6) } : {}) };
}

function poolSpec(doc: Obj): PoolSpec {
  const spec = obj(doc["spec"]);
  // Calico's defaults for a pool that leaves the modes out.
  return {
    name: str(obj(doc["metadata"])["name"]) ?? "",
    cidr: str(spec["cidr"]) ?? "",
    ipipMode: str(spec["ipipMode"]) ?? "Never",
    vxlanMode: str(spec["vxlanMode"]) ?? "Never",
  };
}

function podSpec(doc: Obj): PodSpec {
  const meta = obj(doc["metadata"]);
  const namespace = str(meta["namespace"]) ?? "default";
  const name = str(meta["name"]) ?? "";
  const node = str(obj(doc["spec"])["nodeName"]);
  const ip = str(obj(doc["status"])["podIP"]);
  if (!node || !ip) throw new Error(`pod ${namespace}/${name}: the harness needs spec.nodeName and status.podIP`);
  const podIPs = obj(doc["status"])["podIPs"];
  const ips = (Array.isArray(podIPs) ? podIPs : []).map((e) => str(obj(e)["ip"])).filter((a): a is string => a !== null);
  const ip6 = [...ips, ip].find((a) => a.includes(":"));
  const ipv6Only = [ip, ...ips].every((a) => a.includes(":"));
  return { namespace, name, ip, node, iface: caliVethName(namespace, name), ...(ip6 ? { ip6 } : {}), ...(ipv6Only ? { ipv6Only: true as const } : {}) };
}

/** Nodes, pods and IP pools of a snapshot (one or more YAML texts), sorted (namespace, name) for determinism. */
export function readTopology(...yamlTexts: string[]): TopologySpec {
  const nodes: NodeSpec[] = [];
  const pods: PodSpec[] = [];
  const pools: PoolSpec[] = [];
  for (const raw of yamlTexts.flatMap((t) => loadAll(t))) {
    const doc = obj(raw);
    if (doc["kind"] === "Node") nodes.push(nodeSpec(doc));
    if (doc["kind"] === "Pod") pods.push(podSpec(doc));
    if (doc["kind"] === "IPPool") pools.push(poolSpec(doc));
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  // Sorted for determinism.
  nodes.sort((a, b) => cmp(a.name, b.name));
  pods.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  for (const p of pods) {
    if (!nodes.some((n) => n.name === p.node)) throw new Error(`pod ${p.namespace}/${p.name}: unknown node ${p.node}`);
  }
  pools.sort((a, b) => cmp(a.name, b.name));
  return { nodes, pods, pools };
}

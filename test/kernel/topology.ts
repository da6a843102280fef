// Builds the cluster as network namespaces:
//
//   fabric ns: br0 ── up<i> ═veth═ eth0 (node ns <i>, 10.77.0.x/24, ip_forward)
//   node ns:   cali<hash> ═veth═ eth0 (pod ns, <podIP>/32)
//
// Pod side exactly as Calico CNI sets it up (spec felix-format §9.4):
// `<podIP>/32`, `169.254.1.1 dev eth0 scope link`, `default via 169.254.1.1`,
// and a permanent neighbour 169.254.1.1 → ee:ee:ee:ee:ee:ee (the host-side
// veth MAC). Host side: proxy_arp, forwarding.
//
// Two ways to route between nodes (`Routing`):
//   "harness": the harness adds `<podIP>/32 dev cali… scope link` and, as the
//     kernel here has no ipip module, routes the other nodes' /26 blocks via
//     their uplink addresses itself instead of over tunl0; Felix's rules only
//     care about `cali+` interfaces, so the filter path is the same. The
//     snapshot's pool is IPIP (cluster.yaml); netpolc's `.routes` stay unused.
//   "emitted": the harness adds no route on the node side at all, not even the
//     pods' /32s: the test loads netpolc's `<node>.routes` and `<node>.fdb`
//     (routes.ts), and they alone must carry every packet. The snapshot's pool
//     must be VXLAN (vxlanMode Always, ipipMode Never; this kernel has vxlan).
//
// Dual-stack (pods with an IPv6 address in the snapshot): dualstack-topology.ts
// adds the IPv6 half — uplink /64s, pod /128s and the pods' default route via
// the host veth's link-local (the CNI's part); every IPv6 route on the node
// side comes from the compiled `<node>.routes` (Felix's /128s to the veths,
// BIRD's blackholes and the other nodes' /122 blocks), loaded by the test.
// An IPv6-only pod (`PodSpec.ipv6Only`) gets the IPv6 half alone: no IPv4
// address, route or neighbour in its namespace, no IPv4 /32 on the node.
//
// Every veth is created inside one of our namespaces with its peer placed in
// another of ours (`ip -n A link add … peer … netns B`): nothing ever
// appears in the machine's own namespace.
import type { NsGuard } from "./sys.js";
import type { NodeSpec, PodSpec, TopologySpec } from "./snapshot.js";
import * as v6 from "./dualstack-topology.js";

/** Calico CNI's host-side veth MAC (spec felix-format §9.4). */
const HOST_VETH_MAC = "ee:ee:ee:ee:ee:ee";
const FABRIC_PREFIX_LEN = 24;

/** Who routes between the nodes: the harness itself, or netpolc's emitted `.routes`/`.fdb` files. */
export type Routing = "harness" | "emitted";

export interface Topology {
  readonly spec: TopologySpec;
  readonly routing: Routing;
  readonly fabricNs: string;
  /** node name → namespace */
  readonly nodeNs: ReadonlyMap<string, string>;
  /** "ns/pod" → namespace */
  readonly podNs: ReadonlyMap<string, string>;
}

export const podKey = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;

/** Every pod address lies here; wiping a node's emitted routes flushes exactly this range (routes.ts). */
export const POD_RANGE = "192.168.0.0/16";

function checkAddresses(spec: TopologySpec, routing: Routing): void {
  // The brief's address plan: fabric 10.77.0.0/24, pods from 192.168.0.0/16.
  for (const n of spec.nodes) {
    if (!n.ip.startsWith("10.77.0.")) throw new Error(`node ${n.name}: uplink ${n.ip} is outside 10.77.0.0/24`);
    if (routing === "harness" && n.block === null) throw new Error(`node ${n.name}: the harness routes need an IPv4IPIPTunnelAddr annotation`);
  }
  for (const p of spec.pods) {
    if (!p.ipv6Only && !p.ip.startsWith("192.168.")) throw new Error(`pod ${podKey(p)}: ${p.ip} is outside ${POD_RANGE}`);
  }
  if (routing === "emitted") checkVxlanPools(spec);
  if (routing === "emitted" && v6.isDualStack(spec)) throw new Error("a dual-stack topology needs routing \"harness\" (no IPv6 route file is loaded)");
  v6.checkAddresses6(spec);
}

/**
 * Emitted routing runs on VXLAN only: this kernel has no ipip module, so a
 * tunl0 route could not carry a packet. Every pool must say so, inside the pod range.
 */
function checkVxlanPools(spec: TopologySpec): void {
  if (spec.pools.length === 0) throw new Error("emitted routing needs the snapshot's IPPool (vxlanMode Always, ipipMode Never)");
  for (const p of spec.pools) {
    if (p.vxlanMode !== "Always" || p.ipipMode !== "Never") {
      throw new Error(`IPPool ${p.name}: emitted routing needs vxlanMode Always and ipipMode Never, not ${p.vxlanMode}/${p.ipipMode}`);
    }
    if (!/^192\.168\.\d+\.\d+\/(1[6-9]|2\d|3[0-2])$/.test(p.cidr)) throw new Error(`IPPool ${p.name}: ${p.cidr} is not inside ${POD_RANGE}`);
  }
}

async function setUpNode(g: NsGuard, fabric: string, ns: string, uplink: string, node: NodeSpec, dual: boolean): Promise<void> {
  if (dual) await g.sysctls(ns, { ...v6.NAMESPACE_SYSCTLS6, ...v6.NODE_SYSCTLS6 });
  await g.ipBatch(ns, [
    `link add eth0 type veth peer name ${uplink} netns ${g.check(fabric)}`,
    "link set lo up",
    `address add ${node.ip}/${FABRIC_PREFIX_LEN} dev eth0`,
    ...v6.nodeLines6(node),
    "link set eth0 up",
  ]);
  await g.ipBatch(fabric, [`link set ${uplink} master br0`, `link set ${uplink} up`]);
  // rp_filter off at the sysctl level: Felix does reverse-path checking itself
  // (raw cali-PREROUTING `-m rpfilter --validmark --invert`), and the kernel's
  // own check would otherwise be an extra, non-Felix filter.
  await g.sysctls(ns, {
    "net.ipv4.ip_forward": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    "net.ipv4.conf.eth0.rp_filter": "0",
  });
}

async function setUpPod(g: NsGuard, nodeNs: string, ns: string, pod: PodSpec, routing: Routing): Promise<void> {
  if (pod.ip6 !== undefined) await g.sysctls(ns, v6.NAMESPACE_SYSCTLS6);
  // An IPv6-only pod gets no IPv4 address, route or neighbour: only the IPv6 lines.
  const v4 = !pod.ipv6Only;
  await g.ipBatch(ns, [
    `link add eth0 type veth peer name ${pod.iface} netns ${g.check(nodeNs)}`,
    "link set lo up",
    ...(v4 ? [`address add ${pod.ip}/32 dev eth0`] : []),
    "link set eth0 up",
    ...(v4
      ? ["route add 169.254.1.1 dev eth0 scope link", "route add default via 169.254.1.1 dev eth0", `neigh add 169.254.1.1 lladdr ${HOST_VETH_MAC} dev eth0 nud permanent`]
      : []),
    ...v6.podLines6(pod),
  ]);
  await g.ipBatch(nodeNs, [
    `link set ${pod.iface} address ${HOST_VETH_MAC}`,
    `link set ${pod.iface} up`,
    // With emitted routing this route is the `.routes` file's (Felix and the CNI both add it on a real node).
    ...(routing === "harness" ? [...(v4 ? [`route add ${pod.ip}/32 dev ${pod.iface} scope link`] : []), ...v6.hostLines6(pod)] : []),
  ]);
  await g.sysctls(nodeNs, {
    [`net.ipv4.conf.${pod.iface}.proxy_arp`]: "1",
    [`net.ipv4.conf.${pod.iface}.route_localnet`]: "1",
    [`net.ipv4.conf.${pod.iface}.forwarding`]: "1",
    [`net.ipv4.conf.${pod.iface}.rp_filter`]: "0",
    [`net.ipv4.neigh.${pod.iface}.proxy_delay`]: "0",
    ...v6.hostSysctls6(pod),
  });
}

function nodeRoutes(self: NodeSpec, spec: TopologySpec): string[] {
  const all = spec.nodes;
  // Own block is a blackhole, as BIRD programs it (felix-format §9.2); the
  // pods' /32 routes are more specific and win.
  const lines = [`route add blackhole ${self.block}`];
  for (const peer of all) if (peer !== self) lines.push(`route add ${peer.block} via ${peer.ip} dev eth0`);
  return [...lines, ...v6.nodeRoutes6(self, spec)];
}

/**
 * Build the namespaces and links, and with routing "harness" the routes. On
 * failure the caller's guard.deleteAll() cleans up.
 */
export async function buildTopology(g: NsGuard, spec: TopologySpec, routing: Routing = "harness"): Promise<Topology> {
  checkAddresses(spec, routing);
  const fabricNs = `${g.prefix}fab`;
  const nodeNs = new Map(spec.nodes.map((n, i) => [n.name, `${g.prefix}n${i}`]));
  const podNs = new Map(spec.pods.map((p, i) => [podKey(p), `${g.prefix}p${i}`]));
  for (const ns of [fabricNs, ...nodeNs.values(), ...podNs.values()]) await g.add(ns);
  await g.ipBatch(fabricNs, ["link set lo up", "link add br0 type bridge", "link set br0 up"]);
  await Promise.all(spec.nodes.map((n, i) => setUpNode(g, fabricNs, nodeNs.get(n.name)!, `up${i}`, n, v6.isDualStack(spec))));
  // Pods of one node one after another (they share the node's sysctl shell
  // and link table); nodes in parallel.
  await Promise.all(
    spec.nodes.map(async (n) => {
      for (const p of spec.pods.filter((q) => q.node === n.name)) {
        await setUpPod(g, nodeNs.get(n.name)!, podNs.get(podKey(p))!, p, routing);
      }
      if (routing === "harness") await g.ipBatch(nodeNs.get(n.name)!, nodeRoutes(n, spec));
    }),
  );
  return { spec, routing, fabricNs, nodeNs, podNs };
}

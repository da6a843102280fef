// An independent reading of `<node>.routes` / `<node>.fdb` and an independent
// route walk, for the properties of ipam-routes.test.ts. Deliberately not the
// compiler's code: lines are read with regular expressions over the exact
// shapes routes.ts writes (anything else fails the test), and the walk is
// the kernel's behaviour as calico-routes §2 and ip-route(8) describe it:
//   - the node's own addresses (its IP, `address replace … dev tunl0|vxlan.calico`) are local;
//   - otherwise the longest matching prefix decides (among equal prefixes the
//     later line, as `route replace` overwrites);
//   - `blackhole` drops; `dev cali…` delivers iff the pod with that address
//     sits on this node behind that interface; `via G dev tunl0` goes to the
//     node whose IP is G; `dev vxlan.calico` / `via G dev vxlan.calico`
//     resolves the gateway (or the destination) through the neighbour entry
//     to a MAC and the FDB entry to a node IP; `via G` on the uplink (or no
//     device) goes to the node with IP G, else out of the cluster;
//   - no route at all: the default route, i.e. the node with that IP, else out.
// Workload interface names are computed here from Felix's recipe (felix-format
// §9.5: "cali" + 11 hex of SHA-1("<ns>.<pod>")), not taken from the compiler.
import { createHash } from "node:crypto";

const TUNL = "tunl0";
const VXLAN = "vxlan.calico";
const UPLINK = "eth0";

export interface RouteLine {
  /** 1-based line in the file. */
  readonly line: number;
  readonly text: string;
  readonly kind: "blackhole" | "dev" | "via";
  readonly network: number;
  readonly prefix: number;
  readonly cidr: string;
  readonly dev: string | null;
  readonly via: string | null;
}

export interface NodeTable {
  readonly node: string;
  readonly ip: string;
  readonly routes: readonly RouteLine[];
  /** Addresses on tunl0 / vxlan.calico, by device. */
  readonly addrs: ReadonlyMap<string, string>;
  readonly neigh: ReadonlyMap<string, { mac: string; line: number }>;
  readonly fdb: ReadonlyMap<string, { ip: string; line: number }>;
}

const toInt = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
const inNet = (ip: number, network: number, prefix: number): boolean => prefix === 0 || Math.floor(ip / 2 ** (32 - prefix)) === Math.floor(network / 2 ** (32 - prefix));

const IP = String.raw`(\d+\.\d+\.\d+\.\d+)`;
const CIDR = String.raw`(\d+\.\d+\.\d+\.\d+)/(\d+)`;
const LINE_SHAPES: readonly [RegExp, (m: RegExpMatchArray) => Partial<RouteLine> | "addr" | "neigh" | "skip"][] = [
  [new RegExp(String.raw`^link (set|add) `), () => "skip"],
  [new RegExp(`^address replace ${CIDR} dev (\\S+)$`), () => "addr"],
  [new RegExp(`^neigh replace ${IP} lladdr (\\S+) dev ${VXLAN.replace(".", "\\.")} nud permanent$`), () => "neigh"],
  [new RegExp(`^route replace blackhole ${CIDR} proto (bird|80)$`), (m) => ({ kind: "blackhole", cidr: `${m[1]}/${m[2]}` })],
  [new RegExp(`^route replace ${CIDR} dev (\\S+) scope link$`), (m) => ({ kind: "dev", cidr: `${m[1]}/${m[2]}`, dev: m[3]! })],
  [
    new RegExp(`^route replace ${CIDR} via ${IP}(?: dev (\\S+))? proto (bird|80)( onlink)?$|^route replace ${CIDR} via ${IP} dev ${VXLAN.replace(".", "\\.")} onlink$`),
    (m) => (m[1] ? { kind: "via", cidr: `${m[1]}/${m[2]}`, via: m[3]!, dev: m[4] ?? null } : { kind: "via", cidr: `${m[7]}/${m[8]}`, via: m[9]!, dev: VXLAN }),
  ],
];

/** A node's table from its file texts; throws on a line of a shape routes.ts does not write. */
export function readTable(node: string, ip: string, routes: string, fdb: string): NodeTable {
  const out: RouteLine[] = [];
  const addrs = new Map<string, string>();
  const neigh = new Map<string, { mac: string; line: number }>();
  routes.split("\n").forEach((text, i) => {
    if (!text) return;
    const hit = LINE_SHAPES.map(([re, f]) => [text.match(re), f] as const).find(([m]) => m);
    if (!hit) throw new Error(`${node}.routes:${i + 1}: unexpected line ${JSON.stringify(text)}`);
    const [m, f] = hit;
    const r = f(m!);
    if (r === "skip") return;
    if (r === "addr") addrs.set(m![3]!, m![1]!);
    else if (r === "neigh") neigh.set(m![1]!, { mac: m![2]!, line: i + 1 });
    else {
      const [net, len] = r.cidr!.split("/");
      out.push({ line: i + 1, text, kind: r.kind!, network: toInt(net!), prefix: Number(len), cidr: r.cidr!, dev: r.dev ?? null, via: r.via ?? null });
    }
  });
  const fdbMap = new Map<string, { ip: string; line: number }>();
  fdb.split("\n").forEach((text, i) => {
    if (!text) return;
    const m = text.match(new RegExp(`^fdb replace (\\S+) dev ${VXLAN.replace(".", "\\.")} dst ${IP} self permanent$`));
    if (!m) throw new Error(`${node}.fdb:${i + 1}: unexpected line ${JSON.stringify(text)}`);
    fdbMap.set(m[1]!, { ip: m[2]!, line: i + 1 });
  });
  return { node, ip, routes: out, addrs, neigh, fdb: fdbMap };
}

export const workloadIface = (namespace: string, pod: string): string => "cali" + createHash("sha1").update(`${namespace}.${pod}`).digest("hex").slice(0, 11);

/** Where things are: each node's table, and each endpoint pod's node and interface by address. */
export interface Network {
  readonly tables: ReadonlyMap<string, NodeTable>;
  readonly pods: ReadonlyMap<string, { readonly node: string; readonly iface: string }>;
}

/** A line a walk took: `<node>.routes:<line>` or `<node>.fdb:<line>`. */
export type LineRef = string;

export type WalkEnd =
  | { readonly kind: "pod"; readonly node: string; readonly iface: string }
  | { readonly kind: "host"; readonly node: string }
  | { readonly kind: "outside"; readonly node: string }
  | { readonly kind: "dropped"; readonly node: string; readonly reason: "blackhole" | "no-neighbour" | "no-fdb" | "unknown-gateway" | "wrong-device" | "loop" };

export interface Walk {
  readonly end: WalkEnd;
  /** The route, neighbour and FDB lines used, in order. */
  readonly used: readonly LineRef[];
  /** The nodes the packet crossed, the first one included. */
  readonly nodes: readonly string[];
}

function lpm(t: NodeTable, dst: number): RouteLine | null {
  let best: RouteLine | null = null;
  for (const r of t.routes) if (inNet(dst, r.network, r.prefix) && (!best || r.prefix >= best.prefix)) best = r;
  return best;
}

const nodeWithIp = (net: Network, ip: string): string | null => [...net.tables.values()].find((t) => t.ip === ip)?.node ?? null;

/** The node whose own address `ip` is (node IP or tunnel address), if any. */
export function hostOf(net: Network, ip: string): string | null {
  return [...net.tables.values()].find((t) => t.ip === ip || [...t.addrs.values()].includes(ip))?.node ?? null;
}

type Step = { readonly next: string } | { readonly end: WalkEnd };

function vxlanNext(t: NodeTable, net: Network, gateway: string, used: LineRef[]): Step {
  const n = t.neigh.get(gateway);
  if (!n) return { end: { kind: "dropped", node: t.node, reason: "no-neighbour" } };
  used.push(`${t.node}.routes:${n.line}`);
  const f = t.fdb.get(n.mac);
  if (!f) return { end: { kind: "dropped", node: t.node, reason: "no-fdb" } };
  used.push(`${t.node}.fdb:${f.line}`);
  const next = nodeWithIp(net, f.ip);
  return next ? { next } : { end: { kind: "dropped", node: t.node, reason: "unknown-gateway" } };
}

function step(t: NodeTable, net: Network, dst: string, used: LineRef[]): Step {
  if (t.ip === dst || [...t.addrs.values()].includes(dst)) return { end: { kind: "host", node: t.node } };
  const r = lpm(t, toInt(dst));
  const wire = (to: string): Step => {
    const next = nodeWithIp(net, to);
    return next ? { next } : { end: { kind: "outside", node: t.node } };
  };
  if (!r) return wire(dst);
  used.push(`${t.node}.routes:${r.line}`);
  if (r.kind === "blackhole") return { end: { kind: "dropped", node: t.node, reason: "blackhole" } };
  if (r.kind === "dev") {
    if (r.dev === VXLAN) return vxlanNext(t, net, dst, used);
    if (r.dev === UPLINK) return wire(dst);
    const pod = net.pods.get(dst);
    return pod && pod.node === t.node && pod.iface === r.dev ? { end: { kind: "pod", node: t.node, iface: r.dev! } } : { end: { kind: "dropped", node: t.node, reason: "wrong-device" } };
  }
  if (r.dev === VXLAN) return vxlanNext(t, net, r.via!, used);
  if (r.dev === TUNL) {
    const next = nodeWithIp(net, r.via!);
    return next ? { next } : { end: { kind: "dropped", node: t.node, reason: "unknown-gateway" } };
  }
  return wire(r.via!);
}

/** Walks a packet for `dst` from node `from`. */
export function walk(net: Network, from: string, dst: string): Walk {
  const used: LineRef[] = [];
  const nodes = [from];
  for (let i = 0; i < 8; i++) {
    const s = step(net.tables.get(nodes[nodes.length - 1]!)!, net, dst, used);
    if ("end" in s) return { end: s.end, used, nodes };
    nodes.push(s.next);
  }
  return { end: { kind: "dropped", node: nodes[nodes.length - 1]!, reason: "loop" }, used, nodes };
}

/** Whether a walk for `dst` ended where `dst` is: its pod, its host, or (an address no node or pod has) outside. */
export function arrived(net: Network, dst: string, end: WalkEnd): boolean {
  const pod = net.pods.get(dst);
  if (pod) return end.kind === "pod" && end.node === pod.node && end.iface === pod.iface;
  const host = hostOf(net, dst);
  if (host) return end.kind === "host" && end.node === host;
  return end.kind === "outside";
}

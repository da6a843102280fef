// Acceptance of IPIP `.routes` files by the kernel. This kernel has no ipip
// module, so no packet can cross a tunl0 here; what can be proven is that
// `ip -batch` accepts every line of a file and that the kernel then holds
// exactly what the file declares. Each file goes into a fresh private node
// namespace that has what a Calico node has before Felix and BIRD program it:
// the uplink eth0 with the node's address and subnet (IPv4Address
// annotation), a stand-in device NAMED tunl0 (a veth; down, MTU 1500, so the
// file's `link set dev tunl0 mtu 1480 up` must do its job), and the host side
// of every local pod's veth (cali…, up, as the CNI leaves it).
import { NO_POLICIES, OPT_LEVELS, compileScenario, readScenarios, type CompiledScenario, type SnapshotFile } from "./compile.js";
import { BatchRejected, applyRoutes, declared, differences, installed, type NodeRoutes } from "./routes.js";
import { readTopology, type NodeSpec, type PodSpec } from "./snapshot.js";
import type { NsGuard } from "./sys.js";

export interface RoutesFile {
  /** Which compiles produced these bytes, e.g. `01-default-deny-ingress -O1 node-1`. */
  readonly names: readonly string[];
  readonly node: NodeSpec;
  /** The pods scheduled on `node`. */
  readonly pods: readonly PodSpec[];
  readonly routes: NodeRoutes;
}

/** Stand-in device lines: tunl0 exists but is down, as `modprobe ipip` leaves it. */
function nodeDevices(f: RoutesFile): string[] {
  return [
    "link set lo up",
    "link add eth0 type veth peer name eth0-peer",
    `address add ${f.node.ip}/${f.node.prefixLength} dev eth0`,
    "link set eth0 up",
    "link set eth0-peer up",
    "link add tunl0 type veth peer name tunl0-peer",
    "link set tunl0-peer up",
    ...f.pods.flatMap((p, i) => [`link add ${p.iface} type veth peer name pod${i}`, `link set ${p.iface} up`, `link set pod${i} up`]),
  ];
}

/**
 * Load one file into the fresh namespace `ns` (created and deleted here) and
 * return what is wrong: the line `ip -batch` refused, or every route,
 * address, link and neighbour that differs from the declaration.
 */
export async function acceptRoutes(g: NsGuard, ns: string, f: RoutesFile): Promise<string[]> {
  await g.add(ns);
  try {
    await g.ipBatch(ns, nodeDevices(f));
    try {
      await applyRoutes(g, ns, f.routes, f.node.name);
    } catch (e) {
      if (e instanceof BatchRejected) return [e.message];
      throw e;
    }
    const want = declared(f.routes, f.node.name);
    if (want.routes.length === 0) return ["the file declares no route"];
    return differences(want, await installed(g, ns, want));
  } finally {
    g.delete(ns);
  }
}

// ---------------------------------------------------------------------------
// Which files: every node's `.routes` of every IPIP kernel scenario (at each
// -O level), of `--route-programmer felix`, and of a CrossSubnet pool under
// both programmers. Identical bytes for one node are loaded once.

/**
 * cluster.yaml with `ipipMode: CrossSubnet`, and node-3's IPv4Address on a /30
 * (10.77.0.12/30): node-3 then reaches node-2 directly over eth0 and node-1
 * over tunl0, so one file holds both kinds of route.
 */
export function crossSubnetCluster(cluster: SnapshotFile): SnapshotFile {
  const text = cluster.text.replace("ipipMode: Always", "ipipMode: CrossSubnet").replace("IPv4Address: 10.77.0.13/24", "IPv4Address: 10.77.0.13/30");
  if (!text.includes("ipipMode: CrossSubnet") || !text.includes("10.77.0.13/30")) throw new Error(`${cluster.path}: cannot derive the CrossSubnet variant`);
  return { path: `${cluster.path} (ipipMode CrossSubnet, node-3 on a /30)`, text };
}

export function ipipRouteFiles(cluster: SnapshotFile, scenarioDir: string): RoutesFile[] {
  const compiles: { name: string; snapshot: SnapshotFile; compiled: CompiledScenario }[] = [];
  for (const scenario of readScenarios(scenarioDir)) {
    for (const level of OPT_LEVELS) compiles.push({ name: `${scenario.name} -O${level}`, snapshot: cluster, compiled: compileScenario(cluster, scenario, level) });
  }
  const cross = crossSubnetCluster(cluster);
  for (const routeProgrammer of ["bird", "felix"] as const) {
    if (routeProgrammer === "felix") compiles.push({ name: "--route-programmer felix", snapshot: cluster, compiled: compileScenario(cluster, NO_POLICIES, 1, { routeProgrammer }) });
    compiles.push({ name: `CrossSubnet --route-programmer ${routeProgrammer}`, snapshot: cross, compiled: compileScenario(cross, NO_POLICIES, 1, { routeProgrammer }) });
  }
  const byBytes = new Map<string, { names: string[]; node: NodeSpec; pods: PodSpec[]; routes: NodeRoutes }>();
  for (const c of compiles) {
    const spec = readTopology(c.snapshot.text);
    for (const [node, routes] of c.compiled.routes) {
      const key = `${node}\0${routes.routes}\0${routes.fdb}`;
      const entry = byBytes.get(key) ?? { names: [], node: spec.nodes.find((n) => n.name === node)!, pods: spec.pods.filter((p) => p.node === node), routes };
      entry.names.push(`${c.name} ${node}`);
      byBytes.set(key, entry);
    }
  }
  return [...byBytes.values()];
}

// The kernel harness: a 3-node cluster of network namespaces with one agent
// per pod and per node, into which compiled per-node rules are loaded and then probed.
// Topology and agents are built once and reused; scenarios only reload rules.
import { AgentPool, type ProbeRequest } from "./agents.js";
import { loadNode, wipeNode, type IptablesVariant, type NodeRules } from "./dataplane.js";
import { allFlows, endpointIp, endpointKey, type Observation, type ProbeFlow } from "./flows.js";
import type { TopologySpec } from "./snapshot.js";
import { loadRoutes, type NodeRoutes } from "./routes.js";
import { NsGuard } from "./sys.js";
import { buildTopology, POD_RANGE, type Routing, type Topology } from "./topology.js";

export { allFlows, flowName, type Observation, type ProbeFlow, type Proto } from "./flows.js";

export interface HarnessOptions {
  /** Namespace name prefix, unique to the run, e.g. `np1234-`. */
  readonly prefix: string;
  readonly variant: IptablesVariant;
  /** Who routes between nodes (topology.ts); default "harness". With "emitted", call `loadRoutes` before probing. */
  readonly routing?: Routing;
  /** Ports every agent serves (TCP and UDP); default SERVED_PORTS (80, 81). */
  readonly ports?: readonly number[];
}

// Source ports the probes bind, one fresh port per probe per source pod for
// the whole run (see scripts/netns/agent.mjs): 55 000 ports ≈ 1 700 full
// matrices per pod, far more than a run uses.
const FIRST_SPORT = 10_000;
const LAST_SPORT = 65_000;

export class KernelCluster {
  private readonly agents = new AgentPool();
  private readonly nextSport = new Map<string, number>();
  private exitHook: (() => void) | null = null;

  private constructor(
    readonly guard: NsGuard,
    readonly variant: IptablesVariant,
    readonly topo: Topology,
  ) {}

  /** Build namespaces, links, routes and agents; everything is removed again if any step fails. */
  static async create(spec: TopologySpec, opts: HarnessOptions): Promise<KernelCluster> {
    const guard = new NsGuard(opts.prefix);
    guard.deleteAll(); // leftovers of an earlier process with the same pid
    // If the test process dies without running afterAll, still remove our namespaces.
    const exitHook = (): void => guard.deleteAll();
    process.once("exit", exitHook);
    let cluster: KernelCluster | null = null;
    try {
      const topo = await buildTopology(guard, spec, opts.routing ?? "harness");
      cluster = new KernelCluster(guard, opts.variant, topo);
      cluster.exitHook = exitHook;
      // Agents in the node namespaces too: they probe node → pod and serve pod → node.
      const agentNs = new Map([...topo.podNs, ...spec.nodes.map((n) => [`node:${n.name}`, topo.nodeNs.get(n.name)!] as const)]);
      await cluster.agents.start(guard, agentNs, { ...(opts.ports ? { ports: opts.ports } : {}), ipv6: cluster.dualStack });
      await cluster.wipe();
      return cluster;
    } catch (e) {
      if (cluster) await cluster.agents.stop().catch(() => {});
      guard.deleteAll();
      process.removeListener("exit", exitHook);
      throw e;
    }
  }

  get spec(): TopologySpec {
    return this.topo.spec;
  }

  /** Whether the snapshot gave the pods IPv6 addresses (topology.ts then wires IPv6 too, and the agents serve it). */
  get dualStack(): boolean {
    return this.spec.pods.some((p) => p.ip6 !== undefined);
  }

  nodeNs(node: string): string {
    const ns = this.topo.nodeNs.get(node);
    if (!ns) throw new Error(`unknown node ${node}`);
    return ns;
  }

  /** Remove every rule, set and conntrack entry from every node. */
  async wipe(): Promise<void> {
    await Promise.all([...this.topo.nodeNs.values()].map((ns) => wipeNode(this.guard, ns, this.variant, true, this.dualStack)));
  }

  /** Load one ruleset per node (all nodes must be given). */
  async load(rules: ReadonlyMap<string, NodeRules>): Promise<void> {
    for (const n of this.spec.nodes) if (!rules.has(n.name)) throw new Error(`no rules for node ${n.name}`);
    await Promise.all(this.spec.nodes.map((n) => loadNode(this.guard, this.nodeNs(n.name), this.variant, rules.get(n.name)!)));
  }

  /**
   * Load one `.routes` + `.fdb` per node (all nodes must be given; routing
   * "emitted" only): each node is wiped of the previous load's device and
   * pod-range routes first, so it holds exactly what its files say.
   */
  async loadRoutes(routes: ReadonlyMap<string, NodeRoutes>): Promise<void> {
    if (this.topo.routing !== "emitted") throw new Error("loadRoutes needs a cluster built with routing \"emitted\"");
    for (const n of this.spec.nodes) if (!routes.has(n.name)) throw new Error(`no routes for node ${n.name}`);
    await Promise.all(this.spec.nodes.map((n) => loadRoutes(this.guard, this.nodeNs(n.name), routes.get(n.name)!, POD_RANGE, n.name)));
  }

  private sports(key: string, count: number): number[] {
    const first = this.nextSport.get(key) ?? FIRST_SPORT;
    if (first + count > LAST_SPORT) throw new Error(`source ports of ${key} exhausted`);
    this.nextSport.set(key, first + count);
    return Array.from({ length: count }, (_, i) => first + i);
  }

  /** Probe the flows (default: all), each source pod's probes concurrently in its agent. */
  async probe(flows: readonly ProbeFlow[] = allFlows(this.spec), timeoutMs = 400): Promise<Observation[]> {
    const bySrc = new Map<string, ProbeFlow[]>();
    for (const f of flows) {
      const k = endpointKey(f.src);
      bySrc.set(k, [...(bySrc.get(k) ?? []), f]);
    }
    const observed = await Promise.all(
      [...bySrc.values()].map(async (list) => {
        const key = endpointKey(list[0]!.src);
        const ports = this.sports(key, list.length);
        const reqs: ProbeRequest[] = list.map((f, i) => ({
          ip: endpointIp(f.dst, f.family),
          port: f.port,
          proto: f.protocol === "TCP" ? "tcp" : "udp",
          sport: ports[i]!,
        }));
        const results = await this.agents.probe(key, reqs, timeoutMs);
        return list.map((f, i) => ({ ...f, allowed: results[i] === true }));
      }),
    );
    return observed.flat();
  }

  /** One probe of `f` whose source address is `sip` instead of the pod's own (anti-spoofing check). */
  async probeFrom(f: ProbeFlow, sip: string, timeoutMs = 400): Promise<boolean> {
    const key = endpointKey(f.src);
    const [sport] = this.sports(key, 1);
    const proto = f.protocol === "TCP" ? "tcp" : "udp";
    const [ok] = await this.agents.probe(key, [{ ip: endpointIp(f.dst, f.family), port: f.port, proto, sport: sport!, sip }], timeoutMs);
    return ok === true;
  }

  /** Stop agents, delete every namespace of the run. */
  async destroy(): Promise<void> {
    try {
      await this.agents.stop();
    } finally {
      this.guard.deleteAll();
      if (this.exitHook) process.removeListener("exit", this.exitHook);
    }
  }
}

// Dual-stack kernel tests: a 2-node cluster whose pods have IPv4 and IPv6
// addresses (dualstack-cluster.yaml) compiled with `--ipv6 auto`, so every node
// gets `<node>.ip6tables` and `cali60` sets in `<node>.ipsets`.
//  1. Every node's `.ip6tables` (and `.iptables`, `.ipsets`) is accepted by the
//     kernel in a private namespace and saved back identical, with
//     iptables-nft and iptables-legacy; also for golden/dual-stack-basic.
//  2. A dual-stack dataplane in namespaces (topology.ts + dualstack-topology.ts)
//     whose nodes route IPv6 with the IPv6 lines of netpolc's own
//     `<node>.routes` (`ip -n <node ns> -batch -`; the harness adds no IPv6
//     route on the node side; IPv4 stays harness-routed, as tunl0 is missing),
//     loaded with `.ipsets`, `.iptables` and `.ip6tables`: every ordered pod
//     pair probed with real TCP and UDP over IPv6 and over IPv4, on every port
//     the policies mention plus one none mentions, each result compared with
//     the evaluator's verdict for the same flow in the same family. The
//     IPv6-only pod x/client6 has no IPv4 address: it is probed (both ways)
//     over IPv6 only.
//
// Same safety rules as kernel.test.ts: only namespaces this file creates
// (prefix np<pid>d6-), removed in afterAll, on failure and at exit; a loud
// skip unless NETPOLC_KERNEL_TESTS=required.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podIPv4 } from "../../src/ir/cluster.js";
import { explain, KERNEL_VARIANTS, type SnapshotFile } from "./compile.js";
import { availableVariants, ip6tablesTool, variantFromEnv, type IptablesVariant } from "./dataplane.js";
import { compileDualStack, type DualStackCompiled } from "./dualstack-compile.js";
import { roundTripDualStack, type DualStackRules } from "./dualstack-roundtrip.js";
import { block6Of, expectedRoutes6, heldRoutes6, HOST_VETH_LINK_LOCAL, loadRoutes6, nextHops6, routeLines6 } from "./dualstack-topology.js";
import { endpointKey, podEndpoint, PROTOCOLS, type Observation, type ProbeFlow } from "./flows.js";
import { KernelCluster, flowName } from "./harness.js";
import { readTopology, type TopologySpec } from "./snapshot.js";
import { NsGuard, missingPrerequisites } from "./sys.js";
import { podKey } from "./topology.js";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const file = (path: string, abs: string): SnapshotFile => ({ path, text: readFileSync(abs, "utf8") });
const CLUSTER = file("test/kernel/dualstack-cluster.yaml", here("./dualstack-cluster.yaml"));
const POLICY = file("test/kernel/dualstack-policy.yaml", here("./dualstack-policy.yaml"));
const GOLDEN = [file("golden/dual-stack-basic/cluster.yaml", here("../../golden/dual-stack-basic/cluster.yaml")), file("golden/dual-stack-basic/policy.yaml", here("../../golden/dual-stack-basic/policy.yaml"))];

const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();
const skip = missing.length > 0 && !required;
// "d6" cannot follow the pid's digits in the other files' prefixes (np<pid>-, np<pid>v-, np<pid>r6-, nps<pid>-).
const PREFIX = `np${process.pid}d6-`;
const PROBE_TIMEOUT_MS = 400;
const RETRY_TIMEOUT_MS = 1500;

/** The ports the policies mention (53 dns, 80, 5432, 8080 http) and one that none mentions. */
const MENTIONED_PORTS = [53, 80, 5432, 8080] as const;
const UNMENTIONED_PORT = 9999;
const PORTS = [...MENTIONED_PORTS, UNMENTIONED_PORT];

if (skip) {
  console.warn(`\n!!!!!!!! KERNEL DUAL-STACK TESTS SKIPPED: missing ${missing.join(", ")}.\n!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`);
}

/** Every ordered pair of distinct pods × PORTS × TCP/UDP, in `family` (over IPv4, the pods with an IPv4 address only). */
function podFlows(spec: TopologySpec, family: 4 | 6): ProbeFlow[] {
  const flows: ProbeFlow[] = [];
  const pods = family === 4 ? spec.pods.filter((p) => !p.ipv6Only) : spec.pods;
  for (const s of pods) {
    for (const d of pods) {
      if (s === d) continue;
      for (const port of PORTS) for (const protocol of PROTOCOLS) flows.push({ src: podEndpoint(s), dst: podEndpoint(d), port, protocol, family });
    }
  }
  return flows;
}

/** Whether both ends of a flow have addresses of both families (neither is the IPv6-only pod). */
const dualEnds = (f: ProbeFlow): boolean => [f.src, f.dst].every((e) => e.kind === "pod" && !e.pod.ipv6Only);

const FAMILY_NAME = { 4: "IPv4", 6: "IPv6" } as const;
const said = (allowed: boolean): string => (allowed ? "allowed" : "denied");

/** One line per disagreement: pod pair, port, protocol, family, expected, observed, and the evaluator's reasons. */
function mismatchLines(obs: readonly Observation[], compiled: DualStackCompiled): string[] {
  return obs
    .filter((o) => o.allowed !== compiled.verdict(o).allowed)
    .map((o) => {
      const v = compiled.verdict(o);
      return (
        `${endpointKey(o.src)} -> ${endpointKey(o.dst)} ${o.protocol}/${o.port} over ${FAMILY_NAME[o.family ?? 4]}: ` +
        `expected ${said(v.allowed)}, got ${said(o.allowed)} [${explain(v)}]`
      );
    });
}

/** Packets counted by the rules of an IPv6 `table` whose text matches `re` (`ip6tables-save -c`); null when no rule matches. */
async function packets6(k: KernelCluster, node: string, table: string, re: RegExp): Promise<number | null> {
  const saved = await k.guard.inNs(k.nodeNs(node), ip6tablesTool(k.variant, "save"), ["-c", "-t", table]);
  const lines = saved.split("\n").filter((l) => re.test(l));
  if (!lines.length) return null;
  return lines.reduce((sum, l) => sum + Number(/^\[(\d+):\d+\]/.exec(l)?.[1] ?? "0"), 0);
}

describe.skipIf(skip)("kernel: dual-stack (ip6tables + IPv6 sets next to the IPv4 rules)", () => {
  const spec = readTopology(CLUSTER.text);
  const pod = (key: string) => {
    const p = spec.pods.find((q) => podKey(q) === key);
    if (!p) throw new Error(`no pod ${key}`);
    return p;
  };
  let cluster: KernelCluster | null = null;
  /** node → its IPv6 routes (less `proto kernel`) as the harness left them, before the emitted ones were loaded. */
  const harnessMade6 = new Map<string, string[]>();
  /** node → its compiled `.routes` (both families), -O1 at the first Calico version; the routes do not depend on the policies. */
  const emitted = (): ReadonlyMap<string, string> => compileDualStack([CLUSTER, POLICY], 1, KERNEL_VARIANTS[0]!.version).routes;
  /** (Re)load one node's emitted IPv6 routes (`route replace`, so loading twice is harmless). */
  const loadEmitted6 = (k: KernelCluster, node: string): Promise<string[]> => loadRoutes6(k.guard, k.nodeNs(node), emitted().get(node) ?? "", node);

  beforeAll(async () => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
    const k = await KernelCluster.create(spec, { prefix: PREFIX, variant: variantFromEnv(), ports: PORTS });
    try {
      for (const n of spec.nodes) harnessMade6.set(n.name, await heldRoutes6(k.guard, k.nodeNs(n.name)));
      // The nodes' IPv6 routes are netpolc's: the IPv6 lines of each `<node>.routes`, as `ip -batch` input.
      for (const n of spec.nodes) await loadEmitted6(k, n.name);
    } catch (e) {
      await k.destroy();
      throw e;
    }
    cluster = k;
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  /** Load and probe both families; a flow that disagrees with the evaluator is probed once more with a long timeout. */
  async function run(compiled: DualStackCompiled, tag: string): Promise<Observation[]> {
    const k = cluster!;
    await k.load(compiled.rules);
    const flows = [...podFlows(spec, 6), ...podFlows(spec, 4)];
    const first = await k.probe(flows, PROBE_TIMEOUT_MS);
    const suspects = first.filter((o) => o.allowed !== compiled.verdict(o).allowed);
    const again = new Map((suspects.length ? await k.probe(suspects, RETRY_TIMEOUT_MS) : []).map((o) => [flowName(o), o]));
    const healed = [...again.values()].filter((o) => o.allowed === compiled.verdict(o).allowed).length;
    if (healed > 0) console.warn(`${tag}: ${healed} probe(s) agreed only on the ${RETRY_TIMEOUT_MS} ms retry`);
    return first.map((o) => again.get(flowName(o)) ?? o);
  }

  it("the fixture: 2 nodes with IPv6 uplinks, every pod dual-stack but the IPv6-only x/client6, one /122 per node; the unprobed-by-policy port is mentioned nowhere", () => {
    expect(spec.nodes.map((n) => [n.name, n.ip6])).toEqual([
      ["node-1", "fd00:77::11"],
      ["node-2", "fd00:77::12"],
    ]);
    // netpolc reads the same IPv6 node addresses (its `via` next hops), and the IPv6 InternalIPs agree with the annotations.
    expect(compileDualStack([CLUSTER], 1, KERNEL_VARIANTS[0]!.version).model.cluster.nodes.map((n) => [n.name, n.ip6])).toEqual(spec.nodes.map((n) => [n.name, n.ip6]));
    for (const n of spec.nodes) expect(CLUSTER.text).toContain(`address: "${n.ip6!}"`);
    expect(spec.pods.length).toBe(6);
    for (const p of spec.pods) expect(p.ip6, podKey(p)).toMatch(/^fd00:10:244::/);
    for (const p of spec.pods) expect(p.ip, podKey(p)).toMatch(p.ipv6Only ? /^fd00:10:244::/ : /^192\.168\./);
    expect(spec.pods.filter((p) => p.ipv6Only).map(podKey)).toEqual(["x/client6"]);
    // netpolc's model agrees (no IPv4 address), and makes x/client6 an endpoint of both tables, with its address in cali60 sets only.
    const client6 = pod("x/client6");
    expect(compileDualStack([CLUSTER], 1, KERNEL_VARIANTS[0]!.version).model.cluster.pods.filter((p) => podIPv4(p) === null).map((p) => [`${p.namespace}/${p.name}`, p.ips])).toEqual([["x/client6", [client6.ip6]]]);
    const rules = compileDualStack([CLUSTER, POLICY], 1, KERNEL_VARIANTS[0]!.version).rules.get(client6.node)!;
    for (const [what, text] of [["iptables", rules.iptables], ["ip6tables", rules.ip6tables]] as const) {
      for (const chain of ["cali-tw-", "cali-fw-"]) expect(text, `${what}: ${chain}${client6.iface}`).toContain(`-A ${chain}${client6.iface} `);
    }
    const setAdds = rules.ipsets.split("\n").filter((l) => l.startsWith("add ") && l.includes(` ${client6.ip6!}`));
    expect(setAdds.length, "x/client6 in some set (peer selector app=client)").toBeGreaterThan(0);
    expect(setAdds.filter((l) => !l.startsWith("add cali60"))).toEqual([]);
    expect([...new Set(spec.pods.map((p) => `${p.node} ${block6Of(p.ip6!)}`))].sort()).toEqual(["node-1 fd00:10:244::/122", "node-2 fd00:10:244::40/122"]);
    expect(POLICY.text).not.toContain(String(UNMENTIONED_PORT));
    for (const port of MENTIONED_PORTS.filter((p) => p !== 53 && p !== 8080)) expect(POLICY.text).toContain(`port: ${port}`);
    // 53 and 8080 are (also) reached through the named ports dns and http.
    expect(POLICY.text).toMatch(/port: dns/);
    expect(POLICY.text).toMatch(/port: http/);
  });

  it("the IPv6 wiring: pods route via the host veth's link-local, which the cali veth holds; nodes route the peer's /122 via its IPv6 uplink", async () => {
    const k = cluster!;
    const problems: string[] = [];
    for (const p of spec.pods) {
      const podNs = k.topo.podNs.get(podKey(p))!;
      const def = await k.guard.ip(podNs, ["-6", "route", "show", "default"]);
      if (!def.includes(`default via ${HOST_VETH_LINK_LOCAL} dev eth0`)) problems.push(`${podKey(p)}: default route ${JSON.stringify(def.trim())}`);
      const addr = await k.guard.ip(podNs, ["-6", "-o", "address", "show", "dev", "eth0"]);
      if (!addr.includes(`inet6 ${p.ip6}/128`) || addr.includes("tentative")) problems.push(`${podKey(p)}: eth0 ${JSON.stringify(addr.trim())}`);
      const host = await k.guard.ip(k.nodeNs(p.node), ["-6", "-o", "address", "show", "dev", p.iface]);
      if (!host.includes(`inet6 ${HOST_VETH_LINK_LOCAL}/64 scope link`) || host.includes("tentative")) problems.push(`${p.iface} on ${p.node}: ${JSON.stringify(host.trim())}`);
      // The IPv6-only pod: no IPv4 address, no IPv4 route; its node no IPv4 route to it.
      if (p.ipv6Only) {
        const addr4 = (await k.guard.ip(podNs, ["-4", "-o", "address", "show"])).trim();
        const routes4 = (await k.guard.ip(podNs, ["-4", "route", "show"])).trim();
        const node4 = (await k.guard.ip(k.nodeNs(p.node), ["-4", "route", "show", "dev", p.iface])).trim();
        if (addr4.split("\n").some((l) => l !== "" && !/ lo /.test(l))) problems.push(`${podKey(p)}: IPv4 address ${JSON.stringify(addr4)}`);
        if (routes4 !== "") problems.push(`${podKey(p)}: IPv4 routes ${JSON.stringify(routes4)}`);
        if (node4 !== "") problems.push(`${p.iface} on ${p.node}: IPv4 routes ${JSON.stringify(node4)}`);
      }
    }
    for (const n of spec.nodes) {
      const routes = await k.guard.ip(k.nodeNs(n.name), ["-6", "route", "show"]);
      for (const peer of spec.nodes.filter((q) => q !== n)) {
        const block = block6Of(spec.pods.find((p) => p.node === peer.name)!.ip6!);
        if (!routes.includes(`${block} via ${peer.ip6} dev eth0`)) problems.push(`${n.name}: no route ${block} via ${peer.ip6}:\n${routes}`);
      }
    }
    expect(problems).toEqual([]);
  }, 30_000);

  it("the nodes' IPv6 routes are exactly the IPv6 lines of their emitted .routes: the harness made none, ip -6 route holds those (plus proto kernel), every via is a peer's eth0", async () => {
    const k = cluster!;
    // Before loading, the harness had left the node side without any IPv6 route of its own.
    expect(Object.fromEntries(harnessMade6)).toEqual(Object.fromEntries(spec.nodes.map((n) => [n.name, []])));
    // The routes do not depend on the policies, the -O level or the Calico version: what was loaded is every variant's.
    for (const { level, version, flowLogs = false } of KERNEL_VARIANTS) {
      for (const files of [[CLUSTER], [CLUSTER, POLICY]]) {
        const other = compileDualStack(files, level, version, flowLogs).routes;
        for (const n of spec.nodes) expect(routeLines6(other.get(n.name)!), `${n.name} -O${level} ${version}`).toEqual(routeLines6(emitted().get(n.name)!));
      }
    }
    for (const n of spec.nodes) {
      const text = emitted().get(n.name)!;
      const lines = routeLines6(text);
      // One /128 per local pod, the own /122 blackholed, the peer's /122 via its IPv6 address.
      const local = spec.pods.filter((p) => p.node === n.name);
      const peers = spec.nodes.filter((q) => q !== n);
      expect(lines.length, `${n.name}.routes IPv6 lines:\n${lines.join("\n")}`).toBe(local.length + 1 + peers.length);
      for (const p of local) expect(lines).toContain(`route replace ${p.ip6!}/128 dev ${p.iface} scope link`);
      expect(lines.some((l) => l.startsWith(`route replace blackhole ${block6Of(local[0]!.ip6!)} `))).toBe(true);
      for (const peer of peers) {
        const block = block6Of(spec.pods.find((p) => p.node === peer.name)!.ip6!);
        expect(lines.some((l) => l.startsWith(`route replace ${block} via ${peer.ip6!} dev eth0`)), `${n.name}: ${block} via ${peer.ip6!}`).toBe(true);
      }
      // What the kernel holds is exactly what the file declares.
      expect(await heldRoutes6(k.guard, k.nodeNs(n.name)), `${n.name}: ip -6 route (less proto kernel)`).toEqual(expectedRoutes6(text, n.name));
      // Every next hop is an address the topology put on another node's eth0.
      for (const hop of nextHops6(text)) {
        const holder: string[] = [];
        for (const peer of peers) {
          const addr = await k.guard.ip(k.nodeNs(peer.name), ["-6", "-o", "address", "show", "dev", "eth0"]);
          if (addr.includes(`inet6 ${hop}/`)) holder.push(peer.name);
        }
        expect(holder, `${n.name}: next hop ${hop} on a peer's eth0`).toHaveLength(1);
      }
    }
  }, 30_000);

  it("tamper: without node-2's emitted route to node-1's /122, client → web UDP/80 over IPv6 (allowed by the policies) fails; restored, it works again", async () => {
    const k = cluster!;
    const compiled = compileDualStack([CLUSTER, POLICY], 1, KERNEL_VARIANTS[0]!.version);
    await k.load(compiled.rules);
    const client = pod("x/client");
    const web = pod("x/web");
    expect(client.node).not.toBe(web.node);
    const f: ProbeFlow = { src: podEndpoint(client), dst: podEndpoint(web), port: 80, protocol: "UDP", family: 6 };
    expect(compiled.verdict(f).allowed).toBe(true);
    expect((await k.probe([f], RETRY_TIMEOUT_MS))[0]?.allowed).toBe(true);
    const block = block6Of(web.ip6!);
    const line = routeLines6(emitted().get(client.node)!).find((l) => l.startsWith(`route replace ${block} via `));
    expect(line, `${client.node}.routes: route to ${block}`).toBeDefined();
    const ns = k.nodeNs(client.node);
    await k.guard.ip(ns, ["-6", "route", "del", block]);
    try {
      expect((await heldRoutes6(k.guard, ns)).filter((l) => l.startsWith(`${block} `))).toEqual([]);
      expect((await k.probe([f], PROBE_TIMEOUT_MS))[0]?.allowed, "the probe without the route").toBe(false);
    } finally {
      await loadEmitted6(k, client.node);
    }
    expect(await heldRoutes6(k.guard, ns)).toEqual(expectedRoutes6(emitted().get(client.node)!, client.node));
    expect((await k.probe([f], RETRY_TIMEOUT_MS))[0]?.allowed, "the probe with the route restored").toBe(true);
  }, 30_000);

  describe("restore → save round trip of the dual-stack files", () => {
    const variants = availableVariants();
    for (const variant of ["nft", "legacy"] as const satisfies readonly IptablesVariant[]) {
      it(`ip6tables-${variant}: every node's .ip6tables (with its .iptables and .ipsets) of dualstack-cluster + policy and golden/dual-stack-basic, -O1/-O2 at Calico 3.27/3.32, saves back identical`, async () => {
        if (!variants.includes(variant)) {
          if (required) throw new Error(`iptables-${variant}-restore is not installed`);
          console.warn(`!!!!!!!! dual-stack round trip with ip6tables-${variant} skipped: not installed`);
          return;
        }
        const byText = new Map<string, { rules: DualStackRules; names: string[] }>();
        for (const [name, files] of [
          ["dualstack", [CLUSTER, POLICY]],
          ["dual-stack-basic", GOLDEN],
        ] as const) {
          for (const { level, version, flowLogs = false, dataplane } of KERNEL_VARIANTS) {
            // The nftables outputs round-trip through nft in test/kernel/nft-roundtrip.test.ts.
            if (dataplane === "nftables") continue;
            for (const [node, rules] of compileDualStack(files, level, version, flowLogs).rules) {
              const key = `${rules.ipsets}\0${rules.iptables}\0${rules.ip6tables}`;
              const entry = byText.get(key) ?? { rules, names: [] };
              entry.names.push(`${name} -O${level} ${version}${flowLogs ? " flow-logs" : ""} ${node}`);
              byText.set(key, entry);
            }
          }
        }
        const unique = [...byText.values()];
        // 2 snapshots × 2 nodes × 4 variants; -O1 and -O2 may coincide, the two Calico versions never do.
        expect(unique.length).toBeGreaterThanOrEqual(8);
        const guard = new NsGuard(PREFIX);
        const ns = `${PREFIX}rt-${variant}`;
        await guard.add(ns);
        try {
          const results = await roundTripDualStack(guard, ns, variant, unique.map((u) => u.rules));
          const problems = results.flatMap((ps, i) => ps.map((p) => `${unique[i]!.names.join(", ")}: ${p}`));
          expect(problems.slice(0, 10)).toEqual([]);
        } finally {
          guard.delete(ns);
        }
      }, 120_000);
    }
  });

  it("no NetworkPolicy: every pod reaches every pod over IPv6 and IPv4, TCP and UDP on every port, through the loaded ip6tables", async () => {
    const compiled = compileDualStack([CLUSTER], 1, KERNEL_VARIANTS[0]!.version);
    const obs = await run(compiled, "no policy");
    const n6 = spec.pods.length;
    const n4 = spec.pods.filter((p) => !p.ipv6Only).length;
    expect(obs.length).toBe((n6 * (n6 - 1) + n4 * (n4 - 1)) * PORTS.length * 2);
    expect(obs.filter((o) => o.family !== 6 && !dualEnds(o)).map(flowName), "no IPv4 probe of the IPv6-only pod").toEqual([]);
    expect(obs.filter((o) => !compiled.verdict(o).allowed).map(flowName)).toEqual([]);
    expect(mismatchLines(obs, compiled)).toEqual([]);
    // The IPv6 packets met the loaded IPv6 rules: each node's filter cali-FORWARD sent them to the workload dispatch chains.
    for (const n of spec.nodes) {
      const toWl = await packets6(cluster!, n.name, "filter", /-A cali-FORWARD .*-j cali-to-wl-dispatch/);
      expect({ node: n.name, toWl: (toWl ?? 0) > 0 }).toEqual({ node: n.name, toWl: true });
    }
  }, 60_000);

  it("no NetworkPolicy: Felix's IPv6 rpfilter rule drops a pod's spoofed IPv6 source", async () => {
    const k = cluster!;
    const compiled = compileDualStack([CLUSTER], 1, KERNEL_VARIANTS[0]!.version);
    await k.load(compiled.rules);
    const client = pod("x/client");
    const f: ProbeFlow = { src: podEndpoint(client), dst: podEndpoint(pod("x/web")), port: 80, protocol: "UDP", family: 6 };
    expect((await k.probe([f], RETRY_TIMEOUT_MS))[0]?.allowed).toBe(true);
    // An unused address of the client's own node's /122: routed to that block's blackhole, never to the client's veth.
    const spoof = "fd00:10:244::7f";
    expect(block6Of(spoof)).toBe(block6Of(client.ip6!));
    const rpf = /-m rpfilter --validmark --invert -j DROP/;
    const before = (await packets6(k, client.node, "raw", rpf)) ?? 0;
    const podNs = k.topo.podNs.get(podKey(client))!;
    await k.guard.ipBatch(podNs, [`address add ${spoof}/128 dev eth0 nodad`]);
    try {
      expect(await k.probeFrom(f, spoof)).toBe(false);
      expect(((await packets6(k, client.node, "raw", rpf)) ?? 0) - before).toBe(1);
    } finally {
      await k.guard.ipBatch(podNs, [`address del ${spoof}/128 dev eth0`]);
    }
  }, 30_000);

  for (const dataplane of ["iptables", "nftables"] as const) it(`Service x/web through kube-proxy's IPv6 and IPv4 proxier (${dataplane}): ClusterIP :80 is DNATed to web's http (8080), and web's policy then decides as for the pod flow`, async () => {
    const k = cluster!;
    // nftables: both agents in nftables mode (ip/ip6 kube-proxy's verdict maps and DNAT, ip/ip6 calico), at 3.32.
    const compiled = dataplane === "iptables" ? compileDualStack([CLUSTER, POLICY], 1, KERNEL_VARIANTS[0]!.version) : compileDualStack([CLUSTER, POLICY], 1, "3.32", false, "nftables");
    if (dataplane === "nftables") expect(compiled.rules.get(pod("x/client").node)!.nft).toContain("table ip6 kube-proxy {");
    await k.load(compiled.rules);
    const web = pod("x/web");
    // The ClusterIPs stand in for web's addresses; the flow is named as x/web.
    const vip = podEndpoint({ ...web, ip: "10.96.0.20", ip6: "fd00:96::20" });
    // The IPv6-only pod reaches the Service over IPv6 only.
    const flows = spec.pods
      .filter((p) => p !== web)
      .flatMap((src) => (src.ipv6Only ? ([6] as const) : ([6, 4] as const)).map((family): ProbeFlow => ({ src: podEndpoint(src), dst: vip, port: 80, protocol: "TCP", family })));
    // All at once (each source's probes run concurrently), with the long timeout: a Service adds a NAT step.
    const problems = (await k.probe(flows, RETRY_TIMEOUT_MS)).flatMap((o) => {
      const family = o.family ?? 4;
      const v = compiled.verdict({ src: o.src, dst: podEndpoint(web), port: 8080, protocol: "TCP", family });
      if (o.allowed === v.allowed) return [];
      const ip = family === 6 ? "[fd00:96::20]" : "10.96.0.20";
      return [`${endpointKey(o.src)} -> ClusterIP ${ip}:80 TCP: expected ${said(v.allowed)} (as to x/web TCP/8080 over ${FAMILY_NAME[family]}), got ${said(o.allowed)} [${explain(v)}]`];
    });
    // Both outcomes occur (client by the named port http; y/b, say, by nothing), or the comparison proves little.
    expect(new Set(flows.map((f) => compiled.verdict({ ...f, dst: podEndpoint(web), port: 8080 }).allowed)).size).toBe(2);
    expect(problems).toEqual([]);
    // client is allowed by the named port, so the IPv6 DNAT really happened (nothing listens on the ClusterIP).
    // (iptables: the rule's own counter says so too; kube-proxy's nftables rules carry no counter.)
    if (dataplane === "nftables") return;
    const dnat = await packets6(k, pod("x/client").node, "nat", /-j DNAT --to-destination \[fd00:10:244::10\]:8080/);
    expect(dnat ?? 0).toBeGreaterThan(0);
  }, 60_000);

  for (const { level, version, flowLogs = false, dataplane = "iptables" } of KERNEL_VARIANTS) {
    const tag = `-O${level} --calico-version ${version}${flowLogs ? " --flow-logs" : ""}${dataplane === "nftables" ? " --dataplane nftables" : ""}`;
    it(`policies (${POLICY.path}) ${tag}: every pod pair over IPv6 and IPv4, TCP and UDP on ${PORTS.join("/")}, vs the evaluator in the same family`, async () => {
      const compiled = compileDualStack([CLUSTER, POLICY], level, version, flowLogs, dataplane);
      const expected = (f: ProbeFlow): boolean => compiled.verdict(f).allowed;
      // The fixture must make the families differ both ways, or "no leak between families" proves nothing.
      // (Among the pods with both families: the IPv6-only pod has no IPv4 flow to compare with.)
      const v6Only = podFlows(spec, 6).filter((f) => dualEnds(f) && expected(f) && !expected({ ...f, family: 4 }));
      const v4Only = podFlows(spec, 4).filter((f) => expected(f) && !expected({ ...f, family: 6 }));
      expect(v6Only.length, "flows the policies allow over IPv6 only").toBeGreaterThan(0);
      expect(v4Only.length, "flows the policies allow over IPv4 only").toBeGreaterThan(0);
      const obs = await run(compiled, tag);
      expect(obs.some((o) => o.allowed) && obs.some((o) => !o.allowed)).toBe(true);
      // The IPv6-only pod is probed over IPv6 both ways against every other pod, never over IPv4, and both outcomes occur.
      const withClient6 = obs.filter((o) => endpointKey(o.src) === "x/client6" || endpointKey(o.dst) === "x/client6");
      expect(withClient6.filter((o) => o.family !== 6).map(flowName)).toEqual([]);
      expect(withClient6.length).toBe(2 * (spec.pods.length - 1) * PORTS.length * 2);
      expect(new Set(withClient6.map((o) => o.allowed)).size).toBe(2);
      const mismatches = mismatchLines(obs, compiled);
      if (mismatches.length) console.error(`dual-stack ${tag}:\n  ${mismatches.join("\n  ")}`);
      expect(mismatches, `dual-stack ${tag}: kernel vs evaluator`).toEqual([]);
      // The hand-read expectations of the policies' comment, so an evaluator slip cannot hide a leak:
      const seen = (src: string, dst: string, protocol: "TCP" | "UDP", port: number, family: 4 | 6): boolean =>
        obs.find((o) => endpointKey(o.src) === src && endpointKey(o.dst) === dst && o.protocol === protocol && o.port === port && o.family === family)!.allowed;
      expect({
        "client->web TCP/80 v4 (192.168.2.0/24)": seen("x/client", "x/web", "TCP", 80, 4),
        "client->web TCP/80 v6": seen("x/client", "x/web", "TCP", 80, 6),
        "client->web UDP/80 v6 (fd00:10:244::40/122)": seen("x/client", "x/web", "UDP", 80, 6),
        "client->web UDP/80 v4": seen("x/client", "x/web", "UDP", 80, 4),
        "y/b->web UDP/80 v6 (except)": seen("y/b", "x/web", "UDP", 80, 6),
        "client->y/b TCP/80 v6 (egress fd00:10:244::/64, ingress ::/0)": seen("x/client", "y/b", "TCP", 80, 6),
        "client->y/b TCP/80 v4": seen("x/client", "y/b", "TCP", 80, 4),
        "client->y/a TCP/53 v4 (egress 192.168.1.0/24, ingress 192.168.0.0/16)": seen("x/client", "y/a", "TCP", 53, 4),
        "client->y/a TCP/53 v6": seen("x/client", "y/a", "TCP", 53, 6),
        "client->web TCP/8080 v6 (named port http)": seen("x/client", "x/web", "TCP", 8080, 6),
        "client->y/a UDP/53 v6 (named port dns)": seen("x/client", "y/a", "UDP", 53, 6),
        "db->web TCP/80 v6 (egress 0.0.0.0/0 only)": seen("x/db", "x/web", "TCP", 80, 6),
        "web->db TCP/9999 v6 (unmentioned port)": seen("x/web", "x/db", "TCP", UNMENTIONED_PORT, 6),
        "client6->web TCP/8080 v6 (peer app=client, named port http)": seen("x/client6", "x/web", "TCP", 8080, 6),
        "client6->web TCP/80 v6 (web: TCP/80 from 192.168.2.0/24 only)": seen("x/client6", "x/web", "TCP", 80, 6),
        "client6->y/b TCP/80 v6 (egress fd00:10:244::/64 except ::/122, ingress ::/0)": seen("x/client6", "y/b", "TCP", 80, 6),
        "client6->y/a TCP/80 v6 (egress except fd00:10:244::/122)": seen("x/client6", "y/a", "TCP", 80, 6),
        "client6->y/a UDP/53 v6 (named port dns)": seen("x/client6", "y/a", "UDP", 53, 6),
        "client6->db TCP/5432 v6 (client egress)": seen("x/client6", "x/db", "TCP", 5432, 6),
        "web->client6 TCP/9999 v6 (client6 not isolated for ingress)": seen("x/web", "x/client6", "TCP", UNMENTIONED_PORT, 6),
        "db->client6 TCP/80 v6 (egress 0.0.0.0/0 only)": seen("x/db", "x/client6", "TCP", 80, 6),
        "client->client6 TCP/80 v6 (egress except fd00:10:244::/122)": seen("x/client", "x/client6", "TCP", 80, 6),
      }).toEqual({
        "client->web TCP/80 v4 (192.168.2.0/24)": true,
        "client->web TCP/80 v6": false,
        "client->web UDP/80 v6 (fd00:10:244::40/122)": true,
        "client->web UDP/80 v4": false,
        "y/b->web UDP/80 v6 (except)": false,
        "client->y/b TCP/80 v6 (egress fd00:10:244::/64, ingress ::/0)": true,
        "client->y/b TCP/80 v4": false,
        "client->y/a TCP/53 v4 (egress 192.168.1.0/24, ingress 192.168.0.0/16)": true,
        "client->y/a TCP/53 v6": false,
        "client->web TCP/8080 v6 (named port http)": true,
        "client->y/a UDP/53 v6 (named port dns)": true,
        "db->web TCP/80 v6 (egress 0.0.0.0/0 only)": false,
        "web->db TCP/9999 v6 (unmentioned port)": false,
        "client6->web TCP/8080 v6 (peer app=client, named port http)": true,
        "client6->web TCP/80 v6 (web: TCP/80 from 192.168.2.0/24 only)": false,
        "client6->y/b TCP/80 v6 (egress fd00:10:244::/64 except ::/122, ingress ::/0)": true,
        "client6->y/a TCP/80 v6 (egress except fd00:10:244::/122)": false,
        "client6->y/a UDP/53 v6 (named port dns)": true,
        "client6->db TCP/5432 v6 (client egress)": false,
        "web->client6 TCP/9999 v6 (client6 not isolated for ingress)": true,
        "db->client6 TCP/80 v6 (egress 0.0.0.0/0 only)": false,
        "client->client6 TCP/80 v6 (egress except fd00:10:244::/122)": false,
      });
    }, 60_000);
  }
});

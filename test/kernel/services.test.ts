// Kernel Service tests: the harness's 3-node netns cluster, each node loaded
// with its whole compiled `.iptables` (Felix + kube-proxy: KUBE-SERVICES →
// KUBE-SVC → statistic → KUBE-SEP DNAT, KUBE-MARK-MASQ/MASQUERADE, conntrack)
// and probed with real TCP connections to identity agents
// (scripts/netns/agent-id.mjs answer with their pod's name).
//
// Same rules as kernel.test.ts: only namespaces this file creates (prefix
// nps<pid>-), cleanup on failure and in afterAll, a loud skip unless
// NETPOLC_KERNEL_TESTS=required. No sysctl beyond the harness's is needed:
// pods reach a ClusterIP by their default route, so the node's nat
// PREROUTING sees (and translates) the packet before routing. The one
// addition, inside our node namespaces only: a default route (see beforeAll).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { variantFromEnv } from "./dataplane.js";
import { KernelCluster } from "./harness.js";
import { readTopology } from "./snapshot.js";
import { missingPrerequisites } from "./sys.js";
import { compileWithServices, EMPTY_IP, IdServers, NODE_PORT, probeIds, serviceSetup, WEB_IP, type IdResult } from "./services-cluster.js";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const CLUSTER = { path: "test/kernel/cluster.yaml", text: readFileSync(here("./cluster.yaml"), "utf8") };
const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = missingPrerequisites();
const skip = missing.length > 0 && !required;
const PREFIX = `nps${process.pid}-`;
const prefixOf = (dataplane: string): string => (dataplane === "iptables" ? PREFIX : `npn${process.pid}-`);
/** Connections per check: with two equally likely backends, all on one side has probability 2^-23. */
const TRIES = 24;

if (skip) {
  console.warn(`\n!!!!!!!! KERNEL SERVICE TESTS SKIPPED: missing ${missing.join(", ")}.\n!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`);
}

const ids = (rs: readonly IdResult[]): string[] => [...new Set(rs.flatMap((r) => ("id" in r ? [r.id] : [])))].sort();
const errors = (rs: readonly IdResult[]): string[] => [...new Set(rs.flatMap((r) => ("error" in r ? [r.error] : [])))].sort();

// Both agents in iptables mode (one `.iptables`), then both in nftables mode (one `.nft`: kube-proxy's verdict maps,
// numgen load balancing and DNAT in `ip kube-proxy`, Felix's policy in `ip calico`).
for (const dataplane of ["iptables", "nftables"] as const) describe.skipIf(skip)(`kernel: Services (Felix + kube-proxy rules loaded together, ${dataplane})`, () => {
  const spec = readTopology(CLUSTER.text);
  const setup = serviceSetup(spec);
  const [a, b] = setup.web;
  const key = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;
  // A client that is no backend of x/web: the first pod outside namespace x.
  const client = spec.pods.find((p) => p.namespace !== "x")!;
  let cluster: KernelCluster | null = null;
  const servers = new IdServers();

  beforeAll(async () => {
    cluster = await KernelCluster.create(spec, { prefix: prefixOf(dataplane), variant: variantFromEnv() });
    try {
      // Real nodes have a default route; the harness's nodes only know the fabric and the pod blocks. Without
      // one, an untranslated ClusterIP packet dies in routing (ENETUNREACH) before kube-proxy's filter REJECT.
      for (const ns of cluster.topo.nodeNs.values()) await cluster.guard.ipBatch(ns, ["route add default dev eth0"]);
      await servers.start(cluster.guard, cluster.topo.podNs);
      await cluster.load(compileWithServices(CLUSTER, setup.yaml, "", dataplane));
    } catch (e) {
      await servers.stop().catch(() => {});
      await cluster.destroy();
      cluster = null;
      throw e;
    }
  }, 120_000);

  afterAll(async () => {
    await servers.stop().catch(() => {});
    await cluster?.destroy();
  });

  const podNs = (p: { namespace: string; name: string }): string => cluster!.topo.podNs.get(key(p))!;

  it("a pod reaches a ClusterIP, and both endpoints (on two nodes) answer across connections", async () => {
    const rs = await probeIds(cluster!.guard, podNs(client), WEB_IP, 80, TRIES, 2000);
    expect(errors(rs)).toEqual([]);
    expect(ids(rs)).toEqual([key(a), key(b)].sort());
  });

  it("an endpoint pod reaching its own ClusterIP (hairpin via KUBE-MARK-MASQ) gets an answer", async () => {
    const rs = await probeIds(cluster!.guard, podNs(a), WEB_IP, 80, TRIES, 2000);
    expect(errors(rs)).toEqual([]);
    expect(ids(rs)).toEqual([key(a), key(b)].sort());
  });

  it("a service without endpoints is refused at once (REJECT: connection refused, not a timeout)", async () => {
    const rs = await probeIds(cluster!.guard, podNs(client), EMPTY_IP, 80, 3, 3000);
    for (const r of rs) {
      expect(r).toMatchObject({ error: "ECONNREFUSED" });
      if ("ms" in r) expect(r.ms).toBeLessThan(1000);
    }
  });

  it("a NodePort on one node reaches the endpoint on another (from a third node's host)", async () => {
    const entry = spec.nodes.find((n) => n.name === setup.entryNode)!;
    const from = spec.nodes.find((n) => n.name !== entry.name && n.name !== setup.npBackend.node) ?? spec.nodes.find((n) => n.name !== entry.name)!;
    const rs = await probeIds(cluster!.guard, cluster!.nodeNs(from.name), entry.ip, NODE_PORT, 6, 2000);
    expect(errors(rs)).toEqual([]);
    expect(ids(rs)).toEqual([key(setup.npBackend)]);
  });

  it("a NetworkPolicy that denies one backend also denies the ClusterIP path to it (only the other answers)", async () => {
    const deny = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-${b.name}, namespace: ${b.namespace}}
spec:
  podSelector: {matchLabels: {pod: ${b.name}}}
  policyTypes: [Ingress]
`;
    await cluster!.load(compileWithServices(CLUSTER, setup.yaml, deny, dataplane));
    try {
      const rs = await probeIds(cluster!.guard, podNs(client), WEB_IP, 80, TRIES, 800);
      expect(ids(rs)).toEqual([key(a)]);
      // The other half of the connections went to the denied backend and were dropped (no answer, no reset).
      expect(errors(rs)).toEqual(["TIMEOUT"]);
    } finally {
      await cluster!.load(compileWithServices(CLUSTER, setup.yaml, "", dataplane));
    }
  }, 30_000);
});

// kube-proxy nftables mode beyond KP-NFT-1 (nftables.md §A.3–§A.5): IPv6,
// traffic policy Local with and without endpoints on the node, ClientIP
// affinity, masqueradeAll, the 1.31–1.33 layout, no ServiceCIDR, nodePort
// addresses unset, and work shared between nodes.
import { describe, expect, it } from "vitest";
import { DEFAULT_KUBE_PROXY_OPTIONS, hashAndTruncate, renderKubeProxyNft } from "../../../src/backends/kubeproxy/index.js";
import { chainRules, compilation, elementsOf, KP_NFT_1_FILES, nftTable } from "./nft-helpers.js";
import { yamlFile } from "./helpers.js";

const node = (name: string, ip: string): string => `# node
apiVersion: v1
kind: Node
metadata: {name: ${name}}
status: {addresses: [{type: InternalIP, address: "${ip}"}]}
`;
const config = (extra: string): string => `# kube-proxy
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
${extra}
`;
const service = (name: string, clusterIP: string, spec: string): string => `# service
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ns}
spec:
  clusterIP: "${clusterIP}"
  ports: [{name: p80, port: 80${spec.includes("NodePort") ? ", nodePort: 30080" : ""}}]
${spec}
`;
const slice = (name: string, type: string, eps: readonly (readonly [string, string | null])[]): string => `# slice
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-x, namespace: ns, labels: {kubernetes.io/service-name: ${name}}}
addressType: ${type}
endpoints:
${eps.map(([ip, n]) => `- {addresses: ["${ip}"]${n ? `, nodeName: ${n}` : ""}}`).join("\n")}
ports: [{name: p80, port: 8080, protocol: TCP}]
`;
/** The port's service- chain (service-endpoints-check is fixed; service chains hold a `/`, §A.4). */
const svcChainOf = (t: { chains: readonly { name: string }[] }): string => t.chains.find((c) => c.name.startsWith("service-") && c.name.includes("/"))?.name ?? "";
const files = (...texts: string[]) => texts.map((t, i) => yamlFile(`f${i}.yaml`, t));

describe("kube-proxy nftables: IPv6", () => {
  const input = files(
    node("n1", "2001:db8::1"),
    config('clusterCIDR: "fd00:10::/64"'),
    service("svc1", "fd00:10:96::1", "  ipFamilies: [IPv6]"),
    slice("svc1", "IPv6", [["fd00:10::1", null]]),
  );
  const t = nftTable(input, "n1", { family: 6 });

  it("is the ip6 table with ipv6_addr sets, ::1 and bracketed DNAT", () => {
    expect(t.family).toBe("ip6");
    expect(t.sets.find((s) => s.name === "cluster-ips")?.type).toEqual(["ipv6_addr"]);
    expect(chainRules(t, "services")).toEqual([
      "ip6 daddr . meta l4proto . th dport vmap @service-ips",
      "fib daddr type local ip6 daddr != ::1 meta l4proto . th dport vmap @service-nodeports",
    ]);
    // `:` → `.` in the chain name (§A.4; the hash recipe itself is checked against the spec's vectors in nft-names).
    const epChain = `endpoint-${hashAndTruncate("ns/svc1/tcp/p80__fd00.10..1/8080")}`;
    expect(t.chains.filter((c) => c.name.startsWith("endpoint-")).map((c) => c.name)).toEqual([epChain]);
    expect(chainRules(t, epChain)).toEqual(["ip6 saddr fd00:10::1 jump mark-for-masquerade", "meta l4proto tcp dnat to [fd00:10::1]:8080"]);
    expect(chainRules(t, svcChainOf(t))?.[0]).toBe(
      "ip6 daddr fd00:10:96::1 ip6 saddr != fd00:10::/64 jump mark-for-masquerade",
    );
  });

  it("keeps the IPv4 table free of IPv6 services", () => {
    expect(elementsOf(nftTable(input, "n1", { family: 4 }), "cluster-ips")).toEqual([]);
  });
});

describe("kube-proxy nftables: traffic policy Local", () => {
  const input = files(
    node("n1", "192.168.0.1"),
    node("n2", "192.168.0.2"),
    config("clusterCIDR: 10.0.0.0/8"),
    service("ext", "172.30.0.10", "  type: NodePort\n  externalTrafficPolicy: Local"),
    slice("ext", "IPv4", [["10.180.0.1", "n1"]]),
    service("int", "172.30.0.11", "  internalTrafficPolicy: Local"),
    slice("int", "IPv4", [["10.180.0.2", "n1"], ["10.180.0.3", "n2"]]),
  );
  const comp = compilation(input);
  const opts = { ...DEFAULT_KUBE_PROXY_OPTIONS, mode: "nftables" as const };
  const [t1, t2] = ["n1", "n2"].map((n) => renderKubeProxyNft(comp, n, opts));
  if (!t1 || !t2) throw new Error("unreachable");
  const named = (t: typeof t1, prefix: string) => t.chains.filter((c) => c.name.startsWith(prefix)).map((c) => c.name.replace(/-[A-Z2-7]{8}-/, "-H-"));

  it("eTP=Local with a local endpoint: local- chain, external chain ends in goto local-", () => {
    expect(named(t1, "local-")).toEqual(["local-H-ns/ext/tcp/p80", "local-H-ns/int/tcp/p80"]);
    const ext = t1.chains.find((c) => c.name.startsWith("external-"))?.name ?? "";
    const rules = chainRules(t1, ext)?.map((r) => r.replace(/-[A-Z2-7]{8}-/, "-H-"));
    expect(rules).toEqual([
      'ip saddr 10.0.0.0/8 goto service-H-ns/ext/tcp/p80 comment "short-circuit pod traffic"',
      'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
      'fib saddr type local goto service-H-ns/ext/tcp/p80 comment "short-circuit local traffic"',
      "goto local-H-ns/ext/tcp/p80",
    ]);
    expect(elementsOf(t1, "no-endpoint-nodeports")).toEqual([]);
  });

  it("eTP=Local without a local endpoint: no goto local-, nodePort drops, ClusterIP still served", () => {
    expect(named(t2, "local-")).toEqual(["local-H-ns/int/tcp/p80"]);
    const ext = t2.chains.find((c) => c.name.startsWith("external-"))?.name ?? "";
    expect(chainRules(t2, ext)).toHaveLength(3);
    expect(elementsOf(t2, "no-endpoint-nodeports")).toEqual(['tcp . 30080 comment "ns/ext:p80" : drop']);
  });

  it("iTP=Local: the ClusterIP goes to the node's local- chain over its own endpoints only", () => {
    const el = (t: typeof t1) => elementsOf(t, "service-ips").filter((e) => e.startsWith("172.30.0.11 ")).map((e) => e.replace(/-[A-Z2-7]{8}-/, "-H-"));
    expect(el(t1)).toEqual(["172.30.0.11 . tcp . 80 : goto local-H-ns/int/tcp/p80"]);
    const local = t1.chains.find((c) => c.name.includes("local-") && c.name.includes("/int/"))?.name ?? "";
    const rules = chainRules(t1, local) ?? [];
    expect(rules[0]).toBe("ip daddr 172.30.0.11 ip saddr != 10.0.0.0/8 jump mark-for-masquerade");
    expect(rules[1]).toMatch(/^numgen random mod 1 vmap \{ 0 : goto endpoint-[A-Z2-7]{8}-ns\/int\/tcp\/p80__10\.180\.0\.2\/8080 \}$/);
  });

  it("iTP=Local with no endpoint on the node drops ClusterIP traffic", () => {
    const t3 = renderKubeProxyNft(comp, "n3-missing", opts);
    expect(elementsOf(t3, "no-endpoint-services")).toContain('172.30.0.11 . tcp . 80 comment "ns/int:p80" : drop');
  });

  it("shares what no node changes: fixed chains and the ports nodes see alike are the same objects", () => {
    for (const name of ["services", "masquerading", "cluster-ips-check"]) {
      expect(t1.chains.find((c) => c.name === name)).toBe(t2.chains.find((c) => c.name === name));
    }
  });
});

describe("kube-proxy nftables: options and configuration", () => {
  it("ClientIP affinity: one timeout set per endpoint, lookups before numgen, update in the endpoint chain", () => {
    const input = files(
      node("n1", "192.168.0.1"),
      service("aff", "172.30.0.20", "  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}"),
      slice("aff", "IPv4", [["10.180.0.1", null], ["10.180.0.2", null]]),
    );
    const t = nftTable(input, "n1");
    const aff = t.sets.filter((s) => s.name.startsWith("affinity-"));
    expect(aff.map((s) => [s.flags, s.timeout])).toEqual([[["dynamic", "timeout"], 600], [["dynamic", "timeout"], 600]]);
    const svc = svcChainOf(t);
    const rules = chainRules(t, svc) ?? [];
    // No detector (no clusterCIDR) and not masqueradeAll: no masquerade rule (§A.5 step 6).
    expect(rules.map((r) => r.split(" ")[0])).toEqual(["ip", "ip", "numgen"]);
    expect(rules[0]).toMatch(/^ip saddr @affinity-\S+__10\.180\.0\.1\/8080 goto endpoint-\S+__10\.180\.0\.1\/8080$/);
    const ep = t.chains.find((c) => c.name.startsWith("endpoint-"))?.name ?? "";
    expect(chainRules(t, ep)?.[1]).toMatch(/^update @affinity-\S+ \{ ip saddr \}$/);
  });

  it("masqueradeAll: the masquerade rule has no source match", () => {
    const input = files(node("n1", "192.168.0.1"), config("clusterCIDR: 10.0.0.0/8\niptables: {masqueradeAll: true}"), service("s", "172.30.0.30", ""), slice("s", "IPv4", [["10.180.0.1", null]]));
    const t = nftTable(input, "n1");
    const svc = svcChainOf(t);
    expect(chainRules(t, svc)?.[0]).toBe("ip daddr 172.30.0.30 jump mark-for-masquerade");
    expect(chainRules(nftTable(input, "n1", { version: "1.31" }), svc)?.[0]).toBe("ip daddr 172.30.0.30 tcp dport 80 jump mark-for-masquerade");
  });

  it("1.31–1.33 layout: filter chains at dstnat-10, filter-output-post-dnat, port in the masquerade rule", () => {
    const t = nftTable(KP_NFT_1_FILES, "test-node", { version: "1.31" });
    expect(t.chains.slice(0, 8).map((c) => `${c.name} ${c.base?.priority}`)).toEqual([
      "filter-prerouting -110", "filter-input -110", "filter-forward -110", "filter-output -110", "filter-output-post-dnat -90",
      "nat-prerouting -100", "nat-output -100", "nat-postrouting 100",
    ]);
    expect(chainRules(t, "filter-output")).toEqual(["ct state new jump service-endpoints-check", "ct state new jump firewall-check"]);
    expect(chainRules(t, "filter-output-post-dnat")).toEqual(["ct state new jump cluster-ips-check"]);
    expect(chainRules(t, "service-ULMVA6XW-ns1/svc1/tcp/p80")?.[0]).toBe("ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade");
  });

  it("without a ServiceCIDR the unallocated-ClusterIP drop rule is absent", () => {
    const t = nftTable(KP_NFT_1_FILES.filter((f) => f.path !== "servicecidr.yaml"), "test-node");
    expect(chainRules(t, "cluster-ips-check")).toEqual(['ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"']);
  });

  it("nodePortAddresses unset: no nodeport-ips set, fib/loopback forms", () => {
    const input = files(node("n1", "192.168.0.1"), service("s", "172.30.0.30", "  type: NodePort"), slice("s", "IPv4", [["10.180.0.1", null]]));
    const t = nftTable(input, "n1");
    expect(t.sets.some((s) => s.name === "nodeport-ips")).toBe(false);
    expect(chainRules(t, "nodeport-endpoints-check")).toEqual(["ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports"]);
    expect(chainRules(t, "services")?.[1]).toBe("fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports");
  });

  it("interface-name-prefix detector: iifname with a wildcard", () => {
    const input = files(
      node("n1", "192.168.0.1"),
      config("detectLocalMode: InterfaceNamePrefix\ndetectLocal: {interfaceNamePrefix: veth}"),
      service("s", "172.30.0.30", ""),
      slice("s", "IPv4", [["10.180.0.1", null]]),
    );
    const t = nftTable(input, "n1");
    const svc = svcChainOf(t);
    expect(chainRules(t, svc)?.[0]).toBe("ip daddr 172.30.0.30 iifname != veth* jump mark-for-masquerade");
  });
});

// A service port with both traffic policies Local that is reachable from
// outside still uses its Cluster endpoints: upstream
// ServicePort.UsesClusterEndpoints (pkg/proxy/serviceport.go, unchanged
// since 1.24) is `!InternalPolicyLocal() || ExternallyAccessible()` — "Even
// if the external traffic policy is Local, we need Cluster endpoints to
// implement short circuiting". The iptables proxier (1.29, 1.31:
// `usesClusterPolicyChain := len(clusterEndpoints) > 0 &&
// svcInfo.UsesClusterEndpoints()`) and the nftables one then create
// KUBE-SVC / service- over every ready endpoint, which the EXT chain's
// pod and LOCAL short-circuit rules jump to, while ClusterIP traffic goes to
// KUBE-SVL / local- (the local endpoint only). netpolc used to plan such a
// port without its cluster chain, so KUBE-EXT jumped to a chain that did not
// exist. kube-proxy 1.13 predates internalTrafficPolicy.
import { describe, expect, it } from "vitest";
import { chainRules, elementsOf, nftTable } from "./nft-helpers.js";
import { emitCase, tableBlock, yamlFile } from "./helpers.js";

const FILES = [
  yamlFile("node.yaml", `# test-node with kube-proxy's pod CIDR 10.0.0.0/8.
apiVersion: v1
kind: Node
metadata: {name: test-node}
status:
  addresses: [{type: InternalIP, address: 192.168.0.2}]
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clusterCIDR: 10.0.0.0/8
`),
  yamlFile("services.yaml", `# A LoadBalancer with internalTrafficPolicy and externalTrafficPolicy Local.
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: ns1}
spec:
  type: LoadBalancer
  clusterIP: 172.30.0.41
  internalTrafficPolicy: Local
  externalTrafficPolicy: Local
  healthCheckNodePort: 30001
  ports: [{name: p80, port: 80, nodePort: 3001}]
status:
  loadBalancer:
    ingress: [{ip: 1.2.3.4}]
`),
  yamlFile("endpointslices.yaml", `# One endpoint on test-node, one elsewhere.
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc1-1, namespace: ns1, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv4
endpoints:
- {addresses: [10.180.0.1], nodeName: test-node}
- {addresses: [10.180.1.1], nodeName: remote}
ports: [{name: p80, port: 80, protocol: TCP}]
`),
];

/** The nat table's declared chains and every -j/-g target that is a KUBE- chain. */
function natChains(text: string): { declared: Set<string>; targets: Set<string>; rules: string[] } {
  const nat = tableBlock(text, "nat").split("\n");
  const declared = new Set(nat.filter((l) => l.startsWith(":")).map((l) => l.slice(1).split(" ")[0] ?? ""));
  const rules = nat.filter((l) => l.startsWith("-A "));
  const targets = new Set(rules.flatMap((l) => [...l.matchAll(/ -[jg] (KUBE-\S+)/g)].map((m) => m[1] ?? "")));
  return { declared, targets, rules };
}

describe("usesCluster: iTP=Local and eTP=Local on an externally accessible port", () => {
  for (const version of ["1.29", "1.31"]) {
    it(`kube-proxy ${version} (iptables) writes KUBE-SVC over both endpoints for KUBE-EXT's short circuits`, () => {
      const { declared, targets, rules } = natChains(emitCase(FILES, ["--backend", "kube-proxy", "--kube-proxy-version", version, "--node", "test-node"]));
      for (const t of targets) expect(declared, `nat jumps to ${t}`).toContain(t);
      const svc = [...declared].find((c) => c.startsWith("KUBE-SVC-")) ?? "";
      const svl = [...declared].find((c) => c.startsWith("KUBE-SVL-")) ?? "";
      const ext = [...declared].find((c) => c.startsWith("KUBE-EXT-")) ?? "";
      expect(svc).not.toBe("");
      expect(rules.filter((l) => l.startsWith(`-A ${svc} `) && / -j KUBE-SEP-/.test(l))).toHaveLength(2);
      expect(rules.filter((l) => l.startsWith(`-A ${svl} `) && / -j KUBE-SEP-/.test(l))).toHaveLength(1);
      expect(rules.filter((l) => l.startsWith(`-A ${ext} `)).map((l) => l.replace(/.* -j /, ""))).toEqual([svc, "KUBE-MARK-MASQ", svc, svl]);
      expect(rules.some((l) => l.startsWith("-A KUBE-SERVICES ") && / -d 172\.30\.0\.41(\/32)? /.test(l) && l.endsWith(`-j ${svl}`))).toBe(true);
    });
  }

  it("kube-proxy 1.13 (no internalTrafficPolicy) jumps only to chains it writes", () => {
    const { declared, targets } = natChains(emitCase(FILES, ["--backend", "kube-proxy", "--kube-proxy-version", "1.13", "--node", "test-node"]));
    // KUBE-MARK-DROP is the kubelet's in 1.13 (kubeproxy-format §5.1).
    for (const t of targets) if (t !== "KUBE-MARK-DROP") expect(declared, `nat jumps to ${t}`).toContain(t);
  });

  it("nftables: service- over both endpoints behind external-'s short circuits, ClusterIP to local-", () => {
    const t = nftTable(FILES, "test-node");
    const names = t.chains.map((c) => c.name);
    const svc = names.find((n) => /^service-[A-Z2-7]{8}-/.test(n)) ?? "";
    const local = names.find((n) => n.startsWith("local-")) ?? "";
    const ext = names.find((n) => n.startsWith("external-")) ?? "";
    expect(chainRules(t, svc)).toEqual([
      "numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 , 1 : goto endpoint-B7I4G2ZB-ns1/svc1/tcp/p80__10.180.1.1/80 }",
    ]);
    expect(chainRules(t, local)).toEqual([
      "ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade",
      "numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }",
    ]);
    expect(chainRules(t, ext)).toEqual([
      `ip saddr 10.0.0.0/8 goto ${svc} comment "short-circuit pod traffic"`,
      `fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"`,
      `fib saddr type local goto ${svc} comment "short-circuit local traffic"`,
      `goto ${local}`,
    ]);
    expect(elementsOf(t, "service-ips")).toEqual([`172.30.0.41 . tcp . 80 : goto ${local}`, `1.2.3.4 . tcp . 80 : goto ${ext}`]);
  });
});

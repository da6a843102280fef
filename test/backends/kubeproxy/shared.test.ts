// Issue 14: what is the same on every node is built once per compilation and
// shared by object, so the writer renders its text once; what depends on the
// node (traffic policy Local, the node's addresses) differs exactly where it
// must. Three nodes: n1 runs one endpoint of each service, n2 the other
// endpoint of `both`, n3 none.
import { describe, expect, it } from "vitest";
import { DEFAULT_KUBE_PROXY_OPTIONS, renderKubeProxyNode, type KubeProxyForm } from "../../../src/backends/kubeproxy/index.js";
import { chain, servicePortHash } from "../../../src/backends/kubeproxy/names.js";
import { Compilation } from "../../../src/compilation.js";
import type { Model } from "../../../src/ir/policy.js";
import type { Chain, RuleSet, TableName } from "../../../src/rules/types.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { compileCase, yamlFile } from "./helpers.js";

const node = (name: string, ip: string): string => `apiVersion: v1
kind: Node
metadata: {name: ${name}}
status: {addresses: [{type: InternalIP, address: ${ip}}]}
`;

const service = (name: string, spec: string): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ns}
spec:
  clusterIP: 172.30.0.${name.length + 10}
${spec}
`;

const slice = (name: string, endpoints: readonly [string, string][]): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-x, namespace: ns, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
endpoints:
${endpoints.map(([ip, n]) => `- {addresses: ["${ip}"], conditions: {ready: true}, nodeName: ${n}}`).join("\n")}
ports: [{name: p80, port: 80, protocol: TCP}]
`;

const INPUT = [
  node("n1", "192.168.0.1"),
  node("n2", "192.168.0.2"),
  node("n3", "192.168.0.3"),
  "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.0.0.0/8\n",
  // Cluster policy, endpoints on n1 and n2: the same on every node.
  service("both", "  ports: [{name: p80, port: 80}]"),
  slice("both", [["10.0.1.1", "n1"], ["10.0.2.1", "n2"]]),
  // internalTrafficPolicy Local, its one endpoint on n1: KUBE-SVL on n1, a DROP verdict elsewhere.
  service("itp", "  internalTrafficPolicy: Local\n  ports: [{name: p80, port: 80}]"),
  slice("itp", [["10.0.1.2", "n1"]]),
  // externalTrafficPolicy Local NodePort, its one endpoint on n1: KUBE-EXT ends in KUBE-SVL on n1 only.
  service("etp", "  type: NodePort\n  externalTrafficPolicy: Local\n  ports: [{name: p80, port: 80, nodePort: 30080}]"),
  slice("etp", [["10.0.1.3", "n1"]]),
].join("---\n");

function model(): Model {
  const res = compileCase([yamlFile("in.yaml", INPUT)], ["--backend", "kube-proxy"]);
  expect(res.diag.all.filter((d) => d.severity === "error")).toEqual([]);
  return res.model!;
}

const hash = (svc: string): string => servicePortHash(`ns/${svc}:p80`, "tcp");

function find(rs: RuleSet, table: TableName, name: string): Chain | undefined {
  return rs.tables.find((t) => t.name === table)?.chains.find((c) => c.name === name);
}

function get(rs: RuleSet, table: TableName, name: string): Chain {
  const c = find(rs, table, name);
  if (!c) throw new Error(`no ${table} ${name}`);
  return c;
}

describe.each<KubeProxyForm>(["saved", "test-sorted"])("one compilation, three nodes (%s)", (form) => {
  const comp = new Compilation(model());
  const [n1, n2, n3] = ["n1", "n2", "n3"].map((n) => renderKubeProxyNode(comp, n, DEFAULT_KUBE_PROXY_OPTIONS, form)) as [RuleSet, RuleSet, RuleSet];
  const seps = (svc: string): string[] => n1.tables.flatMap((t) => t.chains).filter((c) => c.name.startsWith("KUBE-SEP-") && c.rules.some((r) => JSON.stringify(r).includes(svc))).map((c) => c.name);

  it("node-independent chains are the same objects on every node", () => {
    const shared = [chain.svc(hash("both")), chain.svc(hash("etp")), ...["10.0.1.1", "10.0.2.1", "10.0.1.3"].map((ip) => get(n1, "nat", seps(ip)[0]!).name), "KUBE-POSTROUTING", "KUBE-MARK-MASQ"];
    expect(shared).toHaveLength(7);
    for (const name of shared) {
      expect(get(n2, "nat", name), name).toBe(get(n1, "nat", name));
      expect(get(n3, "nat", name), name).toBe(get(n1, "nat", name));
    }
    expect(get(n2, "filter", "KUBE-FORWARD")).toBe(get(n1, "filter", "KUBE-FORWARD"));
  });

  it("iTP Local: KUBE-SVL only where the endpoint runs; the other nodes drop, and share that", () => {
    expect(find(n1, "nat", chain.svl(hash("itp")))).toBeDefined();
    expect(find(n2, "nat", chain.svl(hash("itp")))).toBeUndefined();
    const text = (rs: RuleSet): string => writeRuleSet(rs, { layout: "given", quoting: "kube-proxy" });
    expect(text(n1)).not.toContain("ns/itp:p80 has no local endpoints");
    expect(text(n2)).toContain("ns/itp:p80 has no local endpoints");
    // The SEP of the local endpoint exists on n1 only (iTP Local uses no cluster set).
    expect(seps("10.0.1.2")).toHaveLength(1);
    expect(find(n2, "nat", seps("10.0.1.2")[0]!)).toBeUndefined();
  });

  it("eTP Local: KUBE-EXT differs between n1 and the others, and n2 and n3 share theirs", () => {
    const ext = chain.ext(hash("etp"));
    expect(get(n2, "nat", ext)).not.toBe(get(n1, "nat", ext));
    expect(get(n1, "nat", ext).rules.at(-1)?.target).toMatchObject({ name: chain.svl(hash("etp")) });
    expect(get(n2, "nat", ext).rules.some((r) => r.target?.kind === "jump" && r.target.name.startsWith("KUBE-SVL-"))).toBe(false);
    expect(get(n3, "nat", ext)).toBe(get(n2, "nat", ext));
  });

  it("KUBE-SERVICES is each node's own list of shared rules", () => {
    const [s1, s2] = [get(n1, "nat", "KUBE-SERVICES"), get(n2, "nat", "KUBE-SERVICES")];
    const both = (rs: Chain) => rs.rules.find((r) => JSON.stringify(r).includes("ns/both:p80 cluster IP"));
    expect(both(s2)).toBe(both(s1));
    expect(s2.rules.length).toBe(s1.rules.length - 1);
  });
});

describe("the compilation owns the shared work", () => {
  it("a second node builds no service chains anew unless it sees a Local port differently", () => {
    const comp = new Compilation(model());
    renderKubeProxyNode(comp, "n1", DEFAULT_KUBE_PROXY_OPTIONS, "saved");
    const after1 = comp.sizes();
    // Equal options built anew are the same proxier.
    renderKubeProxyNode(comp, "n3", { ...DEFAULT_KUBE_PROXY_OPTIONS }, "saved");
    const after3 = comp.sizes();
    expect(after3.get("kubeproxy/proxier")).toBe(1);
    expect(after3.get("kubeproxy/service-plans")).toBe(1);
    expect(after3.get("kubeproxy/sep-chains")).toBe(after1.get("kubeproxy/sep-chains"));
    expect(after3.get("kubeproxy/port-outputs")).toBe(3);
  });

  it("two compilations share nothing and agree byte for byte", () => {
    const m = model();
    const [a, b] = [new Compilation(m), new Compilation(m)].map((c) => renderKubeProxyNode(c, "n1", DEFAULT_KUBE_PROXY_OPTIONS, "saved")) as [RuleSet, RuleSet];
    const name = chain.svc(hash("both"));
    expect(get(a, "nat", name)).not.toBe(get(b, "nat", name));
    expect(writeRuleSet(a)).toBe(writeRuleSet(b));
  });

  it("through the pipeline, the merged node files share kube-proxy's chains too", () => {
    const res = compileCase([yamlFile("in.yaml", INPUT)], []);
    const [a, b] = [res.render("n1").ruleset, res.render("n2").ruleset];
    const name = chain.svc(hash("both"));
    expect(get(b, "nat", name)).toBe(get(a, "nat", name));
  });
});

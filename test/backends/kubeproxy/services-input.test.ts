// The frontend for the kube-proxy backend's inputs (src/frontend/services):
// API-server messages with positions, defaulting, and the joined IR that
// later consumers (the simulator following DNAT, kernel Service tests) use.
import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../../../src/diagnostics/diagnostic.js";
import { SourceMap } from "../../../src/diagnostics/sources.js";
import { loadModel } from "../../../src/frontend/index.js";
import { localEndpoints, readyEndpoints, servicePortName } from "../../../src/ir/service.js";

function load(text: string) {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  const model = loadModel([{ path: "in.yaml", text }], diag, sources);
  const errors = diag.all.filter((d) => d.severity === "error").map((d) => {
    const at = d.span ? sources.position(d.span.file, d.span.start) : { line: 0, col: 0 };
    return `${at.line}:${at.col} ${d.id} ${d.message}`;
  });
  return { model, errors, all: diag.all };
}

const svc = (spec: string): string => `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nspec:\n${spec}\n`;

describe("Service validation (API server messages)", () => {
  it("reports each bad field at its position", () => {
    const { errors } = load(svc(`  clusterIP: 10.0.0.300
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}
  loadBalancerSourceRanges: [10.0.0.0/33]
  ports:
  - {name: a, port: 80, protocol: HTTP, nodePort: 30000}
  - {port: 70000, targetPort: Not_A_Name}`));
    expect(errors.map((e) => e.replace(/^\d+:\d+ /, "")).sort()).toEqual([
      'service/forbidden spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'',
      'service/invalid-value spec.clusterIP: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'service/invalid-value spec.loadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 ',
      "service/invalid-value spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
      'service/invalid-value spec.ports[1].targetPort: Invalid value: "Not_A_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      "service/invalid-value spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400",
      "service/required-value spec.ports[1].name: Required value",
      'service/unsupported-value spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]);
    expect(errors[0]).toMatch(/^5:14 service\/invalid-value spec.clusterIP/);
  });

  it("Service names are DNS-1035 labels", () => {
    const { errors } = load("apiVersion: v1\nkind: Service\nmetadata: {name: 1abc, namespace: ns}\nspec: {clusterIP: None}\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("metadata.name: Invalid value: \"1abc\": a DNS-1035 label must consist of lower case alphanumeric characters");
  });

  it("KubeProxyConfiguration: the iptables and nftables modes, bits 0–31 (in the mode's own section), one per snapshot", () => {
    const cfg = (body: string): string => `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n${body}\n`;
    expect(load(cfg("mode: ipvs\niptables: {masqueradeBit: 40}")).errors.map((e) => e.replace(/^\d+:\d+ /, ""))).toEqual([
      'kubeproxyconfiguration/unsupported-value mode: Unsupported value: "ipvs": supported values: "", "iptables", "nftables"',
      "kubeproxyconfiguration/invalid-value iptables.masqueradeBit: Invalid value: 40: must be within the range [0, 31]",
    ]);
    // nftables mode reads nftables.masqueradeBit (the iptables section is not its): 40 there is the error, 40 in iptables is not.
    expect(load(cfg("mode: nftables\nnftables: {masqueradeBit: 40}\niptables: {masqueradeBit: 3}")).errors.map((e) => e.replace(/^\d+:\d+ /, ""))).toEqual([
      "kubeproxyconfiguration/invalid-value nftables.masqueradeBit: Invalid value: 40: must be within the range [0, 31]",
    ]);
    expect(load(cfg("mode: nftables\niptables: {masqueradeBit: 40}")).errors).toEqual([]);
    const two = load(cfg("metadata: {name: a}") + "---\n" + cfg("metadata: {name: b}"));
    expect(two.errors).toEqual(["5:1 kubeproxyconfiguration/duplicate kube-proxy reads one KubeProxyConfiguration; found 2"]);
  });

  it("an EndpointSlice without a service label is ignored with a warning", () => {
    const { all } = load("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x, namespace: ns}\naddressType: IPv4\nendpoints: []\n");
    expect(all.map((d) => d.id)).toContain("endpointslice/no-service");
  });
});

describe("the IR a simulator or kernel test consumes", () => {
  const text = `${svc(`  clusterIP: 10.96.0.10
  ports:
  - {name: web, port: 80, targetPort: http}
  - {name: dns, port: 53, protocol: UDP}`)}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-a, namespace: ns, labels: {kubernetes.io/service-name: s}}
addressType: IPv4
endpoints:
- {addresses: [10.1.0.10], nodeName: n1}
- {addresses: [10.1.0.9], nodeName: n2, conditions: {ready: false, serving: true, terminating: true}}
ports: [{name: web, port: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-b, namespace: ns, labels: {kubernetes.io/service-name: s}}
addressType: IPv4
endpoints:
- {addresses: [010.1.0.2], nodeName: n2}
ports: [{name: web, port: 8080}, {name: dns, port: 5353, protocol: UDP}]
`;

  it("joins slices to ports by (name, protocol), sorts endpoints by ip:port, normalises addresses", () => {
    const { model, errors } = load(text);
    expect(errors).toEqual([]);
    const s = model.cluster.services!.services[0]!;
    expect(s.ports.map((p) => servicePortName(s, p))).toEqual(["ns/s:web", "ns/s:dns"]);
    const web = s.ports[0]!;
    expect(web.targetPort).toEqual({ kind: "named", name: "http" });
    expect(web.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(["10.1.0.10:8080", "10.1.0.2:8080", "10.1.0.9:8080"]);
    expect(readyEndpoints(web).map((e) => e.ip)).toEqual(["10.1.0.10", "10.1.0.2"]);
    expect(localEndpoints(web, "n2").map((e) => e.ip)).toEqual(["10.1.0.2", "10.1.0.9"]);
    expect(s.ports[1]!.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(["10.1.0.2:5353"]);
    expect(s.endpointSource).toBe("EndpointSlice");
    expect(model.cluster.services!.kubeProxy.masqueradeBit).toBe(14);
  });

  it("a snapshot without Services has no services model (Calico-only output stays as it was)", () => {
    expect(load("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n").model.cluster.services).toBeUndefined();
  });
});

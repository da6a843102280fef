// Each rule template of spec kubeproxy-format §3.3 and §5.1 beyond what the
// §6 fixtures cover: detectors, masqueradeAll, nodePortAddresses, protocols,
// v1 Endpoints, hostnameOverride, skipped services, large-cluster mode, the
// 1.13 templates and the mark/--random-fully switches.
import { describe, expect, it } from "vitest";
import { emitCase, yamlFile } from "./helpers.js";

const NODE = `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
`;
const config = (body: string): string => `---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n${body}\n`;
const svc = (spec: string, status = ""): string => `---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nspec: ${spec}\n${status}`;
const slice = (eps: string, ports = "[{name: p, port: 8080, protocol: TCP}]"): string =>
  `---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s-1, namespace: ns, labels: {kubernetes.io/service-name: s}}\naddressType: IPv4\nendpoints: ${eps}\nports: ${ports}\n`;
const ONE_EP = "[{addresses: [10.1.0.5], nodeName: n2}]";
const CLUSTER_IP = "{clusterIP: 10.96.0.10, ports: [{name: p, port: 80}]}";

function lines(yaml: string, flags: readonly string[] = []): string[] {
  const text = emitCase([yamlFile("in.yaml", "# test\n" + NODE + yaml)], ["--backend", "kube-proxy", "--node", "n1", ...flags]);
  return text.split("\n");
}
const chainLines = (all: string[], chain: string): string[] => all.filter((l) => l.startsWith(`-A ${chain} `) || l === `-A ${chain}`);

describe("§3.3(g) masquerade rule of the internal chain", () => {
  it("cluster CIDR detector: ! -s <cidr> after the service match", () => {
    const l = lines(config("clusterCIDR: 10.0.0.0/8") + svc(CLUSTER_IP) + slice(ONE_EP));
    expect(l).toContain('-A KUBE-SVC-QDAAHSQA2STLW7SZ -m comment --comment "ns/s:p cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ');
  });
  it("masqueradeAll: no detector arguments", () => {
    const l = lines(config("clusterCIDR: 10.0.0.0/8\niptables: {masqueradeAll: true}") + svc(CLUSTER_IP) + slice(ONE_EP));
    expect(l).toContain('-A KUBE-SVC-QDAAHSQA2STLW7SZ -m comment --comment "ns/s:p cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j KUBE-MARK-MASQ');
  });
  it("bridge and interface-prefix detectors ([LD])", () => {
    const bridge = lines(config("detectLocalMode: BridgeInterface\ndetectLocal: {bridgeInterface: cbr0}") + svc(CLUSTER_IP) + slice(ONE_EP));
    expect(bridge.some((l) => l.endsWith("--dport 80 ! -i cbr0 -j KUBE-MARK-MASQ"))).toBe(true);
    const prefix = lines(config("detectLocalMode: InterfaceNamePrefix\ndetectLocal: {interfaceNamePrefix: cali}") + svc(CLUSTER_IP) + slice(ONE_EP));
    expect(prefix.some((l) => l.endsWith("--dport 80 ! -i cali+ -j KUBE-MARK-MASQ"))).toBe(true);
  });
  it("no clusterCIDR: no detector, no masquerade rule (F9/F10)", () => {
    const l = lines(svc(CLUSTER_IP) + slice(ONE_EP));
    expect(chainLines(l, "KUBE-SVC-QDAAHSQA2STLW7SZ")).toEqual(['-A KUBE-SVC-QDAAHSQA2STLW7SZ -m comment --comment "ns/s:p -> 10.1.0.5:8080" -j KUBE-SEP-Q3SHNOWW2XAPAUCK']);
  });
});

describe("§3.1 nodePorts tail", () => {
  it("nodePortAddresses picks the node's addresses inside the CIDRs (F11: -d 192.168.0.2); a zero CIDR means all", () => {
    expect(chainLines(lines(config("nodePortAddresses: [192.168.0.0/24]")), "KUBE-SERVICES")).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBE-NODEPORTS',
    ]);
    expect(chainLines(lines(config("nodePortAddresses: [primary]")), "KUBE-SERVICES")[0]).toContain("-d 192.168.0.2 -j KUBE-NODEPORTS");
    expect(chainLines(lines(config("nodePortAddresses: [0.0.0.0/0, 10.0.0.0/8]")), "KUBE-SERVICES")[0]).toContain("-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS");
  });
  it("loopback is skipped without localhostNodePorts", () => {
    const l = lines(config("nodePortAddresses: [127.0.0.0/8]\niptables: {localhostNodePorts: false}"));
    expect(chainLines(l, "KUBE-SERVICES")).toEqual([]);
  });
});

describe("§3.3(a)(b)(e) verdicts and protocols", () => {
  it("no endpoints: REJECT for the cluster IP, the external IP and the node port", () => {
    const l = lines(svc("{type: NodePort, clusterIP: 10.96.0.10, externalIPs: [192.0.2.7], ports: [{name: p, port: 80, nodePort: 30080}]}"));
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "ns/s:p has no endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j REJECT');
    expect(l).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns/s:p has no endpoints" -m tcp -p tcp -d 192.0.2.7 --dport 80 -j REJECT');
    expect(l).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns/s:p has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT');
  });
  it("UDP and SCTP ports use their own match module", () => {
    const l = lines(svc("{clusterIP: 10.96.0.10, ports: [{name: d, port: 53, protocol: UDP}, {name: s, port: 9, protocol: SCTP}]}"));
    expect(l.some((x) => x.includes("-m udp -p udp -d 10.96.0.10 --dport 53 -j REJECT"))).toBe(true);
    expect(l.some((x) => x.includes("-m sctp -p sctp -d 10.96.0.10 --dport 9 -j REJECT"))).toBe(true);
  });
});

describe("inputs", () => {
  it("v1 Endpoints serve a service no EndpointSlice names, and are ignored when one does", () => {
    const eps = "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: s, namespace: ns}\nsubsets: [{addresses: [{ip: 10.1.0.9, nodeName: n3}], ports: [{name: p, port: 8080}]}]\n";
    expect(lines(svc(CLUSTER_IP) + eps).some((l) => l.includes("DNAT --to-destination 10.1.0.9:8080"))).toBe(true);
    const both = lines(svc(CLUSTER_IP) + eps + slice(ONE_EP));
    expect(both.some((l) => l.includes("10.1.0.9"))).toBe(false);
    expect(both.some((l) => l.includes("DNAT --to-destination 10.1.0.5:8080"))).toBe(true);
  });
  it("hostnameOverride decides which endpoints are local", () => {
    const itpLocal = "{clusterIP: 10.96.0.10, internalTrafficPolicy: Local, ports: [{name: p, port: 80}]}";
    expect(lines(svc(itpLocal) + slice(ONE_EP)).some((l) => l.includes("has no local endpoints"))).toBe(true);
    expect(lines(config("hostnameOverride: n2") + svc(itpLocal) + slice(ONE_EP)).some((l) => l.startsWith("-A KUBE-SVL-"))).toBe(true);
  });
  it("ExternalName and headless services program nothing", () => {
    const l = lines(svc("{type: ExternalName, externalName: example.com}") + svc("{clusterIP: None, ports: [{port: 80}]}").replace("name: s,", "name: h,"));
    expect(l.filter((x) => x.includes("ns/"))).toEqual([]);
  });
  it("large-cluster mode (> 1000 endpoints) drops the comments of SVC→SEP and SEP rules (§3.2.9)", () => {
    const many = "[" + Array.from({ length: 1001 }, (_, i) => `{addresses: [10.2.${i >> 8}.${i & 255}], nodeName: n2}`).join(", ") + "]";
    const l = lines(svc(CLUSTER_IP) + slice(many));
    expect(l).toContain("-A KUBE-SEP-L22WNUN5N7E37MZN -s 10.2.0.0 -j KUBE-MARK-MASQ");
    expect(l.filter((x) => x.startsWith("-A KUBE-SVC-") && x.includes("--comment"))).toEqual([]);
    expect(l).toContain('-A KUBE-SERVICES -m comment --comment "ns/s:p cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j KUBE-SVC-QDAAHSQA2STLW7SZ');
  });
});

describe("options", () => {
  it("--masquerade-mark padded and --random-fully", () => {
    const l = lines("", ["--masquerade-mark", "padded", "--random-fully"]);
    expect(chainLines(l, "KUBE-POSTROUTING")).toEqual([
      "-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN",
      "-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000",
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
  });
  it("masqueradeBit moves the mark", () => {
    expect(lines(config("iptables: {masqueradeBit: 2}"))).toContain("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4");
  });
});

describe("§5.1 kube-proxy 1.13 templates", () => {
  const v113 = ["--kube-proxy-version", "1.13"];
  const lb = svc(
    "{type: LoadBalancer, externalTrafficPolicy: Local, clusterIP: 10.96.0.10, externalIPs: [192.0.2.7], loadBalancerSourceRanges: [192.168.0.0/24], ports: [{name: p, port: 80, nodePort: 30080}]}",
    "status: {loadBalancer: {ingress: [{ip: 198.51.100.1}]}}\n",
  );
  const eps = slice("[{addresses: [10.1.0.5], nodeName: n2}, {addresses: [10.1.0.6], nodeName: n1}, {addresses: [10.1.0.7], nodeName: n1}]");
  const l = lines(config("clusterCIDR: 10.0.0.0/8") + lb + eps, v113);
  const h = "QDAAHSQA2STLW7SZ";

  it("masquerade then jump in KUBE-SERVICES, addresses with /32", () => {
    expect(chainLines(l, "KUBE-SERVICES").slice(0, 2)).toEqual([
      `-A KUBE-SERVICES -m comment --comment "ns/s:p cluster IP" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A KUBE-SERVICES -m comment --comment "ns/s:p cluster IP" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 -j KUBE-SVC-${h}`,
    ]);
  });
  it("the externalIP triple", () => {
    expect(l.filter((x) => x.includes("external IP"))).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns/s:p external IP" -m tcp -p tcp -d 192.0.2.7/32 --dport 80 -j KUBE-MARK-MASQ',
      `-A KUBE-SERVICES -m comment --comment "ns/s:p external IP" -m tcp -p tcp -d 192.0.2.7/32 --dport 80 -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j KUBE-SVC-${h}`,
      `-A KUBE-SERVICES -m comment --comment "ns/s:p external IP" -m tcp -p tcp -d 192.0.2.7/32 --dport 80 -m addrtype --dst-type LOCAL -j KUBE-SVC-${h}`,
    ]);
  });
  it("KUBE-FW: source ranges, the LB IP when the node is inside, then KUBE-MARK-DROP (OnlyLocal: no masquerade)", () => {
    expect(chainLines(l, `KUBE-FW-${h}`)).toEqual([
      `-A KUBE-FW-${h} -m comment --comment "ns/s:p loadbalancer IP" -s 192.168.0.0/24 -j KUBE-XLB-${h}`,
      `-A KUBE-FW-${h} -m comment --comment "ns/s:p loadbalancer IP" -s 198.51.100.1/32 -j KUBE-XLB-${h}`,
      `-A KUBE-FW-${h} -m comment --comment "ns/s:p loadbalancer IP" -j KUBE-MARK-DROP`,
    ]);
  });
  it("node ports of OnlyLocal services masquerade only localhost and go to KUBE-XLB", () => {
    expect(chainLines(l, "KUBE-NODEPORTS")).toEqual([
      `-A KUBE-NODEPORTS -m comment --comment ns/s:p -m tcp -p tcp --dport 30080 -s 127.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A KUBE-NODEPORTS -m comment --comment ns/s:p -m tcp -p tcp --dport 30080 -j KUBE-XLB-${h}`,
    ]);
  });
  it("KUBE-XLB: pods to the cluster chain, then the local endpoints with %0.5f", () => {
    expect(chainLines(l, `KUBE-XLB-${h}`)).toEqual([
      `-A KUBE-XLB-${h} -m comment --comment "Redirect pods trying to reach external loadbalancer VIP to clusterIP" -s 10.0.0.0/8 -j KUBE-SVC-${h}`,
      `-A KUBE-XLB-${h} -m comment --comment "Balancing rule 0 for ns/s:p" -m statistic --mode random --probability 0.50000 -j KUBE-SEP-EN77NZEI4KPFXGAT`,
      `-A KUBE-XLB-${h} -m comment --comment "Balancing rule 1 for ns/s:p" -j KUBE-SEP-GNCJECVCMAZTXGK5`,
    ]);
    expect(chainLines(l, `KUBE-SVC-${h}`)[0]).toContain("--probability 0.33333");
  });
  it("an unnamed port keeps its trailing colon (≤1.18)", () => {
    const u = lines(svc("{clusterIP: 10.96.0.10, ports: [{port: 80}]}"), v113);
    expect(u).toContain('-A KUBE-SERVICES -m comment --comment "ns/s: has no endpoints" -m tcp -p tcp -d 10.96.0.10/32 --dport 80 -j REJECT');
  });
});

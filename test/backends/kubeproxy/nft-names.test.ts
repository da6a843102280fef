// hashAndTruncate and the chain-name bases of kube-proxy's nftables mode
// against the spec's test vectors (nftables.md §A.4), and the ServiceCIDR
// input the cluster-ips-check drop rule reads (§A.3).
import { describe, expect, it } from "vitest";
import { hashAndTruncate } from "../../../src/backends/kubeproxy/index.js";
import { endpointBase, portNameOf, servicePortBase } from "../../../src/backends/kubeproxy/nft/names.js";
import { compileCase, yamlFile } from "./helpers.js";

describe("kube-proxy nftables names", () => {
  it("hashes as the spec's vectors say", () => {
    expect(hashAndTruncate("ns1/svc1/tcp/p80")).toBe("ULMVA6XW-ns1/svc1/tcp/p80");
    expect(hashAndTruncate("ns1/svc1/tcp/p80__10.180.0.1/80")).toBe("5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
    expect(hashAndTruncate("ns1/svc1/tcp/p80__fd00.10..1/80")).toBe("YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80");
  });

  it("builds bases from the ServicePortName, unnamed ports with a trailing slash, IPv6 with dots", () => {
    expect(servicePortBase(portNameOf("ns1/svc1:p80", "tcp"))).toBe("ULMVA6XW-ns1/svc1/tcp/p80");
    expect(servicePortBase(portNameOf("ns1/svc1", "udp"))).toMatch(/^[A-Z2-7]{8}-ns1\/svc1\/udp\/$/);
    expect(endpointBase(portNameOf("ns1/svc1:p80", "tcp"), "fd00:10::1", 80)).toBe("YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80");
  });

  it("cuts a base longer than 240 characters to 237 and '...'", () => {
    const long = `${"a".repeat(63)}/${"b".repeat(63)}/sctp/${"c".repeat(63)}__ffff.ffff.ffff.ffff.ffff.ffff.ffff.ffff/65535`;
    const h = hashAndTruncate(long);
    expect(h).toHaveLength(240);
    expect(h.endsWith("...")).toBe(true);
  });
});

const cidr = (cidrs: string, apiVersion = "networking.k8s.io/v1"): string => `# a service range
apiVersion: ${apiVersion}
kind: ServiceCIDR
metadata: {name: r}
spec: {cidrs: ${cidrs}}
`;
const load = (...texts: string[]) => compileCase(texts.map((t, i) => yamlFile(`s${i}.yaml`, t)), ["--backend", "kube-proxy"]);
const errors = (texts: string[]) => load(...texts).diag.all.filter((d) => d.severity === "error").map((d) => `${d.id} ${d.message}`);
const kp = `# kp
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
`;

describe("ServiceCIDR input", () => {
  it("lowers every object's CIDRs, canonical, unique and sorted (v1 and v1beta1)", () => {
    const res = load(kp, cidr('["10.96.0.0/12", "fd00:10:96::/112"]'), cidr('["10.96.0.1/12"]', "networking.k8s.io/v1beta1").replace("name: r", "name: s"));
    expect(res.model?.cluster.services?.serviceCIDRs).toEqual(["10.96.0.0/12", "fd00:10:96::/112"]);
  });

  it("reports invalid specs in the API server's words", () => {
    expect(errors([kp, cidr("[]")])).toEqual(["servicecidr/required-value spec.cidrs: Required value: at least one CIDR required"]);
    expect(errors([kp, cidr('["10.0.0.0/8", "11.0.0.0/8"]')])).toEqual([
      'servicecidr/invalid-value spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.0.0.0/8", "11.0.0.0/8"}}: may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64',
    ]);
    expect(errors([kp, cidr('["10.0.0.0/33"]')])).toEqual([
      'servicecidr/invalid-value spec.cidrs[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
    expect(errors([kp, cidr('["a", "b", "c"]')])[0]).toMatch(/^servicecidr\/invalid-value spec\.cidrs: Invalid value: .*: may only hold up to 2 values$/);
    expect(errors([kp, cidr("10.0.0.0/8")])[0]).toMatch(/cannot unmarshal string into Go struct field ServiceCIDRSpec\.spec\.cidrs of type \[\]string/);
  });
});

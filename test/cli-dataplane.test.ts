// --dataplane / --kube-proxy-mode / --calico-dataplane: which files a compile
// writes when an agent runs in nftables mode, what decides kube-proxy's mode
// when no flag does (its KubeProxyConfiguration), and what is refused.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const BOOKINFO = join(ROOT, "examples", "bookinfo");
const KP_NFT = join(ROOT, "golden", "kp-nft-1-overall");
const F1 = join(ROOT, "golden", "f1-ingress-from-pod-selector");
const tmp = (): string => tempDir("netpolc-dp-");
const kinds = (dir: string): string[] => [...new Set(readdirSync(dir).map((f) => f.replace(/^.*\./, "")))].sort();

describe("dataplane options", () => {
  it("--dataplane nftables: <node>.nft and the routes, no .iptables or .ipsets (Felix's sets live in its table)", async () => {
    const out = tmp();
    const r = await runCli(["compile", BOOKINFO, "-o", out, "--dataplane", "nftables"]);
    expect(r.code).toBe(0);
    // bookinfo's KubeProxyConfiguration names mode iptables: the flag wins, and says so.
    expect(r.err).toContain("KubeProxyConfiguration says mode iptables; compiling kube-proxy's nftables rules");
    expect(kinds(out)).toEqual(["nft", "routes"]);
    const nft = readFileSync(join(out, "ubuntu1.nft"), "utf8");
    // kube-proxy's table is created first, then Felix's.
    expect(nft.indexOf("table ip kube-proxy {")).toBeGreaterThanOrEqual(0);
    expect(nft.indexOf("table ip kube-proxy {")).toBeLessThan(nft.indexOf("table ip calico {"));
  });

  it("kube-proxy in nftables mode beside Felix in iptables mode: Felix's chains in .iptables (no KUBE- chain), kube-proxy's table alone in .nft", async () => {
    const out = tmp();
    const r = await runCli(["compile", BOOKINFO, "-o", out, "--kube-proxy-mode", "nftables"]);
    expect(r.code).toBe(0);
    expect(kinds(out)).toEqual(["ipsets", "iptables", "nft", "routes"]);
    expect(readFileSync(join(out, "ubuntu1.iptables"), "utf8")).not.toContain("KUBE-");
    const nft = readFileSync(join(out, "ubuntu1.nft"), "utf8");
    expect(nft).toContain("table ip kube-proxy {");
    expect(nft).not.toContain("table ip calico");
  });

  it("Felix in nftables mode beside kube-proxy in iptables mode is compiled, with a warning (Calico supports it only with kube-proxy in nftables mode)", async () => {
    const out = tmp();
    const r = await runCli(["compile", BOOKINFO, "-o", out, "--calico-dataplane", "nftables"]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("kube-proxy in nftables mode");
    expect(kinds(out)).toEqual(["iptables", "nft", "routes"]);
    const ipt = readFileSync(join(out, "ubuntu1.iptables"), "utf8");
    expect(ipt).toContain("KUBE-SERVICES");
    expect(ipt).not.toContain("cali-");
  });

  it("Calico before 3.29 has no nftables dataplane: refused, nothing written", async () => {
    const out = tmp();
    const r = await runCli(["compile", F1, "-o", out, "--dataplane", "nftables", "--calico-version", "3.28"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("Calico 3.28 has no nftables dataplane");
    expect(readdirSync(out)).toEqual([]);
  });

  it("a policy whose 3.30+ nftables chain name Felix cannot make (over 256 bytes: it panics) is refused at the policy, nothing written", async () => {
    const out = tmp();
    const E15 = join(ROOT, "golden", "edge-15-long-names-hashed-and-truncated");
    const r = await runCli(["compile", E15, "-o", out, "--dataplane", "nftables", "--calico-version", "3.32"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/policy\.yaml:\d+:\d+: error\[input\/calico-dataplane\]: Felix's nftables dataplane panics on the chain name cali-pi-knp\//);
    expect(readdirSync(out)).toEqual([]);
    // 3.29 hashes long names to 28 characters, as in iptables mode: compiled.
    expect((await runCli(["compile", E15, "-o", tmp(), "--dataplane", "nftables", "--calico-version", "3.29"])).code).toBe(0);
  });

  it("--emit of a file the compile does not write names what it writes", async () => {
    const r = await runCli(["compile", F1, "--node", "node1", "--dataplane", "nftables", "--emit", "ipsets"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("writes no <node>.ipsets (it writes .nft, .routes)");
  });

  it("a KubeProxyConfiguration with mode: nftables puts kube-proxy in nftables mode (a note); --kube-proxy-mode wins, with a warning", async () => {
    const cfg = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: nftables\nclusterCIDR: 10.0.0.0/8\nnodePortAddresses: [192.168.0.2/32]\n";
    const files = readdirSync(KP_NFT).filter((f) => f.endsWith(".yaml") && f !== "node.yaml").map((f) => join(KP_NFT, f));
    const node = readFileSync(join(KP_NFT, "node.yaml"), "utf8").split("\n---\n")[0]!;
    const input = tempDir("netpolc-dp-in-");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(input, "node.yaml"), `${node}\n---\n${cfg}`);
    const args = [input, ...files, "--backend", "kube-proxy", "--node", "test-node", "--as-saved"];
    const nft = await runCli(["compile", ...args, "--emit", "all", "-v"]);
    expect(nft.code).toBe(0);
    expect(nft.err).toContain("compiling kube-proxy in nftables mode, as its KubeProxyConfiguration says");
    expect(nft.out).toContain("table ip kube-proxy {");
    const ipt = await runCli(["compile", ...args, "--emit", "all", "--kube-proxy-mode", "iptables"]);
    expect(ipt.code).toBe(0);
    expect(ipt.err).toContain("KubeProxyConfiguration says mode nftables; compiling kube-proxy's iptables rules");
    expect(ipt.out).toContain(":KUBE-SERVICES");
  });
});

describe("verify and explain on nftables output", () => {
  it("verify --dataplane nftables reads each node's .nft back and finds 0 mismatches and nothing unknown", async () => {
    const r = await runCli(["verify", BOOKINFO, "--dataplane", "nftables", "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { mismatches: number; unknown: number; services: unknown };
    expect([report.mismatches, report.unknown]).toEqual([0, 0]);
  });

  it("explain walks the flow through the .nft lines, named as nft names them (table, chain, rule number)", async () => {
    const r = await runCli(["explain", BOOKINFO, "--dataplane", "nftables", "--from", "default/main-699dd9dc98-6fz62", "--to", "default/details-v1-68c7c8666d-x57tf", "--port", "9080"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("rules agree");
    expect(r.out).toMatch(/dropped by: ubuntu3 ip calico filter-cali-fw-calib6d81851da5 rule \d+ \(ubuntu3\.nft:\d+\) drop/);
    expect(r.out).toContain("ip kube-proxy nat-prerouting policy");
    expect(r.out).not.toMatch(/^\s+filter cali-/m);
  });
});

describe("verify: NodePorts only where kube-proxy serves them (nodePortAddresses)", () => {
  // golden kp-f8: nodePortAddresses 127.0.0.0/8 and an eTP=Local LoadBalancer; kube-proxy serves no NodePort on 192.168.0.2.
  const F8 = join(ROOT, "golden", "kp-f8-health-check-no-endpoints");
  const slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: svc1-a, namespace: ns1, labels: {kubernetes.io/service-name: svc1}}\naddressType: IPv4\nendpoints: [{addresses: [10.180.0.1], conditions: {ready: true}, nodeName: test-node}]\nports: [{name: p80, port: 80, protocol: TCP}]\n";
  const probes = (out: string): number => Number(/(\d+) service probes/.exec(out)?.[1] ?? "-1");

  it("without endpoints: iptables mode rejects the NodePort on every local address (KUBE-EXTERNAL-SERVICES), nftables mode has no NodePort there", async () => {
    const ipt = await runCli(["verify", F8]);
    const nft = await runCli(["verify", F8, "--dataplane", "nftables"]);
    expect([ipt.code, nft.code], ipt.out + nft.out).toEqual([0, 0]);
    expect([probes(ipt.out), probes(nft.out)]).toEqual([2, 1]);
  });

  it("with an endpoint: no NodePort probe on an address outside nodePortAddresses, in either mode (nothing DNATs there)", async () => {
    const dir = tempDir("netpolc-npa-");
    const { writeFileSync, copyFileSync } = await import("node:fs");
    for (const f of readdirSync(F8).filter((f) => f.endsWith(".yaml"))) copyFileSync(join(F8, f), join(dir, f));
    writeFileSync(join(dir, "slice.yaml"), slice);
    for (const extra of [[], ["--dataplane", "nftables"]]) {
      const r = await runCli(["verify", dir, ...extra]);
      expect(r.out, extra.join(" ")).not.toContain("NodePort 192.168.0.2");
      expect(r.out).toContain("0 mismatches");
    }
  });
});

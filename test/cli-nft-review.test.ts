// netpolc diff and netpolc rules on nftables output: bookinfo compiled with
// --dataplane nftables before and after a policy is added (two output
// directories, the inputs themselves, single .nft files, a broken .nft), and
// one node's tables and chains as `nft list table`/`nft list chain` print them.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const BOOKINFO = join(ROOT, "examples", "bookinfo");
const tmp = (): string => tempDir("netpolc-nft-review-");
const NFT = ["--dataplane", "nftables"];

/** A policy that opens productpage → ratings on 9080 (bookinfo denies it: default-deny-ingress, ratings-from-reviews). */
const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ratings-from-productpage
  namespace: default
spec:
  podSelector:
    matchLabels: {app: ratings}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: productpage}
    ports:
    - port: 9080
`;

const PI = "ip calico filter-cali-pi-knp/default/ratings-from-productpage";

describe("netpolc diff of --dataplane nftables output", () => {
  const withPolicy = join(tmp(), "bookinfo");
  const [before, after] = [tmp(), tmp()];
  beforeAll(async () => {
    cpSync(BOOKINFO, withPolicy, { recursive: true });
    writeFileSync(join(withPolicy, "policies", "zz-ratings-from-productpage.yaml"), POLICY);
    expect((await runCli(["compile", BOOKINFO, "-o", before, ...NFT])).code).toBe(0);
    expect((await runCli(["compile", withPolicy, "-o", after, ...NFT])).code).toBe(0);
  });

  it("two output directories of .nft files: the changed chains of the one node that changed, hashes ignored", async () => {
    const r = await runCli(["diff", before, after]);
    expect([r.code, r.err]).toEqual([1, ""]);
    expect(r.out.split("\n")[0]).toBe("rules: 3 chain(s) changed in 1 file(s)");
    expect(r.out).toContain(`--- ${before}/ubuntu3.nft\n+++ ${after}/ubuntu3.nft\n`);
    expect(r.out).toContain(`@@ -1,0 +1,1 @@ ${PI}\n+ip saddr @cali40s-`);
    // The workload's to-chain now jumps to the policy group: one rule changed, shown with context.
    expect(r.out).toMatch(/@@ -\d+,7 \+\d+,7 @@ ip calico filter-cali-tw-cali\w+\n/);
    expect(r.out).toContain("-meta mark & 0x00020000 == 0x00000000 counter jump filter-cali-pi-knp/default/ratings-from-reviews\n");
    expect(r.out).not.toContain("cali:");
    const json = JSON.parse((await runCli(["diff", before, after, "--format", "json"])).out);
    expect(json.rules.files.map((f: { file: string }) => f.file)).toEqual(["ubuntu3.nft"]);
    expect(json.rules.files[0].chains.map((c: { table: string; kind: string; chain: string }) => [c.table, c.kind, c.chain])).toContainEqual([
      "ip calico",
      "added",
      "filter-cali-pi-knp/default/ratings-from-productpage",
    ]);
  });

  it("inputs compiled with --dataplane nftables: the same chains and the flow the policy opens", async () => {
    const r = await runCli(["diff", BOOKINFO, withPolicy, ...NFT]);
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toMatch(/^rules: 3 chain\(s\) changed in 1 file\(s\); flows: 1 opened, 0 closed/);
    expect(r.out).toMatch(/opens default\/productpage-v1-\S+ → default\/ratings-v1-\S+ 9080\/TCP/);
    expect(r.out).toContain(`--- ${BOOKINFO}/ubuntu3.nft\n+++ ${withPolicy}/ubuntu3.nft\n`);
    expect(r.out).toContain(`@@ -1,0 +1,1 @@ ${PI}\n`);
    // Compiled output against the inputs it came from, compiled alike: no change.
    const same = await runCli(["diff", before, BOOKINFO, ...NFT]);
    expect([same.code, same.out]).toEqual([0, ""]);
  });

  it("two single .nft files, and a set's elements as +/- lines", async () => {
    const r = await runCli(["diff", join(before, "ubuntu3.nft"), join(after, "ubuntu3.nft")]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`@@ -1,0 +1,1 @@ ${PI}\n`);
    const dir = tmp();
    const text = readFileSync(join(before, "ubuntu1.nft"), "utf8");
    writeFileSync(join(dir, "ubuntu1.nft"), text.replace("10.98.127.214, ", ""));
    const e = await runCli(["diff", join(before, "ubuntu1.nft"), join(dir, "ubuntu1.nft")]);
    expect(e.code).toBe(1);
    expect(e.out).toMatch(/@@ -\d+,\d+ \+\d+,\d+ @@ ip kube-proxy set cluster-ips\n[\s\S]*\n-10\.98\.127\.214\n/);
  });

  it("a .nft that does not parse: file:line:col on stderr, exit 2", async () => {
    const dir = tmp();
    cpSync(after, dir, { recursive: true });
    const f = join(dir, "ubuntu1.nft");
    writeFileSync(f, readFileSync(f, "utf8").replace("counter jump filter-cali-FORWARD", "counter jumpx filter-cali-FORWARD"));
    const r = await runCli(["diff", before, dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${dir}/ubuntu1\\.nft:\\d+:\\d+: error: `));
  });
});

describe("netpolc rules with an nftables dataplane", () => {
  const rules = (...args: string[]) => runCli(["rules", BOOKINFO, "--node", "ubuntu1", ...args]);

  it("the node's tables as `nft list table` prints each, in the node's order: what compile writes to <node>.nft", async () => {
    const r = await rules(...NFT);
    expect(r.code).toBe(0);
    const emitted = await runCli(["compile", BOOKINFO, "--node", "ubuntu1", "--emit", "nft", ...NFT]);
    expect(r.out).toBe(emitted.out);
    expect(r.out.match(/^table .*/gm)).toEqual(["table ip kube-proxy {", "table ip calico {"]);
    const calico = await rules(...NFT, "--table", "calico");
    expect(calico.out).toBe(r.out.slice(r.out.indexOf("table ip calico {")));
    expect((await rules(...NFT, "-t", "ip kube-proxy")).out).toBe(r.out.slice(0, r.out.indexOf("table ip calico {")));
  });

  it("--chain: as `nft list chain` prints it, from the table holding it", async () => {
    const fwd = await rules(...NFT, "--chain", "filter-FORWARD");
    expect(fwd.code).toBe(0);
    // The chain's block of <node>.nft inside its table's braces (the table's comment and other objects left out).
    const file = (await runCli(["compile", BOOKINFO, "--node", "ubuntu1", "--emit", "nft", ...NFT])).out;
    const calico = file.slice(file.indexOf("table ip calico {"));
    const block = calico.slice(calico.indexOf("\tchain filter-FORWARD {\n"));
    expect(fwd.out).toBe(`table ip calico {\n${block.slice(0, block.indexOf("\n\t}\n") + 4)}}\n`);
    expect(fwd.out.split("\n").slice(0, 3)).toEqual(["table ip calico {", "\tchain filter-FORWARD {", "\t\ttype filter hook forward priority filter; policy accept;"]);
    // kube-proxy's chain: no table comment, no sets.
    const svc = await rules("--kube-proxy-mode", "nftables", "--calico-dataplane", "nftables", "--chain", "services");
    expect(svc.out).toMatch(/^table ip kube-proxy \{\n\tchain services \{\n\t\tip daddr \. meta l4proto \. th dport vmap @service-ips\n/);
  });

  it("a missing chain or table: nft's own error, exit 1", async () => {
    const c = await rules(...NFT, "--chain", "nosuch");
    expect(c.code).toBe(1);
    expect(c.out).toBe("");
    expect(c.err).toContain("Error: No such file or directory\nlist chain ip calico nosuch\n                     ^^^^^^\n");
    const t = await rules("--calico-dataplane", "nftables", "--table", "kube-proxy");
    expect(t.code).toBe(1);
    expect(t.err).toContain("Error: No such file or directory\nlist table ip kube-proxy\n              ^^^^^^^^^^\n");
    // An ip6 table of a snapshot without IPv6.
    const v6 = await rules(...NFT, "--table", "ip6 calico");
    expect([v6.code, v6.err.split("\n")[0]]).toEqual([2, "netpolc: --family 6: IPv6 is off for these inputs (no IPv6 pool or pod address; --ipv6 on turns it on)"]);
    const tc = await rules(...NFT, "-t", "nosuch", "--chain", "x");
    expect(tc.err).toContain("list chain ip nosuch x\n              ^^^^^^\n");
  });

  it("--table with an iptables name: iptables -S for an agent still in iptables mode, a clear error when none is", async () => {
    const none = await rules(...NFT, "--table", "filter");
    expect(none.code).toBe(2);
    expect(none.err).toContain("--table filter: ubuntu1's agents program nftables, not iptables: name one of its nft tables (kube-proxy, calico)");
    // Felix in iptables mode, kube-proxy in nftables mode: the default is still iptables' filter table.
    const mixed = await rules("--kube-proxy-mode", "nftables");
    expect(mixed.out.split("\n")[0]).toBe("-P INPUT ACCEPT");
    const kube = await rules("--kube-proxy-mode", "nftables", "--table", "kube-proxy");
    expect(kube.out.split("\n")[0]).toBe("table ip kube-proxy {");
    const felix = await rules("--kube-proxy-mode", "nftables", "--table", "calico");
    expect([felix.code, felix.err.split("\n").slice(-3).join("\n")]).toEqual([1, "list table ip calico\n              ^^^^^^\n"]);
  });

  it("--help says what --table and --chain mean for nft tables", async () => {
    const h = await runCli(["rules", "--help"]);
    expect(h.out.replace(/\s+/g, " ")).toContain("nft list chain FAMILY TABLE CHAIN");
    expect(h.out).toContain("--dataplane");
  });
});

// More of kube-proxy's own nftables expectations, reproduced: each golden
// case golden/kp-nft-<n>-… holds the inputs of one upstream test's fake
// proxier state (NewFakeProxier(IPv4): node 192.168.0.2, pod CIDR
// 10.0.0.0/8, nodePort addresses 192.168.0.2/32 + 2001:db8::1/128,
// ServiceCIDR 172.30.0.0/16), and fixtures/kp-nft-<n>-….txt the expected
// text of that test (pkg/proxy/nftables/proxier_test.go @ kubernetes/
// kubernetes 81810de635aa13aa0a32992f6def3aa9d6025ebc, 1.34/1.35 era),
// which upstream writes as `baseRules + dedent(...)` (fixtures/
// kp-nft-base-rules.txt + the per-test part). As in
// assertNFTablesTransactionEqual, both sides are compared after
// sortNFTablesTransaction. Only steady states are reproducible: a state
// upstream reaches with stale (flushed, not yet deleted) chains has no
// equivalent in a compiler's single full sync.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InputFile } from "../../../src/frontend/index.js";
import { sortTransaction } from "../../../src/rules/nft/print.js";
import { GOLDEN } from "./helpers.js";
import { nftTable, sortedText } from "./nft-helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.txt`), "utf8");

function caseFiles(name: string): InputFile[] {
  const dir = join(GOLDEN, name);
  return readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort().map((f) => ({ path: f, text: readFileSync(join(dir, f), "utf8") }));
}

/** [golden case, upstream test, fixture with the per-test part or null for baseRules alone]. */
const CASES: readonly (readonly [string, string, string | null])[] = [
  ["kp-nft-2-repeated-initial", "TestSyncProxyRulesRepeated (first sync)", "kp-nft-2-repeated-initial"],
  ["kp-nft-3-repeated-no-endpoints", "TestSyncProxyRulesRepeated (svc4 without endpoints)", "kp-nft-3-repeated-no-endpoints"],
  ["kp-nft-4-repeated-two-endpoints", "TestSyncProxyRulesRepeated (endpoint added)", "kp-nft-4-repeated-two-endpoints"],
  ["kp-nft-5-startup", "TestSyncProxyRulesStartup", "kp-nft-5-startup"],
  ["kp-nft-6-base-rules", "baseRules (TestProxyRulesInUserNS)", null],
];

describe("kube-proxy nftables: upstream proxier_test.go expectations", () => {
  const base = fixture("kp-nft-base-rules");
  for (const [name, test, part] of CASES) {
    it(`${name} reproduces ${test} after sortNFTablesTransaction`, () => {
      const expected = part === null ? base : base + fixture(part);
      expect(sortedText(nftTable(caseFiles(name), "test-node"))).toBe(sortTransaction(expected));
    });
  }
});

// TestInternalExternalMasquerade ("base" case) checks packet flows, not a
// ruleset; golden/kp-nft-7-internal-external-masquerade holds its inputs,
// and these are the rules its flows rest on.
describe("kube-proxy nftables: TestInternalExternalMasquerade's inputs", () => {
  const t = nftTable(caseFiles("kp-nft-7-internal-external-masquerade"), "test-node");
  const rules = sortedText(t).split("\n");
  it("eTP=Local: pods and the node short-circuit to all endpoints, external clients reach only the local one unmasqueraded", () => {
    const ext = rules.filter((l) => l.startsWith("add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ")).map((l) => l.split("p80 ").slice(1).join("p80 "));
    expect(ext).toEqual([
      'ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"',
      'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
      'fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"',
      "goto local-42NFTM6N-ns2/svc2/tcp/p80",
    ]);
    expect(rules).toContain("add rule ip kube-proxy local-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }");
  });
  it("iTP=Local: the ClusterIP reaches only the local endpoint (masqueraded from off-pod sources); NodePort and LB reach both, masqueraded", () => {
    expect(rules).toContain("add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto local-4AT6LBPK-ns3/svc3/tcp/p80 }");
    expect(rules).toContain("add rule ip kube-proxy local-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade");
    expect(rules.filter((l) => l.startsWith("add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 "))).toEqual([
      "add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade",
      "add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80",
    ]);
  });
});

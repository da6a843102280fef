// KP-NFT-1 (nftables.md §A.7 = upstream TestOverallNFTablesRules, 1.34+
// layout): the model renderKubeProxyNft builds for test-node, printed as
// nft -f input, equals the upstream expectation byte for byte once both are
// put through kube-proxy's sortNFTablesTransaction.
import { describe, expect, it } from "vitest";
import { printTransaction, sortTransaction } from "../../../src/rules/nft/print.js";
import { KP_NFT_1_EXPECTED, KP_NFT_1_FILES, nftTable, sortedText } from "./nft-helpers.js";

describe("kube-proxy nftables: KP-NFT-1", () => {
  const table = nftTable(KP_NFT_1_FILES, "test-node");

  it("reproduces TestOverallNFTablesRules byte for byte after sortNFTablesTransaction", () => {
    expect(sortedText(table)).toBe(sortTransaction(KP_NFT_1_EXPECTED));
  });

  it("creates the fixed objects in setupNFTables' order, then each port's chains", () => {
    expect(table.chains.slice(0, 16).map((c) => c.name)).toEqual([
      "filter-prerouting-pre-dnat", "filter-output-pre-dnat", "filter-input", "filter-forward", "filter-output",
      "nat-prerouting", "nat-output", "nat-postrouting",
      "nodeport-endpoints-check", "service-endpoints-check", "firewall-check", "services", "masquerading", "cluster-ips-check",
      "mark-for-masquerade", "reject-chain",
    ]);
    expect(table.chains[16]?.name).toBe("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
    expect(table.chains[17]?.name).toBe("service-ULMVA6XW-ns1/svc1/tcp/p80");
    expect(table.sets.map((s) => s.name)).toEqual([
      "cluster-ips", "nodeport-ips", "no-endpoint-services", "no-endpoint-nodeports", "firewall-ips", "service-ips", "service-nodeports",
      "affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80",
    ]);
  });

  it("prints every declaration before the first rule (Fake.Dump order loads, §A.6)", () => {
    const text = printTransaction({ tables: [table] });
    // Fake.Dump() order declares everything before it is referenced (nftables.md §A.6).
    const firstRule = text.split("\n").findIndex((l) => l.startsWith("add rule"));
    const lastDecl = text.split("\n").map((l, i) => (/^add (chain|set|map) /.test(l) ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(lastDecl).toBeLessThan(firstRule);
  });
});

// Felix's nftables dataplane across releases (nftables.md §B.1, §B.3): which releases have it, policy and profile
// chain names (28-char hashed in 3.29, unhashed from 3.30), workload dispatch (chain tree in 3.29, verdict maps
// from 3.30), the IPv6 table, comments, and chains translated once per compilation.
import { describe, expect, it } from "vitest";
import { calicoHasNftables, renderCalicoNft, renderCalicoNode } from "../../../src/backends/calico/index.js";
import { nftRuleComment } from "../../../src/backends/calico/nft/hash.js";
import { CALICO_VERSIONS } from "../../../src/backends/calico/profile.js";
import type { NftTable } from "../../../src/rules/nft/model.js";
import { printRuleInput } from "../../../src/rules/nft/print.js";
import { F1, modelOf, nftOf } from "./nft-helpers.js";

const rules = (t: NftTable, chain: string): string[] => t.chains.find((c) => c.name === chain)!.rules.map((r) => printRuleInput(t, chain, r));
const names = (t: NftTable): string[] => t.chains.map((c) => c.name);

describe("releases", () => {
  it("only 3.29+ have an nftables dataplane; older ones are refused", () => {
    expect(CALICO_VERSIONS.filter(calicoHasNftables)).toEqual(["3.29", "3.30", "3.31", "3.32"]);
    const run = nftOf(modelOf(F1), "node1", "3.29");
    expect(() => renderCalicoNft(run.comp, run.felix, { ...run.opts, calicoVersion: "3.28" }, 4)).toThrow(/3\.28 has no nftables dataplane/);
  });
});

describe("policy chain names and dispatch per release (F1, node1)", () => {
  const model = modelOf(F1);

  it("3.29: the iptables 28-character hashed names; dispatch is iptables' chain tree, no maps", () => {
    const { table } = nftOf(model, "node1", "3.29");
    expect(names(table)).toContain("filter-cali-pi-_boOrsue0FcQ8KZ1ipkO");
    expect(table.sets.filter((s) => s.kind === "map")).toEqual([]);
    const to = rules(table, "filter-cali-to-wl-dispatch");
    expect(to[0]).toMatch(/^add rule ip calico filter-cali-to-wl-dispatch oifname cali[0-9a-f]{11} counter goto filter-cali-tw-cali[0-9a-f]{11} comment "cali:[\w-]{16};"$/);
    expect(to.at(-1)).toMatch(/ counter drop comment "cali:[\w-]{16}; Unknown interface"$/);
  });

  it("3.30/3.31: `cali-pi-default/<ns>/knp.default.<name>` with the `Policy <ns>/knp.default.<name>` comment; verdict maps", () => {
    for (const v of ["3.30", "3.31"] as const) {
      const { table } = nftOf(model, "node1", v);
      const chain = "filter-cali-pi-default/default/knp.default.allow-db-access";
      expect(rules(table, chain)).toEqual([expect.stringMatching(/ ip saddr @cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge counter meta mark set mark or 0x10000 comment "cali:[\w-]{16}; Policy default\/knp.default.allow-db-access ingress"$/)]);
      expect(table.sets.filter((s) => s.kind === "map").map((m) => [m.name, m.elements.length])).toEqual([["filter-cali-from-wl-dispatch", 2], ["filter-cali-to-wl-dispatch", 2]]);
      expect(names(table).filter((n) => n.startsWith("filter-cali-to-wl-dispatch-") || n.startsWith("filter-cali-from-wl-dispatch-"))).toEqual([]);
    }
  });

  it("3.32: `cali-pi-knp/<ns>/<name>`", () => {
    expect(names(nftOf(model, "node1", "3.32").table)).toContain("filter-cali-pi-knp/default/allow-db-access");
  });

  it("from 3.30 no policy or profile chain is hashed; in 3.29 the long ones are; past 256 bytes Felix panics", () => {
    const long = modelOf(["cluster.yaml", "ns.yaml", "policy.yaml"].map((f) => `edge-15-long-names-hashed-and-truncated/${f}`));
    const hashed = (t: NftTable): string[] => names(t).filter((n) => /^filter-cali-(pi|po|pri|pro)-_/.test(n));
    expect(hashed(nftOf(long, "node1", "3.29").table).length).toBeGreaterThan(1);
    for (const v of ["3.30", "3.32"] as const) {
      // The case's 2xx-character policy name: GetLengthLimitedID(…, 256) slices its 43-character hash to 247.
      expect(() => nftOf(long, "node1", v)).toThrow(/panics on the chain name cali-pi-/);
      const t = nftOf({ ...long, policies: long.policies.filter((p) => p.name.length < 200) }, "node1", v).table;
      expect(hashed(t)).toEqual([]);
      expect(names(t).some((n) => n.startsWith("filter-cali-pri-ksa.") && n.length > 28)).toBe(true);
    }
  });
});

describe("IPv6: `ip6 calico`", () => {
  const dual = modelOf(["dual-stack-basic/cluster.yaml", "dual-stack-basic/policy.yaml"]);
  const v4 = nftOf(dual, "node1", "3.32", 4, { ipv6: true }).table;
  const v6 = nftOf(dual, "node1", "3.32", 6, { ipv6: true }).table;

  it("cali60 sets of IPv6 addresses, ip6 matches, ICMPv6 to the host", () => {
    expect(v6.family).toBe("ip6");
    expect(v6.sets.filter((s) => s.kind === "set").every((s) => s.name.startsWith("cali60") && s.type[0] === "ipv6_addr")).toBe(true);
    expect(rules(v6, "filter-cali-wl-to-host")[0]).toMatch(/^add rule ip6 calico filter-cali-wl-to-host meta l4proto 58 icmpv6 type 130 counter accept comment "cali:[\w-]{16};"$/);
    const policyRules = v6.chains.filter((c) => c.name.startsWith("filter-cali-pi-")).flatMap((c) => rules(v6, c.name));
    expect(policyRules.some((r) => / ip6 saddr @cali60s-/.test(r))).toBe(true);
    expect(policyRules.some((r) => / ip saddr /.test(r))).toBe(false);
  });

  it("base-chain hooks hash as IPv4 in both tables (table.go CalculateRuleHashes renders with IPv4)", () => {
    for (const c of v6.chains.filter((x) => x.base !== null)) expect(c.rules, c.name).toEqual(v4.chains.find((x) => x.name === c.name)!.rules);
  });
});

describe("comments and sharing", () => {
  it("each comment is cut to its share of 128 bytes after `cali:<hash>;`", () => {
    const c = nftRuleComment("AAAAAAAAAAAAAAAA", ["x".repeat(200), "y\"z"]);
    expect(c).toBe(`cali:AAAAAAAAAAAAAAAA; ${"x".repeat(53)} y_z`);
    expect(nftRuleComment("AAAAAAAAAAAAAAAA", ["é".repeat(300)]).length).toBe(128);
  });

  it("a chain shared by nodes (profile, static) is translated once per compilation", () => {
    const run = nftOf(modelOf(["dual-stack-basic/cluster.yaml", "dual-stack-basic/policy.yaml"]), "node1", "3.32");
    const node2 = renderCalicoNft(run.comp, renderCalicoNode(run.comp, "node2", run.opts), run.opts, 4);
    const shared = run.table.chains.filter((c) => /^filter-cali-(pri-kns|FORWARD$|INPUT$)/.test(c.name));
    expect(shared.length).toBeGreaterThan(2);
    for (const c of shared) expect(node2.chains.find((x) => x.name === c.name), c.name).toBe(c);
  });
});

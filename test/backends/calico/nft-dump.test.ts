// The hashes of [CAL-DUMP] (nftables.md §0: projectcalico/calico felix/fv/cali-nftables-dump.txt, a real
// `nft list table ip calico` of a VXLAN node without workloads) reproduced from netpolc's own Felix chains:
// a VXLAN-only cluster at 3.30 (the dump's mark masks and `cali40all-ipam-pools` hash, §B.5) translated
// by renderCalicoNft. Where netpolc's iptables model lacks a rule the dump has, the rule is spliced into the
// model, which shows the translation would then agree too.
import { describe, expect, it } from "vitest";
import { nftRuleHashes } from "../../../src/backends/calico/nft/hash.js";
import { renderCalicoNft } from "../../../src/backends/calico/index.js";
import type { NodeOutput } from "../../../src/backends/types.js";
import type { NftTable } from "../../../src/rules/nft/model.js";
import type { Chain, Rule, RuleSet, TableName } from "../../../src/rules/types.js";
import { modelOf, nftOf } from "./nft-helpers.js";

/** Every `cali:` hash of [CAL-DUMP], per chain, in rule order. */
const DUMP: Readonly<Record<string, readonly string[]>> = {
  "mangle-PREROUTING": ["jmRVmI9bNZO24-SX"],
  "mangle-POSTROUTING": ["JB8QlG6bRG3vqMJh"],
  "raw-OUTPUT": ["VPZUYaZDz-FnULU0"],
  "filter-FORWARD": ["dpfqBgJrpRwlrqw1", "yp7iNUYNEhDmKF6E", "fXaqbwKfGHq5dvHP"],
  "nat-PREROUTING": ["8sk3stC_vMHYORJg"],
  "nat-POSTROUTING": ["z057H0Z77Fcko47w"],
  "raw-PREROUTING": ["K8JBn-S_RLieKm3n"],
  "filter-INPUT": ["H0S9z2pOh43UL0cc"],
  "filter-OUTPUT": ["cxN7yDysHHPQSuUC"],
  "nat-OUTPUT": ["MUvsO-9-Ry3DQcZV"],
  "filter-cali-from-wl-dispatch": ["Lui9n9_J-BlSLUtk", "KMISEjprqaGFiicp"],
  "filter-cali-to-wl-dispatch": ["ljtHSLJQhigspPd1", "zeZtiiPDsE6BwqUG"],
  "nat-cali-nat-outgoing": ["JjuWIaIfSLZi41Xk"],
  "mangle-cali-PREROUTING": ["hRS28YpQh4sf7lSw", "IwtMN-rc3DmNzBzY", "3IqyhzcAvEfc5ghM", "pt2vpkSdeEEZuFJW"],
  "raw-cali-PREROUTING": ["_m5XxTROnUC3kwU9", "KSSCpT-T9DVdO0Iq", "MfbbuIABLCdEyuDF", "WkruAv78Jz9mDykg", "-AqscjC9Vg6h2HXv", "s5qWstZtZZWDC7hD", "el99SHzsxDHcC0i6"],
  "filter-cali-FORWARD": ["DjLNGAdnReheqqCp", "nYRf9HAGIu4qv2zI", "otxs2Q4D05BNLIsQ", "j573pOiV4ETpv7o4", "spaMQnRTjqphyAAs", "gPO_isDuaIy0xfd5"],
  "filter-cali-wl-to-host": ["Ny8jNeS1ncqmgkwL", "m-f8F_F3sZQBn4vu"],
  "nat-cali-PREROUTING": ["4l5hoyVny05ifNh_"],
  "nat-cali-POSTROUTING": ["tyzVzs_JgnIisxS6", "_Ye9aC74uuE93XON", "2Er8attV1nLNdKXr"],
  "raw-cali-OUTPUT": ["e2BVX_cHZ6ITRbRX", "VWMOize4AGqDOd8U", "27f-hiVuGN6Hixm2", "C_dtFa4FZl3n3guC"],
  "filter-cali-INPUT": ["Gtn781KKHXqD1ZWy", "uwBdMK7MloVtOKLK", "bQPg3nrC7bqqlzEy", "y9q5TVbyVOp08Pbf", "g94iaS8uaXhlEYN1", "r1yiSr9IJXTbVonm", "Bw-drvME99fwv09t"],
  "nat-cali-OUTPUT": ["delU-zntVHn7bNcr"],
  "mangle-cali-POSTROUTING": ["mS7Pbp4wnbne4NEE", "BC0Ti2X7IhbvY97T", "QNi0wuz0doF36FlX", "aleSM6VBsY-WKEx_"],
  "filter-cali-OUTPUT": ["98uiW9xxCe92G9L3", "XeexzRpdwsnmqftJ", "gAwQMXeaURLLhMud", "aLINYsbhdLorP87H", "lcOFavYL6gslb8h_", "VV3w_F7Dkj1IHDev"],
};
/** [CAL-DUMP]'s chains without rules. */
const EMPTY = [
  "filter-cali-cidr-block", "filter-cali-from-hep-forward", "filter-cali-from-host-endpoint", "filter-cali-to-hep-forward", "filter-cali-to-host-endpoint",
  "mangle-FORWARD", "mangle-INPUT", "mangle-OUTPUT", "mangle-cali-from-host-endpoint", "mangle-cali-to-host-endpoint", "nat-INPUT",
  "nat-cali-fip-dnat", "nat-cali-fip-snat", "raw-cali-from-host-endpoint", "raw-cali-rpf-skip", "raw-cali-to-host-endpoint",
];

/**
 * Where netpolc's iptables model differs from the Felix that made the dump: the VXLAN NOTRACK rules of raw
 * cali-PREROUTING/cali-OUTPUT (static.go, VXLAN on, not built by static.ts), and nat POSTROUTING's hook, which
 * Felix appends since v3.29 ("We must go last", int_dataplane.go, d0b66a4cf9) where static.ts inserts it.
 */
const MODEL_GAPS = ["raw-cali-PREROUTING", "raw-cali-OUTPUT", "nat-POSTROUTING"];

const VXLAN = ["vxlan-always-static-rules/cluster.yaml", "vxlan-always-static-rules/policy.yaml"];
const hashesOf = (t: NftTable, chain: string): string[] | undefined => t.chains.find((c) => c.name === chain)?.rules.map((r) => /^cali:([^;]{16});/.exec(r.comment!)![1]!);

/** Felix's `Protocol("udp").DestPort(4789)` → NoTrack, as the model would hold it (`-p udp --dport 4789 -j NOTRACK`). */
const notrack: Rule = {
  parts: [{ kind: "protocol", negated: false, value: "udp" }, { kind: "match", module: "udp", implicit: true, options: [{ name: "dport", negated: false, args: ["4789"] }] }],
  target: { kind: "jump", name: "NOTRACK", options: [] },
};

function edit(rs: RuleSet, table: TableName, chain: string, f: (c: Chain) => Chain): RuleSet {
  return { tables: rs.tables.map((t) => (t.name !== table ? t : { ...t, chains: t.chains.map((c) => (c.name === chain ? f(c) : c)) })) };
}
const spliced = (c: Chain, at: number, r: Rule): Chain => ({ ...c, rules: [...c.rules.slice(0, at), r, ...c.rules.slice(at)], hashRuns: [{ chain: c.name, rules: c.rules.length + 1 }] });

describe("[CAL-DUMP] hashes from netpolc's static chains (VXLAN node, 3.30)", () => {
  const run = nftOf(modelOf(VXLAN), "node1", "3.30");

  it("every chain netpolc builds as the dump's Felix did has the dump's hashes", () => {
    for (const [chain, hashes] of Object.entries(DUMP)) if (!MODEL_GAPS.includes(chain)) expect(hashesOf(run.table, chain), chain).toEqual(hashes);
    for (const chain of EMPTY) expect(hashesOf(run.table, chain), chain).toEqual([]);
  });

  it("the hashes §B.5 quotes, from the rule texts it quotes", () => {
    expect(nftRuleHashes("filter-cali-wl-to-host", ["counter jump filter-cali-from-wl-dispatch", "counter accept"])).toEqual(["Ny8jNeS1ncqmgkwL", "m-f8F_F3sZQBn4vu"]);
    expect(nftRuleHashes("raw-cali-PREROUTING", ["counter meta mark set mark & 0xffe4ffff", "meta l4proto udp udp dport 4789 counter notrack", "iifname cali* counter meta mark set mark or 0x80000"]))
      .toEqual(["_m5XxTROnUC3kwU9", "KSSCpT-T9DVdO0Iq", "MfbbuIABLCdEyuDF"]);
    expect(nftRuleHashes("filter-FORWARD*appends*", ["meta mark & 0x10000 == 0x10000 counter accept", "counter meta mark set mark or 0x10000"])).toEqual(["yp7iNUYNEhDmKF6E", "fXaqbwKfGHq5dvHP"]);
  });

  it("with the model's gaps filled (NOTRACK rules, appended nat POSTROUTING hook) the rest of the dump follows", () => {
    let rs = run.felix.ruleset;
    rs = edit(rs, "raw", "cali-PREROUTING", (c) => spliced(c, 1, notrack));
    rs = edit(rs, "raw", "cali-OUTPUT", (c) => spliced(c, 2, notrack));
    rs = edit(rs, "nat", "POSTROUTING", (c) => ({ ...c, hashRuns: [{ chain: "POSTROUTING", rules: 0 }, { chain: "POSTROUTING*appends*", rules: c.rules.length }] }));
    const felix: NodeOutput = { ...run.felix, ruleset: rs };
    const table = renderCalicoNft(run.comp, felix, run.opts, 4);
    for (const chain of MODEL_GAPS) expect(hashesOf(table, chain), chain).toEqual(DUMP[chain]);
  });
});

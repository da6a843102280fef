// The hashes of [CAL-DUMP] (nftables.md §0: projectcalico/calico felix/fv/cali-nftables-dump.txt, a real
// `nft list table ip calico` of a VXLAN node without workloads) reproduced from netpolc's own Felix chains:
// a VXLAN-only cluster at 3.30 (the dump's mark masks and `cali40all-ipam-pools` hash, §B.5) translated
// by renderCalicoNft — including the VXLAN NOTRACK rules of raw cali-PREROUTING/cali-OUTPUT (v3.29+) and the
// nat POSTROUTING hook Felix appends ("We must go last", hashed under `nat-POSTROUTING*appends*`).
import { describe, expect, it } from "vitest";
import { nftRuleHashes } from "../../../src/backends/calico/nft/hash.js";
import type { NftTable } from "../../../src/rules/nft/model.js";
import { printStmtsInput } from "../../../src/rules/nft/print.js";
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

const VXLAN = ["vxlan-always-static-rules/cluster.yaml", "vxlan-always-static-rules/policy.yaml"];
const hashesOf = (t: NftTable, chain: string): string[] | undefined => t.chains.find((c) => c.name === chain)?.rules.map((r) => /^cali:([^;]{16});/.exec(r.comment!)![1]!);

describe("[CAL-DUMP] hashes from netpolc's static chains (VXLAN node, 3.30)", () => {
  const run = nftOf(modelOf(VXLAN), "node1", "3.30");

  it("every chain has the dump's hashes, from netpolc's own chains", () => {
    for (const [chain, hashes] of Object.entries(DUMP)) expect(hashesOf(run.table, chain), chain).toEqual(hashes);
    for (const chain of EMPTY) expect(hashesOf(run.table, chain), chain).toEqual([]);
  });

  it("the hashes §B.5 quotes, from the rule texts it quotes", () => {
    expect(nftRuleHashes("filter-cali-wl-to-host", ["counter jump filter-cali-from-wl-dispatch", "counter accept"])).toEqual(["Ny8jNeS1ncqmgkwL", "m-f8F_F3sZQBn4vu"]);
    expect(nftRuleHashes("raw-cali-PREROUTING", ["counter meta mark set mark & 0xffe4ffff", "meta l4proto udp udp dport 4789 counter notrack", "iifname cali* counter meta mark set mark or 0x80000"]))
      .toEqual(["_m5XxTROnUC3kwU9", "KSSCpT-T9DVdO0Iq", "MfbbuIABLCdEyuDF"]);
    expect(nftRuleHashes("filter-FORWARD*appends*", ["meta mark & 0x10000 == 0x10000 counter accept", "counter meta mark set mark or 0x10000"])).toEqual(["yp7iNUYNEhDmKF6E", "fXaqbwKfGHq5dvHP"]);
  });

  it("the chains the model once lacked: VXLAN NOTRACK in raw (P29+), nat POSTROUTING's hook appended (P28+)", () => {
    const input = (chain: string, i: number): string => printStmtsInput(run.table.chains.find((c) => c.name === chain)!.rules[i]!.stmts, "felix");
    expect(input("raw-cali-PREROUTING", 1)).toBe("meta l4proto udp udp dport 4789 counter notrack");
    expect(input("raw-cali-OUTPUT", 2)).toBe("meta l4proto udp udp dport 4789 counter notrack");
    expect(hashesOf(run.table, "nat-POSTROUTING")).toEqual(nftRuleHashes("nat-POSTROUTING*appends*", ["counter jump nat-cali-POSTROUTING"]));
  });
});

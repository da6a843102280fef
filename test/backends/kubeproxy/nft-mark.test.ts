// kube-proxy's masquerade mark in nftables mode: its unit tests write `0x4000`,
// real kube-proxy formats it with Go's %#08x (`0x00004000`, nftables.md §A.2);
// `--masquerade-mark padded` picks the latter for the `nft -f` transaction. The
// listing (what `nft list` prints, `<node>.nft`) pads to 8 digits either way.
import { describe, expect, it } from "vitest";
import { printListing } from "../../../src/rules/nft/print.js";
import { chainRules, KP_NFT_1_FILES, nftTable } from "./nft-helpers.js";

describe("kube-proxy nftables: the masquerade mark's spelling", () => {
  const short = nftTable(KP_NFT_1_FILES, "test-node");
  const padded = nftTable(KP_NFT_1_FILES, "test-node", { paddedMark: true });

  it("short by default (the unit tests' 0x4000), 8 digits with paddedMark (real kube-proxy's %#08x)", () => {
    expect(chainRules(short, "mark-for-masquerade")).toEqual(["mark set mark or 0x4000"]);
    expect(chainRules(short, "masquerading")).toEqual(["mark and 0x4000 == 0 return", "mark set mark xor 0x4000", "masquerade fully-random"]);
    expect(chainRules(padded, "mark-for-masquerade")).toEqual(["mark set mark or 0x00004000"]);
    expect(chainRules(padded, "masquerading")).toEqual(["mark and 0x00004000 == 0 return", "mark set mark xor 0x00004000", "masquerade fully-random"]);
  });

  it("the same listing either way", () => {
    expect(printListing({ tables: [padded] })).toBe(printListing({ tables: [short] }));
    expect(printListing({ tables: [short] })).toContain("meta mark set meta mark | 0x00004000");
  });
});

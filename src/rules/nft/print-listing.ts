// The nft printer's listing spelling: what `nft -s list ruleset` prints (nftables.md §A.8, §B.4).
import type { NftRuleset } from "./model.js";

export function printListing(_ruleset: NftRuleset): string {
  throw new Error("printListing: not yet implemented");
}

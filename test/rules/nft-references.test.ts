// Dangling references in nft text: what `nft -f` refuses (the whole batch) and
// a parse alone does not see, reported at the rule's line.
import { describe, expect, it } from "vitest";
import { parseNft } from "../../src/rules/nft/parse.js";
import { formatParseDiagnostic } from "../../src/rules/parser.js";
import { referenceErrors } from "../../src/rules/nft/references.js";

const TEXT = `table ip calico {
	set cali40s-a {
		type ipv4_addr
		flags interval
	}

	map filter-cali-to-wl-dispatch {
		type ifname : verdict
		elements = { "cali1" : goto filter-cali-tw-cali1, "cali2" : goto filter-cali-tw-gone }
	}

	chain filter-cali-tw-cali1 {
		ip saddr @cali40s-a accept
		ip saddr @cali40s-missing accept
		jump filter-cali-nowhere
		oifname vmap @filter-cali-to-wl-dispatch
		oifname vmap @no-such-map
	}
}
`;

describe("nft references", () => {
  it("names every jump, goto, set and map a table lacks, at its line", () => {
    const parsed = parseNft(TEXT, { file: "n1.nft" });
    expect(parsed.diagnostics).toEqual([]);
    expect(referenceErrors(parsed.ruleset, TEXT, "n1.nft").map(formatParseDiagnostic)).toEqual([
      "n1.nft:14:1: error: @cali40s-missing in chain filter-cali-tw-cali1: table ip calico has no set or map cali40s-missing (nft -f would refuse the whole file)",
      "n1.nft:15:1: error: jump filter-cali-nowhere in chain filter-cali-tw-cali1: table ip calico has no chain filter-cali-nowhere (nft -f would refuse the whole file)",
      "n1.nft:17:1: error: vmap @no-such-map in chain filter-cali-tw-cali1: table ip calico has no set or map no-such-map (nft -f would refuse the whole file)",
      "n1.nft:1:1: error: element cali2 of map filter-cali-to-wl-dispatch: table ip calico has no chain filter-cali-tw-gone (nft -f would refuse the whole file)",
    ]);
  });

  it("a complete table has none", () => {
    const ok = TEXT.replace(/\t\tip saddr @cali40s-missing accept\n|\t\tjump filter-cali-nowhere\n|\t\toifname vmap @no-such-map\n/g, "").replace(', "cali2" : goto filter-cali-tw-gone', "");
    const parsed = parseNft(ok, { file: "n1.nft" });
    expect(parsed.diagnostics).toEqual([]);
    expect(referenceErrors(parsed.ruleset, ok, "n1.nft")).toEqual([]);
  });
});

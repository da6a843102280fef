// CAL-NFT-F1 (nftables.md §B.8): the F1 scenario's node1 under Calico 3.32's
// nftables dataplane, every object of the fixture with its rule text and hash.
import { describe, expect, it } from "vitest";
import { printTransaction } from "../../../src/rules/nft/print.js";
import { F1, modelOf, nftOf } from "./nft-helpers.js";

const FIXTURE = `add table ip calico
add set ip calico cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge { type ipv4_addr ; flags interval ; }
add map ip calico filter-cali-to-wl-dispatch { type ifname : verdict ; }
add chain ip calico filter-FORWARD { type filter hook forward priority 0 ; }
add chain ip calico filter-cali-tw-cali95aa86cbb2a
add chain ip calico filter-cali-pi-knp/default/allow-db-access
add chain ip calico filter-cali-pri-kns.default
add chain ip calico filter-cali-pri-ksa.default.default
add chain ip calico filter-cali-to-wl-dispatch
add rule ip calico filter-cali-tw-cali95aa86cbb2a ct state related,established counter accept comment "cali:vLsjs0IhBP2bMnZi;"
add rule ip calico filter-cali-tw-cali95aa86cbb2a ct state invalid counter drop comment "cali:875gC5p9taeWMUt7;"
add rule ip calico filter-cali-tw-cali95aa86cbb2a counter meta mark set mark & 0xfffcffff comment "cali:EQEd5KwtT9v6W_IB;"
add rule ip calico filter-cali-tw-cali95aa86cbb2a counter meta mark set mark & 0xfffdffff comment "cali:eT65Qq6G07i4TBPA; Start of tier default"
add rule ip calico filter-cali-tw-cali95aa86cbb2a meta mark & 0x20000 == 0 counter jump filter-cali-pi-knp/default/allow-db-access comment "cali:2keoafuegdC6X3oG;"
add rule ip calico filter-cali-tw-cali95aa86cbb2a meta mark & 0x10000 == 0x10000 counter return comment "cali:huUQ89Ms2bJ-CKvd; Return if policy accepted"
add rule ip calico filter-cali-tw-cali95aa86cbb2a meta mark & 0x20000 == 0 counter drop comment "cali:6SHnjv5BvrxU06F2; End of tier default. Drop if no policies passed packet"
add rule ip calico filter-cali-tw-cali95aa86cbb2a counter jump filter-cali-pri-kns.default comment "cali:FdyloH6VaybDnuSl;"
add rule ip calico filter-cali-tw-cali95aa86cbb2a meta mark & 0x10000 == 0x10000 counter return comment "cali:b4ZzmuP0A0o-lOoL; Return if profile accepted"
add rule ip calico filter-cali-tw-cali95aa86cbb2a counter jump filter-cali-pri-ksa.default.default comment "cali:AWEiaKJY_BiJOCr6;"
add rule ip calico filter-cali-tw-cali95aa86cbb2a meta mark & 0x10000 == 0x10000 counter return comment "cali:6eLixS6MmeJYBceh; Return if profile accepted"
add rule ip calico filter-cali-tw-cali95aa86cbb2a counter drop comment "cali:aAhDBWNiIHjg0O9H; Drop if no profiles matched"
add rule ip calico filter-cali-pi-knp/default/allow-db-access ip saddr @cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge counter meta mark set mark or 0x10000 comment "cali:BDBjgf2N2FxNWSkW; KubernetesNetworkPolicy default/allow-db-access ingress"
add rule ip calico filter-cali-pri-kns.default counter meta mark set mark or 0x10000 comment "cali:q9-9Gdat5_ETkrCZ; Profile kns.default ingress"
add rule ip calico filter-cali-pri-ksa.default.default continue comment "cali:p_Mw2SCh5ugQsIFB; Profile ksa.default.default ingress"
add rule ip calico filter-cali-to-wl-dispatch oifname vmap @filter-cali-to-wl-dispatch comment "cali:ljtHSLJQhigspPd1;"
add rule ip calico filter-cali-to-wl-dispatch counter drop comment "cali:zeZtiiPDsE6BwqUG; Unknown interface"
add element ip calico cali40s-LrVD8vMIGQDyv8Y7sPFB1Ge { 192.168.231.6 }
add element ip calico filter-cali-to-wl-dispatch { cali95aa86cbb2a : goto filter-cali-tw-cali95aa86cbb2a }`.split("\n");

/** The rule lines of one chain, in order. */
const rulesOf = (lines: readonly string[], chain: string): string[] => lines.filter((l) => l.startsWith(`add rule ip calico ${chain} `));

describe("CAL-NFT-F1 (nftables.md §B.8), Calico 3.32", () => {
  const { table } = nftOf(modelOf(F1), "node1", "3.32");
  const lines = printTransaction({ tables: [table] }).trimEnd().split("\n");

  it("every declaration and element of the fixture is in the node's transaction", () => {
    for (const l of FIXTURE.filter((x) => !x.startsWith("add rule "))) expect(lines, l).toContain(l);
  });

  it("each fixture chain has exactly the fixture's rules, text and hash", () => {
    const chains = [...new Set(FIXTURE.filter((l) => l.startsWith("add rule ")).map((l) => l.split(" ")[4]!))];
    expect(chains).toHaveLength(5);
    for (const c of chains) expect(rulesOf(lines, c), c).toEqual(rulesOf(FIXTURE, c));
  });
});

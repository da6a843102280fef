// Property tests of the nft printer and parser over generated rulesets
// (test/rules/nft-gen.ts): both spellings re-print byte for byte after a
// parse, both parse back to the model through canonicalize(), and
// canonicalize is idempotent. test/kernel/nft-roundtrip.test.ts loads the
// same generator's rulesets into the kernel.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNft, formatParseDiagnostic } from "../../src/rules/nft/parse.js";
import { canonicalize, printListing, printTransaction } from "../../src/rules/nft/print.js";
import { rulesetArb } from "./nft-gen.js";

function parsed(text: string) {
  const r = parseNft(text);
  expect(r.diagnostics.map(formatParseDiagnostic)).toEqual([]);
  return r.ruleset;
}

describe("nft printer and parser, generated rulesets", () => {
  it("transaction → parse → transaction, and the model survives", () => {
    fc.assert(
      fc.property(rulesetArb, (m) => {
        const text = printTransaction(m);
        const back = parsed(text);
        expect(printTransaction(back)).toBe(text);
        expect(canonicalize(back)).toEqual(canonicalize(m));
      }),
      { numRuns: 200 },
    );
  });

  it("listing → parse → listing, and the model survives; canonicalize is idempotent", () => {
    fc.assert(
      fc.property(rulesetArb, (m) => {
        const listing = printListing(m);
        const back = parsed(listing);
        expect(printListing(back)).toBe(listing);
        const once = canonicalize(m);
        expect(canonicalize(back)).toEqual(once);
        expect(canonicalize(once)).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });
});

// The nft parser: both forms print.ts writes read back into the model.
// Round trips (nftables.md §A.6, §A.8): the transaction re-prints byte for
// byte; the listing re-prints byte for byte; and both parse to the model
// they were printed from, compared through canonicalize() (which also drops
// the parser's `line`s and the listing's normalisations).
import { describe, expect, it } from "vitest";
import { formatParseDiagnostic, parseNft } from "../../src/rules/nft/parse.js";
import { canonicalize, printListing, printNodeFile, printTransaction, sortTransaction } from "../../src/rules/nft/print.js";
import { CASES } from "./nft-cases.js";
import { localFixture } from "./spec-text.js";

function parsed(text: string) {
  const r = parseNft(text, { file: "t.nft" });
  expect(r.diagnostics.map(formatParseDiagnostic)).toEqual([]);
  return r.ruleset;
}

describe("parseNft round trips", () => {
  it.each(CASES)("%s: transaction → parse → transaction is identical, and the model survives", (_name, build) => {
    const m = build();
    const text = printTransaction(m);
    const back = parsed(text);
    expect(printTransaction(back)).toBe(text);
    expect(canonicalize(back)).toEqual(canonicalize(m));
  });

  it.each(CASES)("%s: listing → parse → listing is identical, and the model survives", (_name, build) => {
    const m = build();
    const listing = printListing(m);
    const back = parsed(listing);
    expect(printListing(back)).toBe(listing);
    expect(canonicalize(back)).toEqual(canonicalize(m));
  });

  it("reads the node file's replace preamble", () => {
    const m = CASES[0]![1]();
    expect(printListing(parsed(printNodeFile(m)))).toBe(printListing(m));
  });

  it("reads upstream's fixture in its own order (KP-NFT-1 as written, # lines and all)", () => {
    const text = localFixture("nft-kp-nft-1.input.txt");
    expect(sortTransaction(printTransaction(parsed(text)))).toBe(sortTransaction(text));
  });
});

describe("parseNft lines and errors", () => {
  it("puts source lines on rules", () => {
    const rs = parsed("table ip t {\n\tchain c {\n\t\taccept\n\n\t\tcounter drop\n\t}\n}\n");
    expect(rs.tables[0]!.chains[0]!.rules.map((r) => r.line)).toEqual([3, 5]);
    const tx = parsed("add table ip t\nadd chain ip t c\n# x\nadd rule ip t c accept\n");
    expect(tx.tables[0]!.chains[0]!.rules[0]!.line).toBe(4);
  });

  it.each([
    ["add table ip t\nadd rule ip t nochain accept\n", "t.nft:2:15: error: no chain nochain in table ip t"],
    ["add table ip t\nadd chain ip t c\nadd rule ip t c frobnicate 3\n", "t.nft:3:17: error: expected a statement, found 'frobnicate'"],
    ["table ip t {\n\tchain c {\n\t\tip saddr\n\t}\n}\n", "t.nft:3:6: error: expected a value at end of line"],
    ["table ip t {\n\tchain c {\n", "t.nft:3:1: error: expected '}', found end of input"],
    ['add table ip t { comment "x ; }\n', "t.nft:1:26: error: unterminated quoted string"],
  ])("%#: %s", (text, message) => {
    const r = parseNft(text, { file: "t.nft" });
    expect(r.diagnostics.map(formatParseDiagnostic)[0]).toBe(message);
  });
});

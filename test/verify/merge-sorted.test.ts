// mergeSorted (src/verify/classes.ts): a hop's port cuts are the union of its node's and its interfaces' cuts,
// merged from ascending lists instead of sorted afresh per hop content.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeSorted } from "../../src/verify/classes.js";
import { propertyParams } from "../property/params.js";

const ascending = fc.uniqueArray(fc.integer({ min: 0, max: 70_000 }), { maxLength: 60 }).map((l) => l.sort((a, b) => a - b));

describe("mergeSorted", () => {
  it("gives the ascending union without repeats, as a set and a sort would", () => {
    fc.assert(
      fc.property(ascending, ascending, (a, b) => {
        expect(mergeSorted(a, b)).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
      }),
      propertyParams(200),
    );
  });

  it("gives back a list that holds the other one itself, unchanged", () => {
    const a = [1, 5, 9, 443];
    expect(mergeSorted(a, [5, 443])).toBe(a);
    expect(mergeSorted([], a)).toBe(a);
    expect(mergeSorted(a, [])).toBe(a);
    expect(mergeSorted([2], a)).toEqual([1, 2, 5, 9, 443]);
  });
});

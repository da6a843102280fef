// columnGroups (src/verify/classes.ts): pods grouped by their answers to every CIDR and set the rules read, through
// hashes of the answers, yet exact — a hash collision is found and said (differs), never a merge.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { columnGroups, type RowHash } from "../../src/verify/classes.js";

const run = (rows: number[][], hash?: RowHash) => {
  const n = rows.length;
  const columns = rows[0]?.length ?? 0;
  const code = new Int32Array(n);
  return columnGroups(n, columns, (j) => {
    rows.forEach((r, i) => (code[i] = r[j]!));
    return code;
  }, hash);
};

const same = (a: readonly number[], b: readonly number[]): boolean => a.every((x, j) => x === b[j]);
const matrix = fc.integer({ min: 1, max: 6 }).chain((cols) => fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: cols, maxLength: cols }), { minLength: 1, maxLength: 40 }));

/** Every row is either with its group's first row and answers as it does, or flagged. */
function exact(rows: number[][], r: { rep: Int32Array; differs: Uint8Array }): void {
  rows.forEach((row, i) => {
    const first = rows[r.rep[i]!]!;
    expect(r.rep[i]).toBeLessThanOrEqual(i);
    expect(r.differs[i] === 0).toBe(same(row, first));
  });
}

describe("columnGroups", () => {
  it("rows with equal answers share their group, and no row is with a row whose answers differ unless flagged", () => {
    fc.assert(
      fc.property(matrix, (rows) => {
        const r = run(rows);
        exact(rows, r);
        for (let i = 0; i < rows.length; i++) for (let k = 0; k < i; k++) if (same(rows[i]!, rows[k]!)) expect(r.rep[i]).toBe(r.rep[k]);
      }),
      { numRuns: 300 },
    );
  });

  it("a hash that collides on everything puts every row in one group, and flags exactly the rows unlike the first", () => {
    const collide: RowHash = { mix: () => [7, 7] };
    fc.assert(
      fc.property(matrix, (rows) => {
        const r = run(rows, collide);
        expect([...r.rep].every((x) => x === 0)).toBe(true);
        exact(rows, r);
      }),
      { numRuns: 200 },
    );
  });
});

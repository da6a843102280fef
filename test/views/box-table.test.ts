// calicoctl's table layout (olekukonko/tablewriter v0.0.5) and Go's number
// formatting as `calicoctl ipam show` uses them (%.5g counts, %.f percentages).
import { describe, expect, it } from "vitest";
import { boxTable, cellText, countWithPercent, goCount, goPercent } from "../../src/views/box-table.js";

describe("goCount (Go %.5g of a count)", () => {
  it("prints up to five digits as they are, then the exponent form with trailing zeros dropped", () => {
    expect([0, 1, 64, 4096, 65536, 99999].map(goCount)).toEqual(["0", "1", "64", "4096", "65536", "99999"]);
    expect([100000, 1048576, 16777216, 2 ** 64, 2 ** 128].map(goCount)).toEqual(["1e+05", "1.0486e+06", "1.6777e+07", "1.8447e+19", "3.4028e+38"]);
  });

  it("rounds half to even on the exact value, as strconv does", () => {
    expect(goCount(123455)).toBe("1.2346e+05");
    expect(goCount(123465)).toBe("1.2346e+05");
    expect(goCount(123466)).toBe("1.2347e+05");
    expect(goCount(999995)).toBe("1e+06");
  });

  it("refuses what is not a count (a bug, not input)", () => {
    expect(() => goCount(1.5)).toThrow();
    expect(() => goCount(-1)).toThrow();
  });
});

describe("goPercent (Go %.f)", () => {
  it("rounds to the nearest integer, a tie to even (JS toFixed would round 12.5 up)", () => {
    expect([0, 0.5, 1.5, 2.5, 4.6875, 12.5, 13.5, 87.5, 99.99, 100].map(goPercent)).toEqual(["0", "0", "2", "2", "5", "12", "14", "88", "100", "100"]);
  });

  it("gives calicoctl's in-use and free cells", () => {
    expect(countWithPercent(5, 64)).toBe("5 (8%)");
    expect(countWithPercent(8, 64)).toBe("8 (12%)");
    expect(countWithPercent(56, 64)).toBe("56 (88%)");
    expect(countWithPercent(7, 65536)).toBe("7 (0%)");
    expect(countWithPercent(2 ** 64 - 5, 2 ** 64)).toBe("1.8447e+19 (100%)");
  });
});

describe("boxTable (tablewriter v0.0.5 default style)", () => {
  it("centres headers (odd space right), right-aligns numbers, left-aligns the rest", () => {
    expect(boxTable(["GROUPING", "CIDR", "IPS TOTAL"], [["IP Pool", "10.0.0.0/16", "65536"], ["Block", "10.0.0.0/26", "64"], ["Big", "::/0", "3.4028e+38"]])).toBe(
      [
        "+----------+-------------+------------+",
        "| GROUPING |    CIDR     | IPS TOTAL  |",
        "+----------+-------------+------------+",
        "| IP Pool  | 10.0.0.0/16 |      65536 |",
        "| Block    | 10.0.0.0/26 |         64 |",
        "| Big      | ::/0        | 3.4028e+38 |",
        "+----------+-------------+------------+",
        "",
      ].join("\n"),
    );
  });

  it("closes a table without rows", () => {
    expect(boxTable(["IP", "TYPE"], [])).toBe("+----+------+\n| IP | TYPE |\n+----+------+\n+----+------+\n");
  });

  it("keeps its shape whatever a cell holds: newlines, |, escapes, wide characters", () => {
    const hostile = ["a|b", "x\ny\r\tz", "\u001b[31mred", "名前", "back\\slash", "\u2028"];
    const text = boxTable(["NAME", "N"], hostile.map((h) => [h, "1"]));
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(hostile.length + 4);
    for (const l of lines) {
      expect(l.length).toBe(lines[0]!.length);
      expect(l).toMatch(/^[\x20-\x7e]+$/);
      expect(l.split(/[|+]/).length).toBe(4);
    }
    expect(cellText("a|b\n")).toBe("a\\x7cb\\x0a");
    expect(cellText("名")).toBe("\\u{540d}");
  });
});

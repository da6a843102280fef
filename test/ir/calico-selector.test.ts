// Evaluation of Calico selectors (libcalico-go parser/ast.go Evaluate): the
// truth tables of parser_test.go's selectorTests, per-operator tables for an
// absent label, and properties of printing and parsing random trees.
import fc from "fast-check";
import { describe, expect, it, test } from "vitest";
import { parseCalicoSelector } from "../../src/frontend/validation/calico-selector.js";
import { canonical, evaluate, selectorSet, type CalicoSelector, type ValueOperator } from "../../src/ir/calico-selector.js";
import { propertyParams } from "../property/params.js";

function parse(text: string): CalicoSelector {
  const r = parseCalicoSelector(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.selector;
}
const labels = (o: Record<string, string>): ReadonlyMap<string, string> => new Map(Object.entries(o));

describe("parser_test.go selectorTests", () => {
  // [selector, labels it matches, labels it does not match]
  type Row = [string, Record<string, string>[], Record<string, string>[]];
  const rows: Row[] = [
    ['a == "b"', [{ a: "b" }, { a: "b", c: "d" }], [{}, { a: "c" }, { c: "d" }]],
    ['a == "b" && c == "d"', [{ a: "b", c: "d" }], [{}, { a: "b", c: "e" }, { a: "c", c: "d" }, { c: "d" }, { a: "b" }]],
    ['a == "b" || c == "d"', [{ a: "b", c: "d" }, { a: "b" }, { c: "d" }], [{}, { a: "e", c: "e" }, { c: "e" }, { a: "e" }]],
    [`a in {"'", '"', "c"}`, [{ a: "c" }, { a: '"' }, { a: "'" }], [{}, { a: "e" }]],
    [`a not in {"'", '"', "c"}`, [{}, { a: "e" }], [{ a: "c" }, { a: '"' }, { a: "'" }]],
    ["a == 'a'", [{ a: "a" }], [{ a: "b" }, {}]],
    ['a != "b"', [{ a: "a" }], []],
    ['a != "a"', [{}], [{ a: "a" }]],
    ["a != 'a'", [], [{ a: "a" }]],
    ['a contains "a"', [{ a: "a" }, { a: "bab" }, { a: "aaa", b: "c" }], [{}, { a: "b" }, { b: "aaa" }]],
    ['a starts with "a"', [{ a: "a" }, { a: "abb" }, { a: "aaa", b: "c" }], [{}, { a: "b" }, { a: "baa" }, { b: "aaa" }]],
    ['a ends with "a"', [{ a: "a" }, { a: "bba" }, { a: "aaa", b: "c" }], [{}, { a: "b" }, { a: "aab" }, { b: "aaa" }]],
    ['a in {"a"}', [{ a: "a" }], [{ a: "b" }]],
    ['!a in {"a"}', [{ a: "b" }], []],
    ['a in {"a", "b"}', [{ a: "a" }, { a: "b" }], [{ a: "c" }]],
    ['a not in {"d", "e"}', [{ a: "a" }], []],
    ['a not in {"a"}', [], [{ a: "a" }]],
    ["has(a)", [{ a: "b" }], []],
    ["!has(a)", [{ b: "b" }], [{ a: "b" }]],
    ["has(b)", [], [{ a: "b" }]],
    ["!!has(b)", [], [{ a: "b" }]],
    ["! has(a)", [], [{ a: "b" }]],
    ["!!! has(a)", [], [{ a: "b" }]],
    ["!! ! has(a)", [], [{ a: "b" }]],
    ["! !!has(a)", [], [{ a: "b" }]],
    ["", [{}, { a: "b" }], []],
    [" ", [{}], []],
    [" all()", [{}, { a: "b" }], []],
    [" global()", [{}, { a: "b" }], []],
    ["a == 'a1' && b == 'b1'", [{ a: "a1", b: "b1" }], []],
    ["a == 'a1' && b != 'b1'", [], [{ a: "a1", b: "b1" }]],
    ["a != 'a1' && b == 'b1'", [], [{ a: "a1", b: "b1" }]],
    ["a != 'a1' && b != 'b1'", [], [{ a: "a1", b: "b1" }]],
    ["a != 'a1' && !b == 'b1'", [], [{ a: "a1", b: "b1" }]],
    ["!a == 'a1' && b == 'b1'", [], [{ a: "a1", b: "b1" }]],
    ["has(a) && !has(b)", [{ a: "a" }], []],
    ["!has(b) && has(a)", [{ a: "a" }], []],
    ["!(!has(a) || has(b))", [{ a: "a" }], []],
    ["!(has(b) || !has(a))", [{ a: "a" }], []],
    ["a == 'a1' || b == 'b1'", [{ a: "a1", b: "b1" }], []],
    ["a == 'a1' || b != 'b1'", [{ a: "a1", b: "b1" }], []],
    ["a != 'a1' || b == 'b1'", [{ a: "a1", b: "b1" }], []],
    ["a != 'a1' || b != 'b1'", [], [{ a: "a1", b: "b1" }]],
    ["! a == 'a1' || ! b == 'b1'", [], [{ a: "a1", b: "b1" }]],
  ];
  test.each(rows)("%j", (text, matches, nonMatches) => {
    // Upstream checks the selector and its re-parsed String() alike.
    for (const sel of [parse(text), parse(canonical(parse(text)))]) {
      for (const m of matches) expect(evaluate(sel, labels(m)), JSON.stringify(m)).toBe(true);
      for (const m of nonMatches) expect(evaluate(sel, labels(m)), JSON.stringify(m)).toBe(false);
    }
  });
});

describe("each operator on a present and an absent label", () => {
  const value = (kind: ValueOperator, v: string): CalicoSelector => ({ kind, label: "k", value: v });
  // [selector, {k: "abc"}, {k: "xyz"}, {} (k absent)]
  test.each<[string, CalicoSelector, boolean, boolean, boolean]>([
    ["==", value("eq", "abc"), true, false, false],
    ["!=", value("ne", "abc"), false, true, true],
    ["contains", value("contains", "b"), true, false, false],
    ["contains ''", value("contains", ""), true, true, false],
    ["starts with", value("starts-with", "ab"), true, false, false],
    ["ends with", value("ends-with", "bc"), true, false, false],
    ["in", { kind: "in", label: "k", values: ["abc"], negated: false }, true, false, false],
    ["not in", { kind: "in", label: "k", values: ["abc"], negated: true }, false, true, true],
    ["in {}", { kind: "in", label: "k", values: [], negated: false }, false, false, false],
    ["not in {}", { kind: "in", label: "k", values: [], negated: true }, true, true, true],
    ["has", { kind: "has", label: "k" }, true, true, false],
    ["all", { kind: "all" }, true, true, true],
    ["global", { kind: "global" }, true, true, true],
    ["or", { kind: "or", operands: [value("eq", "abc"), value("eq", "xyz")] }, true, true, false],
    ["and", { kind: "and", operands: [{ kind: "has", label: "k" }, value("ne", "xyz")] }, true, false, false],
  ])("%s", (_, sel, abc, xyz, absent) => {
    expect([evaluate(sel, labels({ k: "abc" })), evaluate(sel, labels({ k: "xyz" })), evaluate(sel, labels({}))]).toEqual([abc, xyz, absent]);
  });
});

// Random trees. Labels include the operator words, which are labels wherever
// they do not follow a label; values never hold both quote characters (Calico
// strings have no escapes, so such a value cannot be written).
const LABELS = ["a", "b", "kubernetes.io/hostname", "in", "not", "notin", "contains", "has", "all", "global", "startswith", "x_1-.z"];
const VALUES = ["", "x", "v", "a b", "'", '"', "x'y", "\n", "\u{1F600}", "\uFF21"];
const label = fc.constantFrom(...LABELS);
const value = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 6 })).filter((v) => !(v.includes('"') && v.includes("'")));
const leaf: fc.Arbitrary<CalicoSelector> = fc.oneof(
  fc.constant<CalicoSelector>({ kind: "all" }),
  fc.constant<CalicoSelector>({ kind: "global" }),
  fc.record({ kind: fc.constantFrom<ValueOperator>("eq", "ne", "contains", "starts-with", "ends-with"), label, value }),
  fc.record({ kind: fc.constant("in" as const), label, values: fc.array(value, { maxLength: 4 }), negated: fc.boolean() }),
  fc.record({ kind: fc.constant("has" as const), label }),
);

/**
 * Trees the type allows: `!!`, unsorted sets, and/or of `minOperands` or more.
 * (No zero-operand and/or: it prints as `()`, which is not a selector.)
 */
const anyTree = (minOperands: 1 | 2): fc.Arbitrary<CalicoSelector> =>
  fc.letrec<{ node: CalicoSelector }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      tie("node").map((operand): CalicoSelector => ({ kind: "not", operand })),
      fc.array(tie("node"), { minLength: minOperands, maxLength: 4 }).map((operands): CalicoSelector => ({ kind: "and", operands })),
      fc.array(tie("node"), { minLength: minOperands, maxLength: 4 }).map((operands): CalicoSelector => ({ kind: "or", operands })),
    ),
  })).node;

/** Trees the parser itself builds: sorted sets, no not-of-not, and/or of at least two. */
const normal = (s: CalicoSelector): CalicoSelector => (s.kind === "in" ? { ...s, values: selectorSet(s.values) } : s);
const parserTree = fc.letrec<{ node: CalicoSelector; notNot: CalicoSelector }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("notNot"), tie("notNot").map((operand): CalicoSelector => ({ kind: "not", operand }))),
  notNot: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf.map(normal),
    fc.array(tie("node"), { minLength: 2, maxLength: 4 }).map((operands): CalicoSelector => ({ kind: "and", operands })),
    fc.array(tie("node"), { minLength: 2, maxLength: 4 }).map((operands): CalicoSelector => ({ kind: "or", operands })),
  ),
})).node;

const labelMap = fc.dictionary(label, fc.constantFrom(...VALUES, "x y", "xv"), { maxKeys: 5 }).map((o) => labels(o));

describe("properties", () => {
  it("print(parse(print(ast))) is a fixed point of print∘parse (and/or of two or more, as parser and backend build them)", () => {
    // Printed text never holds `!(!x)`, the only way to parse a not-of-not, so
    // after one round every `!!` has collapsed. A one-operand and/or breaks
    // that: not(and(not(x))) prints `!(!x)`, and takes a second round (next test).
    fc.assert(
      fc.property(anyTree(2), (ast) => {
        const once = canonical(parse(canonical(ast)));
        expect(canonical(parse(once))).toBe(once);
      }),
      propertyParams(500, 0.5),
    );
  });

  it("a one-operand and-node around a negation needs a second round, as upstream's String() would", () => {
    const ast: CalicoSelector = { kind: "not", operand: { kind: "and", operands: [{ kind: "not", operand: { kind: "global" } }] } };
    expect(canonical(ast)).toBe("!(!global())");
    expect(canonical(parse(canonical(ast)))).toBe("!!global()");
    expect(canonical(parse("!!global()"))).toBe("global()");
  });

  it("parse(print(ast)) is ast for every tree the parser builds", () => {
    fc.assert(
      fc.property(parserTree, (ast) => {
        expect(parse(canonical(ast))).toEqual(ast);
      }),
      propertyParams(500, 0.5),
    );
  });

  it("printing and re-parsing keeps the meaning", () => {
    fc.assert(
      fc.property(anyTree(1), labelMap, (ast, l) => {
        expect(evaluate(parse(canonical(ast)), l)).toBe(evaluate(ast, l));
      }),
      propertyParams(500, 0.5),
    );
  });

  it("trees are plain data: a structured clone (worker threads) is equal and prints the same", () => {
    fc.assert(
      fc.property(anyTree(1), (ast) => {
        const copy = structuredClone(ast);
        expect(copy).toEqual(ast);
        expect(canonical(copy)).toBe(canonical(ast));
      }),
      propertyParams(100, 0.1),
    );
  });
});

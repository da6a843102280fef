// The Calico selector parser against libcalico-go's own test tables
// (lib/selector/parser/parser_test.go, lib/selector/tokenizer/tokenizer_test.go):
// parse → print canonical → compare, re-parse to a fixed point, the set ID
// Felix would hash, and the inputs upstream rejects, with our positions.
import { describe, expect, it, test } from "vitest";
import { makeUniqueId } from "../../src/backends/calico/names.js";
import { MAX_LABEL_LENGTH, MAX_SELECTOR_NESTING, parseCalicoSelector } from "../../src/frontend/validation/calico-selector.js";
import { canonical } from "../../src/ir/calico-selector.js";

/** canonical(parse(text)), or "ERROR@offset: message". */
function print(text: string): string {
  const r = parseCalicoSelector(text);
  return r.ok ? canonical(r.selector) : `ERROR@${r.error.offset}: ${r.error.message}`;
}

describe("parser_test.go canonicalisationTests", () => {
  // [input, canonical, UID ("" where upstream gives none)]
  const cases: [string, string, string][] = [
    ["", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"],
    [" all() ", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"],
    [" (all() )", "all()", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug"],
    ["! (has( b)||! has(a ))", "!(has(b) || !has(a))", "s:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q"],
    ['! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")', "s:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w"],
    [`a == "'"`, `a == "'"`, ""],
    [`a == '"'`, `a == '"'`, ""],
    [`a contains '"'`, `a contains '"'`, ""],
    [`a contains "'"`, `a contains "'"`, ""],
    [`a startswith '"'`, `a starts with '"'`, ""],
    [`a endswith "'"`, `a ends with "'"`, ""],
    [`a!='"'`, `a != '"'`, ""],
    ['a in {"d"}', 'a in {"d"}', ""],
    ['a in {"a", "b"}', 'a in {"a", "b"}', ""],
    ['a in {"d", "a", "b"}', 'a in {"a", "b", "d"}', ""],
    ['a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}', ""],
    ['a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}', ""],
  ];
  test.each(cases)("%j → %s", (input, expected, uid) => {
    const canon = print(input);
    expect(canon).toBe(expected);
    expect(print(canon)).toBe(canon);
    if (uid) expect(makeUniqueId("s", canon)).toBe(uid);
  });

  test("the visitor table's selectors, unprefixed", () => {
    expect(print("!(k == 'v')")).toBe('!k == "v"');
    expect(print("k == 'v' || has(x)")).toBe('(k == "v" || has(x))');
    expect(print("k not in {'v'}")).toBe('k not in {"v"}');
    expect(print("!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))")).toBe('!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})');
  });
});

describe("the tree parser.go builds", () => {
  test.each([
    ["a == 'x' && b == 'y' && c == 'z'", '(a == "x" && b == "y" && c == "z")'],
    ["a == 'x' || b == 'y' && c == 'z'", '(a == "x" || (b == "y" && c == "z"))'],
    ["(a == 'x' || b == 'y') && c == 'z'", '((a == "x" || b == "y") && c == "z")'],
    ["(a == 'x' && b == 'y') && c == 'z'", '((a == "x" && b == "y") && c == "z")'],
    ["((((has(a)))))", "has(a)"],
    ["!!has(b)", "has(b)"],
    ["!! ! has(a)", "!has(a)"],
    ["!a == 'x' && b == 'y'", '(!a == "x" && b == "y")'],
    ["global()", "global()"],
    ["global( ) || all()", "(global() || all())"],
    ["a in {}", "a in {}"],
    ["a in {'x',}", 'a in {"x"}'],
    ["a not in {'b', \"a\"}", 'a not in {"a", "b"}'],
    ["\t a\t==\t'b' ", 'a == "b"'],
    ["a == 'multi\nline'", 'a == "multi\nline"'],
    ["a == ''", 'a == ""'],
    ["kubernetes.io/hostname == 'n1'", 'kubernetes.io/hostname == "n1"'],
    ["zone in {'a','b'} && role != \"infra\"", '(zone in {"a", "b"} && role != "infra")'],
  ])("%j → %s", (input, expected) => {
    expect(print(input)).toBe(expected);
    expect(print(expected)).toBe(expected);
  });

  test("a negated group around a negation prints as !!, which re-parses to nothing negated (as upstream)", () => {
    // parser.go keeps Not(Not(x)) from `!(!x)` but collapses the `!!` it prints,
    // so String() is a fixed point only from the second round on.
    expect(print("!(!has(a))")).toBe("!!has(a)");
    expect(print("!!has(a)")).toBe("has(a)");
    expect(print("!(!(!(a == 'x' || has(b))))")).toBe('!!!(a == "x" || has(b))');
    expect(print('!!!(a == "x" || has(b))')).toBe('!(a == "x" || has(b))');
  });

  test("set values sort in Go's byte order, not UTF-16 order", () => {
    // U+FF21 sorts before U+1F600 in UTF-8 (and code points); its UTF-16 unit 0xFF21 sorts after the surrogate 0xD83D.
    expect(print("a in {'\u{1F600}', '\uFF21'}")).toBe('a in {"\uFF21", "\u{1F600}"}');
  });
});

describe("tokenizer_test.go: words are operators only after a label", () => {
  test.each([
    ['contains contains "contains"', 'contains contains "contains"'],
    ['startswith starts with "value"', 'startswith starts with "value"'],
    ['endswith ends with "value"', 'endswith ends with "value"'],
    ['label starts  with "value"', 'label starts with "value"'],
    ['label ends\twith "value"', 'label ends with "value"'],
    ['label contains"value"', 'label contains "value"'],
    ['a notin{"bar"}&&!has(foo)||b in{"c"}', '((a not in {"bar"} && !has(foo)) || b in {"c"})'],
    ['in in {"a"}', 'in in {"a"}'],
    ['not == "x"', 'not == "x"'],
    ['has(in) && has(all) && all == "x"', '(has(in) && has(all) && all == "x")'],
    ['has(calico/k8s_NS-.1/role)', "has(calico/k8s_NS-.1/role)"],
    ['calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"', '(calico/k8s_ns == "kube-system" && k8s-app == "kube-dns")'],
    [`${"a".repeat(MAX_LABEL_LENGTH)} == "value"`, `${"a".repeat(MAX_LABEL_LENGTH)} == "value"`],
  ])("%j", (input, expected) => {
    expect(print(input)).toBe(expected);
  });
});

describe("what upstream rejects", () => {
  // parser_test.go badSelectors and tokenizer_test.go's error cases, with our offset and message.
  test.each([
    ["b == b", "ERROR@5: expected a quoted string after '==', found 'b'"],
    ["b contains b", "ERROR@11: expected a quoted string after 'contains', found 'b'"],
    ["b starts with b", "ERROR@14: expected a quoted string after 'starts with', found 'b'"],
    ["'b1' == b", "ERROR@0: expected a label, has(…), all(), global(), '!' or '(', found 'b1'"],
    ["b", "ERROR@1: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'b', found end of selector"],
    ["a b", "ERROR@2: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'a', found 'b'"],
    ["!", "ERROR@1: expected a label, has(…), all(), global(), '!' or '(' after '!', found end of selector"],
    ['foo == "bar" &', "ERROR@13: expected '&&'"],
    ['foo == "bar" |', "ERROR@13: expected '||'"],
    ["foo != ||", "ERROR@7: expected a quoted string after '!=', found '||'"],
    ['foo in {"", ||', `ERROR@12: expected '}' after ',', found '||'`],
    ['foo in ""', `ERROR@7: expected '{' after 'in', found ""`],
    ['"FOO', "ERROR@0: unterminated string"],
    [`"FOO'`, "ERROR@0: unterminated string"],
    ["'FOO", "ERROR@0: unterminated string"],
    ["(", "ERROR@1: expected a label, has(…), all(), global(), '!' or '(' after '(', found end of selector"],
    ['(a == "foo"', `ERROR@11: expected ')' after "foo", found end of selector`],
    [")", "ERROR@0: expected a label, has(…), all(), global(), '!' or '(', found ')'"],
    ["()", "ERROR@1: expected a label, has(…), all(), global(), '!' or '(' after '(', found ')'"],
    ["%", 'ERROR@0: unexpected character "%"'],
    ['a == "b" && %', 'ERROR@12: unexpected character "%"'],
    ["a ", "ERROR@2: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'a', found end of selector"],
    ["has(foo) &&", "ERROR@11: expected a label, has(…), all(), global(), '!' or '(' after '&&', found end of selector"],
    ['label = "value"', "ERROR@6: expected '=='"],
    ["all(", "ERROR@4: expected ')' after 'all(', found end of selector"],
    ["has()", "ERROR@4: expected a label after 'has(', found ')'"],
    ["has( foo ", "ERROR@9: expected ')' after 'foo', found end of selector"],
    ["has (foo)", "ERROR@4: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'has', found '('"],
    ['label inf "value"', "ERROR@6: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'label', found 'inf'"],
    ['label ends withs "value"', "ERROR@6: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'label', found 'ends'"],
    ['label not inx {"v"}', "ERROR@6: expected an operator (==, !=, in, not in, contains, starts with, ends with) after 'label', found 'not'"],
    ['a in {,}', "ERROR@6: expected '}' after '{', found ','"],
    ['a in {"x",,}', "ERROR@10: expected '}' after ',', found ','"],
    ['a in {"x" "y"}', `ERROR@10: expected '}' after "x", found "y"`],
    ['a == "b")', "ERROR@8: unexpected ')' after a complete selector"],
    ["a == 'x'\n", 'ERROR@8: unexpected character "\\n"'],
    [`${"a".repeat(MAX_LABEL_LENGTH + 1)} == "value"`, `ERROR@0: label too long (513 characters; at most ${MAX_LABEL_LENGTH})`],
    [`has(${"a".repeat(MAX_LABEL_LENGTH + 1)})`, `ERROR@4: label too long (513 characters; at most ${MAX_LABEL_LENGTH})`],
  ])("%j", (input, expected) => {
    expect(print(input)).toBe(expected);
  });
});

describe("hostile input", () => {
  const nested = (n: number, inner = "has(a)") => "(".repeat(n) + inner + ")".repeat(n);

  it(`parses ${MAX_SELECTOR_NESTING} levels of parentheses and refuses one more, at that parenthesis`, () => {
    expect(print(nested(MAX_SELECTOR_NESTING))).toBe("has(a)");
    expect(print(nested(MAX_SELECTOR_NESTING, "has(a) && all()"))).toBe("(has(a) && all())");
    expect(print(nested(MAX_SELECTOR_NESTING + 1))).toBe(`ERROR@${MAX_SELECTOR_NESTING}: parentheses nested deeper than ${MAX_SELECTOR_NESTING} levels`);
  });

  it("refuses a million open parentheses without recursing", () => {
    expect(print("(".repeat(1_000_000))).toBe(`ERROR@${MAX_SELECTOR_NESTING}: parentheses nested deeper than ${MAX_SELECTOR_NESTING} levels`);
    expect(print("!(".repeat(200_000))).toBe(`ERROR@${2 * MAX_SELECTOR_NESTING + 1}: parentheses nested deeper than ${MAX_SELECTOR_NESTING} levels`);
  });

  it("takes has() and stray parentheses into the count correctly", () => {
    // Deep sequences of closed groups are not deep nesting.
    expect(print(Array.from({ length: 1000 }, () => "(has(a))").join(" && "))).toMatch(/^\(has\(a\) && /);
    expect(print(")" + nested(MAX_SELECTOR_NESTING + 5))).toBe("ERROR@0: expected a label, has(…), all(), global(), '!' or '(', found ')'");
  });

  it("collapses a long run of ! without recursion", () => {
    expect(print("!".repeat(100_001) + "has(a)")).toBe("!has(a)");
    expect(print("!".repeat(100_000) + "has(a)")).toBe("has(a)");
  });

  it("handles long flat selectors and long values", () => {
    const terms = Array.from({ length: 5000 }, (_, i) => `l${i} == "v${i}"`);
    expect(print(terms.join(" && "))).toBe(`(${terms.join(" && ")})`);
    expect(print(terms.join(" || "))).toBe(`(${terms.join(" || ")})`);
    const big = "x".repeat(1_000_000);
    expect(print(`a == '${big}'`)).toBe(`a == "${big}"`);
  });

  it("clips a huge token in the message", () => {
    expect(print(`a == "b" "${"y".repeat(10_000)}"`)).toBe(`ERROR@9: unexpected "${"y".repeat(30)}… after a complete selector`);
  });

  it("refuses control and non-ASCII characters outside strings", () => {
    expect(print("a\u0000 == 'b'")).toBe('ERROR@1: unexpected character "\\u0000"');
    expect(print("é == 'b'")).toBe('ERROR@0: unexpected character "é"');
    expect(print("a == 'b' \u{1F600}")).toBe('ERROR@9: unexpected character "\u{1F600}"');
  });
});

import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../../src/diagnostics/diagnostic.js";
import { SourceMap } from "../../src/diagnostics/sources.js";
import { parseYaml } from "../../src/frontend/yaml/parse.js";
import { child, entry, nodeAt, type YDocument, type YMap, type YNode } from "../../src/frontend/yaml/tree.js";

function parse(text: string): { docs: YDocument[]; diag: DiagnosticSink; sources: SourceMap } {
  const diag = new DiagnosticSink();
  const sources = new SourceMap();
  sources.add("t.yaml", text);
  return { docs: parseYaml("t.yaml", text, diag, sources), diag, sources };
}

function lc(sources: SourceMap, offset: number): string {
  const p = sources.position("t.yaml", offset);
  return `${p.line}:${p.col}`;
}

function root(text: string): { node: YNode; sources: SourceMap; diag: DiagnosticSink } {
  const { docs, sources, diag } = parse(text);
  const d = docs[0];
  if (!d) throw new Error("no document");
  return { node: d.root, sources, diag };
}

describe("YAML tree positions", () => {
  it("gives every key and value its line:col", () => {
    const { node, sources } = root("a: 1\nspec:\n  podSelector:\n    matchLabels: {app: web}\n");
    const m = node as YMap;
    expect(lc(sources, entry(m, "spec")!.keySpan.start)).toBe("2:1");
    const spec = child(m, "spec") as YMap;
    expect(lc(sources, spec.span.start)).toBe("3:3");
    expect(lc(sources, entry(spec, "podSelector")!.keySpan.start)).toBe("3:3");
    const ml = nodeAt(m, ["spec", "podSelector", "matchLabels"]).node;
    expect(ml.kind).toBe("map");
    expect(lc(sources, ml.span.start)).toBe("4:18");
    const app = nodeAt(m, ["spec", "podSelector", "matchLabels", "app"]).node;
    expect(lc(sources, app.span.start)).toBe("4:24");
    expect(app.span.end - app.span.start).toBe(3);
  });

  it("points quoted scalars at the opening quote and spans the closing one", () => {
    const { node, sources } = root('k: "quoted"\nj: \'single\'\n');
    const k = child(node, "k")!;
    expect(lc(sources, k.span.start)).toBe("1:4");
    expect(k.span.end - k.span.start).toBe(8);
    expect(lc(sources, child(node, "j")!.span.start)).toBe("2:4");
  });

  it("places an empty value right after its key and reports a missing path at the deepest node", () => {
    const { node, sources } = root("spec:\n  podSelector:\n  ingress: []\n");
    const ps = nodeAt(node, ["spec", "podSelector"]).node;
    expect(ps.kind === "scalar" && ps.value).toBe(null);
    // At the colon: the end of the key, where the value would start.
    expect(lc(sources, ps.span.start)).toBe("2:14");
    const missing = nodeAt(node, ["spec", "ingress", 0, "from"]);
    expect(missing.complete).toBe(false);
    expect(lc(sources, missing.node.span.start)).toBe("3:12");
  });

  it("indexes sequences, block and flow", () => {
    const { node, sources } = root("ports:\n- port: 80\n- {port: 81}\n");
    expect(lc(sources, nodeAt(node, ["ports", 0]).node.span.start)).toBe("2:3");
    expect(lc(sources, nodeAt(node, ["ports", 1]).node.span.start)).toBe("3:3");
    expect(lc(sources, nodeAt(node, ["ports", 1, "port"]).node.span.start)).toBe("3:10");
    // A flow mapping ends after its closing brace.
    const flow = nodeAt(node, ["ports", 1]).node;
    expect(flow.span.end).toBe("ports:\n- port: 80\n- {port: 81}".length);
  });

  it("reads multi-document files and skips empty documents", () => {
    const { docs } = parse("# c\n---\na: 1\n---\n---\n- x\n...\n");
    expect(docs.map((d) => d.root.kind)).toEqual(["map", "seq"]);
    expect(docs.map((d) => d.index)).toEqual([0, 2]);
  });
});

describe("aliases and merge keys", () => {
  it("copies aliased scalars with the alias's own span", () => {
    const { node, sources } = root("a: &p 80\nb: *p\n");
    const b = child(node, "b")!;
    expect(b.kind === "scalar" && b.value).toBe(80);
    expect(lc(sources, b.span.start)).toBe("2:4");
  });

  it("shares aliased collections", () => {
    const { node } = root("a: &s {app: web}\nb: *s\n");
    expect(child(node, "b")).toBe(child(node, "a"));
  });

  it("merges << keys; explicit keys win and are not duplicates", () => {
    const { node, diag } = root("base: &b {app: web, tier: db}\nsel:\n  <<: *b\n  tier: cache\n");
    const sel = child(node, "sel") as YMap;
    expect(sel.entries.map((e) => [e.key, (e.value as { value: unknown }).value])).toEqual([
      ["tier", "cache"],
      ["app", "web"],
    ]);
    expect(diag.all).toEqual([]);
  });

  it("refuses an unknown anchor", () => {
    const { diag } = parse("a: *nope\n");
    expect(diag.all.map((d) => d.message)).toEqual(['yaml: unknown anchor "nope" referenced']);
  });

  it("refuses documents that expand past the alias budget (billion laughs)", () => {
    let text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i <= 7; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
    const { docs, diag } = parse(text);
    expect(docs).toEqual([]);
    expect(diag.all[0]?.id).toBe("yaml/alias-expansion");
  });
});

describe("duplicate keys and syntax errors", () => {
  it("reports the second key with its path, and notes the first", () => {
    const { diag, sources } = parse("spec:\n  podSelector: {}\n  podSelector: {matchLabels: {a: b}}\n");
    const d = diag.all[0]!;
    expect(d.id).toBe("schema/duplicate-key");
    expect(d.message).toBe('strict decoding error: duplicate field "spec.podSelector"');
    expect(lc(sources, d.span!.start)).toBe("3:3");
    expect(d.notes).toEqual(["first given at t.yaml:2:3; kubectl refuses the object rather than pick one"]);
  });

  it("reports syntax errors at js-yaml's mark", () => {
    const { docs, diag, sources } = parse("a: b\n  c: d: e\n");
    expect(docs).toEqual([]);
    const d = diag.all[0]!;
    expect(d.id).toBe("yaml/syntax");
    expect(d.message).toBe("yaml: bad indentation of a mapping entry");
    expect(lc(sources, d.span!.start)).toBe("2:4");
  });

  it("honours core tags and refuses others", () => {
    const { node, diag } = root("a: !!str 80\nb: !!int '7'\nc: !custom x\n");
    expect(child(node, "a")).toMatchObject({ value: "80" });
    expect(child(node, "b")).toMatchObject({ value: 7 });
    expect(diag.all.map((d) => d.message)).toEqual(["yaml: unsupported tag !custom on a scalar"]);
    const bad = parse("a: !!int x\n");
    expect(bad.diag.all.map((d) => d.message)).toEqual(['yaml: cannot decode "x" as !!int']);
  });
});

describe("JSON input", () => {
  it("parses JSON with positions; strings stay strings", () => {
    const { node, sources } = root('{\n  "kind": "Pod",\n  "port": 80,\n  "name": "80"\n}\n');
    expect(child(node, "port")).toMatchObject({ value: 80 });
    expect(child(node, "name")).toMatchObject({ value: "80" });
    expect(lc(sources, child(node, "kind")!.span.start)).toBe("2:11");
  });
});

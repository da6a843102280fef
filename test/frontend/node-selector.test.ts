// IPPool.spec.nodeSelector through the real frontend (loadModel): parsed at
// decode time into IPPool.nodeSelectorAst, refused with the field's position
// when invalid, and evaluated over node labels by poolSelectsNode.
import { join } from "node:path";
import { describe, expect, it, test } from "vitest";
import type { InputFile } from "../../src/frontend/index.js";
import { canonical } from "../../src/ir/calico-selector.js";
import { poolSelectsNode } from "../../src/ir/cluster.js";
import { errorsWithPos, load } from "./helpers.js";

const header = "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec:\n  cidr: 10.0.0.0/16\n";
/** An IPPool whose spec ends with `nodeSelector<rest>` (line 6, the value at column 17 for `: value`). */
const pool = (rest: string): string => `${header}  nodeSelector${rest}\n`;
const node = (name: string, labels: string): string => `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}, labels: {${labels}}}\n`;

describe("a valid nodeSelector", () => {
  it("is kept as text and as a tree, and selects nodes by their labels", () => {
    const l = load(
      [
        pool(`: zone in {'a','b'} && role != "infra"`),
        node("n1", "zone: a"),
        node("n2", "zone: b, role: infra"),
        node("n3", "zone: c"),
        node("n4", "role: web"),
      ].join("---\n"),
    );
    expect(errorsWithPos(l)).toEqual([]);
    const [p] = l.model.cluster.pools;
    expect(p!.nodeSelector).toBe(`zone in {'a','b'} && role != "infra"`);
    expect(canonical(p!.nodeSelectorAst)).toBe('(zone in {"a", "b"} && role != "infra")');
    expect(l.model.cluster.nodes.map((n) => [n.name, poolSelectsNode(p!, n)])).toEqual([
      ["n1", true],
      ["n2", false],
      ["n3", false],
      ["n4", false],
    ]);
  });

  test.each([
    ["absent", ""],
    ["empty (omitempty: not validated)", ': ""'],
    ["blank", ': "  \\t "'],
    ["all()", ": all()"],
  ])("%s selects every node", (_, rest) => {
    const l = load([rest ? pool(rest) : header, node("n1", "a: b"), node("n2", "")].join("---\n"));
    expect(errorsWithPos(l)).toEqual([]);
    const [p] = l.model.cluster.pools;
    expect(p!.nodeSelectorAst).toEqual({ kind: "all" });
    expect(l.model.cluster.nodes.map((n) => poolSelectsNode(p!, n))).toEqual([true, true]);
  });

  it("selects by kubernetes.io/hostname, has() and !has()", () => {
    const nodes = [node("n1", "kubernetes.io/hostname: n1, edge: 'true'"), node("n2", "kubernetes.io/hostname: n2")];
    const selects = (sel: string): boolean[] => {
      const l = load([pool(`: ${JSON.stringify(sel)}`), ...nodes].join("---\n"));
      expect(errorsWithPos(l)).toEqual([]);
      return l.model.cluster.nodes.map((n) => poolSelectsNode(l.model.cluster.pools[0]!, n));
    };
    expect(selects("kubernetes.io/hostname == 'n1'")).toEqual([true, false]);
    expect(selects("has(edge)")).toEqual([true, false]);
    expect(selects("!has(edge)")).toEqual([false, true]);
    expect(selects("kubernetes.io/hostname starts with 'n' && !(edge == 'true')")).toEqual([false, true]);
  });
});

describe("an invalid nodeSelector", () => {
  const at = (rest: string): string[] => errorsWithPos(load(pool(rest)));
  const msg = (value: string, reason: string): string => `ippool/invalid-value spec.nodeSelector: Invalid value: ${value}: ${reason}`;

  it("is an error at the field, with the position inside the selector in the reason", () => {
    expect(at(`: "zone in {'a'"`)).toEqual([`6:17 ${msg(`"zone in {'a'"`, "expected '}' after 'a', found end of selector (character 13)")}`]);
    expect(at(": role = infra")).toEqual([`6:17 ${msg('"role = infra"', "expected '==' (character 6)")}`]);
    expect(at(": has(edge")).toEqual([`6:17 ${msg('"has(edge"', "expected ')' after 'edge', found end of selector (character 9)")}`]);
    expect(at(`:   'a == "x'`)).toEqual([`6:19 ${msg(`"a == \\"x"`, "unterminated string (character 6)")}`]);
    expect(at(": {bad: map}")).toEqual([
      "6:17 schema/type json: cannot unmarshal object into Go struct field IPPoolSpec.spec.nodeSelector of type string",
    ]);
  });

  it("checks the text as written: a block scalar's final newline is not selector whitespace", () => {
    // A block scalar's span starts on its first content line.
    expect(at(": |\n    has(edge)")).toEqual([`7:1 ${msg('"has(edge)\\n"', 'unexpected character "\\n" (character 10)')}`]);
    expect(at(": |-\n    has(edge)")).toEqual([]);
  });

  it("reports every other field error too, and drops the pool", () => {
    const l = load(`apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {blockSize: 19, nodeSelector: "a ==", cidr: 10.0.0.0/16}\n`);
    expect(errorsWithPos(l)).toEqual([
      "4:19 ippool/invalid-value spec.blockSize: Invalid value: 19: must be between 20 and 32, inclusive",
      `4:37 ${msg('"a =="', "expected a quoted string after '==', found end of selector (character 5)")}`,
    ]);
  });

  it("refuses deep nesting and long labels without throwing", () => {
    const deep = "(".repeat(5000) + "has(a)" + ")".repeat(5000);
    expect(at(`: "${deep}"`)[0]).toMatch(/^6:17 ippool\/invalid-value spec\.nodeSelector: Invalid value: "\(+has.*: parentheses nested deeper than 100 levels \(character 101\)$/);
    expect(at(`: "${"l".repeat(600)} == 'x'"`)[0]).toMatch(/: label too long \(600 characters; at most 512\) \(character 1\)$/);
  });
});

describe("worker threads", () => {
  type Frontend = typeof import("../../src/frontend/index.js");
  type Cluster = typeof import("../../src/ir/cluster.js");
  type Diagnostics = typeof import("../../src/diagnostics/diagnostic.js");
  type Sources = typeof import("../../src/diagnostics/sources.js");
  const DIST = join(import.meta.dirname, "..", "..", "dist", "src");

  it("decode the tree on a worker and clone it back as plain data (npm test builds dist/ first)", async () => {
    const { loadModel } = (await import(join(DIST, "frontend", "index.js"))) as Frontend;
    const dist = (await import(join(DIST, "ir", "cluster.js"))) as Cluster;
    const { DiagnosticSink } = (await import(join(DIST, "diagnostics", "diagnostic.js"))) as Diagnostics;
    const { SourceMap } = (await import(join(DIST, "diagnostics", "sources.js"))) as Sources;
    const files: InputFile[] = [
      { path: "a.yaml", text: pool(`: "!(edge == 'true' || zone not in {'x'})"`) },
      { path: "b.yaml", text: [node("n1", "zone: x"), node("n2", "zone: yy")].join("---\n") },
    ];
    const diag = new DiagnosticSink();
    const viaWorkers = loadModel(files, diag, new SourceMap(), { threads: 2, workersOnly: true });
    expect(diag.hasErrors()).toBe(false);
    const here = loadModel(files, new DiagnosticSink(), new SourceMap(), { threads: 1 });
    expect(viaWorkers.cluster.pools).toEqual(here.cluster.pools);
    const p = viaWorkers.cluster.pools[0]!;
    expect(canonical(p.nodeSelectorAst)).toBe('!(edge == "true" || zone not in {"x"})');
    expect(viaWorkers.cluster.nodes.map((n) => dist.poolSelectsNode(p, n))).toEqual([true, false]);
  });
});

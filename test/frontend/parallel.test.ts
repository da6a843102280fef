// The frontend decodes large inputs on several threads (src/frontend/parallel.ts).
// Threads must never show: the Model and every diagnostic (text, span, order)
// must be what one thread gives. Workers exist only for the compiled modules,
// so this test drives dist/ (npm test builds it first) and forces threads on
// inputs far below the "auto" threshold.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { generateCluster, SIZES } from "../../scripts/gen-cluster.js";
import { caseInputs, GOLDEN_ROOT, goldenCaseNames } from "../helpers/golden-cases.js";
import type { InputFile } from "../../src/frontend/index.js";

type Frontend = typeof import("../../src/frontend/index.js");
type Parallel = typeof import("../../src/frontend/parallel.js");
type Diagnostics = typeof import("../../src/diagnostics/diagnostic.js");
type Sources = typeof import("../../src/diagnostics/sources.js");
type Pipeline = typeof import("../../src/pipeline.js");
type Collect = typeof import("../../src/frontend/collect.js");

const DIST = join(import.meta.dirname, "..", "..", "dist", "src");
const dist = async <T>(rel: string): Promise<T> => (await import(join(DIST, rel))) as T;

async function load(files: readonly InputFile[], threads: number | "auto", workersOnly = false) {
  const { loadModel } = await dist<Frontend>("frontend/index.js");
  const { DiagnosticSink } = await dist<Diagnostics>("diagnostics/diagnostic.js");
  const { SourceMap } = await dist<Sources>("diagnostics/sources.js");
  const diag = new DiagnosticSink();
  const model = loadModel(files, diag, new SourceMap(), { threads, workersOnly });
  return { model, diagnostics: diag.all };
}

const IPAM = [
  "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: fd00---122}\nspec: {cidr: 'fd00::/122', affinity: 'host:n1', allocations: [null, 0], attributes: [{handle_id: h, secondary: {node: n1}}]}\n",
  "apiVersion: projectcalico.org/v3\nkind: IPAMHandle\nmetadata: {name: h}\nspec: {handleID: h, block: {'fd00::/122': 1}}\n",
  "apiVersion: projectcalico.org/v3\nkind: BlockAffinity\nmetadata: {name: n1-fd00---122}\nspec: {cidr: 'fd00::/122', node: n1, state: confirmed, deleted: true}\n",
].join("---\n");

/** Every golden case's inputs in one snapshot: errors of every kind, and duplicates across files (and so across threads). */
function allGoldenInputs(): InputFile[] {
  const cases = goldenCaseNames().flatMap((c) => caseInputs(join(GOLDEN_ROOT, c)).map((f) => ({ path: `${c}/${f.path}`, text: f.text })));
  // Plus kinds netpolc ignores (one warning, counted over every file, at the first) and a file that does not parse.
  const ignored = (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${n}, namespace: default}\n`;
  return [
    ...cases,
    { path: "zz/ignored-1.yaml", text: ignored(1) },
    { path: "zz/ignored-2.yaml", text: `${ignored(2)}---\n${ignored(3)}` },
    { path: "zz/syntax.yaml", text: "apiVersion: v1\nkind: [Pod\n" },
    // Calico IPAM: decoded blocks (bigint address arithmetic, Map-valued handles) must come back from a worker intact.
    { path: "zz/ipam.yaml", text: IPAM },
  ];
}

describe("frontend threads", () => {
  test("the compiled worker is there (npm test builds dist/ first)", () => {
    expect(existsSync(join(DIST, "frontend", "worker.js"))).toBe(true);
  });

  test("every golden input at once: same diagnostics, in the same order, and the same model on 1, 2 and 4 threads", async () => {
    const files = allGoldenInputs();
    expect(files.length).toBeGreaterThan(40);
    const one = await load(files, 1);
    // The union is full of errors (error-* cases, the same objects in many cases): the point is their order.
    expect(one.diagnostics.filter((d) => d.id === "input/duplicate-object").length).toBeGreaterThan(10);
    const ids = new Set(one.diagnostics.map((d) => d.id));
    expect(ids.size).toBeGreaterThanOrEqual(14);
    expect(ids).toContain("input/ignored-kind");
    expect(ids).toContain("yaml/syntax");
    for (const [threads, workersOnly] of [[2, true], [3, true], [2, false], [4, false]] as const) {
      const many = await load(files, threads, workersOnly);
      expect(many.diagnostics).toEqual(one.diagnostics);
      expect(many.model).toEqual(one.model);
    }
  });

  test("with workers only, workers decode every file and give what this thread gives", async () => {
    const { decodeFiles } = await dist<Parallel>("frontend/parallel.js");
    const { SourceMap } = await dist<Sources>("diagnostics/sources.js");
    const { decodeFile } = await dist<Collect>("frontend/collect.js");
    const files = allGoldenInputs();
    const sources = new SourceMap();
    for (const f of files) sources.add(f.path, f.text);
    const got = decodeFiles(files, sources, 2, true);
    expect(got.byWorkers).toBe(files.length);
    expect(got.items).toEqual(files.map((f) => decodeFile(f, sources)));
  });

  test("the generated small cluster: the same output files on 1 and 3 threads", async () => {
    const { compile, nodeFiles, DEFAULT_COMPILE_OPTIONS } = await dist<Pipeline>("pipeline.js");
    const { files } = generateCluster(SIZES.small);
    const out = (jobs: number) => {
      const res = compile(files, { ...DEFAULT_COMPILE_OPTIONS, jobs });
      expect(res.diag.all.filter((d) => d.severity === "error")).toEqual([]);
      return new Map(nodeFiles(res));
    };
    const one = out(1);
    expect(one.size).toBeGreaterThan(10);
    expect(out(3)).toEqual(one);
  });

  test("auto keeps small inputs on one thread and gives large ones one per core, at most four", async () => {
    const { threadCount } = await dist<Parallel>("frontend/parallel.js");
    const { availableParallelism } = await import("node:os");
    const small = generateCluster(SIZES.small).files;
    expect(threadCount(small, "auto")).toBe(1);
    const big = Array.from({ length: 8 }, (_, i) => ({ path: `f${i}.yaml`, text: "#".repeat(4 << 20) }));
    expect(threadCount(big, "auto")).toBe(Math.min(availableParallelism(), 4));
    expect(threadCount(small, 3)).toBe(3);
    expect(threadCount(small.slice(0, 1), 3)).toBe(1);
  });
});

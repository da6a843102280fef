// The golden error cases (golden/error-*/) are a contract with the golden
// runner: expected/diagnostics.txt is what the CLI writes to stderr, i.e.
// renderAll(..., "text") for input.yaml loaded as "input.yaml", followed by
// the CLI's own summary line. This checks the frontend's side of it (the
// summary line belongs to src/cli and is left out here).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../../src/diagnostics/diagnostic.js";
import { renderAll } from "../../src/diagnostics/render.js";
import { SourceMap } from "../../src/diagnostics/sources.js";
import { loadModel } from "../../src/frontend/index.js";

const GOLDEN = join(import.meta.dirname, "..", "..", "golden");
// Sorted for determinism.
const cases = readdirSync(GOLDEN)
  .filter((d) => d.startsWith("error-"))
  .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe("golden error cases", () => {
  it("there are at least eight", () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  it.each(cases)("%s", (name) => {
    const text = readFileSync(join(GOLDEN, name, "input.yaml"), "utf8");
    expect(text).toMatch(/^# \S.*\n/);
    const diag = new DiagnosticSink();
    const sources = new SourceMap();
    loadModel([{ path: "input.yaml", text }], diag, sources);
    expect(diag.hasErrors()).toBe(true);
    const expected = readFileSync(join(GOLDEN, name, "expected", "diagnostics.txt"), "utf8");
    const withoutSummary = expected.replace(/^netpolc: \d+ error\(s\); nothing written\n$/m, "");
    expect(renderAll(diag.all, sources, "text")).toBe(withoutSummary);
  });
});

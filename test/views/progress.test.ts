// The compile progress line: only on a terminal, only past 50 nodes, and the
// line is cleared at the end.
import { describe, expect, it } from "vitest";
import type { Model } from "../../src/ir/policy.js";
import { DEFAULT_COMPILE_OPTIONS } from "../../src/pipeline.js";
import { nodeProgress, withProgress } from "../../src/cli/progress.js";

const modelWith = (n: number): Model =>
  ({ cluster: { nodes: Array.from({ length: n }, (_, i) => ({ name: `node-${i}` })) }, policies: [] }) as unknown as Model;

function stream(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): void } {
  return { isTTY, text: "", write(s: string) { this.text += s; } };
}

describe("compile progress", () => {
  it("is not installed when stderr is not a terminal (pipes, files, CI)", () => {
    const s = stream(false);
    expect(withProgress(DEFAULT_COMPILE_OPTIONS, s)).toBe(DEFAULT_COMPILE_OPTIONS);
    expect(s.text).toBe("");
  });

  it("under vitest (stderr not a TTY) the default stream installs nothing", () => {
    expect(process.stderr.isTTY ? "tty" : withProgress(DEFAULT_COMPILE_OPTIONS).onNode).toBeOneOf(["tty", undefined]);
  });

  it("prints nothing for 50 nodes or fewer, even on a terminal", () => {
    const s = stream(true);
    const opts = withProgress(DEFAULT_COMPILE_OPTIONS, s);
    const m = modelWith(50);
    for (const n of m.cluster.nodes) opts.onNode?.(m, n.name);
    expect(s.text).toBe("");
  });

  it("redraws one line per percent past 50 nodes and clears it at the end", () => {
    const s = stream(true);
    const tick = nodeProgress(s, 0);
    const m = modelWith(200);
    for (const n of m.cluster.nodes) tick(m, n.name);
    tick(m, "again"); // a node rendered twice never pushes past the total
    const frames = s.text.split("\r\x1b[K").filter((f) => f !== "");
    expect(frames).toHaveLength(101); // 0% … 100%
    expect(frames[0]).toBe("compiling: 1/200 nodes (0%) node-0");
    expect(frames[1]).toBe("compiling: 2/200 nodes (1%) node-1");
    expect(frames.at(-1)).toBe("compiling: 200/200 nodes (100%) node-199");
    expect(s.text.endsWith("\r\x1b[K")).toBe(true);
    expect(s.text).not.toContain("\n");
  });

  it("counts only the --node selection when one is given", () => {
    const s = stream(true);
    const tick = nodeProgress(s, 60);
    const m = modelWith(1000);
    tick(m, "node-0");
    expect(s.text).toBe("\r\x1b[Kcompiling: 1/60 nodes (1%) node-0");
  });
});

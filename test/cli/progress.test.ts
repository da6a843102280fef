// Progress on stderr (src/cli/progress.ts): drawn by cli-progress only on a
// terminal, only after about two seconds of work, never in CI, with
// NO_COLOR/TERM=dumb or --format json; --progress forces it, --no-progress
// suppresses it; the line is cleared when the work ends.
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.js";
import { PROGRESS_FLAGS } from "../../src/cli/flags.js";
import type { Io } from "../../src/cli/io.js";
import { NO_PROGRESS, PROGRESS_DELAY_MS, progressFor, progressWanted } from "../../src/cli/progress.js";

function terminal(isTTY = true) {
  const writes: string[] = [];
  const stream = { isTTY, columns: 120, write: (s: string) => void writes.push(s) };
  return { writes, text: () => writes.join(""), stream };
}

const io = (over: Partial<Io> = {}, tty = terminal()): Io => ({ stdout: () => {}, stderr: () => {}, readStdin: () => "", stderrIsTTY: true, env: {}, progressStream: tty.stream, ...over });
const args = (...argv: string[]) => parseArgs(argv, PROGRESS_FLAGS);

describe("when progress is shown", () => {
  it("on a terminal by default; never in pipes, CI, NO_COLOR, TERM=dumb or JSON output", () => {
    expect(progressWanted(io(), args(), "text")).toBe("auto");
    expect(progressWanted(io({ stderrIsTTY: false }), args(), "text")).toBe("off");
    expect(progressWanted(io({ env: { CI: "true" } }), args(), "text")).toBe("off");
    expect(progressWanted(io({ env: { NO_COLOR: "" } }), args(), "text")).toBe("off");
    expect(progressWanted(io({ env: { TERM: "dumb" } }), args(), "text")).toBe("off");
    expect(progressWanted(io(), args(), "json")).toBe("off");
  });
  it("--progress forces it anywhere; --no-progress wins over everything", () => {
    expect(progressWanted(io({ stderrIsTTY: false, env: { CI: "1" } }), args("--progress"), "json")).toBe("forced");
    expect(progressWanted(io(), args("--no-progress"), "text")).toBe("off");
    expect(progressFor(io(), args("--no-progress"))).toBe(NO_PROGRESS);
  });
});

describe("what it draws", () => {
  it("nothing for work shorter than about two seconds", () => {
    const t = terminal();
    let now = 0;
    const p = progressFor(io({}, t), args(), "text", () => now);
    p.stage("compiling", 100, "nodes");
    for (let i = 0; i < 100; i++) {
      now += (PROGRESS_DELAY_MS - 10) / 100;
      p.tick();
    }
    p.done();
    expect(t.writes).toEqual([]);
  });

  it("after two seconds: stage, done/total, rate and ETA on one line, cleared at the end", () => {
    const t = terminal();
    let now = 0;
    const p = progressFor(io({}, t), args(), "text", () => now);
    p.stage("verifying", 1000, "flows");
    for (let i = 0; i < 250; i++) {
      now += 10;
      p.tick();
    }
    const drawn = t.text();
    expect(drawn).toMatch(/verifying \[[█░]+\] 2\d\d\/1000 flows \| 100\/s \| ETA \d+s/);
    expect(drawn).not.toContain("\n");
    p.done();
    expect(t.text().slice(drawn.length)).toMatch(/\x1b\[2K$/); // the line erased, cursor back at column 1
  });

  it("forced: drawn at once, even off a terminal", () => {
    const t = terminal(false);
    const p = progressFor(io({ stderrIsTTY: false }, t), args("--progress"), "text", () => 0);
    p.stage("compiling", 3, "nodes");
    p.tick();
    p.done();
    expect(t.text()).toContain("compiling");
  });

  it("forced off a terminal: a new line every two seconds of synchronous work (cli-progress's own timer cannot fire then)", () => {
    const t = terminal(false);
    let now = 0;
    const p = progressFor(io({ stderrIsTTY: false }, t), args("--progress"), "text", () => now);
    p.stage("verifying", 1000, "class pairs");
    for (let i = 0; i < 1000; i++) {
      now += 10; // 10 s of work in all, never yielding to the event loop
      p.tick();
    }
    p.done();
    const lines = t.text().split("\n").filter((l) => l.includes("verifying"));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const counts = lines.map((l) => Number(/ (\d+)\/1000 /.exec(l)![1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBeGreaterThanOrEqual(800);
  });
});

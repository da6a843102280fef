// verify's progress stages: every long part of a run says what it is doing (reading the rules back per node,
// planning per set, node and pod, the class pairs), each stage's ticks add up to its total, and reporting
// progress changes nothing of the result.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.js";
import { VERIFY_FLAGS } from "../../src/cli/flags.js";
import { gatherInputs } from "../../src/cli/inputs.js";
import type { Progress } from "../../src/cli/progress.js";
import { runVerify } from "../../src/cli/verify.js";
import { createSimulator } from "../../src/simulate/index.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BOOKINFO = join(ROOT, "examples", "bookinfo");
const DUAL = join(ROOT, "golden", "dual-stack-basic");

interface Stage {
  readonly name: string;
  readonly total: number;
  readonly unit: string;
  done: number;
}

function recorder(): { progress: Progress; stages: Stage[] } {
  const stages: Stage[] = [];
  const progress: Progress = {
    stage: (name, total, unit) => void stages.push({ name, total, unit, done: 0 }),
    tick: (n = 1) => {
      const s = stages[stages.length - 1];
      if (!s) throw new Error("tick before any stage");
      s.done += n;
    },
    done: () => {},
  };
  return { progress, stages };
}

function verify(dir: string, flags: readonly string[], progress?: Progress): ReturnType<typeof runVerify> {
  const files = gatherInputs([dir], () => "");
  return runVerify(files, parseArgs(flags, VERIFY_FLAGS), createSimulator().simulatePath, () => null, progress);
}

describe("verify --progress stages", () => {
  it("bookinfo: reading back per node, planning per set, node and pod, then the class pairs; every stage's ticks reach its total", () => {
    const { progress, stages } = recorder();
    const r = verify(BOOKINFO, [], progress);
    expect(r.exitCode).toBe(0);
    expect(stages.map((s) => `${s.name} (${s.unit})`)).toEqual([
      "compiling and reading back (nodes)",
      "planning: sets (sets)",
      "planning: nodes (nodes)",
      "planning: pods (pods)",
      "verifying (class pairs)",
    ]);
    for (const s of stages) expect(s.done, s.name).toBe(s.total);
    const byName = new Map(stages.map((s) => [s.name, s]));
    expect(byName.get("compiling and reading back")!.total).toBe(3); // bookinfo's three nodes
    expect(byName.get("planning: nodes")!.total).toBe(3);
    expect(byName.get("planning: pods")!.total).toBeGreaterThan(0);
    expect(byName.get("verifying")!.total).toBeGreaterThan(0);
    // Progress is a side channel: the same run without it prints the same.
    const quiet = verify(BOOKINFO, []);
    expect([quiet.exitCode, quiet.stdout, quiet.stderr]).toEqual([r.exitCode, r.stdout, r.stderr]);
  });

  it("a dual-stack snapshot plans and verifies its IPv6 image under its own stage names", () => {
    const { progress, stages } = recorder();
    const r = verify(DUAL, [], progress);
    expect(r.exitCode).toBe(0);
    const names = stages.map((s) => s.name);
    expect(names[0]).toBe("compiling and reading back");
    expect(names.filter((n) => n === "verifying")).toHaveLength(1);
    expect(names.filter((n) => n === "verifying IPv6")).toHaveLength(1);
    expect(names.indexOf("verifying")).toBeLessThan(names.indexOf("verifying IPv6"));
    for (const s of stages) expect(s.done, s.name).toBe(s.total);
  });

  it("--rules DIR: reading the files is a stage of its own, per node of the snapshot", () => {
    const { progress, stages } = recorder();
    // A --rules directory without files: every node is read (and found missing), ticked as it is.
    const r = verify(BOOKINFO, ["--rules", join(ROOT, "examples", "no-such-dir")], progress);
    expect(r.exitCode).toBe(1);
    expect(stages.map((s) => s.name)).toEqual(["reading rules"]);
    expect([stages[0]!.done, stages[0]!.total]).toEqual([3, 3]);
  });
});

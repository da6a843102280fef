// Start-up time (issue 13): `node -e 0`, `netpolc --version` and compiling the
// bundled example, each in a fresh process, measured in one run and
// interleaved (the machine is shared and noisy, so the three see the same
// conditions), with the ratios to `node -e 0` the targets are stated in:
// --version ≤ 3×, compiling examples/bookinfo ≤ 8×.
//
// cold: the first run of each after the build, as a user's first command after
// `npm ci` (Node 20 keeps no compiled-code cache between processes, so what
// differs from a warm run is the OS page cache and V8's first-touch costs);
// warm: the median of the next RUNS.
//
//   npm run bench:startup          (RUNS=20 by default; BENCH_STARTUP_RUNS=N)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "netpolc.js");
const RUNS = Number(process.env["BENCH_STARTUP_RUNS"] ?? 20);
const out = mkdtempSync(join(tmpdir(), "netpolc-startup-"));

interface Case {
  readonly name: string;
  readonly argv: readonly string[];
}

// The launcher's own node flags (bin/netpolc.js's shebang) apply: it is run as a user runs it.
const CASES: readonly Case[] = [
  { name: "node -e 0", argv: [process.execPath, "-e", "0"] },
  { name: "netpolc --version", argv: [BIN, "--version"] },
  { name: "netpolc compile examples/bookinfo", argv: [BIN, "compile", join(ROOT, "examples", "bookinfo"), "-o", out] },
];

function once(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), { cwd: ROOT, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  return ms / 1000;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cold = CASES.map(once);
const warm: number[][] = CASES.map(() => []);
for (let i = 0; i < RUNS; i++) CASES.forEach((c, j) => warm[j]!.push(once(c)));
rmSync(out, { recursive: true, force: true });

const base = { cold: cold[0]!, warm: median(warm[0]!) };
console.log(`netpolc start-up, ${RUNS} warm runs each (interleaved), Node ${process.version}`);
console.log("| command | cold | warm (median) | warm × node -e 0 | target |");
console.log("|---|---|---|---|---|");
const targets = [null, 3, 8];
CASES.forEach((c, j) => {
  const w = median(warm[j]!);
  const ratio = w / base.warm;
  const t = targets[j];
  const verdict = t === null || t === undefined ? "" : `≤ ${t}×: ${ratio <= t ? "met" : "NOT met"}`;
  console.log(`| \`${c.name}\` | ${cold[j]!.toFixed(3)} s | ${w.toFixed(3)} s | ${j === 0 ? "1" : ratio.toFixed(2)}× | ${verdict} |`);
});

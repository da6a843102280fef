// Scale benchmark (issues 5 and 14). `npm run bench` builds with tsc and runs
// dist/scripts/bench.js; BENCH_SIZES=small (comma list of small,medium,10k,50k)
// limits the sizes, BENCH_RUNS (default 3) the repeats (more for sub-second commands: runsFor). Per size, in one run:
//   - compile of ALL nodes through the real CLI (`compile <dir> -o <out>`, a
//     new <out> each run): wall time and peak RSS, each in a fresh child
//     process (bench-child.ts);
//   - js-yaml's loadAll over the same files in another child, and the ratio
//     (both repeated, interleaved; the fastest run of each, the largest RSS):
//     with js-yaml's CommonJS build, the one netpolc parses with, which decides
//     the targets; its ES module build (half as fast on Node 20) is printed too;
//   - rules / chains / sets / set members per node (mean, max) and output bytes,
//     at -O1 (Felix's layout) and -O2 (the optimizer), and the reduction;
//   - `netpolc verify` of -O1 and -O2 output up to BENCH_VERIFY_MAX_PODS pods
//     (flows, mismatches, time): timed in the compile's rounds and the fastest
//     of as many runs as it, up to VERIFY_REPEAT_MAX_PODS pods; once above;
//   - one node (the one with most rules): `--node` compile time against
//     `iptables-restore --test` of its rules in a private netns (bench-kernel.ts);
//   - for 10k: compile twice with one policy edited and list what differs;
//   - -O2 compiles, interleaved with the -O1 ones, and their ratio (issue 14: ≤ 1.3×);
//   - at the end, each target of issues 5 and 14 with the figure that decides it.
// Inputs come from scripts/gen-cluster.ts (seed 1) in a temp dir, removed after.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { ChildResult } from "./bench-child.js";
import { kernelLoad, type KernelResult } from "./bench-kernel.js";
import { generateCluster, SIZES, writeCluster, type SizeName } from "./gen-cluster.js";
import { type Direction } from "../src/backends/calico/names.js";
import { DEFAULT_CALICO_OPTIONS, policyChainNameIn } from "../src/backends/calico/index.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

const HERE = dirname(fileURLToPath(import.meta.url));

/** The node flags of bin/netpolc.js's first line (`#!/usr/bin/env -S node FLAGS`): children start as users' runs do. */
function launcherFlags(): string[] {
  const launcher = join(HERE, "..", "..", "bin", "netpolc.js");
  const first = readFileSync(launcher, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=[^\s]+)?)*)$/.exec(first);
  if (!m) throw new Error(`${launcher}: expected '#!/usr/bin/env -S node' and node flags on the first line, found '${first}'`);
  return m[1]!.split(" ").filter((f) => f !== "");
}

const LAUNCHER_FLAGS = launcherFlags();

function child(...args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [...LAUNCHER_FLAGS, join(HERE, "bench-child.js"), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bench-child ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as ChildResult;
}

interface Stat {
  mean: number;
  max: number;
}

interface OutputStats {
  readonly nodes: number;
  readonly bytes: number;
  readonly rules: Stat;
  readonly chains: Stat;
  readonly sets: Stat;
  readonly members: Stat;
  /** Rules in Calico's chains (`cali-*`): what -O2 optimises (kube-proxy's rules it leaves as they are). */
  readonly caliRules: Stat;
  /** The node with the most rules: the one-node figures use it. */
  readonly biggest: string;
}

const stat = (xs: readonly number[]): Stat => ({ mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), max: Math.max(0, ...xs) });

function countLines(text: string, prefix: string): number {
  let n = text.startsWith(prefix) ? 1 : 0;
  for (let i = text.indexOf("\n" + prefix); i >= 0; i = text.indexOf("\n" + prefix, i + 1)) n++;
  return n;
}

function outputStats(dir: string): OutputStats {
  const per = new Map<string, { rules: number; chains: number; sets: number; members: number; caliRules: number }>();
  let bytes = 0;
  // Sorted for determinism: the biggest node is the first of the largest.
  for (const f of readdirSync(dir).sort()) {
    const path = join(dir, f);
    bytes += statSync(path).size;
    const node = f.replace(/\.(iptables|ipsets|routes)$/, "");
    const s = per.get(node) ?? { rules: 0, chains: 0, sets: 0, members: 0, caliRules: 0 };
    per.set(node, s);
    if (f.endsWith(".iptables")) {
      const text = readFileSync(path, "latin1");
      s.rules = countLines(text, "-A ");
      s.caliRules = countLines(text, "-A cali-");
      s.chains = countLines(text, ":");
    } else if (f.endsWith(".ipsets")) {
      const text = readFileSync(path, "latin1");
      s.sets = countLines(text, "create ");
      s.members = countLines(text, "add ");
    }
  }
  const all = [...per.entries()];
  const biggest = all.reduce((a, b) => (b[1].rules > a[1].rules ? b : a))[0];
  const pick = (k: "rules" | "chains" | "sets" | "members" | "caliRules") => stat(all.map(([, s]) => s[k]));
  return { nodes: per.size, bytes, rules: pick("rules"), chains: pick("chains"), sets: pick("sets"), members: pick("members"), caliRules: pick("caliRules"), biggest };
}

interface VerifyResult {
  readonly ms: number;
  /** Every run's wall time, in run order (ms is the fastest). */
  readonly runs: readonly number[];
  readonly summary: string;
  readonly flows: number;
  readonly classes: number;
  readonly mismatches: number;
  readonly exitCode: number;
  readonly maxRssMiB: number;
}

interface EditResult {
  readonly policy: string;
  /** Every changed chain is one of the edited policy's own chains. */
  readonly onlyItsChains: boolean;
  readonly chains: readonly string[];
}

interface SizeReport {
  readonly size: SizeName;
  readonly pods: number;
  readonly inputMiB: number;
  /** js-yaml's CommonJS build (what netpolc parses with): the targets' yardstick. */
  readonly parse: ChildResult;
  /** js-yaml's ES module build, what `import` gives: the yardstick before netpolc switched builds. */
  readonly parseEsm: ChildResult;
  readonly compile: ChildResult;
  readonly stats: OutputStats;
  readonly compileO2: ChildResult;
  readonly statsO2: OutputStats;
  /** Why a verify that ran did not finish (out of memory, …); empty when both did or none ran. */
  readonly verifyFailed: readonly string[];
  /** Class verify of the -O1 and of the -O2 output (compile included); null above VERIFY_MAX_PODS or when it failed. */
  readonly verify: VerifyResult | null;
  readonly verifyO2: VerifyResult | null;
  readonly oneNode: ChildResult;
  readonly nodeMs: number;
  /** Compile time less the frontend, per node: what one more node costs in a compile. */
  readonly amortisedMs: number;
  readonly kernel: KernelResult;
  readonly edit: EditResult | null;
}

/**
 * Parse and compile run this many times each, interleaved. The machine is a
 * shared VM: one run of the single-threaded parse has taken anywhere from 7.6
 * to 12.6 s within the same hour, which alone moves the ratio between 2× and
 * 3.3×; the fastest run is the least disturbed estimate of each.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/**
 * A command that takes well under a second is timed more often: at least RUNS times, and until the runs of the
 * slowest command timed with it add up to this much (at most MAX_RUNS). A small cluster's compile takes ~0.15 s,
 * where one disturbance of the VM is a third of it (the -O2 / -O1 ratio of one run went from 1.14 to 1.37 on the same
 * code); the fastest of a dozen runs is the steadier estimate, and every side of a ratio is timed as often.
 */
const MIN_TIMED_MS = 2_000;
const MAX_RUNS = 15;

/** How many runs in all, after a first run whose slowest command took `firstMs`. */
const runsFor = (firstMs: number): number => Math.max(RUNS, Math.min(MAX_RUNS, Math.ceil(MIN_TIMED_MS / Math.max(1, firstMs))));

/** The fastest run (wall and its CPU), with the largest peak RSS of all runs. */
function fastest(runs: readonly ChildResult[]): ChildResult {
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { ...best, maxRssMiB: Math.max(...runs.map((r) => r.maxRssMiB)) };
}

const spread = (runs: readonly ChildResult[]): string => `${runs.length}: ${runs.map((r) => (r.ms / 1000).toFixed(2)).join(", ")} s`;

/**
 * Class verify (the default) runs at sizes up to this many pods (BENCH_VERIFY_MAX_PODS). 10k takes ~15 s and
 * ~0.7 GiB; at 50k each verify (-O1, -O2) takes ~4 min at up to ~3.6 GiB (16 M pairs of classes), so it is left out
 * unless asked for (BENCH_VERIFY_MAX_PODS=60000) — and a verify that fails is reported as such, never the end of the
 * bench.
 */
const VERIFY_MAX_PODS = Number(process.env.BENCH_VERIFY_MAX_PODS ?? 10_000);

/**
 * Up to this many pods verify runs in every round of the parse and compile runs (-O1, then -O2, after the round's
 * compiles), and its fastest run is compared with the fastest compile: the same estimate on both sides of the
 * ratio, both timed on the same minutes of the machine (one run against the fastest of three moved the medium ratio
 * by up to 10 % on this VM; verifies timed after all the compiles met a slower minute the compiles never saw).
 * Above it a verify takes minutes and runs once, after the compiles.
 */
const VERIFY_REPEAT_MAX_PODS = 2_000;

const reduction = (o1: number, o2: number): number => (o1 > 0 ? 1 - o2 / o1 : 0);
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
/** A change from `o1` to `o2` with its sign: "−34.6 %", "+10.5 %". */
const change = (o1: number, o2: number): string => {
  const c = o1 > 0 ? o2 / o1 - 1 : 0;
  return `${c < 0 ? "−" : "+"}${pct(Math.abs(c))}`;
};

const s = (ms: number): string => (ms / 1000).toFixed(2) + " s";
const f1 = (x: number): string => x.toFixed(x < 10 ? 1 : 0);
const mib = (bytes: number): string => (bytes / 1048576).toFixed(1) + " MiB";

function benchSize(size: SizeName): SizeReport {
  const root = mkdtempSync(join(tmpdir(), `netpolc-bench-${size}-`));
  try {
    const t0 = performance.now();
    const g = generateCluster(SIZES[size]);
    writeCluster(join(root, "in"), g);
    const sum = g.summary;
    console.log(`\n== ${size}: ${sum.pods} pods, ${sum.policies} policies, ${sum.nodes} nodes, ${sum.namespaces} namespaces, ${sum.files} files, ${mib(sum.bytes!)} (generated in ${s(performance.now() - t0)})`);
    // Interleaved, so that both see the same machine; each figure is the fastest of RUNS or more (runsFor; peak RSS: the largest).
    // Verify runs in the same rounds up to VERIFY_REPEAT_MAX_PODS: its ratio is to a compile timed beside it, not minutes before.
    const parses: ChildResult[] = [];
    const parsesEsm: ChildResult[] = [];
    const compiles: ChildResult[] = [];
    const compilesO2: ChildResult[] = [];
    const pods = sum.pods ?? 0;
    const run = pods <= VERIFY_MAX_PODS;
    const interleaved = run && pods <= VERIFY_REPEAT_MAX_PODS;
    const verifies: VerifyOutcome[] = [];
    const verifiesO2: VerifyOutcome[] = [];
    for (let i = 0, runs = RUNS; i < runs; i++) {
      parses.push(child("parse", join(root, "in"), "cjs"));
      parsesEsm.push(child("parse", join(root, "in"), "esm"));
      // Each compile writes a new directory: the same work every run (into an existing one, each file is renamed in).
      rmSync(join(root, "out"), { recursive: true, force: true });
      compiles.push(child("compile", join(root, "in"), join(root, "out")));
      rmSync(join(root, "out2"), { recursive: true, force: true });
      compilesO2.push(child("compile", join(root, "in"), join(root, "out2"), "-O2"));
      // The first verify that fails ends the verifies (its reason is reported), not the bench.
      if (interleaved && ![...verifies, ...verifiesO2].some((v) => "failed" in v)) {
        verifies.push(verifyRun(join(root, "in")));
        verifiesO2.push(verifyRun(join(root, "in"), "-O2"));
      }
      if (i === 0) runs = runsFor(Math.max(compiles[0]!.ms, compilesO2[0]!.ms));
    }
    const [parse, parseEsm, compile, compileO2] = [fastest(parses), fastest(parsesEsm), fastest(compiles), fastest(compilesO2)];
    console.log(`js-yaml loadAll:     ${s(parse.ms)} wall, ${s(parse.cpuMs)} CPU, peak RSS ${f1(parse.maxRssMiB)} MiB (CommonJS build; fastest of ${spread(parses)})`);
    console.log(`  ES module build:   ${s(parseEsm.ms)} wall (fastest of ${spread(parsesEsm)})`);
    console.log(
      `compile all nodes:   ${s(compile.ms)} wall, ${s(compile.cpuMs)} CPU, peak RSS ${f1(compile.maxRssMiB)} MiB (fastest of ${spread(compiles)}); ` +
        `${(compile.ms / parse.ms).toFixed(2)}× parse (wall), ${(compile.cpuMs / parse.cpuMs).toFixed(2)}× (CPU); ${(compile.ms / parseEsm.ms).toFixed(2)}× the ES build's parse`,
    );
    const st = outputStats(join(root, "out"));
    rmSync(join(root, "out"), { recursive: true, force: true });
    const line = (x: OutputStats, k: keyof Pick<OutputStats, "rules" | "chains" | "sets" | "members">) => `${k} ${f1(x[k].mean)}/${x[k].max}`;
    const lines = (x: OutputStats) => `${line(x, "rules")}, ${line(x, "chains")}, ${line(x, "sets")}, ${line(x, "members")}; output ${mib(x.bytes)} for ${x.nodes} nodes`;
    console.log(`per node -O1 (mean/max): ${lines(st)}`);
    const st2 = outputStats(join(root, "out2"));
    rmSync(join(root, "out2"), { recursive: true, force: true });
    console.log(
      `compile -O2:         ${s(compileO2.ms)} wall, ${s(compileO2.cpuMs)} CPU, peak RSS ${f1(compileO2.maxRssMiB)} MiB (fastest of ${spread(compilesO2)}); ` +
        `${(compileO2.ms / compile.ms).toFixed(2)}× -O1 (wall)`,
    );
    console.log(`per node -O2 (mean/max): ${lines(st2)}`);
    const cut = (k: "rules" | "chains" | "sets" | "members") => `${k} ${change(st[k].mean, st2[k].mean)}`;
    console.log(`-O2 against -O1: ${cut("rules")}, ${cut("chains")}, ${cut("sets")}, ${cut("members")}`);
    const [verify, verifyO2] = interleaved ? [bestVerify(verifies), bestVerify(verifiesO2)] : run ? verifyRuns(join(root, "in")) : [null, null];
    for (const [label, v] of [["verify -O1", verify], ["verify -O2", verifyO2]] as const) {
      console.log(
        v && "failed" in v
          ? `${label}: FAILED at ${pods} pods: ${v.failed}`
          : v
            ? `${label}: ${v.summary} (exit ${v.exitCode}) in ${s(v.ms)}${v.runs.length > 1 ? ` (fastest of ${v.runs.length}: ${v.runs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s)` : ""}, compile included; ${(v.ms / compile.ms).toFixed(2)}× the compile, peak RSS ${f1(v.maxRssMiB)} MiB`
            : `${label}: not run at ${pods} pods (over BENCH_VERIFY_MAX_PODS=${VERIFY_MAX_PODS})`,
      );
    }
    const oneNode = child("compile", join(root, "in"), join(root, "one"), "--node", st.biggest);
    const split = child("node", join(root, "in"), st.biggest).detail as { frontendMs: number; nodeMs: number };
    const kernel = kernelLoad(join(root, "one", `${st.biggest}.iptables`), join(root, "one", `${st.biggest}.ipsets`));
    const amortised = (compile.ms - split.frontendMs) / st.nodes;
    console.log(`one node (${st.biggest}, ${st.rules.max} rules): compile --node ${s(oneNode.ms)} = snapshot frontend ${s(split.frontendMs)} + node ${s(split.nodeMs)} cold; ${s(amortised)} per node amortised over all nodes`);
    console.log(`  kernel: ${kernelText(kernel)}`);
    const edit = size === "10k" ? editReport(join(root, "in")) : null;
    return {
      size, pods, inputMiB: sum.bytes! / 1048576, parse, parseEsm, compile, stats: st, compileO2, statsO2: st2,
      verify: verify && !("failed" in verify) ? verify : null, verifyO2: verifyO2 && !("failed" in verifyO2) ? verifyO2 : null,
      verifyFailed: [verify, verifyO2].flatMap((v) => (v && "failed" in v ? [v.failed] : [])),
      oneNode, nodeMs: split.nodeMs, amortisedMs: amortised, kernel, edit,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function kernelText(k: KernelResult): string {
  if (k.kind === "skipped") return `kernel load skipped: ${k.why}`;
  return `iptables-restore --test ${s(k.testMs)}, real load ${s(k.loadMs)} (each incl. ${k.execMs.toFixed(0)} ms of ip netns exec; ${k.iptables})`;
}

type VerifyOutcome = VerifyResult | { readonly failed: string };

/** One -O1 verify and one -O2 verify (above VERIFY_REPEAT_MAX_PODS, where each takes minutes). */
function verifyRuns(dir: string): [VerifyOutcome, VerifyOutcome] {
  const o1 = verifyRun(dir);
  return [bestVerify([o1]), bestVerify(["failed" in o1 ? o1 : verifyRun(dir, "-O2")])];
}

/** The fastest of a verify's runs (with the largest peak RSS and every run's time), or its first failure. */
function bestVerify(all: readonly VerifyOutcome[]): VerifyOutcome {
  const failed = all.find((v) => "failed" in v);
  if (failed) return failed;
  const ok = all as readonly VerifyResult[];
  const b = ok.reduce((a, v) => (v.ms < a.ms ? v : a));
  return { ...b, maxRssMiB: Math.max(...ok.map((v) => v.maxRssMiB)), runs: ok.map((v) => v.ms) };
}

function verifyRun(dir: string, ...flags: string[]): VerifyOutcome {
  let v: ChildResult;
  try {
    v = child("verify", dir, ...flags);
  } catch (e) {
    // The child's own words: "JavaScript heap out of memory", or its first error line.
    const text = e instanceof Error ? e.message : String(e);
    const why = /heap out of memory/.test(text) ? "JavaScript heap out of memory" : (text.split("\n").find((l) => l.trim()) ?? "failed");
    return { failed: why };
  }
  const d = v.detail as { summary: string; flows: number; classes: number; mismatches: number; exitCode: number };
  return { ms: v.ms, maxRssMiB: v.maxRssMiB, runs: [v.ms], ...d };
}

function editReport(dir: string): EditResult {
  const e = child("edit", dir);
  const d = e.detail as { policy: string; outputFiles: number; files: string[]; chains: string[]; sets: string[] };
  console.log(`one-policy edit (${d.policy}, +1 port), 2 compiles in ${s(e.ms)}: ${d.files.length}/${d.outputFiles} files differ`);
  console.log(`  chains: ${d.chains.join(", ") || "none"}; sets: ${d.sets.join(", ") || "none"}`);
  console.log(`  files: ${d.files.join(" ")}`);
  const [ns = "", name = ""] = d.policy.split("/");
  // The edit compiles at the default Calico version: its chain names.
  const own = new Set(DIRECTIONS.map((dir) => policyChainNameIn(DEFAULT_CALICO_OPTIONS.calicoVersion, dir, ns, name)));
  // Changed chains are reported as table/name.
  const name0 = (c: string): string => c.slice(c.indexOf("/") + 1);
  return { policy: d.policy, chains: d.chains, onlyItsChains: d.chains.length > 0 && d.chains.every((c) => own.has(name0(c))) };
}

/** Each target of issues 5 and 14, the figure that decides it, and whether it is met. */
function targets(reports: readonly SizeReport[]): string {
  const out: string[] = [];
  const verdict = (ok: boolean): string => (ok ? "met" : "NOT met");
  const big = reports.find((r) => r.size === "50k") ?? reports[reports.length - 1];
  const medium = reports.find((r) => r.size === "medium");
  if (medium && medium !== big) {
    const ratio = medium.compile.ms / medium.parse.ms;
    out.push(
      `- medium: compile all nodes ≤ 3× js-yaml parse (issue 14): ${ratio.toFixed(2)}× wall (${(medium.compile.cpuMs / medium.parse.cpuMs).toFixed(2)}× CPU; ` +
        `${(medium.compile.ms / medium.parseEsm.ms).toFixed(2)}× js-yaml's ES build): ${verdict(ratio <= 3)}`,
    );
  }
  if (big) {
    const ratio = big.compile.ms / big.parse.ms;
    // Issue 5 asked ≤ 3× at 50k; issue 14 tightened it to ≤ 2×.
    const bound = big.size === "50k" ? 2 : 3;
    out.push(
      `- ${big.size}: compile all nodes ≤ ${bound}× js-yaml parse: ${ratio.toFixed(2)}× wall (${(big.compile.cpuMs / big.parse.cpuMs).toFixed(2)}× CPU; ` +
        `${(big.compile.ms / big.parseEsm.ms).toFixed(2)}× js-yaml's ES build): ${verdict(ratio <= bound)}`,
    );
    out.push(`- ${big.size}: peak RSS ≤ 1 GiB: ${f1(big.compile.maxRssMiB)} MiB: ${verdict(big.compile.maxRssMiB <= 1024)}`);
  }
  for (const r of reports) {
    const ratio = r.compileO2.ms / r.compile.ms;
    out.push(`- ${r.size}: -O2 ≤ 1.3× the time of -O1 (issue 14): ${ratio.toFixed(2)}× (${s(r.compileO2.ms)} vs ${s(r.compile.ms)}): ${verdict(ratio <= 1.3)}`);
  }
  for (const r of reports) {
    // Calico's rules: -O2 is the Calico backend's optimizer, and kube-proxy's rules (most of `medium`'s) pass through.
    const cut = reduction(r.stats.caliRules.mean, r.statsO2.caliRules.mean);
    const v2 = r.verifyO2;
    const v = v2 ? `, verify ${v2.flows.toLocaleString("en-US")} flows, ${v2.mismatches} mismatches` : "";
    const ok = cut >= 0.3 && (!v2 || (v2.mismatches === 0 && v2.exitCode === 0));
    out.push(`- ${r.size}: -O2 ≥ 30 % fewer Calico rules than -O1${v2 ? " with 0 verify mismatches" : ""}: ${change(r.stats.caliRules.mean, r.statsO2.caliRules.mean)} (all rules ${change(r.stats.rules.mean, r.statsO2.rules.mean)})${v}: ${verdict(ok)}`);
  }
  // Issue 15: class verify's time against the compile's, and its memory.
  for (const r of reports) {
    const bound = r.size === "medium" ? { x: 5, mib: 1024 } : r.size === "50k" ? { x: 20, mib: 4096 } : null;
    if (!bound) continue;
    for (const [label, v] of [["-O1", r.verify], ["-O2", r.verifyO2]] as const) {
      if (!v) {
        const why = r.verifyFailed.length ? `failed (${r.verifyFailed.join("; ")})` : "not run (BENCH_VERIFY_MAX_PODS)";
        out.push(`- ${r.size}: verify of ${label} output ≤ ${bound.x}× compile, peak RSS ≤ ${bound.mib} MiB (issue 15): ${why}: NOT met`);
        continue;
      }
      const x = v.ms / r.compile.ms;
      const ok = x <= bound.x && v.maxRssMiB <= bound.mib && v.exitCode === 0;
      out.push(
        `- ${r.size}: verify of ${label} output ≤ ${bound.x}× compile, peak RSS ≤ ${bound.mib} MiB (issue 15): ${x.toFixed(2)}× (${s(v.ms)} vs ${s(r.compile.ms)}), ` +
          `${f1(v.maxRssMiB)} MiB, ${v.flows.toLocaleString("en-US")} flows in ${v.classes.toLocaleString("en-US")} classes, ${v.mismatches} mismatches: ${verdict(ok)}`,
      );
    }
  }
  for (const r of reports) {
    if (r.kernel.kind !== "measured") {
      out.push(`- ${r.size}: one node compiles faster than the kernel loads it: kernel not measured (${r.kernel.why})`);
      continue;
    }
    const k = r.kernel.testMs;
    out.push(
      `- ${r.size}: one node compiles faster than the kernel loads it: ${s(r.amortisedMs)} per node in a compile vs ${s(k)} iptables-restore --test: ${verdict(r.amortisedMs < k)}` +
        ` (a cold --node compile, ${s(r.oneNode.ms)}, first reads the whole snapshot: ${verdict(r.oneNode.ms < k)})`,
    );
  }
  for (const r of reports) {
    if (r.edit) out.push(`- ${r.size}: a one-policy edit changes only that policy's chains (and the sets it feeds): chains ${r.edit.chains.join(", ") || "none"}: ${verdict(r.edit.onlyItsChains)}`);
  }
  return out.join("\n");
}

function table(reports: readonly SizeReport[]): string {
  const rows = [
    "| size | input | js-yaml loadAll (CommonJS / ES build) | compile all nodes | × parse (wall / CPU) | peak RSS | compile -O2 (× -O1) | rules/node mean (max) | chains/node | sets/node | set members/node | output | -O2 rules/node mean (max) | -O2 chains / sets | -O2 rules cut | verify -O1 / -O2 (× compile, RSS) | one node: compile --node (its own part) | per node in a compile | iptables-restore --test |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of reports) {
    const st = r.stats;
    const k = r.kernel.kind === "measured" ? s(r.kernel.testMs) : "skipped";
    rows.push(
      `| ${r.size} | ${r.inputMiB.toFixed(1)} MiB | ${s(r.parse.ms)} / ${s(r.parseEsm.ms)} | ${s(r.compile.ms)} | ${(r.compile.ms / r.parse.ms).toFixed(2)} / ${(r.compile.cpuMs / r.parse.cpuMs).toFixed(2)} | ${f1(r.compile.maxRssMiB)} MiB | ${s(r.compileO2.ms)} (${(r.compileO2.ms / r.compile.ms).toFixed(2)}×) | ` +
        `${f1(st.rules.mean)} (${st.rules.max}) | ${f1(st.chains.mean)} (${st.chains.max}) | ${f1(st.sets.mean)} (${st.sets.max}) | ${f1(st.members.mean)} (${st.members.max}) | ` +
        `${mib(st.bytes)} | ${f1(r.statsO2.rules.mean)} (${r.statsO2.rules.max}) | ${f1(r.statsO2.chains.mean)} / ${f1(r.statsO2.sets.mean)} | ${change(st.rules.mean, r.statsO2.rules.mean)} | ` +
        `${r.verify && r.verifyO2 ? `${r.verifyO2.flows.toLocaleString("en-US")} flows in ${r.verifyO2.classes.toLocaleString("en-US")} classes, ${r.verify.mismatches + r.verifyO2.mismatches} mismatches; ${s(r.verify.ms)} / ${s(r.verifyO2.ms)} (${(r.verify.ms / r.compile.ms).toFixed(1)}× / ${(r.verifyO2.ms / r.compile.ms).toFixed(1)}×, ${f1(Math.max(r.verify.maxRssMiB, r.verifyO2.maxRssMiB))} MiB)` : "not run"} | ${s(r.oneNode.ms)} (${s(r.nodeMs)}) | ${s(r.amortisedMs)} | ${k} |`,
    );
  }
  return rows.join("\n");
}

const sizes = (process.env.BENCH_SIZES ?? "small,medium,10k,50k").split(",").map((x) => x.trim()).filter(Boolean);
for (const sz of sizes) if (!(sz in SIZES)) throw new Error(`BENCH_SIZES: unknown size ${sz} (known: ${Object.keys(SIZES).join(", ")})`);
const cpuModel = cpus()[0]?.model ?? "unknown CPU";
console.log(`netpolc bench on ${cpus().length} × ${cpuModel}, Node ${process.version}, children started with ${LAUNCHER_FLAGS.join(" ")} (bin/netpolc.js)`);
const reports = sizes.map((sz) => benchSize(sz as SizeName));
console.log("\n" + table(reports));
console.log("\nTargets (issues 5 and 14):\n" + targets(reports));

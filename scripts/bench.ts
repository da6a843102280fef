// Scale benchmark (issue 5). `npm run bench` builds with tsc and runs
// dist/scripts/bench.js; BENCH_SIZES=small (comma list of small,10k,50k)
// limits the sizes. Per size, in one run:
//   - compile of ALL nodes through the real CLI (`compile <dir> -o <out>`):
//     wall time and peak RSS, each in a fresh child process (bench-child.ts);
//   - js-yaml's loadAll over the same files in another child, and the ratio;
//   - rules / chains / sets / set members per node (mean, max) and output bytes;
//   - one node (the one with most rules): `--node` compile time against
//     `iptables-restore --test` of its rules in a private netns (bench-kernel.ts);
//   - for 10k: compile twice with one policy edited and list what differs.
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

const HERE = dirname(fileURLToPath(import.meta.url));

function child(...args: string[]): ChildResult {
  // The same V8 flag bin/netpolc.js starts with, so the figures are what users get.
  const r = spawnSync(process.execPath, ["--max-semi-space-size=32", join(HERE, "bench-child.js"), ...args], {
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
  const per = new Map<string, { rules: number; chains: number; sets: number; members: number }>();
  let bytes = 0;
  // Sorted for determinism: the biggest node is the first of the largest.
  for (const f of readdirSync(dir).sort()) {
    const path = join(dir, f);
    bytes += statSync(path).size;
    const node = f.replace(/\.(iptables|ipsets|routes)$/, "");
    const s = per.get(node) ?? { rules: 0, chains: 0, sets: 0, members: 0 };
    per.set(node, s);
    if (f.endsWith(".iptables")) {
      const text = readFileSync(path, "latin1");
      s.rules = countLines(text, "-A ");
      s.chains = countLines(text, ":");
    } else if (f.endsWith(".ipsets")) {
      const text = readFileSync(path, "latin1");
      s.sets = countLines(text, "create ");
      s.members = countLines(text, "add ");
    }
  }
  const all = [...per.entries()];
  const biggest = all.reduce((a, b) => (b[1].rules > a[1].rules ? b : a))[0];
  const pick = (k: "rules" | "chains" | "sets" | "members") => stat(all.map(([, s]) => s[k]));
  return { nodes: per.size, bytes, rules: pick("rules"), chains: pick("chains"), sets: pick("sets"), members: pick("members"), biggest };
}

interface SizeReport {
  readonly size: SizeName;
  readonly inputMiB: number;
  readonly parse: ChildResult;
  readonly compile: ChildResult;
  readonly stats: OutputStats;
  readonly oneNode: ChildResult;
  readonly nodeMs: number;
  readonly kernel: KernelResult;
}

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
    const parse = child("parse", join(root, "in"));
    console.log(`js-yaml loadAll:     ${s(parse.ms)} wall, ${s(parse.cpuMs)} CPU, peak RSS ${f1(parse.maxRssMiB)} MiB`);
    const compile = child("compile", join(root, "in"), join(root, "out"));
    console.log(
      `compile all nodes:   ${s(compile.ms)} wall, ${s(compile.cpuMs)} CPU, peak RSS ${f1(compile.maxRssMiB)} MiB; ` +
        `${(compile.ms / parse.ms).toFixed(2)}× parse (wall), ${(compile.cpuMs / parse.cpuMs).toFixed(2)}× (CPU)`,
    );
    const st = outputStats(join(root, "out"));
    const line = (k: keyof Pick<OutputStats, "rules" | "chains" | "sets" | "members">) => `${k} ${f1(st[k].mean)}/${st[k].max}`;
    console.log(`per node (mean/max): ${line("rules")}, ${line("chains")}, ${line("sets")}, ${line("members")}; output ${mib(st.bytes)} for ${st.nodes} nodes`);
    const oneNode = child("compile", join(root, "in"), join(root, "one"), "--node", st.biggest);
    const split = child("node", join(root, "in"), st.biggest).detail as { frontendMs: number; nodeMs: number };
    const kernel = kernelLoad(join(root, "one", `${st.biggest}.iptables`), join(root, "one", `${st.biggest}.ipsets`));
    const amortised = (compile.ms - split.frontendMs) / st.nodes;
    console.log(`one node (${st.biggest}, ${st.rules.max} rules): compile --node ${s(oneNode.ms)} = snapshot frontend ${s(split.frontendMs)} + node ${s(split.nodeMs)} cold; ${s(amortised)} per node amortised over all nodes`);
    console.log(`  kernel: ${kernelText(kernel)}`);
    if (size === "10k") editReport(join(root, "in"));
    return { size, inputMiB: sum.bytes! / 1048576, parse, compile, stats: st, oneNode, nodeMs: split.nodeMs, kernel };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function kernelText(k: KernelResult): string {
  if (k.kind === "skipped") return `kernel load skipped: ${k.why}`;
  return `iptables-restore --test ${s(k.testMs)}, real load ${s(k.loadMs)} (each incl. ${k.execMs.toFixed(0)} ms of ip netns exec; ${k.iptables})`;
}

function editReport(dir: string): void {
  const e = child("edit", dir);
  const d = e.detail as { policy: string; outputFiles: number; files: string[]; chains: string[]; sets: string[] };
  console.log(`one-policy edit (${d.policy}, +1 port), 2 compiles in ${s(e.ms)}: ${d.files.length}/${d.outputFiles} files differ`);
  console.log(`  chains: ${d.chains.join(", ") || "none"}; sets: ${d.sets.join(", ") || "none"}`);
  console.log(`  files: ${d.files.join(" ")}`);
}

function table(reports: readonly SizeReport[]): string {
  const rows = [
    "| size | input | js-yaml loadAll | compile all nodes | × parse (wall / CPU) | peak RSS | rules/node mean (max) | chains/node | sets/node | set members/node | output | one node: compile --node (its own part) | iptables-restore --test |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of reports) {
    const st = r.stats;
    const k = r.kernel.kind === "measured" ? s(r.kernel.testMs) : "skipped";
    rows.push(
      `| ${r.size} | ${r.inputMiB.toFixed(1)} MiB | ${s(r.parse.ms)} | ${s(r.compile.ms)} | ${(r.compile.ms / r.parse.ms).toFixed(2)} / ${(r.compile.cpuMs / r.parse.cpuMs).toFixed(2)} | ${f1(r.compile.maxRssMiB)} MiB | ` +
        `${f1(st.rules.mean)} (${st.rules.max}) | ${f1(st.chains.mean)} (${st.chains.max}) | ${f1(st.sets.mean)} (${st.sets.max}) | ${f1(st.members.mean)} (${st.members.max}) | ` +
        `${mib(st.bytes)} | ${s(r.oneNode.ms)} (${s(r.nodeMs)}) | ${k} |`,
    );
  }
  return rows.join("\n");
}

const sizes = (process.env.BENCH_SIZES ?? "small,10k,50k").split(",").map((x) => x.trim()).filter(Boolean);
for (const sz of sizes) if (!(sz in SIZES)) throw new Error(`BENCH_SIZES: unknown size ${sz} (known: ${Object.keys(SIZES).join(", ")})`);
const cpuModel = cpus()[0]?.model ?? "unknown CPU";
console.log(`netpolc bench on ${cpus().length} × ${cpuModel}, Node ${process.version}`);
const reports = sizes.map((sz) => benchSize(sz as SizeName));
console.log("\n" + table(reports));

// One measurement of scripts/bench.ts, in its own process so that peak RSS
// (process.resourceUsage().maxRSS) belongs to that measurement alone. Prints
// one JSON line on stdout.
//
//   node dist/scripts/bench-child.js parse <in-dir> [cjs|esm]   (js-yaml's CommonJS build, the one netpolc parses with; or its ES module build)
//   node dist/scripts/bench-child.js compile <in-dir> <out-dir> [compile flags: --node NAME, -O2 …]
//   node dist/scripts/bench-child.js verify <in-dir> [verify flags: -O2 …]
//   node dist/scripts/bench-child.js node <in-dir> NAME     (frontend vs render+text of one node)
//   node dist/scripts/bench-child.js edit <in-dir>
import { createRequire } from "node:module";
import type * as JsYaml from "js-yaml";
import { performance } from "node:perf_hooks";
import { main } from "../src/cli/main.js";
import { gatherInputs } from "../src/cli/inputs.js";
import { compile as pipelineCompile, DEFAULT_COMPILE_OPTIONS, nodeFiles } from "../src/pipeline.js";
import { addPort, compileAll, diffOutputs, editPolicy } from "./bench-edit.js";

export interface ChildResult {
  readonly ms: number;
  /** User + system CPU time of the process (includes V8's parallel GC threads). */
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  readonly detail?: unknown;
}

const rssMiB = (): number => process.resourceUsage().maxRSS / 1024;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const noStdin = (): string => "";

/**
 * js-yaml alone: read every input file as the CLI would and loadAll it. js-yaml 5.5 ships the same code twice:
 * the CommonJS build (`require`), which netpolc parses with, and the ES module build (`import`), which builds
 * its parser state with object spread and parses about half as fast on Node 20 (src/frontend/yaml/parse.ts).
 * js-yaml is loaded before the clock starts (the compile's clock does include loading netpolc's compile code).
 */
async function parse(dir: string, build: "cjs" | "esm"): Promise<ChildResult> {
  const { loadAll } = build === "cjs" ? (createRequire(import.meta.url)("js-yaml") as typeof JsYaml) : await import("js-yaml");
  const [t0, c0] = [performance.now(), cpuMs()];
  let docs = 0;
  for (const f of gatherInputs([dir], noStdin)) docs += loadAll(f.text).length;
  return { ms: performance.now() - t0, cpuMs: cpuMs() - c0, maxRssMiB: rssMiB(), detail: { docs } };
}

/** The real CLI, in-process: read inputs, compile, write every file (`extra`: more compile flags, e.g. -O2, --node). */
async function compile(dir: string, out: string, extra: readonly string[]): Promise<ChildResult> {
  const args = ["compile", dir, "-o", out, ...extra];
  let stderr = "";
  const [t0, c0] = [performance.now(), cpuMs()];
  const code = await main(args, { stdout: () => {}, stderr: (s: string) => void (stderr += s), readStdin: noStdin });
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`netpolc ${args.join(" ")} exited ${code}:\n${stderr}`);
  return { ms, cpuMs: cpuMs() - c0, maxRssMiB: rssMiB() };
}

/**
 * One node, split: the frontend (read, parse, validate, lower the whole
 * snapshot) and the node's own work (render, cluster-wide tables built on
 * first use included, and the text of its three files).
 */
function oneNode(dir: string, node: string): ChildResult {
  const [t0, c0] = [performance.now(), cpuMs()];
  const res = pipelineCompile(gatherInputs([dir], noStdin), { ...DEFAULT_COMPILE_OPTIONS, nodes: [node] });
  const t1 = performance.now();
  let bytes = 0;
  for (const [, text] of nodeFiles(res)) bytes += text.length;
  const t2 = performance.now();
  if (res.diag.hasErrors() || bytes === 0) throw new Error(`no output for ${node}`);
  return { ms: t2 - t0, cpuMs: cpuMs() - c0, maxRssMiB: rssMiB(), detail: { frontendMs: t1 - t0, nodeMs: t2 - t1, bytes } };
}

/** Compile twice, the second time with one port added to one same-app policy; report what differs. */
function edit(dir: string): ChildResult {
  const files = gatherInputs([dir], noStdin);
  const file = files.find((f) => /\/policies\/[^/]+-prod\.yaml$/.test(f.path));
  const name = file?.text.match(/name: (allow-[a-z0-9-]+-same-app)\n/)?.[1];
  const ns = file?.path.match(/([^/]+)\.yaml$/)?.[1];
  if (!name || !ns) throw new Error("no same-app policy to edit");
  const [t0, c0] = [performance.now(), cpuMs()];
  const before = compileAll(files);
  const after = compileAll(editPolicy(files, ns, name, addPort(8081)));
  const diff = diffOutputs(before, after);
  return { ms: performance.now() - t0, cpuMs: cpuMs() - c0, maxRssMiB: rssMiB(), detail: { policy: `${ns}/${name}`, outputFiles: before.size, ...diff } };
}

/** `netpolc verify <flags> <dir>` in-process (compile included): its own summary line, parsed. */
async function verify(dir: string, extra: readonly string[]): Promise<ChildResult> {
  const args = ["verify", ...extra, dir];
  let stdout = "";
  let stderr = "";
  const [t0, c0] = [performance.now(), cpuMs()];
  const code = await main(args, { stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), readStdin: noStdin });
  const ms = performance.now() - t0;
  const summary = /^verified: .*$/m.exec(stdout)?.[0];
  // Class verify prints `1,904,112 flows in 3,416 classes`; --exhaustive `1452 flows`.
  const count = (what: string): number => Number((new RegExp(`([\\d,]+) ${what}`).exec(summary ?? "")?.[1] ?? "NaN").replaceAll(",", ""));
  if (!summary) throw new Error(`netpolc ${args.join(" ")} exited ${code} without a summary:\n${stdout}${stderr}`);
  const [flows, classes, mismatches] = [count("flows"), count("classes"), count("mismatches")];
  return { ms, cpuMs: cpuMs() - c0, maxRssMiB: rssMiB(), detail: { exitCode: code, summary, flows, classes, mismatches } };
}

async function run(argv: readonly string[]): Promise<ChildResult> {
  const [mode, dir, out] = argv;
  if (mode === "parse" && dir && (out === undefined || out === "cjs" || out === "esm")) return parse(dir, out ?? "cjs");
  if (mode === "compile" && dir && out) return compile(dir, out, argv.slice(3));
  if (mode === "verify" && dir) return verify(dir, argv.slice(2));
  if (mode === "node" && dir && out) return oneNode(dir, out);
  if (mode === "edit" && dir) return edit(dir);
  throw new Error(`usage: bench-child parse <in-dir> [cjs|esm] | compile|node|edit|verify <in-dir> [out-dir|NAME] [compile or verify flags]`);
}

process.stdout.write(JSON.stringify(await run(process.argv.slice(2))) + "\n");

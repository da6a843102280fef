// `netpolc compile`: the command layer over the pure pipeline.
import { compile, emitKinds, emitText, nodeFiles, type BackendChoice, type CompileOptions, type Dataplane, type Dataplanes, type EmitKind, type IPv6Switch } from "../pipeline.js";
import {
  DEFAULT_CALICO_OPTIONS, DEFAULT_KUBE_PROXY_OPTIONS, selectPasses, statsText,
  type CalicoVersion, type KubeProxyOptions, type KubeProxyVersion, type OptimizeOptions, type RouteProgrammer,
} from "../backends/index.js";
import type { TableName } from "../rules/types.js";
import { renderAll, type DiagnosticFormat } from "../diagnostics/render.js";
import type { FrontendThreads, InputFile } from "../frontend/index.js";
import { flag, flagAll, has, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { gatherInputs } from "./inputs.js";
import type { Io } from "./io.js";
import { NO_PROGRESS, progressFor, type Progress } from "./progress.js";
import { writeOutputs } from "./write.js";
import { COMPILE_FLAGS } from "./flags.js";
import type { Model } from "../ir/policy.js";


/** Interface names as the kernel takes them (IFNAMSIZ − 1, no `/`, whitespace, `:`), so a flag cannot inject text into routes. */
const IFACE = /^(?!\.\.?$)[A-Za-z0-9_.@-]{1,15}$/;

/** --calico-version, --route-programmer and --uplink (they shape the rules and routes, so verify, diff and check take them too). */
export function routeOptionsFrom(args: ParsedArgs): { routeProgrammer: RouteProgrammer; uplink: string; calicoVersion: CalicoVersion } {
  const uplink = flag(args, "uplink") ?? DEFAULT_CALICO_OPTIONS.uplink;
  if (!IFACE.test(uplink)) throw new UsageError(`--uplink must be an interface name (1-15 of A-Z a-z 0-9 _ . @ -), not ${JSON.stringify(uplink)}`);
  const calicoVersion = (flag(args, "calico-version") ?? DEFAULT_CALICO_OPTIONS.calicoVersion) as CalicoVersion;
  return { routeProgrammer: (flag(args, "route-programmer") ?? DEFAULT_CALICO_OPTIONS.routeProgrammer) as RouteProgrammer, uplink, calicoVersion };
}

/** -O level and passes; unknown pass names and pass flags without -O2 are usage errors. */
export function optimizeOptionsFrom(args: ParsedArgs): OptimizeOptions {
  const level = Number(flag(args, "opt-level") ?? "1") as 0 | 1 | 2;
  const only = flag(args, "passes");
  const disabled = flagAll(args, "no-pass");
  if (level < 2 && (only !== undefined || disabled.length)) throw new UsageError("--passes and --no-pass need -O2");
  try {
    const passes = selectPasses(only === undefined ? null : only.split(",").filter((s) => s !== ""), disabled);
    return { level, passes: passes.map((p) => p.name) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Files to write (name → text) into `outputDir`; empty unless the command succeeded. */
  readonly files: ReadonlyMap<string, string>;
  readonly outputDir: string | null;
  /** When writing every node, stale outputs of nodes no longer in the snapshot are removed. */
  readonly pruneStale: boolean;
}

function kubeProxyOptionsFrom(args: ParsedArgs): KubeProxyOptions {
  return {
    version: (flag(args, "kube-proxy-version") ?? DEFAULT_KUBE_PROXY_OPTIONS.version) as KubeProxyVersion,
    randomFully: has(args, "random-fully"),
    paddedMark: flag(args, "masquerade-mark") === "padded",
    family: flag(args, "ip-family") === "6" ? 6 : 4,
    serviceOrder: (flag(args, "service-order") ?? "").split(",").filter((s) => s !== ""),
  };
}

/**
 * The compile flags that decide what the output files contain: `diff` and
 * `check --expected` take them too, so that output committed with, say, -O2
 * or --backend calico is compared with what those options compile to.
 */

function jobsFrom(args: ParsedArgs): FrontendThreads {
  const v = flag(args, "jobs") ?? "auto";
  if (v === "auto") return v;
  if (!/^[1-9][0-9]{0,2}$/.test(v)) throw new UsageError(`option '--jobs' must be a positive number or auto, not '${v}'`);
  return Number(v);
}

/** --dataplane for both agents, --kube-proxy-mode and --calico-dataplane for one each (they win over --dataplane). */
export function dataplanesFrom(args: ParsedArgs): Dataplanes {
  const both = (flag(args, "dataplane") ?? "iptables") as Dataplane;
  return { calico: (flag(args, "calico-dataplane") ?? both) as Dataplane, kubeProxy: (flag(args, "kube-proxy-mode") ?? both) as Dataplane };
}

export function compileOptionsFrom(args: ParsedArgs): CompileOptions {
  const backend = (flag(args, "backend") ?? "both") as BackendChoice;
  if (flag(args, "ip-family") === "6" && backend !== "kube-proxy") throw new UsageError("--ip-family 6 needs --backend kube-proxy (the node file is IPv4 iptables)");
  const listRules = flag(args, "list-rules") as TableName | undefined;
  if (has(args, "flow-logs") && flag(args, "opt-level") === "2") throw new UsageError("--flow-logs cannot be combined with -O2: the optimizer would merge or drop NFLOG rules, and flow logs would change");
  return {
    backend,
    kubeProxy: kubeProxyOptionsFrom(args),
    asSaved: has(args, "as-saved"),
    ...(listRules ? { listRules } : {}),
    nodes: [...flagAll(args, "node")],
    optimize: optimizeOptionsFrom(args),
    jobs: jobsFrom(args),
    calicoVersionGiven: has(args, "calico-version"),
    ipv6: (flag(args, "ipv6") ?? "auto") as IPv6Switch,
    dataplane: dataplanesFrom(args),
    kubeProxyModeGiven: has(args, "kube-proxy-mode") || has(args, "dataplane"),
    nftReplace: has(args, "nft-replace"),
    calico: {
      ...DEFAULT_CALICO_OPTIONS,
      ipencapName: !has(args, "protocol-numbers"),
      randomFully: !has(args, "no-random-fully"),
      builtinPolicy: (flag(args, "builtin-policy") ?? DEFAULT_CALICO_OPTIONS.builtinPolicy) as "ACCEPT" | "DROP",
      defaultEndpointToHostAction: (flag(args, "endpoint-to-host-action") ??
        DEFAULT_CALICO_OPTIONS.defaultEndpointToHostAction) as "ACCEPT" | "DROP" | "RETURN",
      ...routeOptionsFrom(args),
      flowLogs: has(args, "flow-logs"),
    },
  };
}

/** Progress per node rendered: the files are rendered while they are written, after runCompile returns. */
function nodeProgress(opts: CompileOptions, progress: Progress): CompileOptions {
  if (progress === NO_PROGRESS) return opts;
  let started = false;
  const onNode = (model: Model): void => {
    if (!started) progress.stage("compiling", opts.nodes.length || model.cluster.nodes.length, "nodes");
    else progress.tick();
    started = true;
  };
  return { ...opts, onNode };
}

/** Runs compile on already-read inputs; pure (progress is a callback), so tests and the golden runner use it directly. */
export function runCompile(files: readonly InputFile[], args: ParsedArgs, progress: Progress = NO_PROGRESS): CommandResult {
  const outputDir = flag(args, "output") ?? null;
  const emit = flag(args, "emit") as EmitKind | "all" | undefined;
  if (!outputDir && !emit) throw new UsageError("compile needs -o DIR or --emit KIND");
  if (outputDir && emit) throw new UsageError("-o and --emit cannot be combined");
  const format = (flag(args, "format") ?? "text") as DiagnosticFormat;
  const opts = compileOptionsFrom(args);
  const res = compile(files, nodeProgress(opts, progress));
  const shown = has(args, "verbose") ? res.diag.all : res.diag.all.filter((d) => d.severity !== "note");
  let stderr = renderAll(shown, res.sources, format);
  const fail = (code: number, extra = ""): CommandResult => ({
    exitCode: code, stdout: "", stderr: stderr + extra, files: new Map(), outputDir: null, pruneStale: false,
  });
  if (res.diag.hasErrors()) return fail(1, format === "text" ? `netpolc: ${res.diag.errorCount} error(s); nothing written\n` : "");
  if (has(args, "stats")) stderr += statsReport(res);
  if (emit) {
    if (res.outputs.length !== 1) {
      const names = res.outputs.map((o) => o.node).join(", ");
      throw new UsageError(`--emit prints one node; choose one with --node (nodes: ${names || "none"})`);
    }
    const out = res.outputs[0]!;
    const kindsOf = emitKinds(res.options, res.model);
    if (emit === "ip6tables" && !kindsOf.includes(emit)) {
      throw new UsageError("--emit ip6tables: IPv6 is off for these inputs (no IPv6 pool or pod address, or --ipv6 off; --ipv6 on renders the IPv6 tables anyway)");
    }
    if (emit !== "all" && !kindsOf.includes(emit)) {
      throw new UsageError(`--emit ${emit}: this compile writes no <node>.${emit} (it writes ${kindsOf.map((k) => `.${k}`).join(", ")})`);
    }
    const kinds = emit === "all" ? kindsOf : [emit];
    const stdout = kinds.map((k) => emitText(out, k, res.options, res.renderer)).join("");
    return { exitCode: 0, stdout, stderr, files: new Map(), outputDir: null, pruneStale: false };
  }
  return {
    exitCode: 0, stdout: "", stderr, files: nodeFiles(res, opts), outputDir, pruneStale: flagAll(args, "node").length === 0,
  };
}

/** --stats: per node, the -O1 figures and those after each selected pass (stderr: stdout carries --emit results only). */
function statsReport(res: ReturnType<typeof compile>): string {
  const programs = res.programs;
  if (!programs) return "";
  const header = "node\tafter\trules\tchains\tsets\tmembers\n";
  return header + res.nodes.map((node) => statsText(node, programs.statsTrail(node))).join("");
}

/** `netpolc compile`: read the inputs, compile, write the files (or print one node's); progress while nodes render. */
export function compileCommand(rest: readonly string[], io: Io): number {
  const args = parseArgs(rest, COMPILE_FLAGS);
  if (args.positionals.length === 0) throw new UsageError("compile needs at least one input file or directory");
  const inputs = gatherInputs(args.positionals, io.readStdin);
  const progress = progressFor(io, args, flag(args, "format"));
  try {
    const res = runCompile(inputs, args, progress);
    if (res.stderr) io.stderr(res.stderr);
    if (res.exitCode !== 0) return res.exitCode;
    // --jobs 1 keeps everything on this thread, file writing included.
    if (res.outputDir) writeOutputs(res.outputDir, res.files, res.pruneStale, flag(args, "jobs") !== "1");
    progress.done();
    if (res.stdout) io.stdout(res.stdout);
    return 0;
  } finally {
    progress.done();
  }
}

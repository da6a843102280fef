// `netpolc compile`: the command layer over the pure pipeline.
import { compile, emitKinds, emitText, nodeFiles, type BackendChoice, type CompileOptions, type EmitKind } from "../pipeline.js";
import { DEFAULT_CALICO_OPTIONS, type RouteProgrammer } from "../backends/calico/index.js";
import { DEFAULT_KUBE_PROXY_OPTIONS, KUBE_PROXY_VERSIONS, type KubeProxyOptions, type KubeProxyVersion } from "../backends/kubeproxy/index.js";
import type { TableName } from "../ruleset/types.js";
import { renderAll, type DiagnosticFormat } from "../diagnostics/render.js";
import type { FrontendThreads, InputFile } from "../frontend/index.js";
import { flag, flagAll, has, UsageError, type FlagSpec, type ParsedArgs } from "./args.js";
import { withProgress } from "./progress.js";
import { PASS_NAMES, selectPasses, statsText, statsTrail, type OptimizeOptions } from "../optimize/index.js";

export const COMPILE_FLAGS: readonly FlagSpec[] = [
  { name: "output", short: "o", value: "DIR", help: "write <node>.iptables, <node>.ipsets and <node>.routes (and <node>.fdb with VXLAN) for every node into DIR" },
  { name: "node", value: "NAME", repeatable: true, help: "only this node (repeatable)" },
  { name: "emit", value: "KIND", choices: ["iptables", "ipsets", "routes", "fdb", "all"], help: "print one node's output to stdout instead of writing files (fdb: VXLAN forwarding entries, bridge -batch)" },
  { name: "format", value: "FMT", choices: ["text", "json", "github"], help: "diagnostics format on stderr (default text)" },
  { name: "verbose", short: "v", help: "also print notes (pods that are not endpoints, implicit namespaces, ...)" },
  { name: "protocol-numbers", help: "print IPIP as `-p 4` instead of `-p ipencap` (for hosts without /etc/protocols)" },
  { name: "no-random-fully", help: "omit MASQUERADE --random-fully (iptables < 1.6.2 or kernel < 3.14)" },
  { name: "builtin-policy", value: "POLICY", choices: ["ACCEPT", "DROP"], help: "policy printed for built-in chains (default ACCEPT)" },
  { name: "endpoint-to-host-action", value: "ACTION", choices: ["ACCEPT", "DROP", "RETURN"], help: "Felix DefaultEndpointToHostAction (default ACCEPT)" },
  { name: "route-programmer", value: "WHO", choices: ["bird", "felix"], help: "who programs IPIP cluster routes and blackholes: bird (default; Calico up to 3.32) or felix (FelixConfiguration programClusterRoutes: Enabled, the default from 3.33); VXLAN routes are always Felix's" },
  { name: "uplink", value: "IFACE", help: "the host interface holding the node's address, named in same-subnet routes Felix programs (default eth0)" },
  { name: "backend", value: "NAME", choices: ["both", "calico", "kube-proxy"], help: "which agents program the node (default both: Calico, plus kube-proxy's KUBE-* chains when the inputs hold Services, EndpointSlices or a KubeProxyConfiguration)" },
  { name: "kube-proxy-version", value: "V", choices: KUBE_PROXY_VERSIONS, help: "kube-proxy whose rules to reproduce: 1.29 (default), 1.31 (nfacct counters), 1.13 (KUBE-XLB era)" },
  { name: "as-saved", help: "with --backend kube-proxy: print the node's KUBE-* state as iptables-save shows it, not kube-proxy's restore payload in its unit tests' sorted layout" },
  { name: "list-rules", value: "TABLE", choices: ["raw", "mangle", "nat", "filter"], help: "print what `iptables -t TABLE -S` shows instead of iptables-save text (implies --as-saved)" },
  { name: "random-fully", help: "kube-proxy: MASQUERADE --random-fully in KUBE-POSTROUTING (iptables >= 1.6.2; Calico's is on unless --no-random-fully)" },
  { name: "masquerade-mark", value: "STYLE", choices: ["short", "padded"], help: "kube-proxy restore text spells its mark 0x4000 (short, its unit tests; default) or 0x00004000 (padded, real kube-proxy); iptables-save prints 0x4000 either way" },
  { name: "ip-family", value: "N", choices: ["4", "6"], help: "with --backend kube-proxy: the proxier's family (6 gives ip6tables rules)" },
  { name: "service-order", value: "LIST", help: "kube-proxy: service ports NS/NAME[:PORT], comma-separated, in the order kube-proxy walked them (Go map order, random per sync) to reproduce a captured node; the rest follow sorted" },
  { name: "opt-level", short: "O", value: "N", choices: ["0", "1", "2"], help: "optimisation level: 1 (default) is Felix's own layout byte for byte, 0 the same; 2 runs the optimizer passes (-O2)" },
  { name: "passes", value: "LIST", help: `with -O2: run only these passes, comma-separated (${PASS_NAMES.join(", ")})` },
  { name: "no-pass", value: "NAME", repeatable: true, help: "with -O2: disable this pass (repeatable)" },
  { name: "jobs", short: "j", value: "N", help: "threads: 1 keeps to one; default auto: input files are read on one thread per core (up to 4) when there are several MiB of them, and 32 or more output files are created on a helper thread; the output is the same either way" },
  { name: "stats", help: "print per node rules, chains, sets and set members before and after each pass (to stderr)" },
  { name: "help", short: "h", help: "show this help" },
];

/** Interface names as the kernel takes them (IFNAMSIZ − 1, no `/`, whitespace, `:`), so a flag cannot inject text into routes. */
const IFACE = /^(?!\.\.?$)[A-Za-z0-9_.@-]{1,15}$/;

/** --route-programmer and --uplink (they shape the routes, so verify, diff and check take them too). */
export function routeOptionsFrom(args: ParsedArgs): { routeProgrammer: RouteProgrammer; uplink: string } {
  const uplink = flag(args, "uplink") ?? DEFAULT_CALICO_OPTIONS.uplink;
  if (!IFACE.test(uplink)) throw new UsageError(`--uplink must be an interface name (1-15 of A-Z a-z 0-9 _ . @ -), not ${JSON.stringify(uplink)}`);
  return { routeProgrammer: (flag(args, "route-programmer") ?? DEFAULT_CALICO_OPTIONS.routeProgrammer) as RouteProgrammer, uplink };
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
const NOT_OUTPUT_SHAPING = new Set(["output", "node", "emit", "format", "verbose", "stats", "jobs", "help"]);
export const OUTPUT_FLAGS: readonly FlagSpec[] = COMPILE_FLAGS.filter((f) => !NOT_OUTPUT_SHAPING.has(f.name));

function jobsFrom(args: ParsedArgs): FrontendThreads {
  const v = flag(args, "jobs") ?? "auto";
  if (v === "auto") return v;
  if (!/^[1-9][0-9]{0,2}$/.test(v)) throw new UsageError(`option '--jobs' must be a positive number or auto, not '${v}'`);
  return Number(v);
}

export function compileOptionsFrom(args: ParsedArgs): CompileOptions {
  const backend = (flag(args, "backend") ?? "both") as BackendChoice;
  if (flag(args, "ip-family") === "6" && backend !== "kube-proxy") throw new UsageError("--ip-family 6 needs --backend kube-proxy (the node file is IPv4 iptables)");
  const listRules = flag(args, "list-rules") as TableName | undefined;
  return {
    backend,
    kubeProxy: kubeProxyOptionsFrom(args),
    asSaved: has(args, "as-saved"),
    ...(listRules ? { listRules } : {}),
    nodes: [...flagAll(args, "node")],
    optimize: optimizeOptionsFrom(args),
    jobs: jobsFrom(args),
    calico: {
      ...DEFAULT_CALICO_OPTIONS,
      ipencapName: !has(args, "protocol-numbers"),
      randomFully: !has(args, "no-random-fully"),
      builtinPolicy: (flag(args, "builtin-policy") ?? DEFAULT_CALICO_OPTIONS.builtinPolicy) as "ACCEPT" | "DROP",
      defaultEndpointToHostAction: (flag(args, "endpoint-to-host-action") ??
        DEFAULT_CALICO_OPTIONS.defaultEndpointToHostAction) as "ACCEPT" | "DROP" | "RETURN",
      ...routeOptionsFrom(args),
    },
  };
}

/** Runs compile on already-read inputs; pure, so tests and the golden runner use it directly. */
export function runCompile(files: readonly InputFile[], args: ParsedArgs): CommandResult {
  const outputDir = flag(args, "output") ?? null;
  const emit = flag(args, "emit") as EmitKind | "all" | undefined;
  if (!outputDir && !emit) throw new UsageError("compile needs -o DIR or --emit KIND");
  if (outputDir && emit) throw new UsageError("-o and --emit cannot be combined");
  const format = (flag(args, "format") ?? "text") as DiagnosticFormat;
  const opts = compileOptionsFrom(args);
  const res = compile(files, withProgress(opts));
  const shown = has(args, "verbose") ? res.diag.all : res.diag.all.filter((d) => d.severity !== "note");
  let stderr = renderAll(shown, res.sources, format);
  const fail = (code: number, extra = ""): CommandResult => ({
    exitCode: code, stdout: "", stderr: stderr + extra, files: new Map(), outputDir: null, pruneStale: false,
  });
  if (res.diag.hasErrors()) return fail(1, format === "text" ? `netpolc: ${res.diag.errorCount} error(s); nothing written\n` : "");
  if (has(args, "stats")) stderr += statsReport(files, opts, res);
  if (emit) {
    if (res.outputs.length !== 1) {
      const names = res.outputs.map((o) => o.node).join(", ");
      throw new UsageError(`--emit prints one node; choose one with --node (nodes: ${names || "none"})`);
    }
    const out = res.outputs[0]!;
    const kinds = emit === "all" ? emitKinds(opts, res.model) : [emit];
    const stdout = kinds.map((k) => emitText(out, k, opts)).join("");
    return { exitCode: 0, stdout, stderr, files: new Map(), outputDir: null, pruneStale: false };
  }
  return {
    exitCode: 0, stdout: "", stderr, files: nodeFiles(res, opts), outputDir, pruneStale: flagAll(args, "node").length === 0,
  };
}

/** --stats: per node, the -O1 figures and those after each selected pass (stderr: stdout carries --emit results only). */
function statsReport(files: readonly InputFile[], opts: CompileOptions, res: ReturnType<typeof compile>): string {
  if (!res.model) return "";
  const base = compile(files, { ...opts, optimize: { level: 1, passes: [] } });
  const passes = opts.optimize && opts.optimize.level >= 2 ? selectPasses(opts.optimize.passes, []) : [];
  const header = "node\tafter\trules\tchains\tsets\tmembers\n";
  return header + base.outputs.map((out) => statsText(out.node, statsTrail(res.model!, out, opts.calico, passes))).join("");
}

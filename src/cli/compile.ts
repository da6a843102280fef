// `netpolc compile`: the command layer over the pure pipeline.
import { compile, EMIT_KINDS, emitText, outputFiles, type CompileOptions, type EmitKind } from "../pipeline.js";
import { DEFAULT_CALICO_OPTIONS } from "../backends/calico/index.js";
import { renderAll, type DiagnosticFormat } from "../diagnostics/render.js";
import type { InputFile } from "../frontend/index.js";
import { flag, flagAll, has, UsageError, type FlagSpec, type ParsedArgs } from "./args.js";

export const COMPILE_FLAGS: readonly FlagSpec[] = [
  { name: "output", short: "o", value: "DIR", help: "write <node>.iptables, <node>.ipsets and <node>.routes for every node into DIR" },
  { name: "node", value: "NAME", repeatable: true, help: "only this node (repeatable)" },
  { name: "emit", value: "KIND", choices: ["iptables", "ipsets", "routes", "all"], help: "print one node's output to stdout instead of writing files" },
  { name: "format", value: "FMT", choices: ["text", "json", "github"], help: "diagnostics format on stderr (default text)" },
  { name: "verbose", short: "v", help: "also print notes (pods that are not endpoints, implicit namespaces, ...)" },
  { name: "protocol-numbers", help: "print IPIP as `-p 4` instead of `-p ipencap` (for hosts without /etc/protocols)" },
  { name: "no-random-fully", help: "omit MASQUERADE --random-fully (iptables < 1.6.2 or kernel < 3.14)" },
  { name: "builtin-policy", value: "POLICY", choices: ["ACCEPT", "DROP"], help: "policy printed for built-in chains (default ACCEPT)" },
  { name: "endpoint-to-host-action", value: "ACTION", choices: ["ACCEPT", "DROP", "RETURN"], help: "Felix DefaultEndpointToHostAction (default ACCEPT)" },
  { name: "help", short: "h", help: "show this help" },
];

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

export function compileOptionsFrom(args: ParsedArgs): CompileOptions {
  return {
    nodes: [...flagAll(args, "node")],
    calico: {
      ...DEFAULT_CALICO_OPTIONS,
      ipencapName: !has(args, "protocol-numbers"),
      randomFully: !has(args, "no-random-fully"),
      builtinPolicy: (flag(args, "builtin-policy") ?? DEFAULT_CALICO_OPTIONS.builtinPolicy) as "ACCEPT" | "DROP",
      defaultEndpointToHostAction: (flag(args, "endpoint-to-host-action") ??
        DEFAULT_CALICO_OPTIONS.defaultEndpointToHostAction) as "ACCEPT" | "DROP" | "RETURN",
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
  const res = compile(files, compileOptionsFrom(args));
  const shown = has(args, "verbose") ? res.diag.all : res.diag.all.filter((d) => d.severity !== "note");
  const stderr = renderAll(shown, res.sources, format);
  const fail = (code: number, extra = ""): CommandResult => ({
    exitCode: code, stdout: "", stderr: stderr + extra, files: new Map(), outputDir: null, pruneStale: false,
  });
  if (res.diag.hasErrors()) return fail(1, format === "text" ? `netpolc: ${res.diag.errorCount} error(s); nothing written\n` : "");
  if (emit) {
    if (res.outputs.length !== 1) {
      const names = res.outputs.map((o) => o.node).join(", ");
      throw new UsageError(`--emit prints one node; choose one with --node (nodes: ${names || "none"})`);
    }
    const out = res.outputs[0]!;
    const kinds = emit === "all" ? EMIT_KINDS : [emit];
    const stdout = kinds.map((k) => emitText(out, k)).join("");
    return { exitCode: 0, stdout, stderr, files: new Map(), outputDir: null, pruneStale: false };
  }
  return {
    exitCode: 0, stdout: "", stderr, files: outputFiles(res.outputs), outputDir, pruneStale: flagAll(args, "node").length === 0,
  };
}

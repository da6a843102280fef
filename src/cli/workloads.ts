// `netpolc workloads`: `calicoctl get workloadendpoint` from the snapshot.
import { DEFAULT_CALICO_OPTIONS } from "../backends/index.js";
import type { InputFile } from "../frontend/index.js";
import { loadForView } from "../views/load.js";
import { workloadRows, workloadsTable } from "../views/workloads.js";
import { flag, has, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { WORKLOADS_FLAGS } from "./flags.js";
import { gatherInputs } from "./inputs.js";
import type { TextResult } from "./verify.js";


export function runWorkloads(files: readonly InputFile[], args: ParsedArgs): TextResult {
  if (has(args, "all-namespaces") && has(args, "namespace")) throw new UsageError("-n and -A cannot be combined");
  const loaded = loadForView(files);
  if (!loaded.model) return { exitCode: 1, stdout: "", stderr: loaded.stderr };
  const rows = workloadRows(loaded.model, DEFAULT_CALICO_OPTIONS.interfacePrefix);
  const stdout = workloadsTable(rows, { allNamespaces: has(args, "all-namespaces"), namespace: flag(args, "namespace") ?? "default" });
  return { exitCode: 0, stdout, stderr: loaded.stderr };
}

export function workloadsCommand(rest: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void; readStdin: () => string }): number {
  const args = parseArgs(rest, WORKLOADS_FLAGS);
  if (args.positionals.length === 0) throw new UsageError("workloads needs at least one input file or directory");
  const res = runWorkloads(gatherInputs(args.positionals, io.readStdin), args);
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

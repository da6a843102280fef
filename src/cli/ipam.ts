// `netpolc ipam`: the address plan as `calicoctl ipam show --show-blocks` and
// `--show-borrowed` show it, with block owners and how they were decided.
import { DEFAULT_CALICO_OPTIONS, type RouteProgrammer } from "../backends/index.js";
import type { InputFile } from "../frontend/index.js";
import { ipamView } from "../views/ipam.js";
import { ipamJson } from "../views/ipam-json.js";
import { ipamText } from "../views/ipam-text.js";
import { loadForView } from "../views/load.js";
import { flag, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { IPAM_FLAGS } from "./flags.js";
import { gatherInputs } from "./inputs.js";
import type { TextResult } from "./verify.js";


export function runIpam(files: readonly InputFile[], args: ParsedArgs): TextResult {
  const loaded = loadForView(files);
  if (!loaded.model) return { exitCode: 1, stdout: "", stderr: loaded.stderr };
  const programmer = (flag(args, "route-programmer") ?? DEFAULT_CALICO_OPTIONS.routeProgrammer) as RouteProgrammer;
  const view = ipamView(loaded.model.cluster, programmer);
  const stdout = flag(args, "format") === "json" ? ipamJson(view) : ipamText(view, { wide: flag(args, "output") === "wide" });
  return { exitCode: 0, stdout, stderr: loaded.stderr };
}

export function ipamCommand(rest: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void; readStdin: () => string }): number {
  const args = parseArgs(rest, IPAM_FLAGS);
  if (args.positionals.length === 0) throw new UsageError("ipam needs at least one input file or directory");
  const res = runIpam(gatherInputs(args.positionals, io.readStdin), args);
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

// `netpolc ipam`: the address plan as `calicoctl ipam show --show-blocks` and
// `--show-borrowed` show it, with block owners and how they were decided.
import { DEFAULT_CALICO_OPTIONS, type RouteProgrammer } from "../backends/calico/index.js";
import type { InputFile } from "../frontend/index.js";
import { ipamView } from "../views/ipam.js";
import { ipamJson } from "../views/ipam-json.js";
import { ipamText } from "../views/ipam-text.js";
import { loadForView } from "../views/load.js";
import { flag, has, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from "./args.js";
import { COMPILE_FLAGS } from "./compile.js";
import { gatherInputs } from "./inputs.js";
import type { TextResult } from "./verify.js";

export const IPAM_FLAGS: readonly FlagSpec[] = [
  { name: "output", short: "o", value: "FMT", choices: ["wide"], help: "wide: per block its pool, encapsulation, owner and how it was decided, Felix's and BIRD's owners, tunnel addresses; and a node table" },
  { name: "format", value: "FMT", choices: ["text", "json"], help: "what to print on stdout (default text; json holds everything -o wide shows)" },
  ...COMPILE_FLAGS.filter((f) => f.name === "route-programmer"),
  { name: "help", short: "h", help: "show this help" },
];

export function runIpam(files: readonly InputFile[], args: ParsedArgs): TextResult {
  const loaded = loadForView(files);
  if (!loaded.model) return { exitCode: 1, stdout: "", stderr: loaded.stderr };
  const programmer = (flag(args, "route-programmer") ?? DEFAULT_CALICO_OPTIONS.routeProgrammer) as RouteProgrammer;
  const view = ipamView(loaded.model.cluster, programmer);
  const stdout = flag(args, "format") === "json" ? ipamJson(view) : ipamText(view, { wide: flag(args, "output") === "wide" });
  return { exitCode: 0, stdout, stderr: loaded.stderr };
}

export function ipamCommand(rest: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void; readStdin: () => string }, usage: string): number {
  const args = parseArgs(rest, IPAM_FLAGS);
  if (has(args, "help")) {
    io.stdout(usage);
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError("ipam needs at least one input file or directory");
  const res = runIpam(gatherInputs(args.positionals, io.readStdin), args);
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

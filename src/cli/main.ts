// netpolc's entry point: the only module that touches argv, stdio, the
// filesystem and the exit code.
import { readFileSync } from "node:fs";
import { formatFlags, parseArgs, UsageError, has } from "./args.js";
import { COMPILE_FLAGS, runCompile } from "./compile.js";
import { gatherInputs } from "./inputs.js";
import { writeOutputs } from "./write.js";

export const VERSION = "0.1.0";

const USAGE = `netpolc — compile Kubernetes NetworkPolicy + a cluster snapshot into the exact
iptables-restore, ipset restore and ip route input Calico Felix (v3.27) programs on each node.

Usage:
  netpolc compile [options] <inputs...>
  netpolc --help | --version

Inputs are files, directories (searched recursively for *.yaml, *.yml, *.json) or - for stdin:
Namespaces, Pods, Nodes, ServiceAccounts, NetworkPolicies and Calico IPPools, as written or as
\`kubectl get -o yaml\` prints them (multi-document YAML and kind: List both work).

Examples:
  netpolc compile examples/bookinfo -o out/
  netpolc compile cluster/ policies/ --node ubuntu1 --emit iptables
  sudo sh -c 'ipset restore < out/ubuntu1.ipsets && iptables-restore < out/ubuntu1.iptables'

compile options:
${formatFlags(COMPILE_FLAGS)}

Exit status: 0 success, 1 invalid input (nothing is written), 2 usage or internal error.
`;

export interface Io {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readStdin: () => string;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: () => readFileSync(0, "utf8"),
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
      io.stdout(USAGE);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === "--version") {
      io.stdout(`netpolc ${VERSION}\n`);
      return 0;
    }
    if (cmd !== "compile") throw new UsageError(`unknown command '${cmd}'`);
    const args = parseArgs(rest, COMPILE_FLAGS);
    if (has(args, "help")) {
      io.stdout(USAGE);
      return 0;
    }
    if (args.positionals.length === 0) throw new UsageError("compile needs at least one input file or directory");
    const inputs = gatherInputs(args.positionals, io.readStdin);
    const res = runCompile(inputs, args);
    if (res.stderr) io.stderr(res.stderr);
    if (res.exitCode !== 0) return res.exitCode;
    if (res.outputDir) writeOutputs(res.outputDir, res.files, res.pruneStale);
    if (res.stdout) io.stdout(res.stdout);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`netpolc: ${e.message}\nTry 'netpolc --help'.\n`);
      return 2;
    }
    io.stderr(`netpolc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 2;
  }
}

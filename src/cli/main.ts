// netpolc's entry point: the only module that touches argv, stdio, the
// filesystem and the exit code.
import { existsSync, readFileSync } from "node:fs";
import { simulatePath } from "../ruleset/simulate.js";
import { flag, formatFlags, parseArgs, UsageError, has, type FlagSpec, type ParsedArgs } from "./args.js";
import { COMPILE_FLAGS, runCompile } from "./compile.js";
import { EXPLAIN_FLAGS, runExplain } from "./explain.js";
import { VERIFY_FLAGS, runVerify, type ReadFile, type TextResult } from "./verify.js";
import { gatherInputs } from "./inputs.js";
import { writeOutputs } from "./write.js";
import { CHECK_FLAGS, checkCommand } from "./check.js";
import { DIFF_FLAGS, diffCommand } from "./diff.js";
import { MATRIX_FLAGS, matrixCommand } from "./matrix.js";
import { WORKLOADS_FLAGS, workloadsCommand } from "./workloads.js";
import { IPAM_FLAGS, ipamCommand } from "./ipam.js";
import { RULES_FLAGS, rulesCommand } from "./rules.js";

export const VERSION = "0.1.0";

const USAGE = `netpolc — compile Kubernetes NetworkPolicy + a cluster snapshot into the exact
iptables-restore, ipset restore and ip route input Calico Felix (v3.27) and kube-proxy (iptables mode)
program on each node.

Usage:
  netpolc compile [options] <inputs...>
  netpolc verify [options] <inputs...>
  netpolc explain --from NS/POD|IP --to NS/POD|IP --port PORT[/PROTO] [options] <inputs...>
  netpolc matrix [--port PORT/PROTO ...] [--by pod|namespace] [--format text|json|html] [--html FILE] [--against OLD...] <inputs...>
  netpolc workloads [-n NS | -A] <inputs...>
  netpolc ipam [-o wide] [--format text|json] [--route-programmer bird|felix] <inputs...>
  netpolc rules --node NAME [--table T] [--chain C] <inputs...>
  netpolc check [options] [paths...]
  netpolc diff [--format text|json|markdown] OLD NEW | --git A..B [paths...]
  netpolc --help | --version

Inputs are files, directories (searched recursively for *.yaml, *.yml, *.json) or - for stdin:
Namespaces, Pods, Nodes, ServiceAccounts, NetworkPolicies and Calico IPPools; for kube-proxy's KUBE-* chains
Services, EndpointSlices (Endpoints when no slice names a service) and a KubeProxyConfiguration; as written
or as \`kubectl get -o yaml\` prints them (multi-document YAML and kind: List both work).

Examples:
  netpolc compile examples/bookinfo -o out/
  netpolc compile cluster/ policies/ --node ubuntu1 --emit iptables
  sudo sh -c 'ipset restore < out/ubuntu1.ipsets && iptables-restore < out/ubuntu1.iptables'
  netpolc verify examples/bookinfo --rules out/
  netpolc explain examples/bookinfo --from default/reviews-v1-cb8655c75-9tz9q \\
      --to default/ratings-v1-8558d4458d-86mtm --port 9080/TCP

compile options:
${formatFlags(COMPILE_FLAGS)}

verify: simulate every pod-to-pod flow (and pods to and from addresses outside the cluster) on every
port a policy mentions through each node's rules, and compare with the NetworkPolicy semantics.
verify options:
${formatFlags(VERIFY_FLAGS)}

explain: one flow's verdict, the policies and rules that decided it, and its path through the chains.
explain options:
${formatFlags(EXPLAIN_FLAGS)}

matrix: who may connect to whom (rows sources, columns destinations; . allowed, X denied), per port,
from the NetworkPolicy semantics; --html writes a self-contained page (hover a cell for the deciding rule).
matrix options:
${formatFlags(MATRIX_FLAGS)}

workloads: the snapshot's workload endpoints as \`calicoctl get workloadendpoint\` lists them.
workloads options:
${formatFlags(WORKLOADS_FLAGS)}

ipam: IP pools and blocks with their use and owner, and the borrowed addresses, as \`calicoctl ipam show
--show-blocks\` and \`--show-borrowed\` print them; owners as the route programmer sees them, inferred ones marked.
ipam options:
${formatFlags(IPAM_FLAGS)}

rules: one node's rules as \`iptables -t TABLE -S [CHAIN]\` lists them.
rules options:
${formatFlags(RULES_FLAGS)}

check: validate inputs as the API server would and lint them (pre-commit, CI); findings on stdout.
check options:
${formatFlags(CHECK_FLAGS)}

diff: what changes between two versions: rules per node/table/chain (cali: hashes ignored; renamed
chains shown as renames) and, when both sides are inputs, the flows that open or close. OLD and NEW are
input files or directories, compiled output directories, or one node's iptables-save dump.
diff options:
${formatFlags(DIFF_FLAGS)}

Exit status: 0 success, 1 invalid input (nothing is written), or for verify/explain a mismatch between
rules and policies or an unreadable rules file, 2 usage or internal error. check: 1 on errors or more warnings than --max-warnings. diff (as diff(1)):
0 no change, 1 changes, 2 invalid input, usage or internal error.
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

const readIfExists: ReadFile = (path) => (existsSync(path) ? readFileSync(path, "utf8") : null);

const CHECKERS: Record<"verify" | "explain", { flags: readonly FlagSpec[]; run: (...a: Parameters<typeof runVerify>) => TextResult }> = {
  verify: { flags: VERIFY_FLAGS, run: runVerify },
  explain: { flags: EXPLAIN_FLAGS, run: runExplain },
};

/** verify and explain share their shape: inputs, a report on stdout, diagnostics on stderr. */
function runChecker(cmd: "verify" | "explain", rest: readonly string[], io: Io): number {
  const { flags, run } = CHECKERS[cmd];
  const args: ParsedArgs = parseArgs(rest, flags);
  if (has(args, "help")) {
    io.stdout(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError(`${cmd} needs at least one input file or directory`);
  const res = run(gatherInputs(args.positionals, io.readStdin), args, simulatePath, readIfExists);
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

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
    if (cmd === "verify" || cmd === "explain") return runChecker(cmd, rest, io);
    if (cmd === "check") return checkCommand(rest, io, USAGE, VERSION);
    if (cmd === "diff") return diffCommand(rest, io, USAGE);
    if (cmd === "matrix") return matrixCommand(rest, io, USAGE);
    if (cmd === "workloads") return workloadsCommand(rest, io, USAGE);
    if (cmd === "ipam") return ipamCommand(rest, io, USAGE);
    if (cmd === "rules") return rulesCommand(rest, io, USAGE);
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
    // --jobs 1 keeps everything on this thread, file writing included.
    if (res.outputDir) writeOutputs(res.outputDir, res.files, res.pruneStale, flag(args, "jobs") !== "1");
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

// The commands, declared once: name, one-line summary, synopsis, what it does,
// its options (flags.ts), examples, exit status, and how to load it. `--help`,
// `netpolc help CMD`, the completion scripts and man/netpolc.1 are all printed
// from this table; the implementation is imported only when the command runs,
// so `netpolc --version`, help and completion load no compiler.
import type { FlagSpec } from "./args.js";
import {
  CHECK_FLAGS, COMPILE_FLAGS, COMPLETION_FLAGS, DIFF_FLAGS, EXPLAIN_FLAGS, HELP_FLAGS, IPAM_FLAGS, MATRIX_FLAGS, RULES_FLAGS, VERIFY_FLAGS,
  WORKLOADS_FLAGS,
} from "./flags.js";
import type { Io } from "./io.js";

export type CommandRun = (rest: readonly string[], io: Io) => number | Promise<number>;

/** What the positional operands are, for completion: input paths, output-or-input paths, a shell, a command name. */
export type Operands = "inputs" | "paths" | "shell" | "command";

export interface Example {
  readonly command: string;
  readonly what: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** After `netpolc `. */
  readonly synopsis: string;
  readonly about: string;
  readonly flags: readonly FlagSpec[];
  readonly operands: Operands;
  readonly examples: readonly Example[];
  readonly exit: string;
  readonly load: () => Promise<CommandRun>;
}

const INPUTS_EXIT = "0 success; 1 invalid input or inputs without any Kubernetes object (nothing is written); 2 usage error, a path that does not exist, or internal error.";
const CHECKER_EXIT = "0 rules and policies agree; 1 a mismatch, an UNKNOWN simulation, an unreadable rules file or invalid input; 2 usage or internal error.";

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "compile",
    summary: "compile policies and a cluster snapshot into every node's iptables, ipset and route input",
    synopsis: "compile [options] <inputs...>",
    about:
      "Reads Kubernetes and Calico objects (files, directories searched for *.yaml, *.yml and *.json, or - for stdin) and writes, per node, " +
      "<node>.iptables (iptables-restore input: Felix's and kube-proxy's chains as iptables-save shows them), <node>.ipsets (ipset restore input), " +
      "<node>.routes (ip -batch input) and, with VXLAN, <node>.fdb (bridge -batch input). Nothing is written when any input is invalid.",
    flags: COMPILE_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc compile examples/bookinfo -o out/", what: "every node's files into out/" },
      { command: "netpolc compile cluster/ policies/ --node ubuntu1 --emit iptables", what: "one node's rules on stdout" },
      { command: "netpolc compile cluster/ policies/ -O2 --stats -o out/", what: "optimised, with rule counts per pass on stderr" },
    ],
    exit: INPUTS_EXIT,
    load: async () => (await import("./compile.js")).compileCommand,
  },
  {
    name: "verify",
    summary: "prove the compiled rules and routes do what the policies say, for every flow",
    synopsis: "verify [options] <inputs...>",
    about:
      "Checks every pod-to-pod flow, pods to and from addresses outside the cluster and node traffic, on every port, " +
      "through each node's routes and rules (compiled now, or read from --rules DIR), against the NetworkPolicy semantics; " +
      "then the reply of every allowed flow, Felix's own guarantees and, with Services, kube-proxy's DNAT. " +
      "Flows are checked in classes that neither the policies nor the rules can tell apart, one walked per class " +
      "(pods alike in labels, namespace, addresses, endpoint chains and routes; ports between the ones mentioned); " +
      "--exhaustive walks every pod pair on every mentioned port instead.",
    flags: VERIFY_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc verify examples/bookinfo", what: "compile, then check every flow (in classes)" },
      { command: "netpolc verify examples/bookinfo --exhaustive", what: "walk every pod pair and port one by one (small clusters)" },
      { command: "netpolc verify examples/bookinfo --rules out/", what: "check files compiled earlier, edited, or dumped from a node" },
      { command: "netpolc verify cluster/ policies/ -O2 --node ubuntu1", what: "the optimised output, only flows crossing ubuntu1" },
    ],
    exit: CHECKER_EXIT,
    load: async () => (await import("./verify.js")).verifyCommand,
  },
  {
    name: "explain",
    summary: "one flow's verdict, the policies and rules that decided it, and its path through routes and chains",
    synopsis: "explain --from NS/POD|IP --to NS/POD|IP --port PORT[/PROTO] [options] <inputs...>",
    about: "Answers \"why can't pod A reach pod B on 8080?\" from the rules: both verdicts, the deciding policy rule with its YAML position, every node's route and chain walk, and the reply's. To a Service (a ClusterIP's port, or a node's address and a nodePort from outside), each backend kube-proxy's DNAT may pick is explained on its own, after what the Service must do (which backends, how likely, REJECT without endpoints).",
    flags: EXPLAIN_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc explain examples/bookinfo --from default/details-v1-68c7c8666d-x57tf --to default/ratings-v1-8558d4458d-86mtm --port 9080/TCP", what: "a denied flow and the policy that isolates ratings" },
      { command: "netpolc explain cluster/ policies/ --from 10.0.0.5 --to shop/web-0 --port 443", what: "from an address outside the cluster" },
      { command: "netpolc explain cluster/ policies/ --from shop/web-0 --to 10.96.0.10 --port 53/UDP", what: "to a Service's ClusterIP: every backend, judged on its pod" },
    ],
    exit: "0 rules and policies agree on the flow and its reply (to a Service: on every backend, and the Service's DNAT does what it must); 1 they disagree or the simulator cannot tell; 2 usage or internal error.",
    load: async () => (await import("./explain.js")).explainCommand,
  },
  {
    name: "check",
    summary: "validate inputs as the API server would, and lint them (pre-commit, CI)",
    synopsis: "check [options] [paths...]",
    about:
      "Runs the compile frontend (schema, the API server's validation with its messages and field paths, defaulting) and the lints; " +
      "findings on stdout, quiet when clean. With --expected DIR, also fails when the compiled output committed in DIR is stale. Paths default to the current directory.",
    flags: CHECK_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc check policies/ cluster/", what: "validate and lint" },
      { command: "netpolc check policies/ cluster/ --expected out/", what: "and fail if out/ was not regenerated" },
      { command: "netpolc check --format sarif . > netpolc.sarif", what: "findings for GitHub code scanning" },
    ],
    exit: "0 clean (warnings never fail unless --max-warnings); 1 errors, more warnings than --max-warnings, stale --expected output, or inputs without any Kubernetes object; 2 usage error, a path that does not exist, or internal error.",
    load: async () => (await import("./check.js")).checkCommand,
  },
  {
    name: "diff",
    summary: "what a change does: rules per node, table and chain, and the flows that open or close",
    synopsis: "diff [options] OLD NEW | diff --git A..B [paths...]",
    about:
      "OLD and NEW are input files or directories (compiled first), compiled output directories, or one node's iptables-save dump or .nft; " +
      "with --git, two revisions of the repository in the current directory. cali: hashes are ignored and renamed chains shown as renames; " +
      ".nft files are compared per table, chain, set and map (elements as lines).",
    flags: DIFF_FLAGS,
    operands: "paths",
    examples: [
      { command: "netpolc diff examples/bookinfo edited/", what: "rule diff and flow diff of two snapshots" },
      { command: "netpolc diff --git main..HEAD policies/ cluster/ --format markdown", what: "a pull-request comment" },
    ],
    exit: "0 no change; 1 changes; 2 invalid input, usage or internal error (as diff(1)).",
    load: async () => (await import("./diff.js")).diffCommand,
  },
  {
    name: "matrix",
    summary: "who may connect to whom, per port, from the NetworkPolicy semantics",
    synopsis: "matrix [options] <inputs...>",
    about: "Rows are sources, columns destinations (. allowed, X denied), per port; --html writes a self-contained page where each cell names the deciding rule.",
    flags: MATRIX_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc matrix examples/bookinfo --port 9080/TCP", what: "one port, pod by pod" },
      { command: "netpolc matrix new/ --against old/ --html change.html", what: "the flows a change flips, on a page" },
    ],
    exit: INPUTS_EXIT,
    load: async () => (await import("./matrix.js")).matrixCommand,
  },
  {
    name: "workloads",
    summary: "the snapshot's workload endpoints, as calicoctl get workloadendpoint lists them",
    synopsis: "workloads [-n NS | -A] <inputs...>",
    about: "WORKLOAD, NODE, NETWORKS and INTERFACE (cali + 11 hex digits, as Calico's CNI names it) for the endpoint pods of a namespace.",
    flags: WORKLOADS_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc workloads examples/bookinfo", what: "namespace default" },
      { command: "netpolc workloads -A cluster/", what: "every namespace" },
    ],
    exit: INPUTS_EXIT,
    load: async () => (await import("./workloads.js")).workloadsCommand,
  },
  {
    name: "ipam",
    summary: "IP pools, blocks, owners and borrowed addresses, as calicoctl ipam show prints them",
    synopsis: "ipam [-o wide] [--format text|json] <inputs...>",
    about:
      "The address plan routes are built from: pools and blocks with their use and owner (as the route programmer sees them; inferred owners marked) " +
      "and the addresses borrowed from another node's block, as calicoctl ipam show --show-blocks and --show-borrowed print them.",
    flags: IPAM_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc ipam examples/bookinfo", what: "blocks and borrowed addresses" },
      { command: "netpolc ipam -o wide cluster/", what: "with pools, encapsulation, how each owner was decided, and the nodes' tunnel addresses" },
    ],
    exit: INPUTS_EXIT,
    load: async () => (await import("./ipam.js")).ipamCommand,
  },
  {
    name: "rules",
    summary: "one node's rules as iptables -t TABLE -S [CHAIN] (or nft list table/chain) lists them",
    synopsis: "rules --node NAME [--table T] [--chain C] <inputs...>",
    about:
      "Compiles the snapshot and prints one node's table (-P, -N, then -A lines) through the same printer as compile --list-rules. " +
      "With an agent in nftables mode (--dataplane nftables), its tables as nft -s list table / list chain print them, from the printer of <node>.nft; " +
      "a missing table or chain gets nft's own error and exit status 1.",
    flags: RULES_FLAGS,
    operands: "inputs",
    examples: [
      { command: "netpolc rules examples/bookinfo --node ubuntu1 --chain cali-FORWARD", what: "one chain" },
      { command: "netpolc rules examples/bookinfo --node ubuntu1 -t nat", what: "the nat table" },
      { command: "netpolc rules examples/bookinfo --node ubuntu1 --dataplane nftables --chain filter-FORWARD", what: "one chain of table ip calico, as nft list chain prints it" },
    ],
    exit: INPUTS_EXIT,
    load: async () => (await import("./rules.js")).rulesCommand,
  },
  {
    name: "completion",
    summary: "print a shell completion script (bash, zsh or fish)",
    synopsis: "completion bash|zsh|fish",
    about: "Completes commands, options and option values (such as --backend both|calico|kube-proxy) from the same table as --help.",
    flags: COMPLETION_FLAGS,
    operands: "shell",
    examples: [
      { command: "source <(netpolc completion bash)", what: "bash, for this shell" },
      { command: "netpolc completion fish > ~/.config/fish/completions/netpolc.fish", what: "fish, for good" },
    ],
    exit: "0 success; 2 no or an unknown shell.",
    load: async () => (await import("./completion.js")).completionCommand,
  },
  {
    name: "help",
    summary: "show the commands, or one command's usage, options and examples",
    synopsis: "help [command]",
    about: "The same text as netpolc --help and netpolc COMMAND --help.",
    flags: HELP_FLAGS,
    operands: "command",
    examples: [{ command: "netpolc help verify", what: "verify's options and examples" }],
    exit: "0 success; 2 an unknown command.",
    load: async () => (await import("./help.js")).helpCommand,
  },
];

export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

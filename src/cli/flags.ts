// Every command's options, declared once: parsing (args.ts), `--help`,
// `netpolc completion` and the man page all read these tables, so none of them
// can drift from what is accepted. Pure data: this module and what it imports
// load in milliseconds, so help and completion never load a compiler.
import { CALICO_VERSIONS, KUBE_PROXY_VERSIONS, PASS_NAMES } from "../backends/choices.js";
import { LINT_RULES } from "../review/lint-rules.js";
import type { FlagSpec } from "./args.js";

const HELP: FlagSpec = { name: "help", short: "h", help: "show this help" };

/** Progress on stderr for long runs (progress.ts): on a terminal by default, never in pipes, CI, JSON or NO_COLOR/TERM=dumb. */
export const PROGRESS_FLAGS: readonly FlagSpec[] = [
  { name: "progress", help: "show progress on stderr even where it would not be shown (not a terminal, CI, NO_COLOR, TERM=dumb)" },
  { name: "no-progress", help: "never show progress" },
];

export const COMPILE_FLAGS: readonly FlagSpec[] = [
  { name: "output", short: "o", value: "DIR", complete: "dir", help: "write <node>.iptables, <node>.ipsets and <node>.routes (and <node>.fdb with VXLAN; <node>.nft with an nftables dataplane) for every node into DIR" },
  { name: "node", value: "NAME", repeatable: true, help: "only this node (repeatable)" },
  { name: "emit", value: "KIND", choices: ["iptables", "ip6tables", "ipsets", "nft", "routes", "fdb", "all"], help: "print one node's output to stdout instead of writing files (ip6tables: the IPv6 tables, with IPv6 on; nft: the nftables tables, with an nftables dataplane; fdb: VXLAN forwarding entries, bridge -batch)" },
  { name: "format", value: "FMT", choices: ["text", "json", "github"], help: "diagnostics format on stderr (default text)" },
  { name: "verbose", short: "v", help: "also print notes (pods that are not endpoints, implicit namespaces, inferred blocks, ...)" },
  { name: "protocol-numbers", help: "print IPIP as `-p 4` instead of `-p ipencap` (for hosts without /etc/protocols)" },
  { name: "no-random-fully", help: "omit MASQUERADE --random-fully (iptables < 1.6.2 or kernel < 3.14)" },
  { name: "builtin-policy", value: "POLICY", choices: ["ACCEPT", "DROP"], help: "policy printed for built-in chains (default ACCEPT)" },
  { name: "endpoint-to-host-action", value: "ACTION", choices: ["ACCEPT", "DROP", "RETURN"], help: "Felix DefaultEndpointToHostAction (default ACCEPT)" },
  { name: "calico-version", value: "V", choices: CALICO_VERSIONS, help: "the Calico release whose Felix output to reproduce: 3.27, 3.28, 3.29, 3.30, 3.31 or 3.32 (names, marks, comments and policy groups per spec felix-format Appendix B); default: what a ClusterInformation in the inputs says, else 3.32 (the newest)" },
  { name: "flow-logs", help: "Felix with flow logs on (FelixConfiguration flowLogsGoldmaneServer, set by operator installs with Goldmane, or flowLogsLocalReporter: Enabled): from Calico 3.30, NFLOG rules after every policy and profile verdict and before the endpoint chains' drops; not with -O2" },
  { name: "ipv6", value: "WHEN", choices: ["auto", "on", "off"], help: "IPv6 (Felix's IPv6 support, kube-proxy's IPv6 proxier): auto (default) turns it on when the inputs hold an IPv6 IPPool or IPv6 pod addresses; then each node also gets <node>.ip6tables (ip6tables-restore input), cali60 sets in <node>.ipsets and IPv6 routes" },
  { name: "route-programmer", value: "WHO", choices: ["bird", "felix"], help: "who programs IPIP cluster routes and blackholes: bird (default; Calico up to 3.32) or felix (FelixConfiguration programClusterRoutes: Enabled, the default from 3.33); VXLAN routes are always Felix's" },
  { name: "uplink", value: "IFACE", help: "the host interface holding the node's address, named in same-subnet routes Felix programs (default eth0)" },
  { name: "dataplane", value: "DP", choices: ["iptables", "nftables"], help: "how both agents program the node: iptables (default; <node>.iptables, .ip6tables, .ipsets) or nftables (<node>.nft: what `nft list ruleset` shows, loadable with `nft -f`); --kube-proxy-mode and --calico-dataplane choose per agent" },
  { name: "nft-replace", help: "start each <node>.nft with `add table` + `delete table` for every table in it, so one `nft -f` replaces those tables on a node that already has them (one atomic batch, so loading twice changes nothing); without it the file is exactly what `nft list ruleset` prints" },
  { name: "kube-proxy-mode", value: "MODE", choices: ["iptables", "nftables"], help: "kube-proxy's --proxy-mode: iptables (default) or nftables (tables ip/ip6 kube-proxy in <node>.nft); overrides --dataplane" },
  { name: "calico-dataplane", value: "DP", choices: ["iptables", "nftables"], help: "Felix's dataplane: iptables (default) or nftables (FelixConfiguration nftablesMode: Enabled, Calico 3.29+; tables ip/ip6 calico in <node>.nft); overrides --dataplane" },
  { name: "backend", value: "NAME", choices: ["both", "calico", "kube-proxy"], help: "which agents program the node (default both: Calico, plus kube-proxy's KUBE-* chains when the inputs hold Services, EndpointSlices or a KubeProxyConfiguration)" },
  { name: "kube-proxy-version", value: "V", choices: KUBE_PROXY_VERSIONS, help: "kube-proxy whose rules to reproduce: 1.29 (default), 1.31 (nfacct counters), 1.13 (KUBE-XLB era)" },
  { name: "as-saved", help: "with --backend kube-proxy: print the node's KUBE-* state as iptables-save shows it, not kube-proxy's restore payload in its unit tests' sorted layout (nftables mode: as `nft list ruleset` shows it, not knftables' `add` transaction)" },
  { name: "list-rules", value: "TABLE", choices: ["raw", "mangle", "nat", "filter"], help: "print what `iptables -t TABLE -S` shows instead of iptables-save text (implies --as-saved)" },
  { name: "random-fully", help: "kube-proxy: MASQUERADE --random-fully in KUBE-POSTROUTING (iptables >= 1.6.2; Calico's is on unless --no-random-fully)" },
  { name: "masquerade-mark", value: "STYLE", choices: ["short", "padded"], help: "kube-proxy restore text (and nftables mode's `add` transaction) spells its mark 0x4000 (short, its unit tests; default) or 0x00004000 (padded, real kube-proxy); iptables-save prints 0x4000 and nft list 0x00004000 either way" },
  { name: "ip-family", value: "N", choices: ["4", "6"], help: "with --backend kube-proxy: the proxier's family (6 gives ip6tables rules)" },
  { name: "service-order", value: "LIST", help: "kube-proxy: service ports NS/NAME[:PORT], comma-separated, in the order kube-proxy walked them (Go map order, random per sync) to reproduce a captured node; the rest follow sorted" },
  { name: "opt-level", short: "O", value: "N", choices: ["0", "1", "2"], help: "optimisation level: 1 (default) is Felix's own layout byte for byte, 0 the same; 2 runs the optimizer passes (-O2)" },
  { name: "passes", value: "LIST", help: `with -O2: run only these passes, comma-separated (${PASS_NAMES.join(", ")})` },
  { name: "no-pass", value: "NAME", repeatable: true, complete: PASS_NAMES, help: "with -O2: disable this pass (repeatable)" },
  { name: "jobs", short: "j", value: "N", help: "threads: 1 keeps to one; default auto: input files are read on one thread per core (up to 4) when there are several MiB of them, and 32 or more output files are created on a helper thread; the output is the same either way" },
  { name: "stats", help: "print per node rules, chains, sets and set members before and after each pass (to stderr)" },
  ...PROGRESS_FLAGS,
  HELP,
];

/** Compile flags that do not change what is written (where, which node, how diagnostics look, progress). */
const NOT_OUTPUT_SHAPING: ReadonlySet<string> = new Set(["output", "node", "emit", "format", "verbose", "stats", "jobs", "help", "progress", "no-progress"]);
/** The compile flags that shape the output: `diff` and `check --expected` compile with them too. */
export const OUTPUT_FLAGS: readonly FlagSpec[] = COMPILE_FLAGS.filter((f) => !NOT_OUTPUT_SHAPING.has(f.name));

/** verify compiles exactly as `compile` would at the same -O level and passes, and routes as it would. */
const VERIFY_COMPILE_FLAGS: ReadonlySet<string> = new Set(["opt-level", "passes", "no-pass", "calico-version", "ipv6", "flow-logs", "route-programmer", "uplink", "dataplane", "kube-proxy-mode", "calico-dataplane"]);
const ROUTE_FLAGS: ReadonlySet<string> = new Set(["calico-version", "route-programmer", "uplink"]);
/** Which agents run in nftables mode: explain walks `<node>.nft` then, as verify does. */
const DATAPLANE_FLAGS: ReadonlySet<string> = new Set(["dataplane", "kube-proxy-mode", "calico-dataplane"]);

export const VERIFY_FLAGS: readonly FlagSpec[] = [
  { name: "rules", value: "DIR", complete: "dir", help: "check DIR/<node>.iptables, .ipsets and .routes (and .fdb; with IPv6 on, .ip6tables; a node with a .nft is read from it, with what an agent still writes to .iptables and .ipsets) instead of compiling the inputs" },
  { name: "node", value: "NAME", repeatable: true, help: "only flows that cross this node (repeatable)" },
  { name: "exhaustive", help: "walk every pod pair on every mentioned port, one by one, instead of one flow per class (small clusters)" },
  { name: "format", value: "FMT", choices: ["text", "json"], help: "report and diagnostics format (default text)" },
  ...COMPILE_FLAGS.filter((f) => VERIFY_COMPILE_FLAGS.has(f.name)),
  ...PROGRESS_FLAGS,
  HELP,
];

export const EXPLAIN_FLAGS: readonly FlagSpec[] = [
  { name: "from", value: "NS/POD|IP", help: "the flow's source: a pod or an address" },
  { name: "to", value: "NS/POD|IP", help: "the flow's destination: a pod or an address (a Service's ClusterIP, or a node's address with a nodePort: explained per backend)" },
  { name: "port", value: "PORT[/PROTO]", help: "destination port and protocol, e.g. 9080/TCP (default protocol TCP)" },
  { name: "family", value: "N", choices: ["4", "6"], help: "the flow's IP family: 6 walks it through <node>.ip6tables (default: 6 when --from or --to is an IPv6 address, else 4)" },
  { name: "rules", value: "DIR", complete: "dir", help: "explain with DIR/<node>.iptables, .ipsets and .routes (and .fdb; with --family 6, .ip6tables; a node with a .nft is read from it) instead of compiling" },
  { name: "format", value: "FMT", choices: ["text", "json"], help: "output format (default text)" },
  ...COMPILE_FLAGS.filter((f) => ROUTE_FLAGS.has(f.name) || f.name === "ipv6" || DATAPLANE_FLAGS.has(f.name)),
  HELP,
];

export const CHECK_FLAGS: readonly FlagSpec[] = [
  { name: "format", value: "FMT", choices: ["text", "json", "github", "sarif"], help: "findings format on stdout (default text; sarif = SARIF 2.1.0 for code scanning)" },
  { name: "max-warnings", value: "N", help: "exit 1 when there are more than N warnings (default: warnings never fail)" },
  { name: "disable", value: "ID,...", repeatable: true, help: `turn lints off (ids with or without "lint/"): ${LINT_RULES.map((r) => r.id.slice("lint/".length)).join(", ")}` },
  { name: "expected", value: "DIR", complete: "dir", help: "also fail when the compiled output committed in DIR is stale, printing the rule diff (compiled with the compile flags given here, e.g. -O2)" },
  HELP,
  ...OUTPUT_FLAGS,
];

export const DIFF_FLAGS: readonly FlagSpec[] = [
  { name: "git", value: "A..B", help: "compare revisions A and B of the repository in the current directory (B defaults to HEAD); positionals are then paths inside it (default: all)" },
  { name: "format", value: "FMT", choices: ["text", "json", "markdown"], help: "report format on stdout (default text; markdown for a pull-request comment)" },
  HELP,
  ...OUTPUT_FLAGS,
];

export const MATRIX_FLAGS: readonly FlagSpec[] = [
  { name: "port", value: "PORT[/PROTO]", repeatable: true, help: "one table for this port (number or container port name; default protocol TCP); repeatable (default: one per port class the policies tell apart: each mentioned port or range, each named port, the rest of each protocol)" },
  { name: "family", value: "N", choices: ["4", "6"], help: "judge the flows of this IP family (default 4): with 6, the pods with an IPv6 address, and the IPv6 ipBlocks" },
  { name: "namespace", short: "n", value: "NS", repeatable: true, help: "rows and columns are this namespace's pods (or the namespace, --by namespace); repeatable (default: every namespace; verdicts still follow every policy of the snapshot)" },
  { name: "by", value: "WHAT", choices: ["pod", "namespace"], help: "rows and columns are pods or namespaces (default: pods, namespaces above 200 pods, counted in the namespaces shown)" },
  { name: "format", value: "FMT", choices: ["text", "json", "html"], help: "what to print on stdout (default text; nothing when only --html is given)" },
  { name: "html", value: "FILE", complete: "file", help: "write the HTML page (one tab per port, hover for the deciding rule) to FILE" },
  { name: "against", value: "PATH", repeatable: true, complete: "file", help: "old inputs (repeatable): mark the cells whose verdict differs from theirs" },
  HELP,
];

export const WORKLOADS_FLAGS: readonly FlagSpec[] = [
  { name: "namespace", short: "n", value: "NS", help: "list this namespace's workload endpoints (default: default, as calicoctl)" },
  { name: "all-namespaces", short: "A", help: "every namespace, with a NAMESPACE column (calicoctl -A)" },
  HELP,
];

export const IPAM_FLAGS: readonly FlagSpec[] = [
  { name: "output", short: "o", value: "FMT", choices: ["wide"], help: "wide: per block its pool, encapsulation, owner and how it was decided, Felix's and BIRD's owners, tunnel addresses; and a node table" },
  { name: "format", value: "FMT", choices: ["text", "json"], help: "what to print on stdout (default text; json holds everything -o wide shows)" },
  ...COMPILE_FLAGS.filter((f) => f.name === "route-programmer"),
  HELP,
];

export const RULES_FLAGS: readonly FlagSpec[] = [
  { name: "node", value: "NAME", help: "the node whose rules to list (required)" },
  { name: "table", short: "t", value: "TABLE", complete: ["raw", "mangle", "nat", "filter", "calico", "kube-proxy"], help: "the table: raw, mangle, nat or filter are iptables tables (`iptables -t TABLE -S`, also for an agent still in iptables mode beside one in nftables mode); anything else is an nft table, listed as `nft list table` prints it: calico, kube-proxy, or with its family ('ip6 calico'). Default: filter, or with Felix in nftables mode (or kube-proxy alone in it) every nft table of the family" },
  { name: "chain", value: "CHAIN", help: "only this chain, as `iptables -S CHAIN` prints it (nft tables: as `nft list chain FAMILY TABLE CHAIN` prints it, from the table holding it when --table is not given)" },
  { name: "family", value: "N", choices: ["4", "6"], help: "6: the node's IPv6 tables, as `ip6tables -S` lists them, or its ip6 nft tables (IPv6 must be on for the inputs)" },
  ...COMPILE_FLAGS.filter((f) => DATAPLANE_FLAGS.has(f.name)),
  HELP,
];

export const COMPLETION_FLAGS: readonly FlagSpec[] = [HELP];
export const HELP_FLAGS: readonly FlagSpec[] = [HELP];

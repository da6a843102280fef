// The rule model: tables → chains → rules of typed matches (the fields
// iptables prints with short flags, and `-m <module>` matches with their
// options) and a target, in netfilter's vocabulary and no Kubernetes words.
// Every backend builds its chains in it; the iptables renderer (writer.ts,
// felix.ts) prints them — as iptables-save shows them, and for Felix's chains
// also in the spelling Felix hashes — and the parser reads printed text back
// into it, so quoting, ordering and spelling are decided in one place each.

export type TableName = "raw" | "mangle" | "nat" | "filter";

/** Tables in the fixed order netpolc prints them (spec felix-format §2.5: kernel order is environment dependent). */
export const TABLE_ORDER: readonly TableName[] = ["raw", "mangle", "nat", "filter"];

/** Built-in chains per table in hook order (PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING). */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
};

/**
 * One `--option args…` of a match or target. `negated` prints `! ` before it.
 * `quoted` args go through iptables' xtables_save_string rule (comments, log prefixes).
 */
export interface RuleOption {
  readonly name: string;
  readonly negated: boolean;
  readonly args: readonly string[];
  readonly quoted?: boolean;
}

/** The address/interface/protocol fields iptables prints with short flags. */
export type HeadKind = "source" | "destination" | "in-interface" | "out-interface" | "protocol";

export type RulePart =
  | { readonly kind: HeadKind; readonly negated: boolean; readonly value: string }
  | {
      readonly kind: "match";
      readonly module: string;
      readonly options: readonly RuleOption[];
      /**
       * Printed without `-m <module>`: options continuing a match loaded earlier in the rule, as in kube-proxy's
       * restore text `-m tcp -p tcp -d 10.0.0.1 --dport 80` (spec kubeproxy-format §3.3). Semantically one more
       * match of that module. iptables-save never prints this form.
       */
      readonly implicit?: boolean;
    };

export type Target =
  | {
      readonly kind: "jump";
      readonly name: string;
      readonly options: readonly RuleOption[];
      /** Felix's SetMaskedMark: a zero mark value is written `0x0`, where ClearMark and SetMark write `0` (felix.ts). */
      readonly spelling?: "masked";
    }
  | { readonly kind: "goto"; readonly name: string };

/**
 * A rule is an ordered list of parts (printed in that order) and an optional
 * target. A rule with no target is legal: it only counts packets, and Felix
 * uses it to carry a chain comment (spec felix-format §4.1).
 */
export interface Rule {
  readonly parts: readonly RulePart[];
  readonly target: Target | null;
  /**
   * Comments of a built rule, as its backend wrote them (Felix escapes them when rendered, felix.ts); printed as
   * `-m comment --comment` after the fields iptables-save moves to the front. A parsed rule has none here: its
   * comments stay among its parts, where the text had them.
   */
  readonly comments?: readonly string[];
  /** 1-based line in the text this rule was parsed from (parser only). */
  readonly line?: number;
  /**
   * A rule read from another format and lowered into this model (rules/nft/lower.ts): where it came from, as
   * reports name it — its table (`ip calico`), chain and text as that format prints them.
   */
  readonly origin?: RuleOrigin;
}

export interface RuleOrigin {
  readonly table: string;
  readonly chain: string;
  /** 0-based position of the rule in its chain there (one nft rule may become several here). */
  readonly index: number;
  readonly text: string;
}

/**
 * A run of a chain's rules that Felix hashes together under one name (§6): a
 * user chain is one run under its own name; a kernel chain's inserted hooks
 * hash under the kernel chain's name and its appended rules under
 * `<chain>*appends*` (§2.2). A run under no name (`chain: null`) holds rules
 * another agent wrote into the same chain (kube-proxy's jumps in a node's
 * built-in chains): they carry no hash and are printed as given.
 */
export interface HashRun {
  readonly chain: string | null;
  readonly rules: number;
}

export interface Chain {
  readonly name: string;
  /** Built-in chains have a policy (ACCEPT/DROP); user chains have none. */
  readonly policy: string | null;
  readonly rules: readonly Rule[];
  /**
   * Felix's chains: each rule gets a `cali:` hash comment, computed from the runs in order (they cover every
   * rule), and is printed in iptables-save's order (writer.ts). Absent: the rules are printed as given.
   */
  readonly hashRuns?: readonly HashRun[];
  /** A chain lowered from another format (rules/nft/lower.ts): its table and name there, as reports name it. */
  readonly origin?: { readonly table: string; readonly chain: string };
}

export interface Table {
  readonly name: TableName;
  readonly chains: readonly Chain[];
}

export type HookName = "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";

/**
 * A base chain as netfilter runs it: on one hook, at a priority (raw −300, mangle −150, dstnat −100, filter 0,
 * srcnat 100). iptables' built-in chains sit at their table's fixed priority; an nftables table may add base
 * chains anywhere (nftables.md §A.3, §B.2), each run to its own verdict (an accept ends only that chain).
 */
export interface HookEntry {
  readonly table: TableName;
  readonly chain: string;
  readonly hook: HookName;
  readonly priority: number;
  /**
   * A nat-type chain: it sees a connection's first packet only, and once one nat chain of a hook has bound the
   * connection's NAT the later ones are skipped (nf_nat_inet_fn).
   */
  readonly nat: boolean;
}

export interface RuleSet {
  readonly tables: readonly Table[];
  /**
   * The base chains the simulator walks, when they are not (only) iptables' built-in chains at their tables'
   * priorities: a ruleset read from nftables text (rules/nft/lower.ts). Absent: the built-in chains.
   */
  readonly hooks?: readonly HookEntry[];
}

export const BUILTIN_CHAIN_NAMES: ReadonlySet<string> = new Set([
  "PREROUTING",
  "INPUT",
  "FORWARD",
  "OUTPUT",
  "POSTROUTING",
]);

export function isBuiltinChain(name: string): boolean {
  return BUILTIN_CHAIN_NAMES.has(name);
}

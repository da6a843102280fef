// The -O2 pass names in run order: a leaf module, so the CLI's flag tables (and
// --help, completions, the man page) need not load the optimizer to list them.
// passes.ts builds PASSES in this order and refuses to load if they differ.
export const PASS_NAMES: readonly string[] = ["cidr-merge", "port-merge", "rule-absorb", "return-merge", "ipset-dedup", "chain-share", "dead-tail"];


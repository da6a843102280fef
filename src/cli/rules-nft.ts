// `netpolc rules` for a node whose agents (or one of them) run in nftables
// mode: what `nft -s list table <family> <table>` or `nft -s list chain
// <family> <table> <chain>` prints on the node (nft 1.0.6), from the
// listing printer (printListing) of the node's nft tables, and nft's own
// error text when the table or chain does not exist.
//
// Which `--table` means what: raw, mangle, nat and filter are iptables tables
// (`iptables -t T -S`, for an agent still in iptables mode); anything else
// names an nft table: `calico`, `kube-proxy`, or with its family `ip calico`,
// `ip6 kube-proxy`. Without --table, a node with Felix in nftables mode (or
// with kube-proxy alone, in nftables mode) is listed from its nft tables: the
// whole family (`nft list table` of each, in the node's order), or with
// --chain the table holding that chain; otherwise the iptables filter table.
import type { NftFamily, NftRuleset, NftTable } from "../rules/nft/model.js";
import { canonicalize, printListing } from "../rules/nft/print.js";
import { UsageError } from "./args.js";
import type { TextResult } from "./verify.js";

export const IPTABLES_TABLES: readonly string[] = ["raw", "mangle", "nat", "filter"];

export interface NftTableArg {
  readonly family: NftFamily;
  readonly name: string;
}

/**
 * `--table` as an nft table (`calico`, `ip6 kube-proxy`), or null when it names an iptables table.
 * A family in the name decides the family; `--family` (`familyFlag`, if given) must then agree.
 */
export function nftTableArg(table: string | undefined, familyFlag: string | undefined): NftTableArg | null {
  if (table === undefined || IPTABLES_TABLES.includes(table)) return null;
  const family: NftFamily = familyFlag === "6" ? "ip6" : "ip";
  const words = table.trim().split(/\s+/);
  if (words.length === 1) return { family, name: words[0]! };
  if (words.length === 2 && (words[0] === "ip" || words[0] === "ip6")) {
    if (familyFlag !== undefined && words[0] !== family) throw new UsageError(`--table '${table}' is an ${words[0] === "ip" ? "IPv4" : "IPv6"} table, but --family ${familyFlag} asks for the other family`);
    return { family: words[0], name: words[1]! };
  }
  throw new UsageError(`--table '${table}': name an iptables table (${IPTABLES_TABLES.join(", ")}) or an nft table (calico, kube-proxy, or FAMILY NAME such as 'ip6 calico')`);
}

/** Whether a node is listed from its nft tables when --table does not say: Felix's table is there, or nft is all there is. */
export function listsNftByDefault(nft: NftRuleset | null, family: NftFamily, hasIptables: boolean): boolean {
  const tables = nft?.tables.filter((t) => t.family === family) ?? [];
  return tables.some((t) => t.name === "calico") || (tables.length > 0 && !hasIptables);
}

/** nft's error for a table or chain that does not exist: its message, the command (`before missing after`), and a caret line under the missing name. */
function nftError(before: string, missing: string, after = ""): TextResult {
  return { exitCode: 1, stdout: "", stderr: `Error: No such file or directory\n${before}${missing}${after}\n${" ".repeat(before.length)}${"^".repeat(missing.length)}\n` };
}

/**
 * What nft lists for the node: `table` (or, when null, every table of the family — or the one
 * holding `chain`), restricted to `chain` when given.
 */
export function nftRules(nft: NftRuleset | null, family: NftFamily, table: NftTableArg | null, chain: string | undefined): TextResult {
  const tables = canonicalize(nft ?? { tables: [] }).tables.filter((t) => t.family === family);
  const byName = (name: string): NftTable | undefined => tables.find((t) => t.name === name);
  const holding = chain === undefined ? undefined : tables.find((t) => t.chains.some((c) => c.name === chain));
  // With --chain and no --table: the table holding it, or (for the error) Felix's table, else the first.
  const name = table?.name ?? holding?.name ?? byName("calico")?.name ?? tables[0]?.name ?? "calico";
  const t = byName(name);
  if (chain === undefined) {
    if (table === null) return { exitCode: 0, stdout: printListing({ tables }), stderr: "" };
    if (!t) return nftError(`list table ${family} `, name);
    return { exitCode: 0, stdout: printListing({ tables: [t] }), stderr: "" };
  }
  if (!t) return nftError(`list chain ${family} `, name, ` ${chain}`);
  const c = t.chains.find((x) => x.name === chain);
  if (!c) return nftError(`list chain ${family} ${name} `, chain);
  // `nft list chain` prints the table without its comment, sets or other chains.
  return { exitCode: 0, stdout: printListing({ tables: [{ ...t, comment: null, sets: [], chains: [c] }] }), stderr: "" };
}

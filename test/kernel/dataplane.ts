// Loading compiled rules into a node namespace, and wiping them between
// scenarios. Only ever called with one of the run's namespaces (NsGuard).
import { hasTool, type NsGuard } from "./sys.js";

/** iptables backend: iptables-nft (the default on current distributions) or iptables-legacy. */
export type IptablesVariant = "nft" | "legacy";

export interface NodeRules {
  /** iptables-restore input (`<node>.iptables`). */
  readonly iptables: string;
  /** ipset restore input (`<node>.ipsets`). */
  readonly ipsets: string;
  /** Dual-stack only: ip6tables-restore input (`<node>.ip6tables`); absent = the node's IPv6 tables are left alone. */
  readonly ip6tables?: string;
  /** An nftables dataplane: `nft -f` input (`<node>.nft`), loaded after the iptables text (which may then be empty). */
  readonly nft?: string;
}

export function iptablesTool(variant: IptablesVariant, what: "restore" | "save"): string {
  return `iptables-${variant}-${what}`;
}

/** The IPv6 twin of `iptablesTool` (same package, same variants). */
export function ip6tablesTool(variant: IptablesVariant, what: "restore" | "save"): string {
  return `ip6tables-${variant}-${what}`;
}

/** The variant asked for by NETPOLC_IPTABLES (nft | legacy), default nft. */
export function variantFromEnv(): IptablesVariant {
  const v = process.env["NETPOLC_IPTABLES"] ?? "nft";
  if (v !== "nft" && v !== "legacy") throw new Error(`NETPOLC_IPTABLES must be nft or legacy, not ${v}`);
  return v;
}

/** Which variants this machine can run (both binaries are in Debian's iptables package). */
export function availableVariants(): IptablesVariant[] {
  return (["nft", "legacy"] as const).filter((v) => hasTool(iptablesTool(v, "restore"), ["--version"]));
}

// Restoring a table with only its built-in chains (policy ACCEPT) and no rules
// flushes it and deletes every user chain — iptables-restore without --noflush
// replaces each table it names. That also drops every reference to our ipsets,
// so they can be destroyed afterwards.
export const EMPTY_TABLES =
  [
    "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT",
    "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT",
    "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT",
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT",
  ].join("\n") + "\n";

const conntrackAvailable = hasTool("conntrack", ["--version"]);

/** Whether conntrack entries can be flushed; without it the probes' unique source ports keep them apart. */
export function canFlushConntrack(): boolean {
  return conntrackAvailable;
}

/**
 * Empty tables, no sets, no conntrack entries (`conntrack: false` when no traffic ever flows, e.g. round trips).
 * `ip6`: empty the IPv6 tables too (a dual-stack node: its ip6tables rules refer to the `cali60` sets).
 */
export async function wipeNode(g: NsGuard, ns: string, variant: IptablesVariant, conntrack = true, ip6 = false): Promise<void> {
  await g.inNs(ns, iptablesTool(variant, "restore"), [], EMPTY_TABLES);
  // EMPTY_TABLES is valid ip6tables-restore input as well: the IPv6 family has the same four tables.
  if (ip6) await g.inNs(ns, ip6tablesTool(variant, "restore"), [], EMPTY_TABLES);
  for (const t of NFT_TABLES) await g.tryInNs(ns, "nft", ["delete", "table", ...t.split(" ")]);
  const r = await g.tryInNs(ns, "ipset", ["destroy"]);
  if (r.code !== 0 && !/does not exist|no sets/i.test(r.stderr)) throw new Error(`ipset destroy in ${ns}: ${r.stderr}`);
  if (conntrack && conntrackAvailable) {
    // Exit status is 1 when the table was already empty on some versions; the
    // count is informational only.
    await g.tryInNs(ns, "conntrack", ["-F"]);
  }
}

/**
 * Wipe (as `wipeNode`), then sets first (rules refer to them), then the tables
 * (with `rules.ip6tables`: the IPv6 tables are wiped and then loaded as well).
 * One shell in the namespace instead of five `ip netns exec` processes: the
 * spawns were most of a scenario's load time. The script, with both texts as
 * quoted here-documents, travels on the shell's stdin (no argument size limit);
 * every other command reads /dev/null so none can consume the script.
 */
export async function loadNode(g: NsGuard, ns: string, variant: IptablesVariant, rules: NodeRules, conntrack = true): Promise<void> {
  const restore = iptablesTool(variant, "restore");
  const lines = [
    `${restore} <<'${hereDelimiter(EMPTY_TABLES)}'`,
    ...hereDoc(EMPTY_TABLES),
    ...(rules.ip6tables !== undefined ? [`${ip6tablesTool(variant, "restore")} <<'${hereDelimiter(EMPTY_TABLES)}'`, ...hereDoc(EMPTY_TABLES)] : []),
    // Same tolerance as wipeNode: only "no such set" failures are fine.
    `if ! out=$(ipset destroy 2>&1 </dev/null); then case "$out" in *"does not exist"*|*"no sets"*|*"No sets"*) ;; *) echo "ipset destroy: $out" >&2; exit 1 ;; esac; fi`,
  ];
  // The nftables tables an earlier load created (iptables-nft's own tables are emptied above and stay).
  for (const t of NFT_TABLES) lines.push(`nft delete table ${t} >/dev/null 2>&1 </dev/null || true`);
  // Exit status is 1 when the table was already empty on some versions (see wipeNode).
  if (conntrack && conntrackAvailable) lines.push("conntrack -F >/dev/null 2>&1 </dev/null || true");
  if (rules.ipsets.trim()) lines.push(`ipset restore <<'${hereDelimiter(rules.ipsets)}'`, ...hereDoc(rules.ipsets));
  lines.push(`${restore} <<'${hereDelimiter(rules.iptables)}'`, ...hereDoc(rules.iptables));
  if (rules.ip6tables !== undefined) lines.push(`${ip6tablesTool(variant, "restore")} <<'${hereDelimiter(rules.ip6tables)}'`, ...hereDoc(rules.ip6tables));
  if (rules.nft !== undefined) lines.push(`nft -f - <<'${hereDelimiter(rules.nft)}'`, ...hereDoc(rules.nft));
  await g.inNs(ns, "sh", ["-es"], lines.join("\n") + "\n");
}

/** The tables netpolc's nftables outputs create (nftables.md §A.2, §B.2): deleted before each load. */
const NFT_TABLES: readonly string[] = ["ip kube-proxy", "ip6 kube-proxy", "ip calico", "ip6 calico", "arp calico-arp"];

/** A here-document terminator that is not a line of `text`. */
function hereDelimiter(text: string): string {
  const have = new Set(text.split("\n"));
  let d = "NETPOLC_EOF";
  while (have.has(d)) d += "_";
  return d;
}

/** The body lines of a here-document for `text`, terminator included. */
function hereDoc(text: string): string[] {
  return [...text.replace(/\n$/, "").split("\n"), hereDelimiter(text)];
}

/** Packets counted by the rules of `table` whose text contains `needle` (`iptables-save -c`); null when no rule matches. */
export async function packetsMatching(g: NsGuard, ns: string, variant: IptablesVariant, table: string, needle: string): Promise<number | null> {
  const saved = await g.inNs(ns, iptablesTool(variant, "save"), ["-c", "-t", table]);
  const lines = saved.split("\n").filter((l) => l.includes(needle));
  if (!lines.length) return null;
  return lines.reduce((sum, l) => sum + Number(/^\[(\d+):\d+\]/.exec(l)?.[1] ?? "0"), 0);
}

// What kube-proxy's nftables proxier knows that is the same on every node
// (nftables.md §A.1–§A.5): the layout its version writes, its family, the
// masquerade mark, masqueradeAll, the local-traffic detector's two rule
// forms ([LD] IfLocalNFT/IfNotLocalNFT, §A.5 step 10), the nodePort
// addresses and the ServiceCIDRs of its family. Built once per compilation
// and set of options.
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NftDataType, NftStmt } from "../../../rules/nft/model.js";
import { proxierContext, type ProxierContext } from "../context.js";
import type { KubeProxyOptions } from "../options.js";
import { addrIs, iifname, type IpFamily } from "./stmts.js";

/**
 * The two layouts netpolc writes (§A.1): "1.34" (filter chains at priority 0
 * with the pre-DNAT pair; ClusterIP masquerade rule without the port) and
 * "1.31" (1.31–1.33: filter chains at dstnat−10 plus filter-output-post-dnat;
 * the masquerade rule matches `<proto> dport <port>`).
 */
export type NftLayout = "1.31" | "1.34";

/** kube-proxy 1.31–1.33 write the older layout; every other version, and the default, the 1.34+ one. */
export function nftLayoutOf(version: string): NftLayout {
  return version === "1.31" || version === "1.32" || version === "1.33" ? "1.31" : "1.34";
}

export interface NftProxier {
  /** The planning context (service plans, node contexts). */
  readonly px: ProxierContext;
  readonly layout: NftLayout;
  readonly fam: IpFamily;
  readonly addrType: Extract<NftDataType, "ipv4_addr" | "ipv6_addr">;
  /** "Not localhost" for the match-all nodePort rules: `ip daddr != 127.0.0.0/8`, `ip6 daddr != ::1` (§A.2). */
  readonly notLocalhost: NftStmt;
  /** `1 << masqueradeBit`. */
  readonly mark: number;
  readonly masqueradeAll: boolean;
  /** Null when kube-proxy has no local-traffic detector (IsImplemented false). */
  readonly detector: { readonly isLocal: NftStmt; readonly notLocal: NftStmt } | null;
  /** The nodePortAddresses entries of this family ("primary" included); null when they match every address. */
  readonly nodePortAddresses: readonly string[] | null;
  /** The ServiceCIDRs of this family, for cluster-ips-check's drop rule. */
  readonly serviceCIDRs: readonly string[];
}

const isV6 = (a: string): boolean => a.includes(":");
const ZERO_CIDRS: ReadonlySet<string> = new Set(["0.0.0.0/0", "::/0"]);

const NFT_PROXIERS = memoTable<ProxierContext, NftProxier>("kubeproxy/nft-proxier");

export function nftProxier(comp: Compilation, opts: KubeProxyOptions): NftProxier {
  // Service plans only differ by version in the ≤1.18 unnamed-port spelling,
  // which no nftables-era kube-proxy has: plan as a modern proxier.
  const px = proxierContext(comp, { ...opts, version: "1.31" });
  return comp.memo(NFT_PROXIERS, proxierContext(comp, opts), () => build(comp, px, nftLayoutOf(opts.version)));
}

function build(comp: Compilation, px: ProxierContext, layout: NftLayout): NftProxier {
  const six = px.opts.family === 6;
  const fam: IpFamily = six ? "ip6" : "ip";
  const config = px.config;
  return {
    px,
    layout,
    fam,
    addrType: six ? "ipv6_addr" : "ipv4_addr",
    notLocalhost: addrIs(fam, "daddr", six ? "::1" : "127.0.0.0/8", true),
    mark: (1 << config.masqueradeBit) >>> 0,
    masqueradeAll: config.masqueradeAll,
    detector: detectorOf(px, fam),
    nodePortAddresses: nodePortAddressesOf(config.nodePortAddresses, six),
    serviceCIDRs: (comp.model.cluster.services?.serviceCIDRs ?? []).filter((c) => isV6(c) === six),
  };
}

/**
 * kube-proxy's NodePortAddresses for one family: the CIDRs of the family; none,
 * or a zero CIDR among them, means every address ("match all", §A.3).
 */
function nodePortAddressesOf(given: readonly string[], six: boolean): readonly string[] | null {
  const mine = given.filter((c) => c === "primary" || isV6(c) === six);
  return mine.length === 0 || mine.some((c) => ZERO_CIDRS.has(c)) ? null : mine;
}

/** [LD]: `ip saddr [!=] <cidr>`, `iifname [!=] <bridge>`, `iifname [!=] <prefix>*`. */
function detectorOf(px: ProxierContext, fam: IpFamily): NftProxier["detector"] {
  const d = px.config.detectLocal;
  switch (d.kind) {
    case "none":
      return null;
    case "cidr": {
      const cidr = d.cidrs.find((c) => isV6(c) === (fam === "ip6"));
      return cidr ? { isLocal: addrIs(fam, "saddr", cidr), notLocal: addrIs(fam, "saddr", cidr, true) } : null;
    }
    case "bridge":
      return { isLocal: iifname(d.iface), notLocal: iifname(d.iface, true) };
    case "interface-prefix":
      return { isLocal: iifname(`${d.prefix}*`), notLocal: iifname(`${d.prefix}*`, true) };
  }
}

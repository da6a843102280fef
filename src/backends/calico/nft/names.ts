// Names and fixed objects of Felix's nftables dataplane (nftables.md §B.1–§B.3):
// the layer prefix every chain and jump target gets, the base chains with
// their hooks and priorities, the workload dispatch maps, set names, and which
// releases have which of them. Everything else is named by ../names.ts.
import type { NftBaseChain, NftFamily } from "../../../rules/nft/model.js";
import type { TableName } from "../../../rules/types.js";
import { CHAIN, MAX_CHAIN_NAME_LENGTH, MAX_NFT_CHAIN_NAME_LENGTH } from "../names.js";
import { profileOf, type CalicoVersion } from "../profile.js";

/** The one table Felix programs per family (§B.2). */
export const NFT_TABLE_NAME = "calico";
export const nftFamilyOf = (family: 4 | 6): NftFamily => (family === 6 ? "ip6" : "ip");

/** Only 3.29+ have an nftables dataplane (§B.1: no felix/nftables/ before v3.29.0). */
export function calicoHasNftables(version: CalicoVersion): boolean {
  return profileOf(version).p >= 29;
}

/** 3.30+ dispatch workloads through verdict maps; 3.29 keeps iptables' chain tree (§B.1, v3.30.0 dispatch.go VMAP). */
export function usesDispatchMaps(version: CalicoVersion): boolean {
  return profileOf(version).p >= 30;
}

/** The chain-name limit policy and profile names are cut to: 28 in 3.29, 256 from 3.30 (§B.3, policy.go PolicyChainName). */
export function nftChainNameLimit(version: CalicoVersion): number {
  return profileOf(version).p >= 30 ? MAX_NFT_CHAIN_NAME_LENGTH : MAX_CHAIN_NAME_LENGTH;
}

/**
 * tableLayer.namespaceName (felix/nftables/table_layer.go): `<layer>-<name>`
 * unless the name already starts with the layer's name — the check has no
 * dash, exactly as upstream has it.
 */
export function layerName(layer: TableName, name: string): string {
  return name.startsWith(layer) ? name : `${layer}-${name}`;
}

/** LegalizeSetName (felix/nftables/ipsets.go): an ipset name with `:` → `-`; sets are not layer-prefixed (§B.3). */
export function nftSetName(ipsetName: string): string {
  return ipsetName.replaceAll(":", "-");
}

/** NftablesFrom/ToWorkloadDispatchMap, layer-prefixed like chains (§B.3, table_layer.go AddOrReplaceMap). */
export const DISPATCH_MAP = {
  from: layerName("filter", CHAIN.fromWlDispatch),
  to: layerName("filter", CHAIN.toWlDispatch),
} as const;

/** Hash-chain name of rules appended to a base chain (table.go expectedHashesForInsertAppendChain). */
export const nftAppendsHashChain = (baseChain: string): string => `${baseChain}*appends*`;

/** knftables' priorities as numbers: raw −300, mangle −150, dstnat −100, filter 0, srcnat+10 = 110 (§B.2). */
const PRIORITY = { raw: -300, mangle: -150, dstnat: -100, filter: 0, srcnatPlus10: 110 } as const;

const base = (type: NftBaseChain["type"], hook: NftBaseChain["hook"], priority: number): NftBaseChain => ({ type, hook, priority, policy: "accept" });

/**
 * table.go baseChains (§B.2): `<iptables table>-<HOOK>`, every one created
 * whatever is hooked into it, policy accept; mangle-OUTPUT is a route chain,
 * nat-OUTPUT and nat-POSTROUTING sit at srcnat+10 (calico #9130). Keyed by the
 * iptables kernel chain of that table (rules/types.ts BUILTIN_CHAINS).
 */
export const BASE_CHAINS: Readonly<Record<TableName, Readonly<Record<string, NftBaseChain>>>> = {
  raw: { PREROUTING: base("filter", "prerouting", PRIORITY.raw), OUTPUT: base("filter", "output", PRIORITY.raw) },
  mangle: {
    PREROUTING: base("filter", "prerouting", PRIORITY.mangle),
    INPUT: base("filter", "input", PRIORITY.mangle),
    FORWARD: base("filter", "forward", PRIORITY.mangle),
    OUTPUT: base("route", "output", PRIORITY.mangle),
    POSTROUTING: base("filter", "postrouting", PRIORITY.mangle),
  },
  nat: {
    PREROUTING: base("nat", "prerouting", PRIORITY.dstnat),
    INPUT: base("nat", "input", PRIORITY.dstnat),
    OUTPUT: base("nat", "output", PRIORITY.srcnatPlus10),
    POSTROUTING: base("nat", "postrouting", PRIORITY.srcnatPlus10),
  },
  filter: {
    INPUT: base("filter", "input", PRIORITY.filter),
    FORWARD: base("filter", "forward", PRIORITY.filter),
    OUTPUT: base("filter", "output", PRIORITY.filter),
  },
};

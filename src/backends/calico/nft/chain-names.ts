// Chain names in the nft table (nftables.md §B.3). Every chain and jump target
// gets its layer prefix; from 3.30 policy and profile chains are cut to 256
// characters instead of 28, so the hashed iptables names (`cali-pi-_boOrs…`)
// become readable ones (`cali-pi-knp/default/allow-db-access`). The iptables
// rule model only holds the hashed names, which cannot be reversed, so the
// names of every policy and profile of the compilation are computed both ways
// once (names.ts, the one place names are made) and the translation looks the
// hashed ones up. A hashed policy/profile name the map lacks is a bug: it throws.
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NetworkPolicy } from "../../../ir/policy.js";
import type { TableName } from "../../../rules/types.js";
import { CHAIN_PREFIX, MAX_CHAIN_NAME_LENGTH, policyChainNameWith, profileChainName, type Direction } from "../names.js";
import { policyChainSuffix, profileOf, type CalicoVersion } from "../profile.js";
import { allWorkloads } from "../workloads.js";
import { layerName, nftChainNameLimit } from "./names.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/** `<prefix>_` starts every hashed policy/profile chain name (GetLengthLimitedID). */
const HASHED_PREFIXES: readonly string[] = [CHAIN_PREFIX.policy.ingress, CHAIN_PREFIX.policy.egress, CHAIN_PREFIX.profile.ingress, CHAIN_PREFIX.profile.egress].map((p) => p + "_");

/** An nft name, or why Felix cannot make one. */
type Renamed = { readonly name: string } | { readonly panic: string };

const RENAMES = memoTable<string, ReadonlyMap<string, Renamed>>("calico/nft-chain-renames");

/**
 * GetLengthLimitedID at 256 keeps `prefix + suffix` when it fits; when it does
 * not, it slices its 43-character hash to `256 − 1 − len(prefix)` characters,
 * which Go refuses at run time (hashutils/id.go, lib/hash/unique_id.go: slice
 * bounds out of range): Felix panics on a policy or profile name that long.
 */
function renamed(prefix: string, suffix: string, nft: string, limit: number): Renamed {
  const total = Buffer.byteLength(prefix) + Buffer.byteLength(suffix);
  const fits = total < limit || (total === limit && !suffix.startsWith("_"));
  return fits ? { name: nft } : { panic: `Felix's nftables dataplane panics on the chain name ${prefix}${suffix} (${total} bytes > ${limit}: GetLengthLimitedID slices its hash out of range)` };
}

/** iptables name → nft name (before the layer prefix) of every policy and profile chain whose names differ. */
function renames(comp: Compilation, version: CalicoVersion, interfacePrefix: string): ReadonlyMap<string, Renamed> {
  return comp.memo(RENAMES, `${version} ${interfacePrefix}`, () => {
    const limit = nftChainNameLimit(version);
    const out = new Map<string, Renamed>();
    if (limit <= MAX_CHAIN_NAME_LENGTH) return out;
    const felix = profileOf(version);
    const add = (prefix: string, suffix: string, ipt: string, nft: string): void => {
      if (ipt !== nft) out.set(ipt, renamed(prefix, suffix, nft, limit));
    };
    for (const p of comp.model.policies) {
      const suffix = policyChainSuffix(felix, p.namespace, p.name);
      for (const dir of DIRECTIONS) add(CHAIN_PREFIX.policy[dir], suffix, policyChainNameWith(dir, suffix), policyChainNameWith(dir, suffix, limit));
    }
    const profiles = new Set(allWorkloads(comp, interfacePrefix).flatMap((w) => w.profiles.map((pr) => pr.name)));
    for (const name of profiles) for (const dir of DIRECTIONS) add(CHAIN_PREFIX.profile[dir], name, profileChainName(dir, name), profileChainName(dir, name, limit));
    return out;
  });
}

/** A policy or profile whose nft chain Felix cannot name at this version (it panics), and why. */
export interface NftNamePanic {
  /** The policy (for its place in the inputs), or null for a profile. */
  readonly policy: NetworkPolicy | null;
  readonly message: string;
}

/** Every policy and profile of the compilation that Felix's nftables dataplane would panic on: a compile must refuse them. */
export function nftNamePanics(comp: Compilation, version: CalicoVersion, interfacePrefix: string): NftNamePanic[] {
  const limit = nftChainNameLimit(version);
  if (limit <= MAX_CHAIN_NAME_LENGTH) return [];
  const felix = profileOf(version);
  const out: NftNamePanic[] = [];
  for (const p of comp.model.policies) {
    // Both directions share the suffix and a prefix of one length: one check per policy.
    const suffix = policyChainSuffix(felix, p.namespace, p.name);
    const r = renamed(CHAIN_PREFIX.policy.ingress, suffix, "", limit);
    if ("panic" in r) out.push({ policy: p, message: r.panic });
  }
  // Sorted for determinism.
  const profiles = [...new Set(allWorkloads(comp, interfacePrefix).flatMap((w) => w.profiles.map((pr) => pr.name)))].sort();
  for (const name of profiles) {
    const r = renamed(CHAIN_PREFIX.profile.ingress, name, "", limit);
    if ("panic" in r) out.push({ policy: null, message: r.panic });
  }
  return out;
}

/** Maps an iptables chain of one layer to its nft name: the version's name, layer-prefixed. */
export function chainNamer(comp: Compilation, version: CalicoVersion, interfacePrefix: string, layer: TableName): (name: string) => string {
  const map = renames(comp, version, interfacePrefix);
  const long = nftChainNameLimit(version) > MAX_CHAIN_NAME_LENGTH;
  return (name) => {
    const r = map.get(name);
    if (r === undefined && long && HASHED_PREFIXES.some((p) => name.startsWith(p))) {
      throw new Error(`calico nftables: chain ${name} is a hashed policy/profile name of no policy or profile of this compilation`);
    }
    if (r !== undefined && "panic" in r) throw new Error(`calico nftables: ${r.panic}`);
    return layerName(layer, r?.name ?? name);
  };
}

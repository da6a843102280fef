// Felix's IP sets as named nft sets (nftables.md §B.3; felix/nftables/ipsets.go
// NFTablesSet, setType, CanonicaliseMember): the ipset name with `:` → `-`,
// not layer-prefixed; hash:net is an address set with the interval flag, hash:ip
// a plain address set, hash:ip,port the concatenation address . proto . port,
// bitmap:port a port set. A set netpolc shares between nodes (a selector's
// members) is translated once per compilation.
import { memoTable, type Compilation } from "../../../compilation.js";
import type { IpSet, IpSetMember } from "../../../rules/ipset.js";
import type { NftDataType, NftElement, NftSet } from "../../../rules/nft/model.js";
import { nftSetName } from "./names.js";

/** The family of an ipset: Felix creates `family inet6` for its `cali60` sets. */
export const ipSetFamily = (s: IpSet): 4 | 6 => (s.options.includes("inet6") ? 6 : 4);

const NFT_SETS = memoTable<IpSet, NftSet>("calico/nft-sets");

const addr = (family: 4 | 6): NftDataType => (family === 6 ? "ipv6_addr" : "ipv4_addr");

/** ip.CIDR String(): a host prefix prints without `/32` (`/128`). */
const netKey = (v: string, family: 4 | 6): string => v.replace(family === 6 ? /\/128$/ : /\/32$/, "");

function elementKey(s: IpSet, m: IpSetMember, family: 4 | 6): string[] {
  if (m.nomatch) throw new Error(`calico nftables: set ${s.name}: a nomatch member (${m.value}) has no nft form`);
  switch (s.type) {
    case "hash:net":
      return [netKey(m.value, family)];
    case "hash:ip":
      return [m.value.replace(/\/(32|128)$/, "")];
    case "hash:ip,port": {
      // `10.0.0.1,tcp:8080` → `10.0.0.1 . tcp . 8080`.
      const match = /^(.+),([a-z]+):(\d+)$/.exec(m.value);
      if (!match) throw new Error(`calico nftables: set ${s.name}: bad ip,port member ${m.value}`);
      return [match[1]!, match[2]!, match[3]!];
    }
    case "bitmap:port":
      return [m.value];
    default:
      throw new Error(`calico nftables: set ${s.name}: ipset type ${s.type} has no Felix nftables form`);
  }
}

function typeOf(s: IpSet, family: 4 | 6): { type: NftDataType[]; interval: boolean } {
  switch (s.type) {
    case "hash:net":
      return { type: [addr(family)], interval: true };
    case "hash:ip":
      return { type: [addr(family)], interval: false };
    case "hash:ip,port":
      return { type: [addr(family), "inet_proto", "inet_service"], interval: false };
    case "bitmap:port":
      return { type: ["inet_service"], interval: false };
    default:
      throw new Error(`calico nftables: set ${s.name}: ipset type ${s.type} has no Felix nftables form`);
  }
}

function buildSet(s: IpSet): NftSet {
  const family = ipSetFamily(s);
  const { type, interval } = typeOf(s, family);
  const elements: NftElement[] = s.members.map((m) => ({ key: elementKey(s, m, family), comment: null, verdict: null }));
  return { kind: "set", name: nftSetName(s.name), type, data: null, flags: interval ? ["interval"] : [], timeout: null, size: null, comment: null, elements };
}

export function nftSetOf(comp: Compilation, s: IpSet): NftSet {
  return comp.memo(NFT_SETS, s, () => buildSet(s));
}

/** An empty `ifname : verdict` map (the workload dispatch maps, §B.3). */
export function verdictMap(name: string, elements: readonly NftElement[]): NftSet {
  return { kind: "map", name, type: ["ifname"], data: "verdict", flags: [], timeout: null, size: null, comment: null, elements };
}

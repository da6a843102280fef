// Every Calico chain, set and interface name, every fixed comment and every
// hash recipe lives here (STYLE.md "Names in one place"). Profile P27
// ("classic", Calico ≤ v3.27); section numbers refer to
// /work/shared/spec/felix-format.md.
import { base64UrlNoPad, digest } from "../../rules/digest.js";

/** felix/iptables/table.go MaxChainNameLength (§1). */
export const MAX_CHAIN_NAME_LENGTH = 28;
/**
 * felix/nftables MaxChainNameLength (nftables.md §B.3): from 3.30 Felix's nftables dataplane limits policy, profile
 * and endpoint chain names to 256 (before the layer prefix), so they are practically never hashed; 3.29 used 28.
 */
export const MAX_NFT_CHAIN_NAME_LENGTH = 256;
/** felix/ipsets/ipset_defs.go MaxIPSetNameLength (§7.1). */
export const MAX_IPSET_NAME_LENGTH = 31;
// The rule-hash recipe and comment escaping live with the iptables renderer
// that applies them (src/rules/felix.ts): the renderer derives the spelling
// Felix hashes, so it must own the hashing too. Re-exported here, the one place
// a Calico name or recipe is looked up.
export { MAX_COMMENT_LENGTH, RULE_HASH_LENGTH, RULE_HASH_PREFIX, escapeComment } from "../../rules/felix.js";

/**
 * GetLengthLimitedID (§1, P27 felix/hashutils/id.go): keep `prefix+suffix`
 * when it fits in `maxLength`, else `prefix + "_" + base64url(SHA-256(suffix))`
 * cut to `maxLength`. An exact fit whose suffix starts with `_` is hashed too,
 * so a readable name can never collide with a hashed one.
 */
export function lengthLimitedId(prefix: string, suffix: string, maxLength = MAX_CHAIN_NAME_LENGTH): string {
  const total = Buffer.byteLength(prefix) + Buffer.byteLength(suffix);
  if (total < maxLength || (total === maxLength && !suffix.startsWith("_"))) return prefix + suffix;
  const hash = base64UrlNoPad(digest("sha256", suffix));
  return prefix + "_" + hash.slice(0, maxLength - 1 - Buffer.byteLength(prefix));
}

/**
 * Characters a chain name may carry through iptables-restore unchanged. Felix
 * never sees anything else (Kubernetes validates namespace and account names
 * as DNS labels); netpolc treats names as hostile, so a suffix outside this set
 * is always hashed rather than printed — a deliberate deviation that cannot
 * change output for valid input.
 */
const SAFE_CHAIN_SUFFIX = /^[A-Za-z0-9._\/-]*$/;

function chainName(prefix: string, suffix: string, maxLength = MAX_CHAIN_NAME_LENGTH): string {
  if (!SAFE_CHAIN_SUFFIX.test(suffix)) {
    const hash = base64UrlNoPad(digest("sha256", suffix));
    return prefix + "_" + hash.slice(0, maxLength - 1 - prefix.length);
  }
  return lengthLimitedId(prefix, suffix, maxLength);
}

/** NFLOGPrefixMaxLength − 1 (felix/rules/rule_defs.go): a prefix this long or longer is hashed. */
const NFLOG_PREFIX_HASHED_FROM = 63;
const NFLOG_KEEP = 10;

/**
 * A flow-log NFLOG prefix (felix/rules/nflogprefix.go, P30+): `<A|P|D><P|R><I|E><index>|<id>` for a rule of a policy
 * (P) or profile (R), `DPI|<tier>` at the end of a tier, `DRI`/`DRE` before the profiles' drop. One of 63 characters
 * or more keeps its first and last 10 around GetLengthLimitedID's `_` + 41 characters of its SHA-256: always 63.
 */
export function nflogPrefix(text: string): string {
  if (text.length < NFLOG_PREFIX_HASHED_FROM) return text;
  const hashLen = NFLOG_PREFIX_HASHED_FROM - 2 * NFLOG_KEEP - 1;
  return text.slice(0, NFLOG_KEEP) + lengthLimitedId("", text, hashLen) + "_" + text.slice(text.length - NFLOG_KEEP);
}

/** The NFLOG group of a direction (NFLOGInboundGroup 1, NFLOGOutboundGroup 2). */
export const nflogGroup = (dir: Direction): number => (dir === "ingress" ? 1 : 2);
/** The I/E letter of a direction in an NFLOG prefix. */
export const nflogDir = (dir: Direction): string => (dir === "ingress" ? "I" : "E");

/** MakeUniqueID (§7.2): `prefix:` + base64url(SHA-224("prefix:" + content)). */
export function makeUniqueId(prefix: string, content: string): string {
  return `${prefix}:` + base64UrlNoPad(digest("sha224", `${prefix}:${content}`));
}

/** Selector IP-set ID (§7.2) from the canonical selector string. */
export function selectorSetId(canonicalSelector: string): string {
  return makeUniqueId("s", canonicalSelector);
}

/** Named-port IP-set ID (§7.2): over "<selector set ID>,<proto>,<port name>". */
export function namedPortSetId(selectorId: string, proto: string, portName: string): string {
  return makeUniqueId("n", `${selectorId},${proto},${portName}`);
}

/** Main (non-temporary) set name: "cali" + "4"/"6" + "0" + ID, cut to 31 bytes (§7.1; ipv6-and-policy A6: the same ID in both families). */
export function ipSetName(setId: string, family: 4 | 6 = 4): string {
  return (`cali${family}0` + setId).slice(0, MAX_IPSET_NAME_LENGTH);
}

/** Fixed set IDs (§7.1, P27; all-vxlan-net: felix/rules/rule_defs.go IPSetIDAllVXLANSourceNets). */
export const SET_ID = {
  allHostsNet: "all-hosts-net",
  allIpamPools: "all-ipam-pools",
  masqIpamPools: "masq-ipam-pools",
  allVxlanNet: "all-vxlan-net",
  /** P31+ name of all-ipam-pools (App. B). */
  networkIpPools: "network-ip-pools",
  /** The host's own addresses (IPVS; P31+ the DSCP rule, §7.1). */
  thisHost: "this-host",
  /** Workloads with a DSCP annotation (P31+, §7.1). */
  dscpSrcNet: "dscp-src-net",
} as const;

/**
 * VethNameForWorkload (§9.5): prefix + first 11 hex chars of SHA-1("<ns>.<pod>"),
 * 15 bytes = IFNAMSIZ-1 with the default prefix.
 */
export function workloadInterfaceName(namespace: string, pod: string, prefix = "cali"): string {
  return prefix + digest("sha1", `${namespace}.${pod}`).toString("hex").slice(0, 11);
}

/** Calico name of a Kubernetes NetworkPolicy in P27 (§10.1). */
export function calicoPolicyName(k8sName: string): string {
  return `knp.default.${k8sName}`;
}

/** Backend key name `<ns>/knp.default.<name>` (§1, §3.3): chain suffix and sort key. */
export function policyKeyName(namespace: string, k8sName: string): string {
  return `${namespace}/${calicoPolicyName(k8sName)}`;
}

/** Profile names (§5). */
export function namespaceProfile(namespace: string): string {
  return `kns.${namespace}`;
}
export function serviceAccountProfile(namespace: string, sa: string): string {
  return `ksa.${namespace || "default"}.${sa}`;
}

export type Direction = "ingress" | "egress";

/** Chain-name prefixes (§1, felix/rules/rule_defs.go). */
const PREFIX = {
  policy: { ingress: "cali-pi-", egress: "cali-po-" },
  /** P28+ policy groups (§4.6). */
  group: { ingress: "cali-gi-", egress: "cali-go-" },
  profile: { ingress: "cali-pri-", egress: "cali-pro-" },
  endpoint: { ingress: "cali-tw-", egress: "cali-fw-" },
} as const;

/** The chain-name prefixes, for code that reads rules back (verify, its tests). */
export const CHAIN_PREFIX = PREFIX;
/** Chains where NetworkPolicy is consulted: policy (`cali-pi-`/`cali-po-`) and profile (`cali-pri-`/`cali-pro-`) chains. */
export const POLICY_CHAIN_PREFIXES: readonly string[] = [
  PREFIX.policy.ingress, PREFIX.policy.egress, PREFIX.group.ingress, PREFIX.group.egress, PREFIX.profile.ingress, PREFIX.profile.egress,
];
/** Whether `chain` is a policy or profile chain (POLICY_CHAIN_PREFIXES). */
export const isPolicyChain = (chain: string): boolean => POLICY_CHAIN_PREFIXES.some((p) => chain.startsWith(p));

export function policyChainName(dir: Direction, namespace: string, k8sName: string): string {
  return chainName(PREFIX.policy[dir], policyKeyName(namespace, k8sName));
}
/** The policy chain of a profile's naming (App. B): the suffix is `policyChainSuffix` of profile.ts. */
export function policyChainNameWith(dir: Direction, suffix: string, maxLength = MAX_CHAIN_NAME_LENGTH): string {
  return chainName(PREFIX.policy[dir], suffix, maxLength);
}
/**
 * `cali-gi-` / `cali-go-` + the group's UID (§4.6), cut so that the name fits
 * MaxChainNameLength (28): 20 characters. (The spec says 21, which makes 29:
 * iptables-restore refuses it, "must be under 29 chars".)
 */
export function groupChainName(dir: Direction, uid: string): string {
  return PREFIX.group[dir] + uid.slice(0, MAX_CHAIN_NAME_LENGTH - PREFIX.group[dir].length);
}
export function profileChainName(dir: Direction, profile: string, maxLength = MAX_CHAIN_NAME_LENGTH): string {
  return chainName(PREFIX.profile[dir], profile, maxLength);
}
/** `cali-tw-<iface>` (ingress = to workload) / `cali-fw-<iface>` (§3.2). */
export function endpointChainName(dir: Direction, iface: string): string {
  return chainName(PREFIX.endpoint[dir], iface);
}

/** Static and dispatch chain names (§2.3, §2.4, §8). */
export const CHAIN = {
  forward: "cali-FORWARD",
  input: "cali-INPUT",
  output: "cali-OUTPUT",
  prerouting: "cali-PREROUTING",
  postrouting: "cali-POSTROUTING",
  cidrBlock: "cali-cidr-block",
  fromHepForward: "cali-from-hep-forward",
  toHepForward: "cali-to-hep-forward",
  fromHostEndpoint: "cali-from-host-endpoint",
  toHostEndpoint: "cali-to-host-endpoint",
  fromWlDispatch: "cali-from-wl-dispatch",
  toWlDispatch: "cali-to-wl-dispatch",
  wlToHost: "cali-wl-to-host",
  fipDnat: "cali-fip-dnat",
  fipSnat: "cali-fip-snat",
  natOutgoing: "cali-nat-outgoing",
  /** P31+ mangle (§8.3): empty without DSCP-annotated workloads. */
  egressDscp: "cali-egress-dscp",
  rpfSkip: "cali-rpf-skip",
} as const;

/** Child dispatch chain `<root>-<c>` (§2.4). */
export function dispatchChildChain(root: string, c: string): string {
  return `${root}-${c}`;
}

/** Hash-chain name for rules appended to a kernel chain (§2.2). */
export function appendsHashChain(kernelChain: string): string {
  return `${kernelChain}*appends*`;
}

/**
 * Felix mark bits for P27 (§3.1): allocated lowest-first from the default
 * IptablesMarkMask 0xffff0000.
 */
export const MARK = {
  accept: 0x10000,
  pass: 0x20000,
  scratch0: 0x40000,
  scratch1: 0x80000,
  /** allCalicoMarkBits = accept|pass|scratch0|scratch1. */
  all: 0xf0000,
  /** Everything but accept, cleared at the top of cali-FORWARD. */
  allButAccept: 0xe0000,
} as const;

/** Device names (§9.1; VXLAN: felix/dataplane/linux/int_dataplane.go, calico-routes §2.7). */
export const DEVICE = { ipipTunnel: "tunl0", vxlanTunnel: "vxlan.calico" } as const;

/** Felix's VXLANPort default (felix/config/config_params.go `int;4789`). */
export const VXLAN_PORT = 4789;

/** Fixed comment texts (§6), each already within Felix's escaped alphabet. */
export const COMMENT = {
  startOfPolicies: "Start of policies",
  returnIfPolicyAccepted: "Return if policy accepted",
  /** P28+ group chains, before every fifth policy (§4.6). */
  returnOnVerdict: "Return on verdict",
  dropIfNoPolicies: "Drop if no policies passed packet",
  returnIfProfileAccepted: "Return if profile accepted",
  dropIfNoProfiles: "Drop if no profiles matched",
  unknownInterface: "Unknown interface",
  defaultEndpointToHost: "Configured DefaultEndpointToHostAction",
  policyAccepted: "Policy explicitly accepted packet.",
  hostEndpointAccepted: "Host endpoint policy accepted packet.",
  allowIpipFromHosts: "Allow IPIP packets from Calico hosts",
  dropIpipFromNonHosts: "Drop IPIP packets from non-Calico hosts",
  allowIpipToHosts: "Allow IPIP packets to other Calico hosts",
  // v3.27 felix/rules/static.go; the drop comment says "Drop" whatever the deny action (Felix uses DropAction{} there).
  allowVxlanFromHosts: "Allow IPv4 VXLAN packets from allowed hosts",
  dropVxlanFromNonHosts: "Drop IPv4 VXLAN packets from non-allowed hosts",
  allowVxlanToHosts: "Allow IPv4 VXLAN packets to other allowed hosts",
  dropVxlanFromWorkloads: "Drop VXLAN encapped packets originating in workloads",
  dropIpipFromWorkloads: "Drop IPinIP encapped packets originating in workloads",
  setDscp: "set dscp for traffic leaving cluster.",
} as const;

/** Chain comments carried on a chain's first rule (§4.1, §5). */
export function policyChainComment(dir: Direction, namespace: string, k8sName: string): string {
  return `Policy ${policyKeyName(namespace, k8sName)} ${dir}`;
}
export function profileChainComment(dir: Direction, profile: string): string {
  return `Profile ${profile} ${dir}`;
}

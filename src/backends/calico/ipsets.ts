// IP-set contents (§7.3). Members come from the WHOLE cluster: a selector
// set holds every matching endpoint's IPv4, whatever node it runs on. Labels
// are matched with this backend's own Calico-selector evaluator, not the k8s
// matcher, so a translation bug cannot agree with itself.
import { memoTable, type Compilation } from "../../compilation.js";
import { hostAddresses, type Cluster } from "../../ir/cluster.js";
import type { IpSet, IpSetMember } from "../../rules/ipset.js";
import { isV6 } from "./ipv4.js";
import { SET_ID, ipSetName } from "./names.js";
import { workloadIndex } from "./members.js";
import type { SetSpec } from "./sets.js";
import { vxlanTunnelOf } from "./static.js";
import type { Encapsulation } from "./static.js";
import type { Workload } from "./workloads.js";
import type { FelixProfile } from "./profile.js";

/** Felix's create options with the default MaxIpsetSize, as ipset save prints them (§7.3; ipv6-and-policy A6: `family inet6`). */
const SET_OPTIONS = ["family", "inet", "hashsize", "1024", "maxelem", "1048576"] as const;
const SET_OPTIONS6 = ["family", "inet6", "hashsize", "1024", "maxelem", "1048576"] as const;
const optionsOf = (family: Family): readonly string[] => (family === 6 ? SET_OPTIONS6 : SET_OPTIONS);

type Family = 4 | 6;

/** The workload's address in the family: each family's sets hold only its own members (A6, filterAndCanonicaliseMembers). */
const addressOf = (w: Workload, family: Family): string | null => (family === 6 ? w.ip6 : w.ip || null);

const members = (values: readonly string[]): IpSetMember[] => values.map((value) => ({ value }));

function referencedSet(comp: Compilation, spec: SetSpec, workloads: readonly Workload[], family: Family): IpSet {
  const matching = workloadIndex(comp, workloads).matching(spec.selector);
  const addressed = matching.flatMap((w) => {
    const ip = addressOf(w, family);
    return ip === null ? [] : [{ w, ip }];
  });
  if (spec.kind === "selector") {
    // A /32 (/128) member prints without its suffix in ipset save.
    return { name: ipSetName(spec.id, family), type: "hash:net", options: optionsOf(family), members: members(addressed.map((a) => a.ip)) };
  }
  // `fd00::5,tcp:8080` for IPv6 (V6IPPort.String, A6), as for IPv4.
  const values = addressed.flatMap(({ w, ip }) =>
    w.pod.ports
      .filter((p) => p.name === spec.port && p.protocol.toLowerCase() === spec.protocol)
      .map((p) => `${ip},${spec.protocol}:${p.containerPort}`),
  );
  return { name: ipSetName(spec.id, family), type: "hash:ip,port", options: optionsOf(family), members: members(values) };
}

function netSet(id: string, values: readonly string[], family: Family = 4): IpSet {
  return { name: ipSetName(id, family), type: "hash:net", options: optionsOf(family), members: members(values) };
}

/** What Felix's fixed sets depend on besides the cluster. */
export interface FixedSetContext {
  /** The family of the sets (one call per family; IPv6 sets are `cali60…`, `family inet6`). */
  readonly family: Family;
  readonly encap: Encapsulation;
  /** The node being compiled: its own VTEP is not in its all-vxlan-net. */
  readonly nodeName: string;
  /** The pools set's name (P31+ `network-ip-pools`) and the P31+ DSCP sets. */
  readonly profile: FelixProfile;
}

/**
 * Referenced sets plus Felix's fixed ones: `all-hosts-net` (only with IPIP,
 * its manager exists only then), `all-vxlan-net` (only with VXLAN, likewise)
 * and the two masquerade sets, which Felix's masq manager always programs
 * (§7.1, §7.3).
 */
export function buildIpSets(comp: Compilation, workloads: readonly Workload[], specs: readonly SetSpec[], fixed: FixedSetContext): IpSet[] {
  const { family } = fixed;
  // IPIP and (here) VXLAN are IPv4 only: no `cali60all-hosts-net`, no `cali60all-vxlan-net` (A6).
  const vxlan = family === 4 && fixed.encap.vxlan ? [vxlanSourceSet(comp, fixed.nodeName)] : [];
  const dscp = fixed.profile.dscpRule ? dscpSets(comp, fixed.nodeName, family) : [];
  return [...fixedSets(comp, family === 4 && fixed.encap.ipip, fixed.profile, family), ...vxlan, ...dscp, ...memberSets(comp, workloads, specs, family)];
}

/**
 * The sets the P31+ DSCP rule names (§7.1, §8.4): `dscp-src-net`, the
 * addresses of workloads with a DSCP annotation (not in the IR: empty), and
 * `this-host`, the host's own addresses. Felix fills the latter from the
 * interfaces it sees; netpolc knows the node address and its tunnel
 * addresses, so that is what it holds (an inference, said in the README).
 */
function dscpSets(comp: Compilation, nodeName: string, family: Family): IpSet[] {
  const node = comp.model.cluster.nodes.find((n) => n.name === nodeName);
  // IPv6: the node's IPv6 address (IPv6 tunnels are not modelled).
  const own = !node ? [] : family === 6 ? (node.ip6 ? [node.ip6] : []) : [...new Set(hostAddresses(comp.model.cluster, node))].filter((a) => !isV6(a)).sort(compareIp);
  return [netSet(SET_ID.dscpSrcNet, [], family), { name: ipSetName(SET_ID.thisHost, family), type: "hash:ip", options: optionsOf(family), members: members(own) }];
}

function compareIp(a: string, b: string): number {
  const n = (s: string): number => s.split(".").reduce((x, o) => x * 256 + Number(o), 0);
  return n(a) - n(b);
}

/** The selector and named-port sets of `specs`, with their members. */
export function memberSets(comp: Compilation, workloads: readonly Workload[], specs: readonly SetSpec[], family: Family = 4): IpSet[] {
  return specs.map((s) => memberSet(comp, s, workloads, family));
}

// A set's members depend only on its ID (a hash of its selector, protocol and
// port) and the cluster, and many nodes reference the same sets: each is
// built once per compilation and workload list, and shared by every node's output.
const MEMBER_SETS = memoTable<readonly Workload[], Map<string, IpSet>>("calico/member-sets");
const FIXED_SETS = memoTable<string, readonly IpSet[]>("calico/fixed-sets");
const VTEPS = memoTable<"vteps", readonly Vtep[]>("calico/vteps");

function memberSet(comp: Compilation, spec: SetSpec, workloads: readonly Workload[], family: Family): IpSet {
  const byId = comp.memo(MEMBER_SETS, workloads, () => new Map());
  const key = family === 4 ? spec.id : `6 ${spec.id}`;
  let set = byId.get(key);
  if (!set) byId.set(key, (set = referencedSet(comp, spec, workloads, family)));
  return set;
}

function fixedSets(comp: Compilation, ipipEnabled: boolean, profile: FelixProfile, family: Family): readonly IpSet[] {
  return comp.memo(FIXED_SETS, `${family} ${ipipEnabled} ${profile.poolsSetId}`, () => buildFixedSets(comp.model.cluster, ipipEnabled, profile, family));
}

function buildFixedSets(cluster: Cluster, ipipEnabled: boolean, profile: FelixProfile, family: Family): IpSet[] {
  const pools = cluster.pools.filter((p) => isV6(p.cidr) === (family === 6));
  const fixed = [
    netSet(profile.poolsSetId, pools.map((p) => p.cidr), family),
    netSet(SET_ID.masqIpamPools, pools.filter((p) => p.natOutgoing).map((p) => p.cidr), family),
  ];
  if (ipipEnabled) {
    const hostIps = cluster.nodes.flatMap((n) => (n.ip && !isV6(n.ip) ? [n.ip] : []));
    fixed.push(netSet(SET_ID.allHostsNet, hostIps));
  }
  return fixed;
}

interface Vtep {
  readonly node: string;
  readonly ip: string;
}

/**
 * Nodes Felix knows a VTEP for (felix/calc/vxlan_resolver.go hasVTEPInfo): an
 * IPv4 VXLAN tunnel address and an IPv4 node address; the MAC is derived when
 * not given, so it never holds a VTEP back.
 */
function vteps(comp: Compilation): readonly Vtep[] {
  const { cluster } = comp.model;
  return comp.memo(VTEPS, "vteps", () =>
    cluster.nodes.flatMap((n) => (n.ip && !isV6(n.ip) && vxlanTunnelOf(cluster, n.name) !== null ? [{ node: n.name, ip: n.ip }] : [])),
  );
}

/**
 * `all-vxlan-net` (v3.27 felix/dataplane/linux/vxlan_mgr.go
 * CompleteDeferredWork): ExternalNodesCIDRList (FelixConfiguration, not in
 * the IR: none) plus the node address (ParentDeviceIp) of every *remote*
 * VTEP — the manager keeps this node's own VTEP apart (setLocalVTEP), so,
 * unlike all-hosts-net, the set never holds the node's own address. Felix
 * creates it even when empty (vtepsDirty starts true).
 */
function vxlanSourceSet(comp: Compilation, nodeName: string): IpSet {
  const remote = vteps(comp).filter((v) => v.node !== nodeName);
  return netSet(SET_ID.allVxlanNet, remote.map((v) => v.ip));
}

// Felix's static chains and kernel-chain hooks for all four tables, P27 and
// the profiles' deltas (§2.2, §2.3, §8.1–§8.4; felix/rules/static.go). Every rule is written in
// Felix's own order; hashes come out of felix-rule.ts.
import type { Cluster, IPPool } from "../../ir/cluster.js";
import { BUILTIN_CHAINS } from "../../rules/types.js";
import type { Chain, Rule, RulePart, TableName } from "../../rules/types.js";
import { m } from "../../rules/build.js";
import { chain, fm, ft, kernelChain, rule } from "./felix-rule.js";
import { isV6 } from "./ipv4.js";
import { CHAIN, COMMENT, DEVICE, MARK, SET_ID, VXLAN_PORT, ipSetName } from "./names.js";
import type { CalicoOptions } from "./options.js";
import { profileOf, type FelixMarks } from "./profile.js";

/** What the static chains depend on besides the options. */
export interface StaticContext {
  readonly opts: CalicoOptions;
  /** The tables' address family (ipv6-and-policy A2): v6 has no IPIP and (here) no VXLAN rules, ICMPv6 rules in cali-wl-to-host, `cali60` sets. */
  readonly family: 4 | 6;
  /** Any IPv4 pool with ipipMode ≠ Never (§2.3 notes; see encapsulationOf). */
  readonly ipipEnabled: boolean;
  /** This node has an IPIP tunnel address (§8.1: the tunl0 MASQUERADE rule). */
  readonly hasTunnelAddress: boolean;
  /** Any IPv4 pool with vxlanMode ≠ Never (see encapsulationOf). */
  readonly vxlanEnabled: boolean;
  /** This node has an IPv4 VXLAN tunnel address (Felix's IPv4VXLANTunnelAddr: the vxlan.calico MASQUERADE rule). */
  readonly hasVxlanTunnelAddress: boolean;
  /** Any pool of the tables' family with natOutgoing (§8.1; the masq manager skips the other family's pools, A2). */
  readonly natOutgoing: boolean;
}

/** Felix's `Encapsulation` config: which tunnel types the node programs. */
export interface Encapsulation {
  readonly ipip: boolean;
  readonly vxlan: boolean;
}

/**
 * Felix v3.27 derives IPIPEnabled / VXLANEnabled from the pools
 * (felix/calc/encapsulation_resolver.go EncapsulationCalculator, also run by
 * felix/daemon/daemon.go at start-up): a pool counts when its mode is not
 * Never. `spec.disabled` is not consulted (IPPoolV3ToV1 keeps the modes of a
 * disabled pool), so a disabled pool still turns its encapsulation on. VXLAN
 * counts IPv4 pools only (IPv6 pools feed VXLANEnabledV6, not modelled).
 * FelixConfiguration's ipipEnabled / vxlanEnabled overrides are not in the IR.
 */
export function encapsulationOf(pools: readonly IPPool[]): Encapsulation {
  const v4 = pools.filter((p) => !isV6(p.cidr));
  return { ipip: v4.some((p) => p.ipipMode !== "Never"), vxlan: v4.some((p) => p.vxlanMode !== "Never") };
}

/** A node's IPv4 VXLAN tunnel (VTEP) address from the resolved address plan (src/ir/ipam.ts), or null. */
export function vxlanTunnelOf(cluster: Cluster, nodeName: string): string | null {
  return cluster.addressing.nodes.get(nodeName)?.vxlanTunnel?.address ?? null;
}

const wildcard = (opts: CalicoOptions): string => `${opts.interfacePrefix}+`;
/** The profile's mark bits (§3.1, §8.4: P30+ moved scratch0/1 and the all-bits masks). */
const marksOf = (ctx: StaticContext): FelixMarks => profileOf(ctx.opts.calicoVersion).marks;
/** Felix writes `-p 4`; iptables-save prints `ipencap` via /etc/protocols (Appendix A; the renderer's protocol names). */
const ipip = (_opts: CalicoOptions): RulePart => fm.protocolNum(4);
const hostsSet = ipSetName(SET_ID.allHostsNet);
/** Felix's ProtocolNum(ProtoUDP) + DestPorts(VXLANPort): hashed `-p 17 -m multiport --destination-ports 4789`. */
const vxlanUdp = (): RulePart[] => [fm.protocolNum(17), fm.multiport("dst", String(VXLAN_PORT))];
const vxlanSet = ipSetName(SET_ID.allVxlanNet);

/** Built-in chains of a table, hooks filled in, in hook order (§2.5). */
function builtins(table: TableName, opts: CalicoOptions, hooks: Record<string, readonly Rule[]>, appends: Record<string, readonly Rule[]> = {}): Chain[] {
  return BUILTIN_CHAINS[table].map((name) => kernelChain(name, opts.builtinPolicy, hooks[name] ?? [], appends[name] ?? []));
}

const jumpTo = (target: string): Rule[] => [rule([], ft.jump(target))];

/**
 * ICMPv6 Felix always lets a workload send to its host (ipv6-and-policy A3, felix/rules/static.go ICMPv6Filter):
 * MLD query/report/done, router solicitation, neighbour solicitation and advertisement — not RA, not echo.
 * Felix writes `-p 58` (ProtocolNum); ip6tables-save prints `-p ipv6-icmp`.
 */
const ICMPV6_TO_HOST_TYPES: readonly number[] = [130, 131, 132, 133, 135, 136];
const icmp6Type = (type: number): RulePart => m.generic("icmp6", m.opt("icmpv6-type", [String(type)]));
const empty = (...names: string[]): Chain[] => names.map((n) => chain(n, []));

function filterForward(ctx: StaticContext): Chain {
  const w = wildcard(ctx.opts);
  return chain(CHAIN.forward, [
    rule([], ft.clearMark(marksOf(ctx).allButAccept)),
    rule([fm.markClear(MARK.accept)], ft.jump(CHAIN.fromHepForward)),
    rule([fm.inInterface(w)], ft.jump(CHAIN.fromWlDispatch)),
    rule([fm.outInterface(w)], ft.jump(CHAIN.toWlDispatch)),
    rule([], ft.jump(CHAIN.toHepForward)),
    rule([], ft.jump(CHAIN.cidrBlock)),
  ]);
}

function filterInput(ctx: StaticContext): Chain {
  const { opts } = ctx;
  const ipipRules = ctx.ipipEnabled
    ? [
        rule([ipip(opts), fm.set(hostsSet, "src"), fm.dstAddrTypeLocal()], ft.accept(), COMMENT.allowIpipFromHosts),
        rule([ipip(opts)], ft.drop(), COMMENT.dropIpipFromNonHosts),
      ]
    : [];
  // filterInputChain: IPIP, then IPv4 VXLAN (the drop names "Drop" whatever the deny action: Felix's DropAction{}).
  const vxlanRules = ctx.vxlanEnabled
    ? [
        rule([...vxlanUdp(), fm.set(vxlanSet, "src"), fm.dstAddrTypeLocal()], ft.accept(), COMMENT.allowVxlanFromHosts),
        rule([...vxlanUdp(), fm.dstAddrTypeLocal()], ft.drop(), COMMENT.dropVxlanFromNonHosts),
      ]
    : [];
  return chain(CHAIN.input, [
    ...ipipRules,
    ...vxlanRules,
    rule([fm.inInterface(wildcard(opts))], ft.goto(CHAIN.wlToHost)),
    rule([fm.markSet(MARK.accept)], ft.accept()),
    rule([], ft.clearMark(marksOf(ctx).all)),
    rule([], ft.jump(CHAIN.fromHostEndpoint)),
    rule([fm.markSet(MARK.accept)], ft.accept(), COMMENT.hostEndpointAccepted),
  ]);
}

function filterOutput(ctx: StaticContext): Chain {
  const { opts } = ctx;
  const ipipRules = ctx.ipipEnabled
    ? [rule([ipip(opts), fm.set(hostsSet, "dst"), fm.srcAddrTypeLocal()], ft.accept(), COMMENT.allowIpipToHosts)]
    : [];
  // filterOutputChain: SrcAddrType before DestIPSet here, unlike the IPIP rule.
  const vxlanRules = ctx.vxlanEnabled
    ? [rule([...vxlanUdp(), fm.srcAddrTypeLocal(), fm.set(vxlanSet, "dst")], ft.accept(), COMMENT.allowVxlanToHosts)]
    : [];
  return chain(CHAIN.output, [
    rule([fm.markSet(MARK.accept)], ft.accept()),
    rule([fm.outInterface(wildcard(opts))], ft.ret()),
    ...ipipRules,
    ...vxlanRules,
    rule([], ft.clearMark(marksOf(ctx).all)),
    rule([fm.conntrack(["DNAT"], true)], ft.jump(CHAIN.toHostEndpoint)),
    rule([fm.markSet(MARK.accept)], ft.accept(), COMMENT.hostEndpointAccepted),
  ]);
}

/** Static part of the filter table (§2.3); dispatch/endpoint/policy chains are added by the caller. */
export function staticFilterChains(ctx: StaticContext): Chain[] {
  const hooks = { INPUT: jumpTo(CHAIN.input), FORWARD: jumpTo(CHAIN.forward), OUTPUT: jumpTo(CHAIN.output) };
  const appends = {
    FORWARD: [rule([fm.markSet(MARK.accept)], ft.accept(), COMMENT.policyAccepted), rule([], ft.setMark(MARK.accept))],
  };
  return [
    ...builtins("filter", ctx.opts, hooks, appends),
    filterForward(ctx),
    filterInput(ctx),
    filterOutput(ctx),
    chain(CHAIN.wlToHost, [
      ...(ctx.family === 6 ? ICMPV6_TO_HOST_TYPES.map((type) => rule([fm.protocolNum(58), icmp6Type(type)], ft.verdict("ACCEPT"))) : []),
      rule([], ft.jump(CHAIN.fromWlDispatch)),
      rule([], ft.verdict(ctx.opts.defaultEndpointToHostAction), COMMENT.defaultEndpointToHost),
    ]),
    ...empty(CHAIN.cidrBlock, CHAIN.fromHepForward, CHAIN.toHepForward, CHAIN.fromHostEndpoint, CHAIN.toHostEndpoint),
  ];
}

/**
 * StaticNATPostroutingChains' tunnel list, in Felix's order: tunl0, then
 * vxlan.calico, each only when its encapsulation is on and this node has that
 * tunnel's address (IPv6 VXLAN and WireGuard devices are not modelled).
 */
function tunnelDevices(ctx: StaticContext): string[] {
  const devices: string[] = [];
  if (ctx.ipipEnabled && ctx.hasTunnelAddress) devices.push(DEVICE.ipipTunnel);
  if (ctx.vxlanEnabled && ctx.hasVxlanTunnelAddress) devices.push(DEVICE.vxlanTunnel);
  return devices;
}

/**
 * nat table (§8.1). P28+ appends the POSTROUTING hook (profile natPostroutingAppended: "We must go last", after
 * kube-proxy's masquerade jump), so it hashes under `POSTROUTING*appends*`; P27 inserts it.
 */
export function natChains(ctx: StaticContext): Chain[] {
  const postrouting = jumpTo(CHAIN.postrouting);
  const appended = profileOf(ctx.opts.calicoVersion).natPostroutingAppended;
  const hooks = { PREROUTING: jumpTo(CHAIN.prerouting), OUTPUT: jumpTo(CHAIN.output), ...(appended ? {} : { POSTROUTING: postrouting }) };
  const tunnelMasq = tunnelDevices(ctx).map((dev) =>
    rule([fm.outInterface(dev), fm.notSrcAddrTypeLocalLimitOut(), fm.srcAddrTypeLocal()], ft.masquerade(ctx.opts.randomFully)),
  );
  const natOutgoing = ctx.natOutgoing
    ? [
        rule(
          [fm.set(ipSetName(SET_ID.masqIpamPools, ctx.family), "src"), fm.set(ipSetName(profileOf(ctx.opts.calicoVersion).poolsSetId, ctx.family), "dst", true)],
          ft.masquerade(ctx.opts.randomFully),
        ),
      ]
    : [];
  return [
    ...builtins("nat", ctx.opts, hooks, appended ? { POSTROUTING: postrouting } : {}),
    chain(CHAIN.output, jumpTo(CHAIN.fipDnat)),
    chain(CHAIN.postrouting, [...jumpTo(CHAIN.fipSnat), ...jumpTo(CHAIN.natOutgoing), ...tunnelMasq]),
    chain(CHAIN.prerouting, jumpTo(CHAIN.fipDnat)),
    chain(CHAIN.natOutgoing, natOutgoing),
    ...empty(CHAIN.fipDnat, CHAIN.fipSnat),
  ];
}

/** raw table (§8.2): the workload bit is scratch0 in the raw table. */
export function rawChains(ctx: StaticContext): Chain[] {
  const hooks = { PREROUTING: jumpTo(CHAIN.prerouting), OUTPUT: jumpTo(CHAIN.output) };
  const fromWorkload = marksOf(ctx).scratch0;
  // P29+ (profile vxlanNotrack): VXLAN's UDP flows are kept out of conntrack, in both chains. Felix tests
  // VXLANEnabled for IPv4 and VXLANEnabledV6 for IPv6; the v6 context never has VXLAN on (not modelled).
  // Wireguard's host-traffic jump, which would precede it in cali-PREROUTING, is not modelled either.
  const notrack = ctx.vxlanEnabled && profileOf(ctx.opts.calicoVersion).vxlanNotrack ? [rule(fm.destPort("udp", VXLAN_PORT), ft.notrack())] : [];
  return [
    ...builtins("raw", ctx.opts, hooks),
    chain(CHAIN.output, [
      rule([], ft.clearMark(marksOf(ctx).all)),
      rule([], ft.jump(CHAIN.toHostEndpoint)),
      ...notrack,
      rule([fm.markSet(MARK.accept)], ft.accept()),
    ]),
    chain(CHAIN.prerouting, [
      rule([], ft.clearMark(marksOf(ctx).all)),
      ...notrack,
      rule([fm.inInterface(wildcard(ctx.opts))], ft.setMark(fromWorkload)),
      rule([fm.markSet(fromWorkload)], ft.jump(CHAIN.rpfSkip)),
      rule([fm.markSet(fromWorkload), fm.rpfilterFailedValidMark()], ft.drop()),
      rule([fm.markClear(fromWorkload)], ft.jump(CHAIN.fromHostEndpoint)),
      rule([fm.markSet(MARK.accept)], ft.accept()),
    ]),
    ...empty(CHAIN.fromHostEndpoint, CHAIN.rpfSkip, CHAIN.toHostEndpoint),
  ];
}

/** mangle table (§8.3). */
export function mangleChains(ctx: StaticContext): Chain[] {
  const hooks = { PREROUTING: jumpTo(CHAIN.prerouting), POSTROUTING: jumpTo(CHAIN.postrouting) };
  const profile = profileOf(ctx.opts.calicoVersion);
  // P31+ (§8.3, §8.4): traffic from DSCP-annotated workloads leaving the cluster goes through cali-egress-dscp
  // (empty without such workloads); the sets it names are emitted by ipsets.ts.
  const dscp = profile.dscpRule
    ? [
        rule(
          [fm.set(ipSetName(SET_ID.dscpSrcNet, ctx.family), "src"), fm.set(ipSetName(profile.poolsSetId, ctx.family), "dst", true), fm.set(ipSetName(SET_ID.thisHost, ctx.family), "dst", true)],
          ft.jump(CHAIN.egressDscp),
          COMMENT.setDscp,
        ),
      ]
    : [];
  return [
    ...builtins("mangle", ctx.opts, hooks),
    chain(CHAIN.postrouting, [
      ...dscp,
      rule([fm.markSet(MARK.accept)], ft.ret()),
      rule([], ft.clearMark(marksOf(ctx).all)),
      rule([fm.conntrack(["DNAT"])], ft.jump(CHAIN.toHostEndpoint)),
      rule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.hostEndpointAccepted),
    ]),
    chain(CHAIN.prerouting, [
      rule([fm.conntrack(["RELATED", "ESTABLISHED"])], ft.accept()),
      rule([fm.markSet(MARK.accept)], ft.accept()),
      rule([], ft.jump(CHAIN.fromHostEndpoint)),
      rule([fm.markSet(MARK.accept)], ft.accept(), COMMENT.hostEndpointAccepted),
    ]),
    ...empty(CHAIN.fromHostEndpoint, CHAIN.toHostEndpoint, ...(profile.dscpRule ? [CHAIN.egressDscp] : [])),
  ];
}

// Verify of the IPv6 side through an IPv4 image (no IPv6 packet simulator).
//
// The simulator's addresses are 32-bit numbers. Rather than a second
// simulator, the IPv6 side of a dual-stack node is checked as an isomorphic
// IPv4 problem: every IPv6 prefix anything can tell apart — the snapshot's
// (pod and node addresses, pools, blocks, ipBlocks and their excepts, Service
// addresses) and the rules' (every -s/-d, DNAT target, set member and route,
// read from `<node>.ip6tables`, the `cali60` sets and the IPv6 routes, so a
// tampered rule's own CIDR is part of the image) — is mapped to an IPv4 prefix
// by a containment tree: a prefix's image holds exactly the images of the
// prefixes it holds, disjoint prefixes get disjoint images, and each image
// keeps a sub-block no child uses (the prefix's other addresses) and each
// /128 becomes a /32. So every question a rule or a policy can ask of an
// address ("in this CIDR?", "in this set?", "this route?") has the same
// answer for an address and for its image, and the IPv4 verify of the image
// — rules translated, the model translated (IPv4 ipBlocks dropped: they never
// match IPv6 traffic) — decides the IPv6 side. What cannot be imaged (prefixes
// nested deeper than 29 bits allow, an address no prefix names) is refused,
// never guessed: verify then says IPv6 is UNKNOWN and why. Reports are shown
// with the IPv6 addresses put back (`display`).
import { formatIP, parseCIDR, parseIP } from "../frontend/validation/ip.js";
import type { Cluster, IPPool, Node, Pod } from "../ir/cluster.js";
import type { Model, NetworkPolicy, Peer, PolicyRule } from "../ir/policy.js";
import type { Endpoint, Service, ServiceModel } from "../ir/service.js";
import type { IpSet } from "../rules/ipset.js";
import type { RouteCommand } from "../rules/routes.js";
import type { Rule, RuleOption, RulePart, RuleSet, Target } from "../rules/types.js";
import type { WorkloadPlace } from "../backends/index.js";
import type { Simulate } from "./check.js";
import { contextOf, plannedFlows, verifyClassReport, verifyReport, type CompiledSnapshot, type VerifyContext } from "./index.js";
import { NO_STEPS, type Steps } from "./classes.js";
import type { VerifyReportData } from "./render.js";
import type { NodeRules, RouteTable } from "./topology.js";

/** The image lives in 32.0.0.0/3: no special IPv4 range there (loopback, link-local, documentation, multicast). */
const IMAGE_BASE = 0x20000000;
const IMAGE_LEN = 3;
/** `::1` (kube-proxy's `! -d ::1/128`) is loopback in either family. */
const LOOPBACK6 = "::1";

interface Node6 {
  readonly net: bigint;
  readonly len: number;
  readonly children: Node6[];
  v4: number;
  v4len: number;
  /** Where the prefix's own addresses (those of no child) start, in each family. */
  rest4: number;
  rest6: bigint;
}

export interface Image6 {
  /** An IPv6 address (or `::1`) → its IPv4 image; null when no prefix names it. */
  addr(v6: string): string | null;
  /** An IPv6 CIDR (or bare address) → its IPv4 image; null when it is not in the image. */
  cidr(v6: string): string | null;
  /** `text` with every IPv4 image literal (address or CIDR) replaced by its IPv6 original. */
  display(text: string): string;
}

const lastOf = (n: { net: bigint; len: number }): bigint => n.net | ((1n << BigInt(128 - n.len)) - 1n);
const holds = (a: { net: bigint; len: number }, b: { net: bigint; len: number }): boolean => a.len <= b.len && b.net >= a.net && b.net <= lastOf(a);
const v4Text = (n: number): string => formatIP(4, BigInt(n >>> 0));

function parse6(text: string): { net: bigint; len: number } | null {
  const c = text.includes("/") ? parseCIDR(text) : null;
  if (c) return c.ip.family === 6 ? { net: c.network, len: c.prefix } : null;
  const ip = parseIP(text);
  return ip && ip.family === 6 ? { net: ip.value, len: 128 } : null;
}

/** The smallest address of `n` outside every child (children sorted and disjoint); `prefer` first when it qualifies. */
function restOf(n: Node6, prefer: bigint | null): bigint {
  const free = (v: bigint): boolean => v >= n.net && v <= lastOf(n) && !n.children.some((c) => v >= c.net && v <= lastOf(c));
  if (prefer !== null && free(prefer)) return prefer;
  let v = n.net;
  for (const c of n.children) if (v >= c.net && v <= lastOf(c)) v = lastOf(c) + 1n;
  return v;
}

/** The image of `prefixes` (IPv6 CIDRs or addresses; others ignored), or why there is none. */
export function imageOf(prefixes: Iterable<string>): Image6 | { readonly error: string } {
  const unique = new Map<string, { net: bigint; len: number }>();
  for (const t of prefixes) {
    const p = parse6(t);
    if (p && p.len > 0 && !(p.len === 128 && p.net === 1n)) unique.set(`${p.net}/${p.len}`, p);
  }
  const sorted = [...unique.values()].sort((a, b) => (a.net < b.net ? -1 : a.net > b.net ? 1 : a.len - b.len));
  const root: Node6 = { net: 0n, len: 0, children: [], v4: 0, v4len: 0, rest4: 0, rest6: 0n };
  const stack: Node6[] = [root];
  const byKey = new Map<string, Node6>();
  for (const p of sorted) {
    while (stack.length > 1 && !holds(stack[stack.length - 1]!, p)) stack.pop();
    const node: Node6 = { net: p.net, len: p.len, children: [], v4: 0, v4len: 0, rest4: 0, rest6: 0n };
    stack[stack.length - 1]!.children.push(node);
    stack.push(node);
    byKey.set(`${p.net}/${p.len}`, node);
  }
  const error = assign(root, IMAGE_BASE, IMAGE_LEN);
  if (error) return { error };
  // "Outside every prefix" is shown as a documentation address when it is one (RFC 3849).
  root.rest6 = restOf(root, 0x2001_0db8n << 96n | 1n);
  root.rest4 = 0;
  const hosts = new Map<number, bigint>();
  const prefixes4 = new Map<string, Node6>();
  const index = (n: Node6): void => {
    for (const c of n.children) {
      if (c.len === 128) hosts.set(c.v4, c.net);
      else prefixes4.set(`${c.v4}/${c.v4len}`, c);
      index(c);
    }
  };
  index(root);
  const image = (t: string): string | null => {
    if (t === LOOPBACK6) return "127.0.0.1";
    if (t === `${LOOPBACK6}/128`) return "127.0.0.1/32";
    const p = parse6(t);
    if (!p) return null;
    if (p.len === 0) return "0.0.0.0/0";
    const n = byKey.get(`${p.net}/${p.len}`);
    if (!n) return null;
    return t.includes("/") ? `${v4Text(n.v4)}/${n.v4len}` : v4Text(n.v4);
  };
  return {
    addr: (v6) => (v6.includes("/") ? null : image(v6)),
    cidr: (v6) => {
      const r = image(v6);
      return r === null ? null : r.includes("/") ? r : `${r}/32`;
    },
    // An address with a port (`10.96.0.20:80`) comes back bracketed, as IPv6 spells it (`[fd00:96::20]:80`, RFC 3986).
    display: (text) =>
      text.replace(/\b(\d{1,3}(?:\.\d{1,3}){3})(\/\d{1,2})?\b(:\d{1,5}\b)?/g, (m, ip: string, len: string | undefined, port: string | undefined) => {
        const v6 = back(root, hosts, prefixes4, ip, len);
        if (v6 === null) return m;
        return port !== undefined && len === undefined ? `[${v6}]${port}` : v6 + (port ?? "");
      }),
  };
}

/** Children of `n` get sub-blocks 1…k of its image (sub-block 0 stays its own addresses); /128s become /32s. */
function assign(n: Node6, base: number, len: number): string | null {
  n.v4 = n.len === 0 ? 0 : base;
  n.v4len = n.len === 0 ? 0 : len;
  n.rest4 = base;
  n.rest6 = restOf(n, null);
  const k = n.children.length;
  if (k === 0) return null;
  const bits = Math.ceil(Math.log2(k + 1));
  if (len + bits > 32) return `IPv6 prefixes nest too deep or too wide to verify through an IPv4 image (${formatIP(6, n.net)}/${n.len} holds ${k})`;
  const step = 2 ** (32 - len - bits);
  for (const [i, c] of n.children.entries()) {
    const at = base + (i + 1) * step;
    if (c.len === 128) {
      c.v4 = at;
      c.v4len = 32;
      c.rest4 = at;
      c.rest6 = c.net;
      continue;
    }
    const e = assign(c, at, len + bits);
    if (e) return e;
  }
  return null;
}

/** An IPv4 literal of a report back in IPv6: an image host or prefix exactly, else the address it stands for. */
function back(root: Node6, hosts: ReadonlyMap<number, bigint>, prefixes4: ReadonlyMap<string, Node6>, ip: string, len: string | undefined): string | null {
  const parsed = parseIP(ip);
  if (!parsed || parsed.family !== 4) return null;
  const v = Number(parsed.value);
  if (ip === "127.0.0.1") return len ? `${LOOPBACK6}/128` : LOOPBACK6;
  if (len) {
    if (len === "/0") return "::/0";
    const n = prefixes4.get(`${v}/${len.slice(1)}`);
    if (n) return `${formatIP(6, n.net)}/${n.len}`;
    const h = len === "/32" ? hosts.get(v) : undefined;
    return h === undefined ? null : `${formatIP(6, h)}/128`;
  }
  const h = hosts.get(v);
  if (h !== undefined) return formatIP(6, h);
  // Inside an image prefix's own sub-block: the prefix's own IPv6 addresses, at the same offset.
  let n = root;
  for (;;) {
    const c = n.children.find((x) => v >= x.v4 && v < x.v4 + 2 ** (32 - x.v4len));
    if (!c || c.len === 128) break;
    n = c;
  }
  const inImage = v >= IMAGE_BASE && v < IMAGE_BASE + 2 ** (32 - IMAGE_LEN);
  if (n === root) return inImage ? null : formatIP(6, root.rest6);
  return formatIP(6, n.rest6 + BigInt(Math.max(0, v - n.rest4)));
}

// ---------------------------------------------------------------------------
// What the image must hold: every IPv6 address and prefix of the snapshot and of the rules.

/** The IPv6 addresses and prefixes of the snapshot. */
export function modelPrefixes6(model: Model): string[] {
  const { cluster } = model;
  const out: string[] = [];
  const add = (t: string | null): void => void (t !== null && t.includes(":") && out.push(t));
  for (const p of cluster.pods) p.ips.forEach(add);
  for (const n of cluster.nodes) add(n.ip6);
  for (const p of cluster.pools) add(p.cidr);
  for (const b of cluster.addressing.blocks) add(b.cidr);
  for (const pol of model.policies) {
    for (const r of [...pol.ingress, ...pol.egress]) {
      if (r.peers.kind === "any") continue;
      for (const peer of r.peers.peers) if (peer.kind === "ipBlock") [peer.cidr, ...peer.except].forEach(add);
    }
  }
  for (const s of cluster.services?.services ?? []) {
    if (s.clusterIPs.kind === "ips") s.clusterIPs.ips.forEach(add);
    [...s.externalIPs, ...s.loadBalancerIPs, ...s.loadBalancerSourceRanges].forEach(add);
    for (const port of s.ports) for (const e of port.endpoints) add(e.ip);
  }
  const detect = cluster.services?.kubeProxy.detectLocal;
  if (detect?.kind === "cidr") detect.cidrs.forEach(add);
  return out;
}

/** `[fd00::5]:8080` / `fd00::5` → the address. */
const dnatAddress = (arg: string): string => (arg.startsWith("[") ? arg.slice(1, arg.indexOf("]")) : arg);

/** The IPv6 addresses and prefixes the rules, sets and routes name. */
export function rulePrefixes6(ruleset: RuleSet, sets: Iterable<IpSet>, routes: readonly RouteCommand[]): string[] {
  const out: string[] = [];
  const add = (t: string): void => void (t.includes(":") && out.push(t));
  for (const t of ruleset.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const p of r.parts) if (p.kind === "source" || p.kind === "destination") add(p.value);
        if (r.target?.kind === "jump") for (const o of r.target.options) if (o.name === "to-destination" || o.name === "to-source") o.args.forEach((a) => add(dnatAddress(a)));
      }
    }
  }
  for (const s of sets) for (const m of s.members) add(m.value.split(",")[0]!);
  for (const cmd of routes) {
    if ("cidr" in cmd) add(cmd.cidr);
    if (cmd.kind === "via") add(cmd.via);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Translation into the image. Anything that cannot be translated makes the whole IPv6 check UNKNOWN (an Error).

export class ImageError extends Error {}

function must(v: string | null, what: string): string {
  if (v === null) throw new ImageError(`no IPv4 image for ${what}`);
  return v;
}

const v6 = (t: string): boolean => t.includes(":");

/** The snapshot as its IPv6 side sees it, in the image: IPv6 addresses only; IPv4 ipBlocks dropped (they match no IPv6 packet). */
export function imageModel(model: Model, img: Image6): Model {
  const { cluster } = model;
  const pods: Pod[] = cluster.pods.map((p) => ({ ...p, ips: p.ips.filter(v6).map((ip) => must(img.addr(ip), `pod ${p.namespace}/${p.name} ${ip}`)) }));
  const nodes: Node[] = cluster.nodes.map((n) => ({
    ...n,
    ip: n.ip6 === null ? null : must(img.addr(n.ip6), `node ${n.name} ${n.ip6}`),
    ipPrefix: null,
    ip6: null,
    tunnelAddress: null,
    vxlanTunnelAddress: null,
    vxlanMac: null,
  }));
  // IPv6 pools are BGP-native (IPIP never carries IPv6; VXLAN over IPv6 is not modelled).
  const pools: IPPool[] = cluster.pools.filter((p) => v6(p.cidr)).map((p) => ({ ...p, cidr: must(img.cidr(p.cidr), `pool ${p.name}`), ipipMode: "Never", vxlanMode: "Never" }));
  const blocks = cluster.addressing.blocks.filter((b) => v6(b.cidr)).map((b) => ({ ...b, cidr: must(img.cidr(b.cidr), `block ${b.cidr}`) }));
  const translated: Cluster = {
    ...cluster,
    pods,
    nodes,
    pools,
    ipam: null,
    addressing: { ...cluster.addressing, blocks, nodes: new Map() },
    ...(cluster.services ? { services: imageServices(cluster.services, img) } : {}),
  };
  return { cluster: translated, policies: model.policies.map((p) => imagePolicy(p, img)) };
}

function imagePolicy(p: NetworkPolicy, img: Image6): NetworkPolicy {
  const rules = (rs: readonly PolicyRule[]): PolicyRule[] =>
    rs.flatMap((r): PolicyRule[] => {
      if (r.peers.kind === "any") return [r];
      const peers = r.peers.peers.flatMap((peer): Peer[] => {
        if (peer.kind !== "ipBlock") return [peer];
        if (!v6(peer.cidr)) return [];
        return [{ ...peer, cidr: must(img.cidr(peer.cidr), `ipBlock ${peer.cidr}`), except: peer.except.map((e) => must(img.cidr(e), `except ${e}`)) }];
      });
      // A rule whose every peer was an IPv4 ipBlock matches no IPv6 packet: it is gone (not "every peer").
      return peers.length ? [{ ...r, peers: { kind: "peers", peers } }] : [];
    });
  return { ...p, ingress: rules(p.ingress), egress: rules(p.egress) };
}

function imageServices(m: ServiceModel, img: Image6): ServiceModel {
  const ips = (xs: readonly string[], what: string): string[] => xs.filter(v6).map((x) => must(img.addr(x), what));
  const cidrs = (xs: readonly string[], what: string): string[] => xs.filter(v6).map((x) => must(img.cidr(x), what));
  const services: Service[] = m.services.map((s) => ({
    ...s,
    clusterIPs: s.clusterIPs.kind === "ips" ? { kind: "ips", ips: ips(s.clusterIPs.ips, `${s.namespace}/${s.name} cluster IP`) } : s.clusterIPs,
    externalIPs: ips(s.externalIPs, `${s.namespace}/${s.name} external IP`),
    loadBalancerIPs: ips(s.loadBalancerIPs, `${s.namespace}/${s.name} load-balancer IP`),
    loadBalancerSourceRanges: cidrs(s.loadBalancerSourceRanges, `${s.namespace}/${s.name} source range`),
    ports: s.ports.map((port) => ({
      ...port,
      endpoints: port.endpoints.filter((e) => v6(e.ip)).map((e): Endpoint => ({ ...e, ip: must(img.addr(e.ip), `endpoint ${e.ip}`) })),
    })),
  }));
  const detect = m.kubeProxy.detectLocal;
  const kubeProxy = detect.kind === "cidr" ? { ...m.kubeProxy, detectLocal: { kind: "cidr" as const, cidrs: cidrs(detect.cidrs, "detectLocal CIDR") } } : m.kubeProxy;
  return { ...m, services, kubeProxy };
}

/** `-s`/`-d` values, DNAT/SNAT targets, ICMPv6 matches → their IPv4 image (`-p ipv6-icmp -m icmp6 --icmpv6-type` → `-p icmp -m icmp --icmp-type`). */
export function imageRuleSet(rs: RuleSet, img: Image6): RuleSet {
  const part = (p: RulePart): RulePart => {
    if (p.kind === "source" || p.kind === "destination") return { ...p, value: must(img.cidr(p.value), `${p.kind} ${p.value}`) };
    if (p.kind === "protocol" && (p.value === "ipv6-icmp" || p.value === "icmpv6" || p.value === "58")) return { ...p, value: "icmp" };
    if (p.kind === "match" && p.module === "icmp6") return { ...p, module: "icmp", options: p.options.map((o) => (o.name === "icmpv6-type" ? { ...o, name: "icmp-type" } : o)) };
    return p;
  };
  const option = (o: RuleOption): RuleOption => {
    if (o.name !== "to-destination" && o.name !== "to-source") return o;
    return { ...o, args: o.args.map((a) => {
      const addr = dnatAddress(a);
      const port = a.startsWith("[") ? a.slice(a.indexOf("]") + 1) : "";
      return must(img.addr(addr), `NAT target ${a}`) + port;
    }) };
  };
  const target = (t: Target | null): Target | null => (t?.kind === "jump" ? { ...t, options: t.options.map(option) } : t);
  const rule = (r: Rule): Rule => ({ ...r, parts: r.parts.map(part), target: target(r.target) });
  // The base chains (RuleSet.hooks, a ruleset read from .nft) are the same in the image: only addresses change.
  return { ...rs, tables: rs.tables.map((t) => ({ ...t, chains: t.chains.map((c) => ({ ...c, rules: c.rules.map(rule) })) })) };
}

/** The `cali60` sets in the image (`family inet`), members translated; IPv4 sets are not the IPv6 side's. */
export function imageIpSets(sets: Iterable<IpSet>, img: Image6): IpSet[] {
  const out: IpSet[] = [];
  for (const s of sets) {
    const family = s.options[s.options.indexOf("family") + 1];
    if (family !== "inet6") continue;
    const options = s.options.map((o) => (o === "inet6" ? "inet" : o));
    const members = s.members.map((m) => {
      const [addr, ...rest] = m.value.split(",");
      const mapped = must(addr!.includes("/") ? img.cidr(addr!) : img.addr(addr!), `set ${s.name} member ${m.value}`);
      return { ...m, value: [mapped, ...rest].join(",") };
    });
    out.push({ ...s, options, members });
  }
  return out;
}

/** The node's IPv6 routes in the image (IPv4 routes are the IPv4 side's). */
export function imageRoutes(cmds: readonly RouteCommand[], img: Image6): RouteCommand[] {
  return cmds.flatMap((c): RouteCommand[] => {
    if (!("cidr" in c) || !v6(c.cidr)) return [];
    const cidr = must(img.cidr(c.cidr), `route ${c.cidr}`);
    if (c.kind === "via") return [{ ...c, cidr, via: must(img.addr(c.via), `route via ${c.via}`) }];
    return [{ ...c, cidr }];
  });
}

// ---------------------------------------------------------------------------
// The IPv6 check itself: the rules of each node's IPv6 side, imaged, through the IPv4 verify.

/** One node's IPv6 side as verify reads it: its `.ip6tables` (parsed, with line numbers), its sets (both families) and route table. */
export interface NodeRules6 {
  readonly node: string;
  readonly ruleset: RuleSet;
  readonly file: string;
  readonly sets: readonly IpSet[];
  readonly routes: RouteTable | null;
}

export type IPv6Verify =
  | { readonly kind: "verified"; readonly report: VerifyReportData; readonly display: (text: string) => string; readonly fallback: string | null }
  | { readonly kind: "unknown"; readonly reason: string };

/** The IPv4 image of a dual-stack snapshot's IPv6 side: a verify context over it, the imaged rules, and the mapping. */
export type ImageContext =
  | { readonly kind: "ok"; readonly ctx: VerifyContext; readonly rules: ReadonlyMap<string, NodeRules>; readonly img: Image6 }
  | { readonly kind: "unknown"; readonly reason: string };

/**
 * Image the snapshot and every node's IPv6 rules, sets and routes (imageOf), with `extra` addresses (an explain
 * flow's own) in the image too, and make the IPv4 verify context of the image.
 */
export function imageContext(
  snapshot: CompiledSnapshot, places: readonly WorkloadPlace[], rules6: ReadonlyMap<string, NodeRules6>, simulate: Simulate, extra: readonly string[] = [],
): ImageContext {
  const compiled = (node: string): readonly RouteCommand[] => snapshot.routes(node).routes;
  const prefixes = [...modelPrefixes6(snapshot.model), ...extra];
  for (const n of snapshot.model.cluster.nodes) prefixes.push(...rulePrefixes6({ tables: [] }, [], compiled(n.name)));
  for (const r of rules6.values()) prefixes.push(...rulePrefixes6(r.ruleset, r.sets, (r.routes?.routes ?? []).map((x) => x.cmd)));
  const img = imageOf(prefixes);
  if ("error" in img) return { kind: "unknown", reason: img.error };
  try {
    const model = imageModel(snapshot.model, img);
    const imaged = (table: RouteTable): RouteTable => ({
      ...table,
      routes: table.routes.flatMap((r) => imageRoutes([r.cmd], img).map((cmd) => ({ cmd, line: r.line }))),
      fdbFile: null,
      fdb: [],
    });
    const rules = new Map<string, NodeRules>();
    for (const [node, r] of rules6) {
      const sets = imageIpSets(r.sets, img);
      rules.set(node, {
        node,
        ruleset: imageRuleSet(r.ruleset, img),
        ipsets: new Map(sets.map((s) => [s.name, s])),
        file: r.file,
        ...(r.routes ? { routes: imaged(r.routes) } : {}),
      });
    }
    const places6 = places.flatMap((p): WorkloadPlace[] => (p.ip6 === null ? [] : [{ ...p, ip: must(img.addr(p.ip6), `pod ${p.namespace}/${p.pod}`), ip6: null }]));
    const ctx = contextOf(
      { model, sources: snapshot.sources, routes: (node) => ({ routes: imageRoutes(compiled(node), img), fdb: [] }), programs: { workloads: () => places6 } },
      simulate,
    );
    return { kind: "ok", ctx, rules, img };
  } catch (e) {
    if (e instanceof ImageError) return { kind: "unknown", reason: e.message };
    throw e;
  }
}

/**
 * Verify the IPv6 side: the IPv4 verify of its image (imageContext) — class verify, or every flow one by one where
 * class verify falls back or `exhaustive` (--exhaustive) asks for it.
 */
export function verifyIPv6(
  snapshot: CompiledSnapshot, places: readonly WorkloadPlace[], rules6: ReadonlyMap<string, NodeRules6>, simulate: Simulate,
  onlyNodes: readonly string[], steps: Steps = NO_STEPS, exhaustive = false,
): IPv6Verify {
  const image = imageContext(snapshot, places, rules6, simulate);
  if (image.kind === "unknown") return image;
  const { ctx, rules, img } = image;
  const res = exhaustive ? null : verifyClassReport(ctx, rules, onlyNodes, steps, "verifying IPv6");
  if (res?.report) return { kind: "verified", report: res.report, display: img.display, fallback: null };
  const { flows } = plannedFlows(ctx, onlyNodes, rules);
  steps.stage("verifying IPv6", flows.length, "flows");
  return { kind: "verified", report: verifyReport(ctx, rules, flows, () => steps.tick()), display: img.display, fallback: res?.fallback ?? null };
}

// ipset membership as the kernel's `-m set --match-set NAME flags` tests it
// (net/netfilter/ipset/ip_set_core.c ip_set_test and the hash:* / bitmap:port
// kadt functions), over numeric IPv4 keys. An IpSet is compiled into
// per-prefix-length hash maps (compileSet); the simulator that walks it keeps
// the compiled form (index.ts createSimulator).
//
// Kernel facts encoded here:
// - A match whose flags name fewer dimensions than the set has never matches
//   (ip_set_test: `opt->dim < set->type->dimension` → 0); extra flags are ignored.
// - A set of the other family never matches (same check on family).
// - hash:net* look the packet up from the most specific stored prefix to the
//   least; the first hit decides, and a `nomatch` hit means "not in the set"
//   (-ENOTEMPTY, unless --return-nomatch, which the match compiler rejects).
// - Port dimensions key on (protocol, port): tcp/udp/sctp/udplite use the port,
//   ICMP uses type<<8|code, any other protocol uses port 0 (ip_set_get_ip4_port).
import type { IpSet } from "../rules/ipset.js";
import type { Packet } from "./types.js";
import { ipv4, parseCidr, prefixMask, protocolNumber, PORT_PROTOCOLS } from "./ip.js";

/** The fields a set lookup reads, already numeric. */
export interface SetKeyView {
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly srcPort: number;
  readonly dstPort: number;
  /** ICMP type<<8|code, or null when the packet does not say. */
  readonly icmp: number | null;
}

type Lookup = (v: SetKeyView, dirs: readonly boolean[]) => boolean | null;

export interface CompiledSet {
  readonly dimension: number;
  readonly inet6: boolean;
  /** Why membership cannot be decided (an unparseable member); null if it can. */
  readonly unknown: string | null;
  readonly lookup: Lookup;
}

const DIMENSION: Readonly<Record<IpSet["type"], number>> = {
  "hash:net": 1, "hash:ip": 1, "hash:ip,port": 2, "hash:net,port": 2, "hash:ip,port,ip": 3, "bitmap:port": 1,
};

/**
 * "tcp:80" / "80" (tcp is ipset's default) / "icmp:8/0" / "gre:0" → [proto, port].
 * ICMP names are not resolved (ipset save prints type/code numbers).
 */
function parseProtoPort(s: string): [number, number] | null {
  const colon = s.indexOf(":");
  const proto = colon < 0 ? 6 : protocolNumber(s.slice(0, colon));
  const rest = colon < 0 ? s : s.slice(colon + 1);
  if (proto === null) return null;
  if (proto === 1) {
    const m = /^(\d{1,3})\/(\d{1,3})$/.exec(rest);
    return m ? [proto, (+m[1]! << 8) | +m[2]!] : null;
  }
  return /^\d{1,5}$/.test(rest) && +rest <= 65535 ? [proto, +rest] : null;
}

/** The (proto, port) the kernel keys a packet on for one port dimension; null if unknown. */
function packetPort(v: SetKeyView, src: boolean): number | null {
  if (PORT_PROTOCOLS.has(v.proto)) return src ? v.srcPort : v.dstPort;
  if (v.proto === 1) return v.icmp;
  return 0;
}

/**
 * Longest-prefix table: prefix lengths most specific first, each with its keys → nomatch. Addresses alone (a set of
 * one dimension: no suffix) are keyed by their number, without building a string per lookup: verify asks every
 * such set about every pod address.
 */
class PrefixTable {
  private readonly byLen = new Map<number, Map<string, boolean>>();
  private readonly byLenNum = new Map<number, Map<number, boolean>>();
  lens: number[] = [];
  private numLens: Array<[number, Map<number, boolean>]> = [];

  add(net: number, len: number, suffix: string, nomatch: boolean): void {
    if (suffix === "") {
      let m = this.byLenNum.get(len);
      if (!m) this.byLenNum.set(len, (m = new Map()));
      m.set(net, nomatch);
      this.numLens = [...this.byLenNum].sort((a, b) => b[0] - a[0]);
      return;
    }
    let m = this.byLen.get(len);
    if (!m) this.byLen.set(len, (m = new Map()));
    m.set(`${net}${suffix}`, nomatch);
    this.lens = [...this.byLen.keys()].sort((a, b) => b - a);
  }

  test(addr: number, suffix: string): boolean {
    if (suffix === "") {
      for (const [len, m] of this.numLens) {
        const hit = m.get((addr & prefixMask(len)) >>> 0);
        if (hit !== undefined) return !hit;
      }
      return false;
    }
    for (const len of this.lens) {
      const hit = this.byLen.get(len)!.get(`${(addr & prefixMask(len)) >>> 0}${suffix}`);
      if (hit !== undefined) return !hit;
    }
    return false;
  }
}

function compileNetLike(set: IpSet, netmask: number): CompiledSet {
  const dim = DIMENSION[set.type];
  const table = new PrefixTable();
  const exact = new Set<string>();
  for (const mem of set.members) {
    const fields = mem.value.split(",");
    const cidr = parseCidr(fields[0] ?? "");
    const pp = dim >= 2 ? parseProtoPort(fields[1] ?? "") : null;
    const ip2 = dim === 3 ? ipv4(fields[2] ?? "") : 0;
    if (cidr === null || cidr.len < 0 || (dim >= 2 && pp === null) || ip2 === null) {
      return { dimension: dim, inet6: false, unknown: `ipset ${set.name}: member '${mem.value}' is not modelled`, lookup: () => null };
    }
    const len = set.type.startsWith("hash:ip") ? Math.min(cidr.len, netmask) : cidr.len;
    const suffix = pp ? `|${pp[0]}|${pp[1]}${dim === 3 ? `|${ip2}` : ""}` : "";
    if (dim === 3) exact.add(`${(cidr.net & prefixMask(len)) >>> 0}${suffix}`);
    else table.add((cidr.net & prefixMask(len)) >>> 0, len, suffix, mem.nomatch === true);
  }
  const lookup: Lookup = (v, dirs) => {
    const a = dirs[0]! ? v.src : v.dst;
    if (dim === 1) return table.test(a, "");
    const port = packetPort(v, dirs[1]!);
    if (port === null) return null;
    if (dim === 2) return table.test(a, `|${v.proto}|${port}`);
    const ip2 = dirs[2]! ? v.src : v.dst;
    return exact.has(`${(a & prefixMask(netmask)) >>> 0}|${v.proto}|${port}|${ip2}`);
  };
  return { dimension: dim, inet6: false, unknown: null, lookup };
}

/** bitmap:port: ports or "a-b" ranges; only TCP and UDP packets carry a port for it (ip_set_get_ip_port). */
function compileBitmapPort(set: IpSet): CompiledSet {
  const ranges: Array<[number, number]> = [];
  for (const mem of set.members) {
    const m = /^(?:(?:tcp|udp):)?(\d{1,5})(?:-(\d{1,5}))?$/.exec(mem.value);
    if (!m) return { dimension: 1, inet6: false, unknown: `ipset ${set.name}: member '${mem.value}' is not modelled`, lookup: () => null };
    ranges.push([+m[1]!, +(m[2] ?? m[1]!)]);
  }
  const lookup: Lookup = (v, dirs) => {
    if (v.proto !== 6 && v.proto !== 17) return false;
    const p = dirs[0]! ? v.srcPort : v.dstPort;
    return ranges.some(([lo, hi]) => p >= lo && p <= hi);
  };
  return { dimension: 1, inet6: false, unknown: null, lookup };
}

export function compileSet(set: IpSet): CompiledSet {
  const opt = (name: string): string | undefined => {
    const i = set.options.indexOf(name);
    return i < 0 ? undefined : set.options[i + 1];
  };
  if (opt("family") === "inet6") return { dimension: DIMENSION[set.type], inet6: true, unknown: null, lookup: () => false };
  if (set.type === "bitmap:port") return compileBitmapPort(set);
  const netmask = opt("netmask");
  return compileNetLike(set, netmask !== undefined && /^\d+$/.test(netmask) ? Math.min(+netmask, 32) : 32);
}

/** An IPv4 set (family inet, the default) whose members are not widened by a netmask. */
function inetWithoutNetmask(set: IpSet): boolean {
  const opt = (name: string): string | undefined => {
    const i = set.options.indexOf(name);
    return i < 0 ? undefined : set.options[i + 1];
  };
  return opt("netmask") === undefined && (opt("family") ?? "inet") === "inet";
}

/**
 * The address ranges of a set whose membership is "some member holds the address": an IPv4 hash:net or hash:ip of
 * addresses and CIDRs, no nomatch member, no netmask (compileSet's lookup answers exactly so for it). Null for any
 * other set, whose members must be asked one address at a time. Class verify marks every pod a range holds at once.
 */
export function plainRanges(set: IpSet): Array<readonly [number, number]> | null {
  if ((set.type !== "hash:net" && set.type !== "hash:ip") || !inetWithoutNetmask(set)) return null;
  const out: Array<readonly [number, number]> = [];
  for (const mem of set.members) {
    if (mem.nomatch === true || mem.value.includes(",")) return null;
    const cidr = parseCidr(mem.value);
    if (cidr === null || cidr.len < 0) return null;
    const lo = (cidr.net & prefixMask(cidr.len)) >>> 0;
    out.push([lo, lo + 2 ** (32 - cidr.len) - 1]);
  }
  return out;
}

/**
 * The address ranges outside which no member of an IPv4 hash:ip, hash:net, hash:ip,port or hash:net,port set can hold
 * an address: each member's address part, nomatch members included (no netmask). Every address outside them gets one
 * same answer from the set, whatever its port; null for any other set. Class verify asks such a set only about the
 * pods inside them.
 */
export function addressCover(set: IpSet): Array<readonly [number, number]> | null {
  if (!["hash:ip", "hash:net", "hash:ip,port", "hash:net,port"].includes(set.type) || !inetWithoutNetmask(set)) return null;
  const out: Array<readonly [number, number]> = [];
  for (const mem of set.members) {
    const cidr = parseCidr(mem.value.split(",")[0]!);
    if (cidr === null || cidr.len < 0) return null;
    const lo = (cidr.net & prefixMask(cidr.len)) >>> 0;
    out.push([lo, lo + 2 ** (32 - cidr.len) - 1]);
  }
  return out;
}

/** "src" | "dst,dst" | … → one boolean per dimension (true = source); null if malformed. */
export function parseSetFlags(flags: string): boolean[] | null {
  const out: boolean[] = [];
  for (const f of flags.split(",")) {
    if (f !== "src" && f !== "dst") return null;
    out.push(f === "src");
  }
  return out.length >= 1 && out.length <= 6 ? out : null;
}

/** Membership of an IPv4 packet in a compiled set; null when it cannot be decided (the reason is `setUnknown`). */
export function setTest(c: CompiledSet, dirs: readonly boolean[], v: SetKeyView): boolean | null {
  if (dirs.length < c.dimension || c.inet6) return false;
  return c.unknown !== null ? null : c.lookup(v, dirs);
}

/** Why `setTest` returned null for this set (member or packet field not modelled). */
export function setUnknown(set: IpSet, c: CompiledSet): string {
  return c.unknown ?? `ipset ${set.name} (${set.type}): ICMP packet without icmpType`;
}

export function packetKeyView(p: Packet): SetKeyView | null {
  const src = ipv4(p.src);
  const dst = ipv4(p.dst);
  const proto = protocolNumber(p.protocol);
  if (src === null || dst === null || proto === null) return null;
  const icmp = p.icmpType === undefined ? null : (p.icmpType << 8) | (p.icmpCode ?? 0);
  return { src, dst, proto, srcPort: p.srcPort, dstPort: p.dstPort, icmp };
}

/**
 * Would `-m set --match-set <set> <flags>` match this packet? Throws when the
 * answer is not knowable (IPv6 packet, unparseable member, ICMP packet without
 * a type for a port set): a wrong boolean would be a silent guess. One
 * question: the set is compiled for it and not kept.
 */
export function ipsetContains(set: IpSet, flags: string, packet: Packet): boolean {
  const dirs = parseSetFlags(flags);
  if (dirs === null) throw new Error(`ipsetContains: bad flags '${flags}'; expected src|dst[,src|dst…]`);
  const view = packetKeyView(packet);
  if (view === null) throw new Error(`ipsetContains: packet ${packet.src} → ${packet.dst} (${packet.protocol}) is not an IPv4 packet the simulator models`);
  const c = compileSet(set);
  const r = setTest(c, dirs, view);
  if (r === null) throw new Error(`ipsetContains: ${setUnknown(set, c)}`);
  return r;
}

// Numeric IPv4 addresses, CIDRs, protocol numbers and port ranges for the
// packet simulator. Addresses are unsigned 32-bit numbers so that CIDR and
// hash:net membership is one mask-and-compare (verify calls the simulator
// ~10^5 times per run; string work per packet would dominate).

/**
 * "a.b.c.d" → unsigned 32-bit number; null for anything else (IPv6, hostnames,
 * junk). A char loop rather than split/regex: it runs for every simulated packet.
 */
export function ipv4(s: string): number | null {
  let n = 0;
  let octet = -1;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (octet < 0 || ++dots > 3) return null;
      n = n * 256 + octet;
      octet = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57 && ++digits <= 3) {
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      if (octet > 255) return null;
    } else return null;
  }
  return dots === 3 && octet >= 0 ? n * 256 + octet : null;
}

/** The netmask of a prefix length as an unsigned number (/0 → 0). */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export interface Cidr {
  /** Network address, already masked. */
  readonly net: number;
  readonly mask: number;
  /** Prefix length; -1 for a non-contiguous dotted mask (legal for iptables -s/-d). */
  readonly len: number;
}

/**
 * `-s`/`-d` and ipset member syntax: "10.0.0.1", "10.0.0.0/8", or iptables'
 * dotted-mask form "10.0.0.0/255.0.0.0" (iptables-save prints a dotted mask
 * when it is not contiguous). Null for IPv6 or anything else.
 */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf("/");
  const addr = ipv4(slash < 0 ? s : s.slice(0, slash));
  if (addr === null) return null;
  if (slash < 0) return { net: addr, mask: 0xffffffff, len: 32 };
  const m = s.slice(slash + 1);
  if (/^\d{1,2}$/.test(m) && +m <= 32) {
    const mask = prefixMask(+m);
    return { net: (addr & mask) >>> 0, mask, len: +m };
  }
  const dotted = ipv4(m);
  if (dotted === null) return null;
  return { net: (addr & dotted) >>> 0, mask: dotted, len: -1 };
}

export function inCidr(addr: number, c: Cidr): boolean {
  return ((addr & c.mask) >>> 0) === c.net;
}

/** 127.0.0.0/8: loopback is always LOCAL to the kernel (a `local` route in table local). */
export function isLoopback(addr: number): boolean {
  return addr >>> 24 === 127;
}

export function isMulticast(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

/**
 * Protocol names as iptables resolves them through /etc/protocols (netbase's
 * file; `ipencap` is 4 there, while `ipip` is 94). Numbers pass through.
 */
const PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ["all", 0], ["icmp", 1], ["igmp", 2], ["ipencap", 4], ["tcp", 6], ["udp", 17],
  ["gre", 47], ["esp", 50], ["ah", 51], ["ipv6-icmp", 58], ["icmpv6", 58], ["ipip", 94], ["sctp", 132], ["udplite", 136],
]);

/** Protocol name or number → number; null if unknown (the caller reports it). */
export function protocolNumber(p: string): number | null {
  const lower = p.toLowerCase();
  const named = PROTOCOLS.get(lower);
  if (named !== undefined) return named;
  return /^\d{1,3}$/.test(lower) && +lower <= 255 ? +lower : null;
}

/** Protocols whose header carries 16-bit source and destination ports at the same offsets. */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 132, 136]);

export interface PortRange {
  readonly lo: number;
  readonly hi: number;
}

/**
 * One port or range as the tcp/udp/multiport matches take it: "80", "80:90",
 * ":90" (from 0), "80:" (to 65535) — iptables-extensions(8) tcp --dport.
 * Service names are not resolved (iptables-save always prints numbers): null.
 */
export function parsePortRange(s: string): PortRange | null {
  const colon = s.indexOf(":");
  const port = (x: string, dflt: number): number | null => {
    if (x === "") return dflt;
    return /^\d{1,5}$/.test(x) && +x <= 65535 ? +x : null;
  };
  if (colon < 0) {
    const p = port(s, -1);
    return p === null || p < 0 ? null : { lo: p, hi: p };
  }
  const lo = port(s.slice(0, colon), 0);
  const hi = port(s.slice(colon + 1), 65535);
  return lo === null || hi === null ? null : { lo, hi };
}

/** A comma-separated multiport list; null if any element is unparseable. */
export function parsePortList(s: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const item of s.split(",")) {
    const r = parsePortRange(item);
    if (r === null) return null;
    out.push(r);
  }
  return out;
}

export function inPorts(port: number, ranges: readonly PortRange[]): boolean {
  for (const r of ranges) if (port >= r.lo && port <= r.hi) return true;
  return false;
}

/** Mark values as iptables takes them: hex ("0x10000") or decimal. */
export function parseMarkNumber(s: string): number | null {
  if (/^0x[0-9a-f]{1,8}$/i.test(s) || /^\d{1,10}$/.test(s)) {
    const n = Number(s);
    return n <= 0xffffffff ? n >>> 0 : null;
  }
  return null;
}

/** "value[/mask]"; the mask defaults to 0xffffffff (iptables-extensions(8) mark, MARK). */
export function parseValueMask(s: string): { value: number; mask: number } | null {
  const slash = s.indexOf("/");
  const value = parseMarkNumber(slash < 0 ? s : s.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseMarkNumber(s.slice(slash + 1));
  return value === null || mask === null ? null : { value, mask };
}

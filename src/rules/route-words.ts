// The values of `ip -batch` / `bridge -batch` words, checked and put in the
// normal form the route writer prints (src/rules/route-parser.ts documents
// the whole normal form). Each check returns the normalised value or the
// reason it is rejected; the parser positions the message at the word.
//
// Addresses go through the strict parser and the one canonical formatter of
// src/frontend/validation/ip.ts (dotted quad; RFC 5952 IPv6), so an address
// read from a route file is the same string as the pod or node address the IR
// holds. ip itself is looser for IPv4 (lib/utils.c get_addr_ipv4 reads each
// part with strtoul base 0, so `010` is 8 and `10/8` is 10.0.0.0/8); those
// spellings are rejected here rather than guessed.
import { bitsOf, formatIP, maskOf, parseIP, type Family } from "../frontend/validation/ip.js";

export type Checked<T> = { readonly value: T } | { readonly error: string };

export interface Address {
  readonly family: Family;
  /** Canonical text. */
  readonly text: string;
  readonly value: bigint;
}

export interface Prefix extends Address {
  /** Canonical `address/length`. */
  readonly cidr: string;
}

function fail(error: string): { error: string } {
  return { error };
}

export function address(word: string): Checked<Address> {
  const ip = parseIP(word);
  if (ip) return { value: { family: ip.family, text: formatIP(ip.family, ip.value), value: ip.value } };
  if (parseIP(word, true)) return fail(`invalid address '${word}': a leading 0 is ambiguous (ip reads it as octal)`);
  return fail(`invalid address '${word}': expected an IPv4 (a.b.c.d) or IPv6 address`);
}

/** Host bits: `ip route` refuses them ("Invalid prefix for given prefix length"); an interface address keeps them. */
export type HostBits = "reject" | "keep";

/**
 * `address[/length]`; a bare address is one host (/32, /128). `default`,
 * `all` and `any` are ip's spellings of /0 (lib/utils.c get_prefix), in the
 * family the rest of the command gives (`defaultFamily`).
 */
export function prefix(word: string, hostBits: HostBits, defaultFamily: Family | null): Checked<Prefix> {
  if (defaultFamily !== null && (word === "default" || word === "all" || word === "any")) {
    const text = formatIP(defaultFamily, 0n);
    return { value: { family: defaultFamily, text, value: 0n, cidr: `${text}/0` } };
  }
  const slash = word.indexOf("/");
  const a = address(slash < 0 ? word : word.slice(0, slash));
  if ("error" in a) return a;
  const { family, value } = a.value;
  const bits = bitsOf(family);
  const lenText = slash < 0 ? String(bits) : word.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > bits) {
    return fail(`invalid prefix length in '${word}': expected 0-${bits}, in decimal`);
  }
  const len = Number(lenText);
  const network = value & maskOf(family, len);
  if (hostBits === "reject" && network !== value) {
    const fixed = `${formatIP(family, network)}/${len}`;
    return fail(`invalid prefix for given prefix length: '${word}' has host bits set (the network is ${fixed})`);
  }
  return { value: { ...a.value, cidr: `${a.value.text}/${len}` } };
}

/** `aa:bb:cc:dd:ee:ff` (one or two hex digits a byte, as ip's ll_addr_a2n reads) → lower case, two digits a byte. */
export function mac(word: string, unicast: boolean): Checked<string> {
  const parts = word.split(":");
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    return fail(`invalid MAC address '${word}': expected six hex bytes separated by ':'`);
  }
  const bytes = parts.map((p) => parseInt(p, 16));
  // A device's own address must be a unicast, non-zero one (the kernel's is_valid_ether_addr).
  if (unicast && ((bytes[0]! & 1) === 1 || bytes.every((b) => b === 0))) {
    return fail(`invalid device MAC address '${word}': a multicast or all-zero address cannot be a device's`);
  }
  return { value: bytes.map((b) => b.toString(16).padStart(2, "0")).join(":") };
}

const utf8 = new TextEncoder();

/** IFNAMSIZ is 16 bytes with the NUL, and the kernel's dev_valid_name refuses `.`, `..`, `/`, `:` and whitespace. */
export function interfaceName(word: string): Checked<string> {
  // Printable ASCII is one byte a character; only other names need encoding to be measured.
  if (word.length > 15 || (!/^[!-~]*$/.test(word) && utf8.encode(word).length > 15)) return fail(`invalid interface name '${word}': longer than 15 bytes`);
  if (word === "." || word === "..") return fail(`invalid interface name '${word}'`);
  if (/[/:\s]/.test(word)) return fail(`invalid interface name '${word}': it contains '/', ':' or whitespace`);
  return { value: word };
}

/** A decimal number in [min, max]; ip would also read hex and octal, which netpolc never writes. */
export function decimal(word: string, min: number, max: number, what: string): Checked<number> {
  if (!/^(0|[1-9][0-9]*)$/.test(word) || Number(word) < min || Number(word) > max) {
    return fail(`invalid ${what} '${word}': expected a decimal number from ${min} to ${max}`);
  }
  return { value: Number(word) };
}

/**
 * Route protocol names: iproute2's stock /etc/iproute2/rt_protos (its
 * built-in table lib/rt_names.c plus `openr`), the numbers <linux/rtnetlink.h> gives them.
 */
const PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [0, "unspec"], [1, "redirect"], [2, "kernel"], [3, "boot"], [4, "static"], [8, "gated"], [9, "ra"], [10, "mrt"],
  [11, "zebra"], [12, "bird"], [13, "dnrouted"], [14, "xorp"], [15, "ntk"], [16, "dhcp"], [18, "keepalived"],
  [42, "babel"], [99, "openr"], [186, "bgp"], [187, "isis"], [188, "ospf"], [189, "rip"], [192, "eigrp"],
]);
const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([...PROTOCOLS].map(([n, name]) => [name, n]));
/** ip's default for routes it adds; `ip route` never prints it (ip/iproute.c print_route). */
const RTPROT_BOOT = 3;

/** `proto` as `ip route` prints it: the stock name if there is one, else the number; `boot` is null (not printed). */
export function protocol(word: string): Checked<string | null> {
  const n = PROTOCOL_NUMBERS.get(word) ?? (/^(0|[1-9][0-9]{0,2})$/.test(word) && Number(word) <= 255 ? Number(word) : null);
  if (n === null) return fail(`invalid protocol '${word}': expected a name from iproute2's rt_protos (bird, static, kernel, …) or a number 0-255`);
  if (n === RTPROT_BOOT) return { value: null };
  return { value: PROTOCOLS.get(n) ?? String(n) };
}

/** rt_scopes names and numbers (<linux/rtnetlink.h> enum rt_scope_t). */
const SCOPES: ReadonlyMap<string, string> = new Map([
  ["global", "global"], ["universe", "global"], ["0", "global"], ["site", "site"], ["200", "site"],
  ["link", "link"], ["253", "link"], ["host", "host"], ["254", "host"], ["nowhere", "nowhere"], ["255", "nowhere"],
]);

/** The scope's name (`global`, `link`, …); other numbers are rejected. */
export function scope(word: string): Checked<string> {
  const s = SCOPES.get(word);
  return s ? { value: s } : fail(`invalid scope '${word}': expected global, site, link, host or nowhere`);
}

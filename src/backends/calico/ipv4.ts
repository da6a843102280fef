// The little IPv4 arithmetic the Calico backend needs: CIDR normalisation
// (§10.3.7), v4/v6 classification (§4.5) and block alignment (§9.2).
// Self-contained for IPv4 so a bug here cannot agree with the reference
// evaluator; IPv6 CIDRs are normalised with the frontend's validated parser.

import { networkOf, parseCIDR } from "../../frontend/validation/ip.js";

export interface Cidr4 {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefix: number;
}

/** Felix's test: a CIDR is IPv6 iff it contains `:` (§4.5). */
export function isV6(cidrOrIp: string): boolean {
  return cidrOrIp.includes(":");
}

/** Dotted quad: four groups of 1–3 digits, each ≤ 255 (leading zeros read as decimal). Runs per pod and route: no split or regex. */
export function parseIPv4(text: string): number | null {
  let acc = 0;
  let group = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      group = group * 10 + (c - 48);
      if (++digits > 3) return null;
    } else if (c === 46 && digits > 0 && dots < 3) {
      if (group > 255) return null;
      acc = acc * 256 + group;
      group = digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0 || group > 255) return null;
  return acc * 256 + group;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n` (or a bare address = /32) with host bits cleared; null if not IPv4. */
export function parseCidr4(text: string): Cidr4 | null {
  const [addr, len] = text.split("/");
  const ip = parseIPv4(addr ?? "");
  const prefix = len === undefined ? 32 : /^[0-9]{1,2}$/.test(len) ? Number(len) : NaN;
  if (ip === null || !(prefix >= 0 && prefix <= 32)) return null;
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIPv4(c.network)}/${c.prefix}`;
}

/**
 * Network-address form, as Calico's CIDR parsing leaves it (Go's IPNet.String(), ipv6-and-policy A4):
 * `10.1.2.3/8` → `10.0.0.0/8`, `FD00::C0A8:782/120` → `fd00::c0a8:700/120` (RFC 5952, host bits cleared).
 */
export function normalizeCidr(text: string): string {
  const c = parseCidr4(text);
  if (c) return formatCidr4(c);
  const v6 = isV6(text) ? parseCIDR(text.includes("/") ? text : `${text}/128`) : null;
  return v6 ? networkOf(v6) : text;
}

export function contains(c: Cidr4, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.network;
}

/** The `prefix`-aligned block holding `ip`. */
export function blockOf(ip: number, prefix: number): Cidr4 {
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

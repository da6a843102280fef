// Helpers shared by the IPAM decoders: which API group an object came from,
// block CIDRs read the way Calico reads them, node names, handle IDs, the
// deleted note, and the CIDR order every IPAM list is sorted in.
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import type { FieldReporter } from "../report.js";
import { cmp } from "../cluster/build.js";
import { bitsOf, formatCIDR, parseCIDR, type Family } from "../validation/ip.js";
import { dns1123Subdomain } from "../validation/names.js";

/** crd.projectcalico.org/v1, the CRDs of every Kubernetes-datastore cluster (else projectcalico.org/v3, spec §1.1). */
export function isV1(o: RawObject): boolean {
  return o.apiVersion === "crd.projectcalico.org/v1";
}

export const INVALID_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/** A block CIDR in network form, with what address arithmetic needs. */
export interface BlockCIDR {
  /** Canonical network form ("10.0.0.5/26" → "10.0.0.0/26"). */
  readonly text: string;
  readonly family: Family;
  readonly network: bigint;
  readonly prefix: number;
}

/**
 * Calico parses CIDRs with Go's net.ParseCIDR (the v3 CRDs' `format: cidr` is
 * the same parser), which refuses IPv4 octets and prefixes written with
 * leading zeros, unlike the API server's ParseCIDRSloppy for NetworkPolicy.
 */
export function blockCIDR(text: string, path: FieldPath, rep: FieldReporter, at?: Span): BlockCIDR | null {
  const c = parseCIDR(text);
  if (!c || c.ip.leadingZeros || c.prefixLeadingZeros) {
    rep.invalid(path, text, INVALID_CIDR, at);
    return null;
  }
  return { text: formatCIDR(c.ip.family, c.network, c.prefix), family: c.ip.family, network: c.network, prefix: c.prefix };
}

/** A required CIDR field: `Required value` when absent or empty. */
export function requiredCIDR(text: string | undefined, path: FieldPath, rep: FieldReporter): BlockCIDR | null {
  if (!text) {
    rep.required(path);
    return null;
  }
  return blockCIDR(text, path, rep);
}

/**
 * Node names reach rule comments, route files and diagnostics: they must be
 * what the API server allows for a Node (a DNS-1123 subdomain), so that no
 * text can be smuggled through an IPAM object. Returns whether it is one.
 */
export function checkNodeName(value: string, path: FieldPath, rep: FieldReporter): boolean {
  const errs = dns1123Subdomain(value);
  rep.invalidEach(path, value, errs);
  return errs.length === 0;
}

/**
 * Handle IDs: Calico stores each handle as an IPAMHandle named by the ID
 * lower-cased (ipam_handle.go parseKey), and the API server allows only
 * DNS-1123 subdomains as names, so every handle ID of a Kubernetes-datastore
 * cluster is one once lower-cased.
 */
export function checkHandleID(value: string, path: FieldPath, rep: FieldReporter): boolean {
  const errs = dns1123Subdomain(value.toLowerCase());
  rep.invalidEach(path, value, errs);
  return errs.length === 0;
}

/** Calico's list calls drop objects marked deleted (two-phase delete, §1.2/§1.3); so does netpolc, and says so. */
export function noteDeleted(o: RawObject, name: string, diag: DiagnosticSink): void {
  diag.note("ipam/deleted", o.root.span, `${o.kind} "${name}" has spec.deleted set: Calico treats it as already gone, so netpolc leaves it out`);
}

/** How many addresses a block holds (2^(bits − prefix)). */
export function addressCount(c: BlockCIDR): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

interface CIDRKey {
  readonly family: number;
  readonly network: bigint;
  readonly prefix: number;
}

function keyOf(cidr: string): CIDRKey {
  const c = parseCIDR(cidr);
  // Every CIDR in the IR was produced by blockCIDR, so it parses.
  return c ? { family: c.ip.family, network: c.network, prefix: c.prefix } : { family: 0, network: 0n, prefix: 0 };
}

function compareKeys(a: CIDRKey, b: CIDRKey): number {
  return a.family - b.family || (a.network < b.network ? -1 : a.network > b.network ? 1 : 0) || a.prefix - b.prefix;
}

/** Numeric CIDR order: IPv4 before IPv6, then network address, then prefix length; `tie` decides among equal CIDRs. */
export function sortedByCIDR<T>(items: readonly T[], cidrOf: (t: T) => string, tie: (a: T, b: T) => number): T[] {
  const keyed = items.map((item) => ({ item, key: keyOf(cidrOf(item)) }));
  // Sorted for determinism: numeric, never by text ("10.0.0.64/26" before "10.0.0.128/26").
  keyed.sort((a, b) => compareKeys(a.key, b.key) || tie(a.item, b.item));
  return keyed.map((k) => k.item);
}

/** Byte order of names, for ties. */
export function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return cmp(a.name, b.name);
}

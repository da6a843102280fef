// The API server's warnings for CIDR values that parse but are not written
// canonically (spec netpol-validation.md §5 "Warnings"; KEP-4858). They are
// warnings, not errors: the value means its masked network.
import { goQuote } from "../field-path.js";
import { bitsOf, formatCIDR, formatIP, networkOf, type ParsedCIDR } from "../validation/ip.js";

export interface CidrWarning {
  readonly kebab: string;
  /** Without the "<path>: " prefix. */
  readonly message: string;
}

export function cidrWarnings(value: string, c: ParsedCIDR): CidrWarning[] {
  const out: CidrWarning[] = [];
  const q = goQuote;
  if (c.network !== c.ip.value) {
    const single = `${formatIP(c.ip.family, c.ip.value)}/${bitsOf(c.ip.family)}`;
    out.push({ kebab: "ambiguous-cidr", message: `CIDR value ${q(value)} is ambiguous in this context (should be ${q(networkOf(c))} or ${q(single)}?)` });
  }
  if (c.ip.leadingZeros || c.prefixLeadingZeros || c.ip.v4Mapped) {
    // An IPv4-mapped IPv6 CIDR means the IPv4 CIDR 96 bits shorter.
    const canonical = c.ip.v4Mapped && c.prefix >= 96 ? formatCIDR(4, c.ip.value & 0xffffffffn, c.prefix - 96) : formatCIDR(c.ip.family, c.ip.value, c.prefix);
    out.push({ kebab: "non-standard-cidr", message: `non-standard CIDR value ${q(value)} will be considered invalid in a future Kubernetes release: use ${q(canonical)}` });
  } else if (c.ip.family === 6) {
    const canonical = formatCIDR(6, c.ip.value, c.prefix);
    if (canonical !== value) out.push({ kebab: "non-canonical-ipv6", message: `IPv6 CIDR value ${q(value)} should be in RFC 5952 canonical format (${q(canonical)})` });
  }
  return out;
}

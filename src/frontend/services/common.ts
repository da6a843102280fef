// Helpers shared by the Service, EndpointSlice, Endpoints and
// KubeProxyConfiguration decoders: address checks in the API server's words.
import type { Protocol } from "../../ir/cluster.js";
import type { FieldPath } from "../field-path.js";
import type { FieldReporter } from "../report.js";
import { formatIP, networkOf, parseCIDR, parseIP } from "../validation/ip.js";
import { INVALID_IP } from "../cluster/common.js";

/** Sorted as the API server's validation lists them (sets.List). */
export const PROTOCOLS: readonly string[] = ["SCTP", "TCP", "UDP"];

/** A valid address in canonical text, or null after reporting `Invalid value`. */
export function canonicalIP(text: string, path: FieldPath, rep: FieldReporter, sloppy = false): string | null {
  const ip = parseIP(text, sloppy);
  if (!ip) {
    rep.invalid(path, text, INVALID_IP);
    return null;
  }
  return formatIP(ip.family, ip.value);
}

/** A CIDR as its canonical network ("10.1.2.3/8" → "10.0.0.0/8"), or null after reporting `detail`. */
export function canonicalCIDR(text: string, path: FieldPath, rep: FieldReporter, detail: string): string | null {
  const c = parseCIDR(text);
  if (!c) {
    rep.invalid(path, text, detail);
    return null;
  }
  return networkOf(c);
}

/** spec.ports[].protocol and friends: defaulted to TCP, one of PROTOCOLS. */
export function protocolOf(value: string | undefined, path: FieldPath, rep: FieldReporter): Protocol {
  const p = value || "TCP";
  if (!PROTOCOLS.includes(p)) rep.notSupported(path, p, PROTOCOLS);
  return p as Protocol;
}

/** Kubernetes' conditions pointers: absent keeps the given default. */
export function boolOr(value: boolean | undefined, dflt: boolean): boolean {
  return value === undefined ? dflt : value;
}

/** IsDNS1035Label: Service names must start with a letter (apimachinery validation.IsDNS1035Label). */
export function dns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

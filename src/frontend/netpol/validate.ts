// NetworkPolicy API validation: every rule of spec/netpol-validation.md
// §2–§7, in the API server's order (§1 "Order of errors"): metadata, then
// spec.podSelector, then per ingress rule its ports then its peers, then the
// egress rules likewise, then policyTypes. Runs on the defaulted object.
import { FieldPath, goQuote } from "../field-path.js";
import type { FieldReporter } from "../report.js";
import { isStrictSubset, parseCIDR, type ParsedCIDR } from "../validation/ip.js";
import { validateObjectMeta } from "../validation/meta.js";
import { portName, portNumber } from "../validation/names.js";
import { cidrWarnings } from "./cidr-warnings.js";
import { validateLabelSelector } from "./selector.js";
import type { IPBlockJson, NetworkPolicyJson, PeerJson, PortJson } from "./types.js";

const SPEC = FieldPath.root("spec");
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const POLICY_TYPES = ["Ingress", "Egress"];
const INVALID_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

export function validateNetworkPolicy(np: NetworkPolicyJson, rep: FieldReporter): void {
  validateObjectMeta(np.metadata ?? {}, { namespaced: true, name: "subdomain" }, rep);
  const spec = np.spec ?? {};
  validateLabelSelector(spec.podSelector, SPEC.child("podSelector"), rep);
  for (const [dir, peersKey] of [["ingress", "from"], ["egress", "to"]] as const) {
    (spec[dir] ?? []).forEach((rule, i) => {
      const rulePath = SPEC.child(dir).index(i);
      (rule.ports ?? []).forEach((p, j) => validatePort(p, rulePath.child("ports").index(j), rep));
      (rule[peersKey] ?? []).forEach((peer, j) => validatePeer(peer, rulePath.child(peersKey).index(j), rep));
    });
  }
  validatePolicyTypes(spec.policyTypes ?? [], rep);
}

/** P1–P11: protocol, then port, then endPort (for a named port, endPort before the name checks). */
function validatePort(p: PortJson, path: FieldPath, rep: FieldReporter): void {
  if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) rep.notSupported(path.child("protocol"), p.protocol, PROTOCOLS);
  const endPath = path.child("endPort");
  if (typeof p.port === "number") {
    rep.invalidEach(path.child("port"), p.port, portNumber(p.port));
    if (p.endPort !== undefined) {
      // The spec (§4 P3, §11) prints endPort as the bad value here.
      if (p.endPort < p.port) rep.invalid(endPath, p.endPort, "must be greater than or equal to `port`");
      rep.invalidEach(endPath, p.endPort, portNumber(p.endPort));
    }
  } else if (typeof p.port === "string") {
    if (p.endPort !== undefined) rep.invalid(endPath, p.endPort, "may not be specified when `port` is non-numeric");
    rep.invalidEach(path.child("port"), p.port, portName(p.port));
  } else if (p.endPort !== undefined) {
    rep.invalid(endPath, p.endPort, "may not be specified when `port` is not specified");
  }
}

/** R1–R3: podSelector, namespaceSelector, ipBlock, then the peer-count rule. */
function validatePeer(peer: PeerJson, path: FieldPath, rep: FieldReporter): void {
  let count = 0;
  if (peer.podSelector) {
    count++;
    validateLabelSelector(peer.podSelector, path.child("podSelector"), rep);
  }
  if (peer.namespaceSelector) {
    count++;
    validateLabelSelector(peer.namespaceSelector, path.child("namespaceSelector"), rep);
  }
  if (peer.ipBlock) {
    count++;
    validateIPBlock(peer.ipBlock, path.child("ipBlock"), rep);
  }
  if (count === 0) rep.required(path, "must specify a peer");
  else if (count > 1 && peer.ipBlock) rep.forbidden(path, "may not specify both ipBlock and another peer");
}

/** B1–B4 and the §5 warnings. An unparsable cidr stops the except checks. */
function validateIPBlock(b: IPBlockJson, path: FieldPath, rep: FieldReporter): void {
  const cidrPath = path.child("cidr");
  if (!b.cidr) {
    rep.required(cidrPath);
    return;
  }
  const cidr = checkCIDR(b.cidr, cidrPath, rep);
  if (!cidr) return;
  (b.except ?? []).forEach((ex, k) => {
    const exPath = path.child("except").index(k);
    const parsed = checkCIDR(ex, exPath, rep);
    if (parsed && !isStrictSubset(cidr, parsed)) rep.invalid(exPath, ex, "must be a strict subset of `cidr`");
  });
}

function checkCIDR(value: string, path: FieldPath, rep: FieldReporter): ParsedCIDR | null {
  const parsed = parseCIDR(value);
  if (!parsed) {
    rep.invalid(path, value, INVALID_CIDR);
    return null;
  }
  for (const w of cidrWarnings(value, parsed)) rep.warning(w.kebab, path, `${path.toString()}: ${w.message}`);
  return parsed;
}

/** T1 (checked first; when it fires the entries are not checked), then T2. */
function validatePolicyTypes(types: readonly string[], rep: FieldReporter): void {
  const path = SPEC.child("policyTypes");
  if (types.length > POLICY_TYPES.length) {
    // field.Invalid prints the internal slice with Go's %#v.
    const goSyntax = `[]networking.PolicyType{${types.map(goQuote).join(", ")}}`;
    rep.invalid(path, { goSyntax }, "may not specify more than two policyTypes");
    return;
  }
  types.forEach((t, k) => {
    if (!POLICY_TYPES.includes(t)) rep.notSupported(path.index(k), t, POLICY_TYPES);
  });
}

// networking.k8s.io/v1 (and v1beta1) ServiceCIDR → its CIDRs, in canonical
// network form, validated as the API server validates them
// (pkg/apis/networking/validation ValidateServiceCIDR): at least one CIDR,
// at most two, two only as one per family, each a valid CIDR. kube-proxy's
// nftables proxier reads the union of every ServiceCIDR's CIDRs of its family
// for the "Drop traffic to unallocated ClusterIPs" rule (nftables.md §A.3).
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { parseCIDR, networkOf } from "../validation/ip.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";

interface ServiceCIDRJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: { readonly cidrs?: readonly string[] };
}

export interface DeclaredServiceCIDR {
  readonly name: string;
  /** Canonical networks, in spec order. */
  readonly cidrs: readonly string[];
  readonly span: Span;
}

const CIDRS = FieldPath.root("spec").child("cidrs");
const INVALID_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/** The spec as Go's %#v prints it in field.Invalid (the API server passes the whole spec as the bad value). */
const specValue = (cidrs: readonly string[]): { goSyntax: string } => ({
  goSyntax: `networking.ServiceCIDRSpec{CIDRs:[]string{${cidrs.map((c) => JSON.stringify(c)).join(", ")}}}`,
});

export function decodeServiceCIDR(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredServiceCIDR | null {
  const json = schemas.decode("servicecidr", o.root, diag) as ServiceCIDRJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "servicecidr");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const cidrs = validateCIDRs(json.spec?.cidrs ?? [], rep);
  if (rep.errorCount > 0 || cidrs === null) return null;
  return { name: meta.name ?? "", cidrs, span: o.root.span };
}

/** ValidateServiceCIDR's checks, in its order; null after an error. */
function validateCIDRs(given: readonly string[], rep: FieldReporter): string[] | null {
  if (given.length === 0) {
    rep.required(CIDRS, "at least one CIDR required");
    return null;
  }
  if (given.length > 2) {
    rep.invalid(CIDRS, specValue(given), "may only hold up to 2 values");
    return null;
  }
  const parsed = given.map((c) => parseCIDR(c));
  const [a, b] = parsed;
  if (given.length === 2 && (!a || !b || a.ip.family === b.ip.family)) {
    rep.invalid(CIDRS, specValue(given), "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64");
    return null;
  }
  const out: string[] = [];
  parsed.forEach((c, i) => {
    if (c) out.push(networkOf(c));
    else rep.invalid(CIDRS.index(i), given[i] ?? "", INVALID_CIDR);
  });
  return out.length === given.length ? out : null;
}

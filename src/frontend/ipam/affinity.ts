// BlockAffinity (crd.projectcalico.org/v1 and projectcalico.org/v3) → IR
// BlockAffinity (spec calico-routes §1.3): node, CIDR, state and type from
// spec, never from the name. The one difference between the groups is
// spec.deleted: a string in v1 ("kept a string for compatibility with older
// releases", the CRD says), a bool in v3; each group's schema accepts exactly
// its own type, as its CRD does.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { AffinityState, BlockAffinity } from "../../ir/ipam.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { checkNodeName, isV1, noteDeleted, requiredCIDR } from "./common.js";

interface BlockAffinityJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly state?: string;
    readonly node?: string;
    readonly type?: string;
    readonly cidr?: string;
    /** v1: "true"/"false" (strconv.ParseBool); v3: a bool. */
    readonly deleted?: string | boolean;
  };
}

/** A decoded affinity; `deleted` ones are dropped when the IPAM objects are assembled. */
export interface DeclaredBlockAffinity extends BlockAffinity {
  readonly deleted: boolean;
}

const SPEC = FieldPath.root("spec");
/** The v3 CRD's enum, in its order; "" (older data) reads as confirmed. */
const STATES: readonly string[] = ["", "confirmed", "pending", "pendingDeletion"];
const TYPES: readonly string[] = ["host", "virtual"];
/** What Go's strconv.ParseBool accepts; Calico reads the v1 string with it (ipam_affinity_v1.go). */
const PARSE_BOOL: ReadonlyMap<string, boolean> = new Map([
  ...["1", "t", "T", "TRUE", "true", "True"].map((s) => [s, true] as const),
  ...["0", "f", "F", "FALSE", "false", "False"].map((s) => [s, false] as const),
]);

export function decodeBlockAffinity(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredBlockAffinity | null {
  const v1 = isV1(o);
  const json = schemas.decode(v1 ? "blockaffinity" : "blockaffinity-v3", o.root, diag) as BlockAffinityJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "blockaffinity");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const spec = json.spec ?? {};
  const node = spec.node ?? "";
  if (!node) rep.required(SPEC.child("node"));
  else checkNodeName(node, SPEC.child("node"), rep);
  const cidr = requiredCIDR(spec.cidr, SPEC.child("cidr"), rep);
  const state = stateOf(spec.state ?? "", rep);
  const type = spec.type || "host";
  if (!TYPES.includes(type)) rep.notSupported(SPEC.child("type"), type, TYPES);
  const deleted = deletedOf(spec.deleted, rep);
  if (rep.errorCount > 0 || !cidr) return null;
  const name = meta.name ?? "";
  if (deleted) noteDeleted(o, name, diag);
  return { name, node, cidr: cidr.text, state, type: type as BlockAffinity["type"], span: o.root.span, deleted };
}

function stateOf(state: string, rep: FieldReporter): AffinityState {
  if (!STATES.includes(state)) rep.notSupported(SPEC.child("state"), state, STATES);
  return (state || "confirmed") as AffinityState;
}

/** The schema has already made sure the type is the group's; absent or "" = not deleted. */
function deletedOf(value: string | boolean | undefined, rep: FieldReporter): boolean {
  if (typeof value !== "string") return value ?? false;
  if (value === "") return false;
  const parsed = PARSE_BOOL.get(value);
  if (parsed === undefined) rep.invalid(SPEC.child("deleted"), value, 'must be "true" or "false"');
  return parsed ?? false;
}

// IPAMHandle (crd.projectcalico.org/v1 and projectcalico.org/v3) → IR
// IPAMHandle (spec calico-routes §1.4): the handle ID and how many addresses
// it holds in each block. Not needed for routes; it lets views cross-check
// blocks and handles as `calicoctl ipam check` does.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { IPAMHandle } from "../../ir/ipam.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { blockCIDR, checkHandleID, noteDeleted, sortedByCIDR } from "./common.js";

interface IPAMHandleJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly handleID?: string;
    readonly block?: Readonly<Record<string, number>>;
    readonly deleted?: boolean;
  };
}

/** A decoded handle; `deleted` ones are dropped when the IPAM objects are assembled. */
export interface DeclaredIPAMHandle extends IPAMHandle {
  readonly deleted: boolean;
}

const SPEC = FieldPath.root("spec");

export function decodeIPAMHandle(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredIPAMHandle | null {
  const json = schemas.decode("ipamhandle", o.root, diag) as IPAMHandleJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "ipamhandle");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const spec = json.spec ?? {};
  const handleId = spec.handleID ?? "";
  if (!handleId) rep.required(SPEC.child("handleID"));
  const idOk = handleId !== "" && checkHandleID(handleId, SPEC.child("handleID"), rep);
  const blocks = blocksOf(spec.block ?? {}, rep);
  if (rep.errorCount > 0) return null;
  const name = meta.name ?? "";
  if (idOk && handleId.toLowerCase() !== name) {
    // ipam_handle.go names the object after the ID lower-cased and looks it up by that name.
    rep.warning("name-mismatch", FieldPath.root("metadata").child("name"), `IPAMHandle "${name}" holds handle "${handleId}", which Calico stores and looks up under the name "${handleId.toLowerCase()}"`);
  }
  const deleted = spec.deleted ?? false;
  if (deleted) noteDeleted(o, name, diag);
  return { name, handleId, blocks, span: o.root.span, deleted };
}

/** spec.block: block CIDR → addresses held, keys in network form, sorted by CIDR. */
function blocksOf(block: Readonly<Record<string, number>>, rep: FieldReporter): Map<string, number> {
  const path = SPEC.child("block");
  const out = new Map<string, number>();
  for (const [key, count] of Object.entries(block)) {
    const cidr = blockCIDR(key, path, rep, rep.keySpan(path, key));
    if (count < 0) rep.invalid(path.key(key), count, "must be greater than or equal to 0");
    if (!cidr) continue;
    if (out.has(cidr.text)) rep.duplicate(path.key(key), key);
    else out.set(cidr.text, count);
  }
  // Sorted for determinism: keys in numeric CIDR order, whatever order the object listed them in.
  return new Map(sortedByCIDR([...out], ([cidr]) => cidr, () => 0));
}

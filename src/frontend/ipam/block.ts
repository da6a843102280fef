// IPAMBlock (crd.projectcalico.org/v1 and projectcalico.org/v3) → IR IPAMBlock
// (spec calico-routes §1.2). The CIDR comes from spec.cidr, never from the
// name; each allocated ordinal becomes an address (network + ordinal) with
// the owner facts of the attribute it points at. Fields Calico keeps for its
// own bookkeeping (unallocated, sequence numbers, affinityClaimTime, the
// deprecated per-block strictAffinity, alternateOwnerAttrs) are type-checked
// and otherwise ignored.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { BlockAffinityRef, IPAMAllocation, IPAMBlock } from "../../ir/ipam.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { formatIP } from "../validation/ip.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { dns1123Label, dns1123Subdomain } from "../validation/names.js";
import { addressCount, checkHandleID, checkNodeName, isV1, noteDeleted, requiredCIDR, type BlockCIDR } from "./common.js";

interface AttributeJson {
  readonly handle_id?: string;
  readonly secondary?: Readonly<Record<string, string>>;
}

interface IPAMBlockJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly cidr?: string;
    readonly affinity?: string;
    /** null = a free ordinal (the schema keeps nulls: Go's []*int). */
    readonly allocations?: readonly (number | null)[];
    readonly attributes?: readonly AttributeJson[];
    readonly deleted?: boolean;
  };
}

/** A decoded block; `deleted` ones are dropped when the IPAM objects are assembled. */
export interface DeclaredIPAMBlock extends IPAMBlock {
  readonly deleted: boolean;
}

/** The owner facts of one attribute: what IPAMAllocation carries besides its ordinal and address. */
type Owner = Omit<IPAMAllocation, "ordinal" | "address">;

const SPEC = FieldPath.root("spec");
const AFFINITY_KINDS: readonly string[] = ["host", "virtual"];
/** secondary.type values are camelCase words (ipipTunnelAddress, vxlanV6TunnelAddress, …); nothing else reaches output. */
const ATTRIBUTE_TYPE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export function decodeIPAMBlock(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredIPAMBlock | null {
  const json = schemas.decode("ipamblock", o.root, diag) as IPAMBlockJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "ipamblock");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const spec = json.spec ?? {};
  const cidr = requiredCIDR(spec.cidr, SPEC.child("cidr"), rep);
  const affinity = affinityOf(spec.affinity, isV1(o), rep);
  const owners = (spec.attributes ?? []).map((a, i) => ownerOf(a, SPEC.child("attributes").index(i), rep));
  const allocations = cidr ? allocationsOf(spec.allocations ?? [], cidr, owners, rep) : [];
  if (rep.errorCount > 0 || !cidr) return null;
  const name = meta.name ?? "";
  const deleted = spec.deleted ?? false;
  if (deleted) noteDeleted(o, name, diag);
  return { name, cidr: cidr.text, affinity, allocations, span: o.root.span, deleted };
}

/**
 * `host:<node>` or (3.30+) `virtual:<name>`; absent or null = affine to nobody.
 * The v1 CRD has no pattern and Calico reads an empty string as no affinity
 * (AllocationBlock.Host); the v3 CRD's pattern refuses it.
 */
function affinityOf(value: string | undefined, v1: boolean, rep: FieldReporter): BlockAffinityRef | null {
  const path = SPEC.child("affinity");
  if (value === undefined || (value === "" && v1)) return null;
  const colon = value.indexOf(":");
  const kind = colon < 0 ? "" : value.slice(0, colon);
  if (!AFFINITY_KINDS.includes(kind)) {
    rep.invalid(path, value, 'must be "host:<node name>" or "virtual:<name>"');
    return null;
  }
  const name = value.slice(colon + 1);
  if (!checkNodeName(name, path, rep)) return null;
  return { kind: kind as BlockAffinityRef["kind"], name };
}

/** attributes[i]: the handle and the owner named in `secondary`, each validated before it can reach output. */
function ownerOf(a: AttributeJson, path: FieldPath, rep: FieldReporter): Owner {
  const handle = a.handle_id || null;
  if (handle !== null) checkHandleID(handle, path.child("handle_id"), rep);
  const secondary = a.secondary ?? {};
  const at = (key: string): FieldPath => path.child("secondary").key(key);
  const node = secondary.node || null;
  if (node !== null) checkNodeName(node, at("node"), rep);
  const namespace = secondary.namespace || null;
  if (namespace !== null) rep.invalidEach(at("namespace"), namespace, dns1123Label(namespace));
  const pod = secondary.pod || null;
  if (pod !== null) rep.invalidEach(at("pod"), pod, dns1123Subdomain(pod));
  const type = secondary.type || null;
  if (type !== null && !ATTRIBUTE_TYPE.test(type)) {
    rep.invalid(at("type"), type, "must consist of alphanumeric characters, '-', '_' or '.', at most 63, starting and ending with an alphanumeric character");
  }
  return { handle, node, type, namespace, pod };
}

/** One slot per address (64 for a /26); null = free, an integer = the index of its attribute. Sorted by ordinal. */
function allocationsOf(slots: readonly (number | null)[], cidr: BlockCIDR, owners: readonly Owner[], rep: FieldReporter): IPAMAllocation[] {
  const path = SPEC.child("allocations");
  const size = addressCount(cidr);
  if (BigInt(slots.length) > size) {
    rep.tooMany(path, slots.length, size);
    return [];
  }
  const out: IPAMAllocation[] = [];
  slots.forEach((slot, ordinal) => {
    if (slot === null) return;
    const owner = slot >= 0 ? owners[slot] : undefined;
    if (!owner) {
      const detail = owners.length ? `must be null or the index of an entry of spec.attributes (0 to ${owners.length - 1})` : "must be null: spec.attributes is empty";
      rep.invalid(path.index(ordinal), slot, detail);
      return;
    }
    out.push({ ordinal, address: formatIP(cidr.family, cidr.network + BigInt(ordinal)), ...owner });
  });
  return out;
}

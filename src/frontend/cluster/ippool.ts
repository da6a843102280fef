// projectcalico.org/v3 IPPool → IR IPPool, with Calico's defaults for fields
// the object leaves out (ipipMode/vxlanMode Never, natOutgoing false,
// blockSize 26 for IPv4 and 122 for IPv6), and Calico's manifest default pool
// when the input has no IPPool at all. spec.nodeSelector is parsed here, so an
// invalid one is an error at the field and the IR carries its tree.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import { ALL, type CalicoSelector } from "../../ir/calico-selector.js";
import type { EncapMode, IPPool } from "../../ir/cluster.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { parseCalicoSelector } from "../validation/calico-selector.js";
import { networkOf, parseCIDR } from "../validation/ip.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";

interface IPPoolJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly cidr?: string;
    readonly ipipMode?: EncapMode;
    readonly vxlanMode?: EncapMode;
    readonly natOutgoing?: boolean;
    readonly blockSize?: number;
    readonly disabled?: boolean;
    readonly nodeSelector?: string;
  };
}

const SPEC = FieldPath.root("spec");

/** calico.yaml's CALICO_IPV4POOL_* defaults: what calico-node creates when no pool exists. */
export const DEFAULT_POOL: IPPool = {
  name: "default-ipv4-ippool",
  cidr: "192.168.0.0/16",
  ipipMode: "Always",
  vxlanMode: "Never",
  natOutgoing: true,
  blockSize: 26,
  disabled: false,
  nodeSelector: "all()",
  nodeSelectorAst: ALL,
  span: null,
};

export function decodeIPPool(o: RawObject, diag: DiagnosticSink, schemas: Schemas): IPPool | null {
  const json = schemas.decode("ippool", o.root, diag) as IPPoolJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "ippool");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const spec = json.spec ?? {};
  const cidr = spec.cidr ? parseCIDR(spec.cidr) : null;
  if (!spec.cidr) rep.required(SPEC.child("cidr"));
  else if (!cidr) rep.invalid(SPEC.child("cidr"), spec.cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
  const v6 = cidr?.ip.family === 6;
  const blockSize = spec.blockSize ?? (v6 ? 122 : 26);
  const [min, max] = v6 ? [116, 128] : [20, 32];
  // Calico's validator: blocks between /20 and /32 (IPv4), /116 and /128 (IPv6), and no larger than the pool.
  if (blockSize < min || blockSize > max) rep.invalid(SPEC.child("blockSize"), blockSize, `must be between ${min} and ${max}, inclusive`);
  else if (cidr && cidr.prefix > blockSize) rep.invalid(SPEC.child("cidr"), spec.cidr ?? "", `IP pool size is too small (min /${blockSize}) for use with Calico IPAM`);
  const ipipMode = spec.ipipMode ?? "Never";
  const vxlanMode = spec.vxlanMode ?? "Never";
  if (ipipMode !== "Never" && vxlanMode !== "Never") rep.forbidden(SPEC.child("vxlanMode"), "IPIP and VXLAN cannot both be enabled on one IPPool");
  const nodeSelectorAst = nodeSelector(spec.nodeSelector, rep);
  if (rep.errorCount > 0 || !cidr || !nodeSelectorAst) return null;
  return {
    name: meta.name ?? "",
    cidr: networkOf(cidr),
    ipipMode,
    vxlanMode,
    natOutgoing: spec.natOutgoing ?? false,
    blockSize,
    disabled: spec.disabled ?? false,
    nodeSelector: spec.nodeSelector?.trim() || "all()",
    nodeSelectorAst,
    span: o.root.span,
  };
}

/**
 * The parsed nodeSelector; null after reporting a syntax error. Calico
 * validates the text as written (`omitempty,selector`: an empty one is not
 * checked and selects every node), so it is parsed untrimmed: a newline, as a
 * YAML block scalar leaves at the end, is not selector whitespace upstream.
 * The position inside the text is given in the message; the span is the field's.
 */
function nodeSelector(text: string | undefined, rep: FieldReporter): CalicoSelector | null {
  if (text === undefined || text === "") return ALL;
  const parsed = parseCalicoSelector(text);
  if (parsed.ok) return parsed.selector;
  rep.invalid(SPEC.child("nodeSelector"), text, `${parsed.error.message} (character ${parsed.error.offset + 1})`);
  return null;
}

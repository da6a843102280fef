// IPAMConfig (crd.projectcalico.org/v1) / IPAMConfiguration
// (projectcalico.org/v3) → IR IPAMConfig (spec calico-routes §1.4), with the
// defaults Calico writes when it creates the object itself (ipam.go
// GetIPAMConfig): strictAffinity false, autoAllocateBlocks true,
// maxBlocksPerHost 0 (no limit). kubeVirtVMAddressPersistence (3.32+) and
// ipCooldownSeconds (HEAD) are type-checked and ignored.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { IPAMConfig } from "../../ir/ipam.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { isV1 } from "./common.js";

interface IPAMConfigJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly strictAffinity?: boolean;
    readonly autoAllocateBlocks?: boolean;
    readonly maxBlocksPerHost?: number;
  };
}

export interface DeclaredIPAMConfig extends IPAMConfig {
  readonly name: string;
}

/** The one name Calico reads (model.IPAMConfigKey). */
export const IPAM_CONFIG_NAME = "default";

const MAX_BLOCKS = FieldPath.root("spec").child("maxBlocksPerHost");

export function decodeIPAMConfig(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredIPAMConfig | null {
  const v1 = isV1(o);
  const json = schemas.decode(v1 ? "ipamconfig" : "ipamconfiguration", o.root, diag) as IPAMConfigJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "ipamconfig");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const spec = json.spec ?? {};
  const maxBlocksPerHost = spec.maxBlocksPerHost ?? 0;
  // The CRDs' bounds, in the API server's OpenAPI wording: v1 takes any non-negative int32, v3 at most 1000000.
  const max = v1 ? 2147483647 : 1000000;
  if (maxBlocksPerHost < 0) rep.invalid(MAX_BLOCKS, maxBlocksPerHost, `${MAX_BLOCKS.toString()} in body should be greater than or equal to 0`);
  else if (maxBlocksPerHost > max) rep.invalid(MAX_BLOCKS, maxBlocksPerHost, `${MAX_BLOCKS.toString()} in body should be less than or equal to ${max}`);
  if (rep.errorCount > 0) return null;
  const name = meta.name ?? "";
  if (name !== IPAM_CONFIG_NAME) {
    rep.warning("name", FieldPath.root("metadata").child("name"), `${o.kind} "${name}": Calico reads only the one named "${IPAM_CONFIG_NAME}"; netpolc uses this one anyway`);
  }
  return {
    name,
    strictAffinity: spec.strictAffinity ?? false,
    autoAllocateBlocks: spec.autoAllocateBlocks ?? true,
    maxBlocksPerHost,
    span: o.root.span,
  };
}

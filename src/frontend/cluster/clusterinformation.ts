// ClusterInformation (crd.projectcalico.org/v1, projectcalico.org/v3): the
// object Calico's own components write, whose spec.calicoVersion says which
// release runs (`kubectl get clusterinformations -o yaml`). netpolc reads the
// version to pick its Felix profile when --calico-version is not given
// (src/pipeline.ts); the other fields are type-checked and ignored.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { CalicoRelease } from "../../ir/cluster.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";

interface ClusterInformationJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: { readonly calicoVersion?: string };
}

export interface DeclaredClusterInformation {
  readonly name: string;
  /** Null when the object is not the one Calico reads or names no release. */
  readonly release: CalicoRelease | null;
}

/** The one name Calico writes and reads (model.ClusterInfoKey). */
export const CLUSTER_INFORMATION_NAME = "default";

/** `v3.28.1`, `3.28`, `v3.30.0-0.dev`: major.minor, as a profile name. */
const RELEASE = /^v?(\d{1,4})\.(\d{1,4})(?:[.+-][0-9A-Za-z.+-]{0,60})?$/;

export function decodeClusterInformation(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredClusterInformation | null {
  const json = schemas.decode("clusterinformation", o.root, diag) as ClusterInformationJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "clusterinformation");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  if (rep.errorCount > 0) return null;
  const name = meta.name ?? "";
  const field = FieldPath.root("spec").child("calicoVersion");
  if (name !== CLUSTER_INFORMATION_NAME) {
    rep.warning("name", FieldPath.root("metadata").child("name"), `${o.kind} "${name}": Calico reads only the one named "${CLUSTER_INFORMATION_NAME}"; netpolc ignores this one`);
    return { name, release: null };
  }
  const text = json.spec?.calicoVersion;
  if (text === undefined || text === "") return { name, release: null };
  const m = RELEASE.exec(text);
  if (!m) {
    rep.warning("calico-version", field, `spec.calicoVersion ${JSON.stringify(text)} is not a Calico release (vMAJOR.MINOR.PATCH); ignored`);
    return { name, release: null };
  }
  return { name, release: { text, major: Number(m[1]), minor: Number(m[2]), span: rep.spanOf(field) } };
}

// v1 Namespace and v1 ServiceAccount: names and labels.
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { ServiceAccount } from "../../ir/cluster.js";
import type { Labels } from "../../ir/selector.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { labelsOf, withDefaultNamespace } from "./common.js";

export interface DeclaredNamespace {
  readonly name: string;
  /** As declared; the automatic kubernetes.io/metadata.name label is added when building the cluster. */
  readonly labels: Labels;
  readonly span: Span;
}

export function decodeNamespace(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredNamespace | null {
  const json = schemas.decode("namespace", o.root, diag) as { metadata?: ObjectMeta } | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "namespace");
  const meta = json.metadata ?? {};
  // Namespace names are DNS-1123 labels (no dots), unlike most other names.
  validateObjectMeta(meta, { namespaced: false, name: "label" }, rep);
  if (rep.errorCount > 0) return null;
  return { name: meta.name ?? "", labels: labelsOf(meta.labels), span: o.root.span };
}

export interface DeclaredServiceAccount extends ServiceAccount {
  readonly span: Span;
}

export function decodeServiceAccount(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredServiceAccount | null {
  const json = schemas.decode("serviceaccount", o.root, diag) as { metadata?: ObjectMeta } | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "serviceaccount");
  const meta = withDefaultNamespace(json.metadata);
  validateObjectMeta(meta, { namespaced: true, name: "subdomain" }, rep);
  if (rep.errorCount > 0) return null;
  return { namespace: meta.namespace ?? "", name: meta.name ?? "", labels: labelsOf(meta.labels), span: o.root.span };
}

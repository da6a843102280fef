// ObjectMeta and label-map validation (apimachinery api/validation/objectmeta.go,
// meta/v1/validation; spec netpol-validation.md §2 M1–M8, §6).
import { FieldPath } from "../field-path.js";
import type { FieldReporter } from "../report.js";
import { byteLength, dns1123Label, dns1123Subdomain, dns1123SubdomainPrefix, labelKey, labelValue } from "./names.js";

/** metadata as decoded (schemas/meta.schema.json). */
export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface MetaRules {
  /** Namespaced kinds must carry a namespace (the caller defaults it first). */
  readonly namespaced: boolean;
  /** Name syntax: most kinds use DNS-1123 subdomains, Namespaces DNS-1123 labels. */
  readonly name: "subdomain" | "label";
}

const META = FieldPath.root("metadata");
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

/** ValidateObjectMeta, in the API server's order: generateName, name, namespace, labels, annotations. */
export function validateObjectMeta(meta: ObjectMeta, rules: MetaRules, rep: FieldReporter): void {
  const nameFn = rules.name === "label" ? dns1123Label : dns1123Subdomain;
  if (meta.generateName) {
    const fn = rules.name === "label" ? (v: string) => dns1123Label(v.endsWith("-") ? v.slice(0, -1) : v) : dns1123SubdomainPrefix;
    rep.invalidEach(META.child("generateName"), meta.generateName, fn(meta.generateName));
  }
  if (!meta.name && !meta.generateName) rep.required(META.child("name"), "name or generateName is required");
  else if (meta.name) rep.invalidEach(META.child("name"), meta.name, nameFn(meta.name));
  if (rules.namespaced) {
    if (!meta.namespace) rep.required(META.child("namespace"));
    else rep.invalidEach(META.child("namespace"), meta.namespace, dns1123Label(meta.namespace));
  }
  validateLabels(meta.labels, META.child("labels"), rep);
  validateAnnotations(meta.annotations, rep);
  if (!meta.name && meta.generateName) {
    // The API server picks a random suffix; an offline compiler cannot, and a
    // name is needed for chain names and rule comments.
    rep.other("input/generate-name", META.child("generateName"), "metadata.generateName: netpolc needs metadata.name; a generated name is only known to the API server");
  }
}

/**
 * ValidateLabels: every key and value, errors on the map's path. Go iterates
 * the map in random order; we use document order, which is stable. Key
 * errors point at the key, value errors at the value.
 */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: FieldPath, rep: FieldReporter): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    rep.invalidEach(path, k, labelKey(k), rep.keySpan(path, k));
    rep.invalidEach(path, v, labelValue(v), rep.spanOf(path.key(k)));
  }
}

/** M8: keys are label keys once lower-cased; keys and values together at most 256 KiB. */
function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, rep: FieldReporter): void {
  const path = META.child("annotations");
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    rep.invalidEach(path, k.toLowerCase(), labelKey(k.toLowerCase()), rep.keySpan(path, k));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE) rep.tooLong(path, TOTAL_ANNOTATION_SIZE);
}

// Helpers shared by the cluster-object decoders.
import type { Labels } from "../../ir/selector.js";
import { DEFAULT_NAMESPACE } from "../netpol/defaults.js";
import type { ObjectMeta } from "../validation/meta.js";

/** Labels as an IR map. Sorted for determinism: keys in byte order. */
export function labelsOf(labels: Readonly<Record<string, string>> | undefined): Labels {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(entries);
}

/** Namespaced objects without metadata.namespace land where kubectl would put them: "default". */
export function withDefaultNamespace(meta: ObjectMeta | undefined): ObjectMeta {
  return { ...meta, namespace: meta?.namespace || DEFAULT_NAMESPACE };
}

/** k8s IsValidIP's message. */
export const INVALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

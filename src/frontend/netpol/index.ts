// One networking.k8s.io/v1 NetworkPolicy object through the API server's
// pipeline (spec netpol-validation.md §1): decode strictly, default,
// validate, then lower to the IR.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { NetworkPolicy } from "../../ir/policy.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { applyDefaults } from "./defaults.js";
import { lowerNetworkPolicy } from "./lower.js";
import type { NetworkPolicyJson } from "./types.js";
import { validateNetworkPolicy } from "./validate.js";

/** Null when the object is invalid (every problem has been reported). */
export function decodeNetworkPolicy(o: RawObject, diag: DiagnosticSink, schemas: Schemas): NetworkPolicy | null {
  const json = schemas.decode("networkpolicy", o.root, diag) as NetworkPolicyJson | null;
  if (!json) return null;
  const defaulted = applyDefaults(json);
  const rep = new FieldReporter(diag, o.root, "netpol");
  validateNetworkPolicy(defaulted, rep);
  if (rep.errorCount > 0) return null;
  return lowerNetworkPolicy(defaulted, o.root);
}

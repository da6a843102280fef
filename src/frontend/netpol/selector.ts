// LabelSelector validation (meta/v1/validation ValidateLabelSelector; spec
// netpol-validation.md §3 S1–S7): matchLabels, then each matchExpression
// (operator/values rule, then key, then each value).
import type { FieldPath } from "../field-path.js";
import type { FieldReporter } from "../report.js";
import { validateLabels } from "../validation/meta.js";
import { labelKey, labelValue } from "../validation/names.js";
import type { LabelSelectorJson, LabelSelectorRequirementJson } from "./types.js";

export function validateLabelSelector(sel: LabelSelectorJson | undefined, path: FieldPath, rep: FieldReporter): void {
  if (!sel) return;
  validateLabels(sel.matchLabels, path.child("matchLabels"), rep);
  (sel.matchExpressions ?? []).forEach((req, i) => validateRequirement(req, path.child("matchExpressions").index(i), rep));
}

function validateRequirement(req: LabelSelectorRequirementJson, path: FieldPath, rep: FieldReporter): void {
  const values = req.values ?? [];
  const operator = req.operator ?? "";
  switch (operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) rep.required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'");
      break;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) rep.forbidden(path.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      break;
    default:
      rep.invalid(path.child("operator"), operator, "not a valid selector operator");
  }
  const key = req.key ?? "";
  rep.invalidEach(path.child("key"), key, labelKey(key));
  values.forEach((v, k) => rep.invalidEach(path.child("values").index(k), v, labelValue(v)));
}

// SARIF 2.1.0 for GitHub code scanning: one run, tool.driver with a rule per
// diagnostic id that occurs (lints carry their summary and fix hint), one
// result per diagnostic. Only the properties listed in the vendored schema
// subset (test/fixtures/sarif/) are emitted, and the test validates against it.
import type { LocatedDiagnostic } from "../diagnostics/render.js";
import { LINT_RULES } from "./lint-rules.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

interface SarifRule {
  readonly id: string;
  readonly shortDescription: { readonly text: string };
  readonly help?: { readonly text: string };
}

/** A relative path as a URI reference: forward slashes, each segment percent-encoded. */
export function artifactUri(file: string): string {
  return file.split(/[\\/]/).map((seg) => encodeURIComponent(seg)).join("/");
}

const LEVEL = { error: "error", warning: "warning", note: "note" } as const;

export function renderSarif(ds: readonly LocatedDiagnostic[], version: string): string {
  // Sorted for determinism: rules by id.
  const ids = [...new Set(ds.map((d) => d.id))].sort();
  const rules: SarifRule[] = ids.map((id) => {
    const lint = LINT_RULES.find((r) => r.id === id);
    return lint
      ? { id, shortDescription: { text: lint.summary }, help: { text: lint.hint } }
      : { id, shortDescription: { text: id.startsWith("netpol/") || id.startsWith("schema/") ? `invalid input (${id})` : id } };
  });
  const results = ds.map((d) => ({
    ruleId: d.id,
    ruleIndex: ids.indexOf(d.id),
    level: LEVEL[d.severity],
    message: { text: [d.message, ...(d.notes ?? [])].join("\n") },
    ...(d.span && d.line !== null && d.col !== null
      ? {
          locations: [
            { physicalLocation: { artifactLocation: { uri: artifactUri(d.span.file) }, region: { startLine: d.line, startColumn: d.col } } },
          ],
        }
      : {}),
  }));
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "netpolc", version, rules } },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

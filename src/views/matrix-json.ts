// The matrix as JSON for machines: parties in order, then one entry per
// port/protocol with a row per source; keys in a fixed order, so the same
// inputs give the same bytes.
import { changed, type Matrix } from "./matrix.js";

export function matrixJson(m: Matrix): string {
  const doc = {
    by: m.by,
    parties: m.parties.map((p) => ({ name: p.key, detail: p.detail, labels: p.labels })),
    tables: m.tables.map((t) => ({
      port: t.port.port,
      protocol: t.port.protocol,
      mentioned: t.port.mentioned,
      rows: t.cells.map((row, r) => ({
        from: m.parties[r]?.key ?? "",
        cells: row.map((c, d) => ({
          to: m.parties[d]?.key ?? "",
          verdict: c.state,
          allowed: c.allowed,
          denied: c.denied,
          why: c.why,
          ...(c.was !== undefined ? { was: c.was, ...(c.wasCounts ? { wasAllowed: c.wasCounts.allowed, wasDenied: c.wasCounts.denied } : {}), changed: changed(c) } : {}),
        })),
      })),
    })),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

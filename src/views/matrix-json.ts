// The matrix as JSON for machines: parties in order, every why-line once
// (`reasons`), then one entry per port/protocol with a row per source, each
// cell naming its why-lines by their index in `reasons`; keys in a fixed
// order, so the same inputs give the same bytes.
//
// Written a row at a time (matrixJsonChunks): a namespace matrix of a 50k-pod
// cluster is hundreds of megabytes of JSON, so the CLI writes the chunks as
// they come. The layout is JSON.stringify(doc, null, 2) but for each cell,
// which is one line of compact JSON (a cell per line reads and diffs well; an
// indented cell was ten lines). Parsed, the chunks are matrixDoc(m), which
// test/views/matrix.test.ts checks.
import { changed, MatrixReasons, type Cell, type Matrix, type MatrixTable } from "./matrix.js";

const partyDoc = (m: Matrix) => m.parties.map((p) => ({ name: p.key, detail: p.detail, labels: p.labels }));

function cellDoc(m: Matrix, reasons: MatrixReasons, c: Cell, d: number) {
  return {
    to: m.parties[d]?.key ?? "",
    verdict: c.state,
    allowed: c.allowed,
    denied: c.denied,
    why: reasons.of(c.why),
    ...(c.was !== undefined ? { was: c.was, ...(c.wasCounts ? { wasAllowed: c.wasCounts.allowed, wasDenied: c.wasCounts.denied } : {}), changed: changed(c) } : {}),
  };
}

const tableHead = (t: MatrixTable) => ({ port: t.port.port, protocol: t.port.protocol, mentioned: t.port.mentioned });

/** The whole document as one value (what the chunks spell). */
export function matrixDoc(m: Matrix) {
  const reasons = new MatrixReasons(m);
  const tables = m.tables.map((t) => ({
    ...tableHead(t),
    rows: t.cells.map((row, r) => ({ from: m.parties[r]?.key ?? "", cells: row.map((c, d) => cellDoc(m, reasons, c, d)) })),
  }));
  return { by: m.by, parties: partyDoc(m), reasons: reasons.lines, tables };
}

/** JSON.stringify(value, null, 2) as it prints `depth` levels down (a JSON text holds no raw newline but its own). */
const nested = (value: unknown, depth: number): string => JSON.stringify(value, null, 2).replace(/\n/g, "\n" + "  ".repeat(depth));

const indent = (depth: number): string => "  ".repeat(depth);

/** One row: its keys indented, its cells one compact line each. */
function rowText(m: Matrix, reasons: MatrixReasons, row: readonly Cell[], r: number): string {
  const head = `${indent(4)}{\n${indent(5)}"from": ${JSON.stringify(m.parties[r]?.key ?? "")},\n${indent(5)}"cells": `;
  if (row.length === 0) return `${head}[]\n${indent(4)}}`;
  const cells = row.map((c, d) => indent(6) + JSON.stringify(cellDoc(m, reasons, c, d))).join(",\n");
  return `${head}[\n${cells}\n${indent(5)}]\n${indent(4)}}`;
}

/** The document's text in chunks of whole lines: the head and the reasons, then each row of each table, then the tail. */
export function* matrixJsonChunks(m: Matrix): Generator<string> {
  const reasons = new MatrixReasons(m);
  yield `{\n  "by": ${JSON.stringify(m.by)},\n  "parties": ${nested(partyDoc(m), 1)},\n  "reasons": ${nested(reasons.lines, 1)},\n  "tables": ${m.tables.length ? "[\n" : "[]\n}\n"}`;
  for (let i = 0; i < m.tables.length; i++) {
    const t = m.tables[i]!;
    const head = nested(tableHead(t), 2);
    // The table's keys but its rows, its closing brace cut off: `{ … "mentioned": x` then the rows.
    const open = "    " + head.slice(0, head.length - "\n    }".length) + ",\n";
    const close = i === m.tables.length - 1 ? "\n    }\n" : "\n    },\n";
    if (t.cells.length === 0) {
      yield open + '      "rows": []' + close;
      continue;
    }
    yield open + '      "rows": [\n';
    for (let r = 0; r < t.cells.length; r++) yield rowText(m, reasons, t.cells[r]!, r) + (r === t.cells.length - 1 ? "\n" : ",\n");
    yield "      ]" + close;
  }
  if (m.tables.length) yield "  ]\n}\n";
}

export function matrixJson(m: Matrix): string {
  return [...matrixJsonChunks(m)].join("");
}

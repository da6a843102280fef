// The matrix as JSON for machines: parties in order, then one entry per
// port/protocol with a row per source; keys in a fixed order, so the same
// inputs give the same bytes.
//
// Written a row at a time (matrixJsonChunks): a namespace matrix of a 50k-pod
// cluster is gigabytes of JSON, past the longest string V8 can hold, so the
// CLI writes the chunks as they come. Joined, they are JSON.stringify(doc, null,
// 2) of the whole document (matrixDoc), which test/views/matrix.test.ts checks.
import { changed, type Cell, type Matrix, type MatrixTable } from "./matrix.js";

const partyDoc = (m: Matrix) => m.parties.map((p) => ({ name: p.key, detail: p.detail, labels: p.labels }));

function cellDoc(m: Matrix, c: Cell, d: number) {
  return {
    to: m.parties[d]?.key ?? "",
    verdict: c.state,
    allowed: c.allowed,
    denied: c.denied,
    why: c.why,
    ...(c.was !== undefined ? { was: c.was, ...(c.wasCounts ? { wasAllowed: c.wasCounts.allowed, wasDenied: c.wasCounts.denied } : {}), changed: changed(c) } : {}),
  };
}

const rowDoc = (m: Matrix, row: readonly Cell[], r: number) => ({ from: m.parties[r]?.key ?? "", cells: row.map((c, d) => cellDoc(m, c, d)) });

const tableHead = (t: MatrixTable) => ({ port: t.port.port, protocol: t.port.protocol, mentioned: t.port.mentioned });

/** The whole document as one value (what the chunks spell). */
export function matrixDoc(m: Matrix) {
  return { by: m.by, parties: partyDoc(m), tables: m.tables.map((t) => ({ ...tableHead(t), rows: t.cells.map((row, r) => rowDoc(m, row, r)) })) };
}

/** JSON.stringify(value, null, 2) as it prints `depth` levels down (a JSON text holds no raw newline but its own). */
const nested = (value: unknown, depth: number): string => JSON.stringify(value, null, 2).replace(/\n/g, "\n" + "  ".repeat(depth));

/** The document's text in chunks of whole lines: the head, then each row of each table, then the tail. */
export function* matrixJsonChunks(m: Matrix): Generator<string> {
  if (m.tables.length === 0) {
    yield nested(matrixDoc(m), 0) + "\n";
    return;
  }
  yield `{\n  "by": ${JSON.stringify(m.by)},\n  "parties": ${nested(partyDoc(m), 1)},\n  "tables": [\n`;
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
    for (let r = 0; r < t.cells.length; r++) yield "        " + nested(rowDoc(m, t.cells[r]!, r), 4) + (r === t.cells.length - 1 ? "\n" : ",\n");
    yield "      ]" + close;
  }
  yield "  ]\n}\n";
}

export function matrixJson(m: Matrix): string {
  return [...matrixJsonChunks(m)].join("");
}

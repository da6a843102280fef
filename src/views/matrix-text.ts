// The matrix as text, in the spirit of cyclonus's tables: `.` allowed, `X`
// denied. Pod names are long (bookinfo's are 31 characters), so columns are
// numbered and each row names its source once: the table stays as wide as
// the number of parties, not as wide as their names.
import { changed, type Cell, type Matrix, type MatrixTable } from "./matrix.js";

const MARK: Record<Cell["state"], string> = { allowed: ".", denied: "X", mixed: "~", "n/a": "-" };

export function legend(m: Matrix): string {
  const parts = [". allowed", "X denied", "~ some pods allowed", "- no such port"];
  if (m.against) parts.push("* verdict changed");
  return `rows: sources, columns: destinations (by ${m.by}); ${parts.join(", ")}`;
}

function table(m: Matrix, t: MatrixTable): string[] {
  const n = m.parties.length;
  const idxWidth = String(n).length;
  const colWidth = Math.max(idxWidth, m.against ? 2 : 1) + 1;
  const nameWidth = Math.max(0, ...m.parties.map((p) => p.key.length));
  const lead = " ".repeat(idxWidth + 1 + nameWidth + 2);
  const header = lead + m.parties.map((_, i) => String(i + 1).padStart(idxWidth).padEnd(colWidth)).join("").trimEnd();
  const rows = m.parties.map((p, r) => {
    const cells = (t.cells[r] ?? []).map((c) => (MARK[c.state] + (changed(c) ? "*" : "")).padEnd(colWidth)).join("");
    return `${String(r + 1).padStart(idxWidth)} ${p.key.padEnd(nameWidth)}  ${cells}`.trimEnd();
  });
  const count = (pred: (c: Cell) => boolean): number => t.cells.flat().filter(pred).length;
  const mixed = count((c) => c.state === "mixed");
  const summary = `${count((c) => c.state === "allowed")} allowed, ${count((c) => c.state === "denied")} denied` +
    (mixed ? `, ${mixed} mixed` : "") +
    (m.against ? `, ${count(changed)} changed` : "");
  return [`${t.label}${t.port.mentioned ? "" : " (no policy mentions these ports)"}: ${summary}`, header, ...rows];
}

export function matrixText(m: Matrix): string {
  if (m.parties.length === 0) return "no endpoint pods in the snapshot\n";
  return [legend(m), "", ...m.tables.flatMap((t, i) => [...(i ? [""] : []), ...table(m, t)])].join("\n") + "\n";
}

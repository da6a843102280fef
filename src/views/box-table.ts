// calicoctl ipam show's tables and numbers. calicoctl v3.27.0 – v3.32.0
// (calicoctl/calicoctl/commands/ipam/show.go) draws them with
// olekukonko/tablewriter v0.0.5 in its default style and formats counts with
// Go's fmt: `%.5g` for a count, `%.5g (%.f%%)` for in use and free. The
// layout rules below are tablewriter's (table.go printLine/printHeading/
// printRow, util.go Pad/PadLeft/PadRight); the rounding rules are Go's
// strconv (round half to even on the exact binary value). calicoctl v3.34
// moved to go-pretty with more columns; netpolc follows the v3.27 backend.
//
// One deliberate difference: tablewriter wraps a cell wider than 30 columns
// at its spaces. calicoctl's own cells (addresses, CIDRs, node and pod names,
// `5 (8%)`) never hold a space that long, so its tables come out the same;
// netpolc's extra columns (owner notes, -o wide) are not wrapped.

/**
 * Cell text that cannot break the table: every character outside printable
 * ASCII (newlines, tabs, escapes, wide characters), `|` and `\` become `\xHH`
 * or `\u{H…}`. Names are validated long before they get here; this holds even
 * if that ever changes.
 */
export function cellText(s: string): string {
  return s.replace(/[^\x20-\x7e]|[|\\]/gu, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, "0")}` : `\\u{${cp.toString(16)}}`;
  });
}

/** tablewriter's `decimal` pattern: such cells are right-aligned, all others left (ALIGN_DEFAULT). */
const DECIMAL = /^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$/;

/** tablewriter's Pad: centred, the odd space on the right (headers). */
function centre(s: string, width: number): string {
  const gap = width - s.length;
  if (gap <= 0) return s;
  const left = Math.floor(gap / 2);
  return " ".repeat(left) + s + " ".repeat(gap - left);
}

function aligned(s: string, width: number): string {
  return DECIMAL.test(s.trim()) ? s.padStart(width) : s.padEnd(width);
}

/**
 * A table as tablewriter v0.0.5 renders it by default: `+---+` rules above
 * and below the header and at the bottom, `| cell |` rows, headers centred,
 * numbers right-aligned. A table without rows still gets its closing rule.
 */
export function boxTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map(cellText);
  const body = rows.map((r) => head.map((_, i) => cellText(r[i] ?? "")));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const rule = "+" + widths.map((w) => "-".repeat(w + 2) + "+").join("") + "\n";
  const line = (cells: readonly string[], pad: (s: string, w: number) => string): string =>
    "|" + cells.map((c, i) => ` ${pad(c, widths[i]!)} |`).join("") + "\n";
  return rule + line(head, centre) + rule + body.map((r) => line(r, aligned)).join("") + rule;
}

/**
 * Go's `%.5g` for a count: a non-negative integer-valued float64, as
 * calicoctl converts its counts (so an IPv6 pool's size is already rounded to
 * a double). Five significant digits, exponent form from 10^5 on
 * (`65536`, `1.0486e+06`, `1e+05`), trailing zeros dropped.
 */
export function goCount(x: number): string {
  if (!Number.isInteger(x) || x < 0) throw new Error(`goCount: ${x} is not a count`);
  if (x === 0) return "0";
  const exact = BigInt(x).toString();
  let digits = exact.slice(0, 5);
  let pointAt = exact.length;
  const first = exact[5];
  if (first !== undefined) {
    const tail = exact.slice(6);
    // Round half to even on the exact value, as strconv does.
    const up = first > "5" || (first === "5" && (/[1-9]/.test(tail) || Number(digits[4]) % 2 === 1));
    if (up) {
      digits = (BigInt(digits) + 1n).toString();
      if (digits.length > 5) {
        digits = digits.slice(0, 5);
        pointAt += 1;
      }
    }
  }
  digits = digits.replace(/0+$/, "");
  const exp = pointAt - 1;
  // %e when the exponent reaches the precision (5); an integer that short has all its digits.
  if (exp < 5) return exact;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}e+${String(exp).padStart(2, "0")}`;
}

/** Go's `%.f`: no decimals, a tie rounds to even (12.5 → 12), where JS toFixed rounds it up. */
export function goPercent(v: number): string {
  const floor = Math.floor(v);
  // Exact for the 0–100 this gets: v − floor(v) is representable.
  const frac = v - floor;
  return String(frac > 0.5 || (frac === 0.5 && floor % 2 === 1) ? floor + 1 : floor);
}

/** calicoctl's in-use and free cells: `%.5g (%.f%%)` of the count over the capacity. */
export function countWithPercent(n: number, capacity: number): string {
  return `${goCount(n)} (${goPercent((100 * n) / capacity)}%)`;
}

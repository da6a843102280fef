// What `nft -f` refuses that parsing alone does not catch: a jump, goto or map
// verdict to a chain its table does not have, and a rule or element on a set or
// map the table does not have (nftables.md §C: "Could not process rule: No such
// file or directory", and the whole batch is refused). verify reports these at
// the rule's line instead of walking a ruleset no kernel would hold.
import type { ParseDiagnostic } from "../parser.js";
import type { NftRuleset, NftStmt, NftValue, NftVerdict } from "./model.js";

interface Ref {
  readonly kind: "chain" | "set";
  readonly name: string;
  readonly what: string;
}

function valueRefs(v: NftValue): Ref[] {
  return v.kind === "set-ref" ? [{ kind: "set", name: v.name, what: `@${v.name}` }] : [];
}

function verdictRefs(v: NftVerdict | null): Ref[] {
  return v && (v.kind === "jump" || v.kind === "goto") ? [{ kind: "chain", name: v.chain, what: `${v.kind} ${v.chain}` }] : [];
}

function stmtRefs(s: NftStmt): Ref[] {
  switch (s.kind) {
    case "match":
      return valueRefs(s.right);
    case "verdict":
      return verdictRefs(s.verdict);
    case "vmap":
      return s.map.kind === "set-ref" ? [{ kind: "set", name: s.map.name, what: `vmap @${s.map.name}` }] : s.map.entries.flatMap((e) => verdictRefs(e.verdict));
    case "set-update":
      return [{ kind: "set", name: s.set, what: `${s.op} @${s.set}` }];
    default:
      return [];
  }
}

/** The first offset of each 1-based line (index 0 unused). */
function lineStarts(text: string): number[] {
  const out = [0, 0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) out.push(i + 1);
  return out;
}

/** A diagnostic per dangling reference, at the rule's line (elements of a map: at the map's first rule that uses it, else line 1). */
export function referenceErrors(ruleset: NftRuleset, text: string, file: string): ParseDiagnostic[] {
  const starts = lineStarts(text);
  const out: ParseDiagnostic[] = [];
  const report = (line: number, message: string): void => {
    const start = starts[line] ?? 0;
    out.push({ id: "nft/reference", severity: "error", message, span: { file, start, end: start }, line, col: 1 });
  };
  for (const t of ruleset.tables) {
    const chains = new Set(t.chains.map((c) => c.name));
    const sets = new Set(t.sets.map((s) => s.name));
    const where = `table ${t.family} ${t.name}`;
    const missing = (r: Ref): boolean => !(r.kind === "chain" ? chains : sets).has(r.name);
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const ref of r.stmts.flatMap(stmtRefs)) {
          if (missing(ref)) report(r.line ?? 1, `${ref.what} in chain ${c.name}: ${where} has no ${ref.kind === "set" ? "set or map" : "chain"} ${ref.name} (nft -f would refuse the whole file)`);
        }
      }
    }
    for (const s of t.sets) {
      for (const e of s.elements) {
        for (const ref of verdictRefs(e.verdict)) {
          if (missing(ref)) report(1, `element ${e.key.join(" . ")} of map ${s.name}: ${where} has no chain ${ref.name} (nft -f would refuse the whole file)`);
        }
      }
    }
  }
  return out;
}

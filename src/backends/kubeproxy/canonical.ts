// kube-proxy's unit-test normal form (spec kubeproxy-format §4.2,
// sortIPTablesRules): the layout every fixture of §6 is written in, and so
// the deterministic form of kube-proxy's own restore payload (whose service
// order is Go map order, §4.1.5).
import type { Chain, Rule, RuleSet, Table } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import { KUBE } from "./names.js";

const TAIL_MARK = "must be the last rule";

export function testSorted(rs: RuleSet): RuleSet {
  // Tables by name: filter before nat.
  const tables = [...rs.tables].sort((a, b) => byteCompare(a.name, b.name));
  return { tables: tables.map(sortTable) };
}

/** KUBE-NODEPORTS, KUBE-SERVICES, other KUBE-* by byte order, then the rest as they came. */
function sortTable(t: Table): Table {
  const rank = (c: Chain): number => (c.name === KUBE.nodePorts ? 0 : c.name === KUBE.services ? 1 : c.name.startsWith("KUBE-") ? 2 : 3);
  // Array sort is stable: non-KUBE chains keep their order.
  const chains = [...t.chains].sort((a, b) => rank(a) - rank(b) || (rank(a) === 2 ? byteCompare(a.name, b.name) : 0));
  return { name: t.name, chains: chains.map(sortRules) };
}

/** In KUBE-SERVICES and KUBE-NODEPORTS, rules stable-sorted by the service name in their comment; the tail rule last. */
function sortRules(c: Chain): Chain {
  if (c.name !== KUBE.services && c.name !== KUBE.nodePorts) return c;
  const key = (r: Rule): [number, string] => {
    const text = commentOf(r);
    return text.includes(TAIL_MARK) ? [1, ""] : [0, serviceName(text)];
  };
  const rules = [...c.rules].sort((a, b) => {
    const [ta, na] = key(a);
    const [tb, nb] = key(b);
    return ta - tb || byteCompare(na, nb);
  });
  return { ...c, rules };
}

function commentOf(r: Rule): string {
  for (const p of r.parts) {
    if (p.kind === "match" && p.module === "comment") return p.options[0]?.args[0] ?? "";
  }
  return "";
}

/** The comment up to its first space or colon: `ns2/svc2` of "ns2/svc2:p80 cluster IP". */
export function serviceName(text: string): string {
  const end = text.search(/[ :]/);
  return end < 0 ? text : text.slice(0, end);
}

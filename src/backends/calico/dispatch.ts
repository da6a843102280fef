// Workload dispatch chains (§2.4, felix/rules/dispatch.go): one level of
// prefix-tree split so a node with many pods does not walk a long list.
// Names are grouped by the longest common prefix plus one character; a
// group of one is matched directly, a bigger group gets a child chain.
import type { Chain, Rule, RulePart } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import { chain, fm, ft, rule } from "./felix-rule.js";
import { CHAIN, COMMENT, dispatchChildChain, endpointChainName } from "./names.js";
import type { Direction } from "./names.js";

function commonPrefix(names: readonly string[]): string {
  const first = names[0] ?? "";
  let n = first.length;
  for (const s of names) {
    let i = 0;
    while (i < n && i < s.length && s[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

const unknownInterface = (): Rule => rule([], ft.drop(), COMMENT.unknownInterface);

/**
 * `cali-from-wl-dispatch` matches `-i` and goes to `cali-fw-*` (egress of the
 * pod); `cali-to-wl-dispatch` matches `-o` and goes to `cali-tw-*`.
 */
export function dispatchChains(dir: "from" | "to", interfaces: readonly string[]): Chain[] {
  const root = dir === "from" ? CHAIN.fromWlDispatch : CHAIN.toWlDispatch;
  const epDir: Direction = dir === "from" ? "egress" : "ingress";
  const match = (iface: string): RulePart => (dir === "from" ? fm.inInterface(iface) : fm.outInterface(iface));
  const leaf = (iface: string): Rule => rule([match(iface)], ft.goto(endpointChainName(epDir, iface)));
  // Sorted (byte order) and de-duplicated for determinism, as Felix does.
  const names = [...new Set(interfaces)].sort(byteCompare);
  const prefix = commonPrefix(names);
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const key = n.slice(0, prefix.length + 1);
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const rootRules: Rule[] = [];
  const children: Chain[] = [];
  for (const [key, members] of groups) {
    if (members.length === 1) {
      rootRules.push(leaf(members[0] as string));
      continue;
    }
    const child = dispatchChildChain(root, key.slice(prefix.length));
    rootRules.push(rule([match(`${key}+`)], ft.goto(child)));
    children.push(chain(child, [...members.map(leaf), unknownInterface()]));
  }
  return [chain(root, [...rootRules, unknownInterface()]), ...children];
}

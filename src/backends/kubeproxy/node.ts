// What a node running kube-proxy (and kubelet) shows beyond kube-proxy's
// restore payload: the jumps from built-in chains (spec §1.2), kubelet's own
// chains of the legacy era (§1.1, §1.2 "Older jump sets") and the empty
// canary/hint chains (§1.1). Used for the as-saved (whole node) form only.
// None of it depends on the node: it is built once per compilation.
import { memoTable, type Compilation } from "../../compilation.js";
import type { Chain, Rule, RuleSet, Table, TableName } from "../../rules/types.js";
import { savedRule } from "./as-saved.js";
import type { ProxierContext } from "./context.js";
import { comment, KUBE, markText } from "./names.js";
import { cmt, conntrack, DROP, jump, markMatch, markTarget, rule } from "./parts.js";

interface Jump {
  readonly table: TableName;
  readonly from: string;
  readonly to: string;
  readonly newOnly: boolean;
  readonly text: string | null;
}

const j = (table: TableName, from: string, to: string, newOnly: boolean, text: string | null): Jump => ({ table, from, to, newOnly, text });

/** kube-proxy's iptablesJumpChains list, ≥1.25 (§1.2 items 1–12). */
const MODERN_JUMPS: readonly Jump[] = [
  j("filter", "INPUT", KUBE.externalServices, true, comment.externalPortals),
  j("filter", "FORWARD", KUBE.externalServices, true, comment.externalPortals),
  j("filter", "INPUT", KUBE.nodePorts, false, comment.healthCheckPorts),
  j("filter", "FORWARD", KUBE.services, true, comment.servicePortals),
  j("filter", "OUTPUT", KUBE.services, true, comment.servicePortals),
  j("filter", "FORWARD", KUBE.forward, false, comment.forwardRules),
  j("filter", "INPUT", KUBE.proxyFirewall, true, comment.lbFirewall),
  j("filter", "OUTPUT", KUBE.proxyFirewall, true, comment.lbFirewall),
  j("filter", "FORWARD", KUBE.proxyFirewall, true, comment.lbFirewall),
  j("nat", "OUTPUT", KUBE.services, false, comment.servicePortals),
  j("nat", "PREROUTING", KUBE.services, false, comment.servicePortals),
  j("nat", "POSTROUTING", KUBE.postrouting, false, comment.postrouting),
];

/** The same list in kube-proxy ≈1.13, the seed's era (filter INPUT→KUBE-SERVICES and the NODEPORTS/FIREWALL jumps came later). */
const LEGACY_JUMPS: readonly Jump[] = [
  j("filter", "INPUT", KUBE.externalServices, true, comment.externalPortals),
  j("filter", "OUTPUT", KUBE.services, true, comment.servicePortals),
  j("nat", "OUTPUT", KUBE.services, false, comment.servicePortals),
  j("nat", "PREROUTING", KUBE.services, false, comment.servicePortals),
  j("nat", "POSTROUTING", KUBE.postrouting, false, comment.postrouting),
  j("filter", "FORWARD", KUBE.forward, false, comment.forwardRules),
];

/** kubelet's `-j KUBE-FIREWALL` hooks, no comment; kubelet starts first, so they end up below kube-proxy's (§1.2). */
const KUBELET_JUMPS: readonly Jump[] = [j("filter", "INPUT", KUBE.firewall, false, null), j("filter", "OUTPUT", KUBE.firewall, false, null)];

const CANARIES: Readonly<Partial<Record<TableName, readonly string[]>>> = {
  mangle: [KUBE.iptablesHint, KUBE.kubeletCanary, KUBE.proxyCanary],
  nat: [KUBE.kubeletCanary, KUBE.proxyCanary],
  filter: [KUBE.kubeletCanary, KUBE.proxyCanary],
};

/**
 * Built-in chain rules per (table, chain), in the order a node ends up with:
 * every jump is inserted at position 1 once (EnsureRule Prepend), so the list
 * comes out reversed; kubelet's were there first and stay last (§1.2).
 */
export function builtinJumps(ctx: ProxierContext): Map<string, Rule[]> {
  const kubelet = ctx.profile.legacy || ctx.localhostNodePorts ? KUBELET_JUMPS : [];
  const list = [...kubelet, ...(ctx.profile.legacy ? LEGACY_JUMPS : MODERN_JUMPS)];
  const out = new Map<string, Rule[]>();
  for (const jp of list) {
    const parts = [...(jp.newOnly ? [conntrack("NEW")] : []), ...(jp.text === null ? [] : [cmt(jp.text)])];
    const key = `${jp.table} ${jp.from}`;
    out.set(key, [savedRule(rule(parts, jump(jp.to))), ...(out.get(key) ?? [])]);
  }
  return out;
}

/** kubelet's chains before KEP-3178 (legacy profile): the drop mark 0x8000 (bit 15). */
function kubeletChains(ctx: ProxierContext): Map<TableName, Chain[]> {
  if (!ctx.profile.legacy) return new Map();
  const drop = markText(15, ctx.opts.paddedMark);
  return new Map<TableName, Chain[]>([
    ["filter", [{ name: KUBE.firewall, policy: null, rules: [savedRule(rule([cmt(comment.kubeletDrop), markMatch(drop)], DROP))] }]],
    ["nat", [{ name: KUBE.markDrop, policy: null, rules: [savedRule(rule([], markTarget("set-xmark", `${drop}/${drop}`)))] }]],
  ]);
}

/** Per table, the chains that go before kube-proxy's own (built-in chains with its jumps) and after them (kubelet's, canaries). */
type Frame = ReadonlyMap<TableName, { readonly before: readonly Chain[]; readonly after: readonly Chain[] }>;

const TABLES: readonly TableName[] = ["mangle", "nat", "filter"];
const FRAMES = memoTable<ProxierContext, Frame>("kubeproxy/node-frame");

function frame(ctx: ProxierContext): Frame {
  const jumps = builtinJumps(ctx);
  const kubelet = kubeletChains(ctx);
  return new Map(
    TABLES.map((name) => {
      const before = [...jumps].filter(([k]) => k.startsWith(`${name} `)).map(([k, rules]) => ({ name: k.slice(name.length + 1), policy: "ACCEPT", rules }));
      const canaries = ctx.profile.legacy ? [] : (CANARIES[name] ?? []).map((c) => ({ name: c, policy: null, rules: [] }));
      return [name, { before, after: [...(kubelet.get(name) ?? []), ...canaries] }];
    }),
  );
}

/** The saved payload plus built-in jumps, kubelet's chains and (≥1.17-era) canaries: the node's kube-proxy state. */
export function nodeState(comp: Compilation, ctx: ProxierContext, saved: RuleSet): RuleSet {
  const f = comp.memo(FRAMES, ctx, () => frame(ctx));
  const tables = TABLES.flatMap((name): Table[] => {
    const own = saved.tables.find((t) => t.name === name)?.chains ?? [];
    const { before = [], after = [] } = f.get(name) ?? {};
    const chains = [...before, ...own, ...after];
    return chains.length ? [{ name, chains }] : [];
  });
  return { tables };
}

// 3.30+ workload dispatch (nftables.md §B.3; felix/rules/dispatch.go
// buildSingleDispatchChainsVMAP, DispatchMappings): where iptables walks a
// prefix tree of `-i <iface> -g cali-fw-<iface>` rules, Felix's nftables
// dataplane keeps one rule, `iifname vmap @filter-cali-from-wl-dispatch`, and
// puts every interface → `goto filter-cali-fw-<iface>` in that verdict map;
// the root chain's end rules ("Unknown interface") follow the vmap rule. Read
// back from the tree netpolc built (../dispatch.ts), so -O2 output works too.
import type { NftElement, NftStmt } from "../../../rules/nft/model.js";
import type { Chain, Rule } from "../../../rules/types.js";
import { CHAIN, dispatchChildChain } from "../names.js";
import { DISPATCH_MAP } from "./names.js";

export type DispatchDir = "from" | "to";

export function dispatchDirOf(name: string): DispatchDir | null {
  return name === CHAIN.fromWlDispatch ? "from" : name === CHAIN.toWlDispatch ? "to" : null;
}

/** A child chain of the iptables dispatch tree (`cali-from-wl-dispatch-<c>`): gone in vmap mode. */
export function isDispatchChild(name: string): boolean {
  return name.startsWith(dispatchChildChain(CHAIN.fromWlDispatch, "")) || name.startsWith(dispatchChildChain(CHAIN.toWlDispatch, ""));
}

export interface VmapDispatch {
  /** The interface → endpoint-chain elements, in the tree's (sorted) order. */
  readonly elements: readonly { readonly iface: string; readonly chain: string }[];
  /** The root chain's rules that are not dispatch: its end rules. */
  readonly endRules: readonly Rule[];
}

const ifaceOf = (r: Rule, dir: DispatchDir): string | null => {
  const p = r.parts.length === 1 ? r.parts[0] : undefined;
  return p && p.kind === (dir === "from" ? "in-interface" : "out-interface") && !p.negated ? p.value : null;
};

/** Reads the iptables dispatch tree rooted at `root` (children looked up in `chains`). */
export function readDispatchTree(root: Chain, dir: DispatchDir, chains: ReadonlyMap<string, Chain>): VmapDispatch {
  const targetOf = (r: Rule): string | null => (ifaceOf(r, dir) !== null && r.target?.kind === "goto" ? r.target.name : null);
  const endRules = root.rules.filter((r) => targetOf(r) === null);
  const ends = new Set(endRules.map((r) => JSON.stringify(r)));
  const elements: { iface: string; chain: string }[] = [];
  const walk = (c: Chain): void => {
    for (const r of c.rules) {
      const target = targetOf(r);
      const iface = ifaceOf(r, dir);
      if (target !== null && iface !== null && isDispatchChild(target)) {
        const child = chains.get(target);
        if (!child) throw new Error(`calico nftables: dispatch chain ${target} is missing`);
        walk(child);
      } else if (target !== null && iface !== null && !iface.endsWith("+")) {
        elements.push({ iface, chain: target });
      } else if (c === root || !ends.has(JSON.stringify(r))) {
        // The root's end rules follow the vmap rule; a child's tail repeats them (dispatch.go endRules). Anything
        // else would be lost in the map.
        if (c !== root || target !== null) throw new Error(`calico nftables: dispatch chain ${c.name} has a rule a verdict map cannot express`);
      }
    }
  };
  walk(root);
  return { elements, endRules };
}

/** `iifname vmap @filter-cali-from-wl-dispatch`: a match without an action, so no counter (renderer.go). */
export function vmapStmt(dir: DispatchDir): NftStmt {
  return { kind: "vmap", key: { kind: "meta", key: dir === "from" ? "iifname" : "oifname" }, map: { kind: "set-ref", name: DISPATCH_MAP[dir] } };
}

export function vmapElements(d: VmapDispatch, chainName: (name: string) => string): NftElement[] {
  return d.elements.map((e) => ({ key: [e.iface], comment: null, verdict: { kind: "goto", chain: chainName(e.chain) } }));
}

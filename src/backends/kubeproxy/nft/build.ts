// kube-proxy's nftables table on one node (nftables.md §A): the fixed
// objects (fixed.ts), then every service port's chains, affinity sets and
// elements (ports.ts) in the proxier's walk order, as kube-proxy's first
// full sync creates them. What is the same on every node is built once per
// compilation; a node adds its nodeport-ips elements and, for ports with a
// Local traffic policy or a source range holding its address, its own
// variant of the port.
import type { Compilation } from "../../../compilation.js";
import type { NftElement, NftSet, NftTable } from "../../../rules/nft/model.js";
import { nodeContext } from "../context.js";
import type { KubeProxyOptions } from "../options.js";
import { planServices } from "../plan.js";
import { nftProxier } from "./context.js";
import { fixedObjects, nodePortIPs } from "./fixed.js";
import { SET, TABLE, TABLE_COMMENT } from "./names.js";
import { portObjects } from "./ports.js";

export function renderKubeProxyNft(comp: Compilation, nodeName: string, opts: KubeProxyOptions): NftTable {
  const kp = nftProxier(comp, opts);
  const node = nodeContext(kp.px, nodeName);
  const fixed = fixedObjects(comp, kp);
  const elements = new Elements();
  for (const e of nodePortIPs(kp, node)) elements.add(SET.nodePortIPs, e);
  const chains = [...fixed.chains];
  const sets: NftSet[] = [];
  for (const p of planServices(comp, kp.px)) {
    const o = portObjects(comp, kp, p, node);
    chains.push(...o.chains);
    sets.push(...o.sets);
    for (const [set, e] of o.elements) elements.add(set, e);
  }
  return {
    family: kp.fam,
    name: TABLE,
    comment: TABLE_COMMENT,
    dialect: "knftables",
    // --masquerade-mark padded: the mark as real kube-proxy spells it (%#08x), not as its tests do.
    ...(opts.paddedMark ? { markDigits: 8 } : {}),
    sets: [...fixed.sets.map((s) => ({ ...s, elements: elements.of(s.name) })), ...sets],
    chains,
  };
}

/**
 * Elements per set as kube-proxy's nftElementStorage.ensureElem leaves them:
 * a key already present keeps its place when its value is the same (a
 * ClusterIP of a two-port service), and is deleted and re-added at the end
 * when it is not (two services claiming one external IP and port).
 */
class Elements {
  private readonly bySet = new Map<string, Map<string, NftElement>>();

  add(set: string, e: NftElement): void {
    let m = this.bySet.get(set);
    if (!m) this.bySet.set(set, (m = new Map()));
    const key = e.key.join(" . ");
    const prev = m.get(key);
    if (prev && JSON.stringify(prev.verdict) === JSON.stringify(e.verdict)) return;
    m.delete(key);
    m.set(key, e);
  }

  of(set: string): NftElement[] {
    return [...(this.bySet.get(set)?.values() ?? [])];
  }
}

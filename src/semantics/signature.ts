// What the reference evaluator can tell about a pod, as one string: two
// endpoint pods with the same signature are interchangeable in every verdict
// the evaluator gives (as source, as destination, as the peer of a rule), so
// class verify (src/verify/classes.ts) may judge one for all.
//
// evaluate.ts reads of a pod: which policies select it per direction (its
// namespace and labels), whether it matches each pod peer (namespace scope
// and pod selector: namespace labels and pod labels), whether its address
// lies in each ipBlock (minus excepts), and the numbers its named ports
// resolve to. Same-pod and own-node exemptions compare identities, not
// properties: class verify never pairs a pod with itself and keeps the node
// of host flows fixed. Namespace and labels decide the first two, so they are
// computed once per (namespace, labels) group.
import { podIPv4, type Pod } from "../ir/cluster.js";
import type { Model, NetworkPolicy, Peer } from "../ir/policy.js";
import type { Protocol } from "../ir/protocol.js";
import { selectorMatches } from "../ir/selector.js";
import { parseAddress } from "./ip.js";
import { pieceFinder } from "./pieces.js";
import { resolveNamedPort } from "./match.js";
import type { ModelIndex } from "./model-index.js";

type PodPeer = Extract<Peer, { kind: "pods" }>;
type BlockPeer = Extract<Peer, { kind: "ipBlock" }>;

export interface PodSignatures {
  /** The pod's signature (only endpoint pods are asked). */
  of(pod: Pod): string;
}

export function podSignatures(model: Model, idx: ModelIndex): PodSignatures {
  const policyId = new Map<NetworkPolicy, number>(model.policies.map((p, i) => [p, i]));
  const podPeers: Array<{ ns: string; peer: PodPeer }> = [];
  const blocks: BlockPeer[] = [];
  const named = new Map<string, { name: string; protocol: Protocol }>();
  for (const p of model.policies) {
    for (const rule of [...p.ingress, ...p.egress]) {
      if (rule.peers.kind === "peers") {
        for (const peer of rule.peers.peers) {
          if (peer.kind === "pods") podPeers.push({ ns: p.namespace, peer });
          else blocks.push(peer);
        }
      }
      if (rule.ports.kind === "ports") {
        for (const e of rule.ports.ports) if (e.port.kind === "named") named.set(`${e.protocol}/${e.port.name}`, { name: e.port.name, protocol: e.protocol });
      }
    }
  }
  // Sorted for determinism.
  const names = [...named.keys()].sort().map((k) => named.get(k)!);
  // A signature is long (a bit per pod peer and per ipBlock of every policy: 10^4 at 50k pods) and most pods share
  // their parts, so each distinct part is kept once and a pod's signature names parts by number. Equal numbers
  // mean equal parts, so two signatures are equal exactly when the texts they stand for are.
  const interned = new Map<string, number>();
  const intern = (text: string): number => {
    let id = interned.get(text);
    if (id === undefined) interned.set(text, (id = interned.size));
    return id;
  };
  // Per namespace, the pod peers whose namespace scope holds it (the policy's own namespace, or a namespace selector
  // that matches its labels): a (namespace, labels) group tests only those peers' pod selectors, and every other
  // peer's bit is 0 (at 50k pods, thousands of groups by ten thousand peers).
  const inScope = new Map<string, readonly number[]>();
  const scopedPeers = (namespace: string): readonly number[] => {
    let list = inScope.get(namespace);
    if (list === undefined) {
      const nsLabels = idx.namespaceLabels(namespace);
      const found: number[] = [];
      podPeers.forEach(({ ns, peer }, j) => {
        if (peer.namespaces.kind === "policy-namespace" ? namespace === ns : selectorMatches(peer.namespaces.selector, nsLabels)) found.push(j);
      });
      inScope.set(namespace, (list = found));
    }
    return list;
  };
  const ZERO = 48;
  const ONE = 49;
  const groups = new Map<string, number>();
  const groupOf = (pod: Pod): number => {
    // Labels in key order so that equal label sets give one group key.
    const labels = [...pod.labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([pod.namespace, labels]);
    let sig = groups.get(key);
    if (sig === undefined) {
      const applying = (["ingress", "egress"] as const).map((d) => idx.applying(pod, d).map((p) => policyId.get(p)).join(","));
      // A bit per pod peer, in podPeers' order: "1" when the peer's namespace scope and pod selector both hold.
      const bits = Buffer.alloc(podPeers.length, ZERO);
      for (const j of scopedPeers(pod.namespace)) if (selectorMatches(podPeers[j]!.peer.pods, pod.labels)) bits[j] = ONE;
      groups.set(key, (sig = intern(`${applying.join(";")}|${bits.toString("latin1")}`)));
    }
    return sig;
  };
  // ipBlocks as IPv4 number ranges (a pod's address is IPv4 here; an IPv6 block or except holds none of them). Between
  // consecutive edges of every block and except every address is in the same blocks, so a pod's block bits are
  // worked out once per piece of the address space its address falls in (a test per block and pod was quadratic).
  const range = (text: string): readonly [number, number] | null => {
    const c = idx.cidr(text);
    if (c === null || c.family !== 4) return null;
    const lo = Number(c.network);
    return [lo, lo + 2 ** (32 - c.prefix) - 1];
  };
  const blockRanges = blocks.map((b) => ({ range: range(b.cidr), except: b.except.map(range).filter((x): x is readonly [number, number] => x !== null) }));
  const edgeSet = new Set<number>([0]);
  for (const { range: r, except } of blockRanges) {
    if (r !== null) edgeSet.add(r[0]).add(r[1] + 1);
    for (const [lo, hi] of except) edgeSet.add(lo).add(hi + 1);
  }
  const pieceOf = pieceFinder(edgeSet);
  const byPiece = new Map<number, number>();
  const blocksOf = (n: number): number => {
    const piece = pieceOf(n);
    let id = byPiece.get(piece);
    if (id === undefined) {
      const bits = blockRanges.map(({ range: r, except }) => {
        const inside = r !== null && n >= r[0] && n <= r[1];
        return inside && !except.some(([a, b]) => n >= a && n <= b) ? "1" : "0";
      });
      byPiece.set(piece, (id = intern("blocks:" + bits.join(""))));
    }
    return id;
  };
  // Interned when first met, as before: the ids follow the order texts are first seen.
  const noBlocks = (): number => intern("blocks:" + "0".repeat(blocks.length));

  const memo = new Map<Pod, string>();
  return {
    of(pod) {
      let sig = memo.get(pod);
      if (sig === undefined) memo.set(pod, (sig = compute(pod)));
      return sig;
    },
  };

  function compute(pod: Pod): string {
    const ip = podIPv4(pod);
    const a = ip === null ? null : parseAddress(ip);
    const group = groupOf(pod);
    const inBlocks = a === null || a.family !== 4 ? noBlocks() : blocksOf(Number(a.value));
    const ports = names.map((n) => resolveNamedPort(pod, n.name, n.protocol).join(",")).join(";");
    return `${group}|${inBlocks}|${intern("ports:" + ports)}`;
  }
}

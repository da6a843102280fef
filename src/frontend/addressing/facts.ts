// What the snapshot says is in use, and the contradictions that make any
// address plan a guess (spec calico-routes §5.1 step 1, §5.2; issue: "report,
// don't guess"): overlapping pools, two pods with one address, one tunnel
// address on two nodes or on a node and a pod, a pod address in no enabled
// pool. Each is an error at the object (or annotation) that comes second.
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { IPPool, Node, Pod } from "../../ir/cluster.js";
import type { AddressUse } from "../../ir/ipam.js";
import { addrKey, compareAddrs, enabledPoolOf, formatNet, netContains, netsOverlap, parseAddr, poolNets, type Addr, type PoolNet } from "./space.js";

/** An address the snapshot puts to use: a pod's, or a tunnel address from a node annotation. */
export interface Use {
  readonly addr: Addr;
  readonly text: string;
  readonly use: AddressUse;
  /** `ns/pod`, or the node for a tunnel address. */
  readonly owner: string;
  readonly node: string;
  readonly span: Span | null;
}

export interface Facts {
  readonly pools: readonly PoolNet[];
  /** Sorted by address. */
  readonly uses: readonly Use[];
  readonly byAddress: ReadonlyMap<string, Use>;
  /** Families with at least one pool: only their pod addresses must lie in a pool. */
  readonly families: ReadonlySet<number>;
}

/** Pods that hold their addresses: scheduled, not host-networked, not finished (their addresses are released). */
export function holdsAddresses(p: Pod): boolean {
  return !p.hostNetwork && !!p.nodeName && p.phase !== "Succeeded" && p.phase !== "Failed";
}

const TUNNEL = (u: Use): string => (u.use === "ipip-tunnel" ? "IPIP" : "VXLAN");
/** `pod default/b: address 192.168.1.5` / `node n2: IPIP tunnel address 192.168.1.0` */
const subject = (u: Use): string => (u.use === "pod" ? `pod ${u.owner}: address ${u.text}` : `node ${u.node}: ${TUNNEL(u)} tunnel address ${u.text}`);
/** `the address of pod default/a` / `node n1's IPIP tunnel address` */
const holder = (u: Use): string => (u.use === "pod" ? `the address of pod ${u.owner}` : `node ${u.node}'s ${TUNNEL(u)} tunnel address`);

function checkPools(pools: readonly PoolNet[], diag: DiagnosticSink): void {
  pools.forEach((p, i) => {
    const earlier = pools.slice(0, i).find((q) => netsOverlap(p, q));
    if (earlier) {
      diag.error("addressing/overlapping-pools", p.pool.span, `IPPool "${p.pool.name}" (${formatNet(p)}) overlaps IPPool "${earlier.pool.name}" (${formatNet(earlier)}): Calico refuses overlapping pools`);
    }
  });
}

function podUses(pods: readonly Pod[]): Use[] {
  return pods.filter(holdsAddresses).flatMap((p) =>
    p.ips.flatMap((ip): Use[] => {
      const addr = parseAddr(ip);
      return addr ? [{ addr, text: addrKey(addr), use: "pod", owner: `${p.namespace}/${p.name}`, node: p.nodeName ?? "", span: p.span }] : [];
    }),
  );
}

function tunnelUses(nodes: readonly Node[]): Use[] {
  return nodes.flatMap((n) => {
    const out: Use[] = [];
    const add = (text: string | null, use: AddressUse, span: Span | null): void => {
      const addr = text === null ? null : parseAddr(text);
      if (addr) out.push({ addr, text: addrKey(addr), use, owner: n.name, node: n.name, span: span ?? n.span });
    };
    add(n.tunnelAddress, "ipip-tunnel", n.annotationSpans.ipipTunnel);
    add(n.vxlanTunnelAddress, "vxlan-tunnel", n.annotationSpans.vxlanTunnel);
    return out;
  });
}

/** Two uses of one address: the second (in the snapshot's sorted order) is the error. */
function indexUses(uses: readonly Use[], diag: DiagnosticSink): Map<string, Use> {
  const by = new Map<string, Use>();
  for (const u of uses) {
    const first = by.get(u.text);
    if (!first) {
      by.set(u.text, u);
      continue;
    }
    const id = u.use === "pod" && first.use === "pod" ? "addressing/duplicate-pod-address" : "addressing/duplicate-tunnel-address";
    diag.error(id, u.span, `${subject(u)} is also ${holder(first)}: one address cannot be in two places`);
  }
  return by;
}

function checkInPools(uses: readonly Use[], pools: readonly PoolNet[], families: ReadonlySet<number>, diag: DiagnosticSink): void {
  for (const u of uses) {
    if (!families.has(u.addr.family) || enabledPoolOf(pools, u.addr)) continue;
    const disabled = pools.find((p) => netContains(p, u.addr));
    const why = disabled ? ` (IPPool "${disabled.pool.name}" holds it but is disabled)` : "";
    const known = pools.filter((p) => p.family === u.addr.family).map((p) => `${p.pool.name} ${formatNet(p)}`).join(", ");
    if (u.use === "pod") diag.error("addressing/address-outside-pools", u.span, `${subject(u)} is in no enabled IPPool${why}; pools: ${known}`);
    else diag.warning("addressing/address-outside-pools", u.span, `${subject(u)} is in no enabled IPPool${why}; no block holds it`);
  }
}

/** Pools, uses and contradictions; `ok` false when an error was reported (no plan can be trusted then). */
export function gatherFacts(pods: readonly Pod[], nodes: readonly Node[], pools: readonly IPPool[], diag: DiagnosticSink): { facts: Facts; ok: boolean } {
  const before = diag.errorCount;
  const nets = poolNets(pools);
  checkPools(nets, diag);
  // Sorted for determinism: pods (namespace, name) then nodes (name) come sorted; a stable sort by address keeps that order among equals.
  const uses = [...podUses(pods), ...tunnelUses(nodes)].sort((a, b) => compareAddrs(a.addr, b.addr));
  const byAddress = indexUses(uses, diag);
  const families = new Set(nets.map((p) => p.family));
  checkInPools(uses, nets, families, diag);
  const unique = [...byAddress.values()];
  return { facts: { pools: nets, uses: unique, byAddress, families }, ok: diag.errorCount === before };
}

// The deterministic half of ipam-arb.ts: pools, nodes and blocks from raw
// draws, and every address allocated the way Calico's AutoAssign would
// leave it (calico-routes §2.2, §2.6): tunnel addresses first, from the
// node's own block or — without strictAffinity, now and then — borrowed
// from any block of a pool of that encapsulation; pods in a random block
// (strictAffinity: one affine to their node); a full block or no candidate
// claims a fresh block for the node, as AutoAssign claims before it borrows.
// Each allocation records the node it lives on (IPAMBlock secondary.node).
// Pools may select nodes (`nodeSelector` over an `edge` label): a node
// allocates, pods and tunnels alike, only from pools that select it.

export type PoolMode = "ipip-always" | "ipip-cross" | "vxlan-always" | "vxlan-cross" | "never";
export type Encap = "ipip" | "vxlan";
export type ClaimState = "confirmed" | "pending" | "pendingDeletion";
/** IPPool nodeSelector: absent, `all()`, `!has(edge)`, `edge == 'true'`. Pool 0 selects every node. */
export type PoolSelector = "absent" | "all" | "not-edge" | "edge";
/** The node of a block whose node was deleted while others still held addresses in it (calico-routes §2.6). */
export const GONE_NODE = "node-gone";

export interface PoolCase {
  readonly name: string;
  readonly cidr: string;
  readonly network: number;
  readonly blockSize: number;
  readonly mode: PoolMode;
  readonly natOutgoing: boolean;
  readonly selector: PoolSelector;
}

export const poolSelects = (p: Pick<PoolCase, "selector">, n: { readonly edge: boolean }): boolean =>
  p.selector === "not-edge" ? !n.edge : p.selector === "edge" ? n.edge : true;

export interface NodeCase {
  readonly name: string;
  readonly ip: string;
  /** Label `edge: "true"` (what pool nodeSelectors test). */
  readonly edge: boolean;
  /** The allocated tunnel addresses (null: no pool of that encapsulation selects the node). */
  readonly ipip: string | null;
  readonly vxlan: string | null;
  /** Whether the Node carries them as annotations (else IPAM, or netpolc's inference, supplies them). */
  readonly annotate: { readonly ipip: boolean; readonly vxlan: boolean };
  /** VXLANTunnelMACAddr annotation; null: none. */
  readonly mac: string | null;
}

export interface Allocation {
  readonly ordinal: number;
  readonly address: string;
  /** secondary.node: where the address lives. */
  readonly node: string;
  readonly kind: "pod" | "ipip" | "vxlan";
  readonly pod: { readonly namespace: string; readonly name: string } | null;
}

export interface Claim {
  readonly node: string;
  readonly state: ClaimState;
  readonly deleted: boolean;
}

export interface BlockCase {
  /** IPAMBlock name (CIDRToName). */
  readonly name: string;
  readonly cidr: string;
  readonly network: number;
  readonly size: number;
  /** Index into the pools. */
  readonly pool: number;
  /** IPAMBlock spec.affinity `host:` node (maybe GONE_NODE); null: affinity-less. */
  readonly affinity: string | null;
  /**
   * The block's BlockAffinities (written only with "blocks+affinities"): its
   * own node's first; now and then a second node's `pending` claim
   * (calico#6001) or a `deleted: "true"` one that Calico's list drops.
   */
  readonly claims: readonly Claim[];
  /** Sorted by ordinal. */
  readonly allocations: readonly Allocation[];
}

export const POOL_CIDRS = ["10.10.0.0/16", "10.20.0.0/16", "10.30.0.0/16"] as const;

export const ipToInt = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
/** libcalico-go names.CIDRToName: `.` and `/` become `-`. */
export const cidrName = (cidr: string): string => cidr.replace(/[./]/g, "-");
export const encapOf = (m: PoolMode): Encap | null => (m.startsWith("ipip") ? "ipip" : m.startsWith("vxlan") ? "vxlan" : null);

export interface AllocationInput {
  readonly pools: readonly { readonly mode: PoolMode; readonly blockSize: number; readonly natOutgoing: boolean; readonly selector: PoolSelector }[];
  readonly nodes: readonly {
    readonly name: string; readonly otherSubnet: boolean; readonly edge: boolean; readonly annotateIpip: boolean; readonly annotateVxlan: boolean;
    readonly mac: boolean; readonly tunnelPick: number;
  }[];
  readonly blocks: readonly {
    readonly pool: number; readonly index: number; readonly affinity: string | null; readonly state: ClaimState;
    /** Another node's extra BlockAffinity: a pending rival, or one marked deleted. */
    readonly extra: { readonly node: string; readonly deleted: boolean } | null;
  }[];
  /** A node releasing the first affinity-less block (a pendingDeletion BlockAffinity); null: none. */
  readonly releasing: string | null;
  /** Endpoint pods; `pick` chooses among the candidate blocks. */
  readonly pods: readonly { readonly namespace: string; readonly name: string; readonly node: string; readonly pick: number }[];
  readonly strict: boolean;
}

interface MutableBlock {
  readonly pool: number;
  readonly index: number;
  readonly network: number;
  readonly size: number;
  readonly affinity: string | null;
  readonly claims: Claim[];
  readonly allocations: Allocation[];
}

/** Candidates starting at `pick` (mod length), wrapping: a full block passes the turn to the next. */
const rotate = <T>(xs: readonly T[], pick: number): T[] => (xs.length ? [...xs.slice(pick % xs.length), ...xs.slice(0, pick % xs.length)] : []);

class Book {
  readonly blocks: MutableBlock[] = [];
  constructor(private readonly pools: readonly PoolCase[]) {}

  add(pool: number, index: number, affinity: string | null, state: ClaimState): MutableBlock | null {
    if (this.blocks.some((b) => b.pool === pool && b.index === index)) return null;
    const p = this.pools[pool]!;
    const size = 2 ** (32 - p.blockSize);
    const claims = affinity ? [{ node: affinity, state, deleted: false }] : [];
    const b: MutableBlock = { pool, index, network: p.network + index * size, size, affinity, claims, allocations: [] };
    this.blocks.push(b);
    return b;
  }

  /** AutoAssign's claim: the pool's lowest free block, affine to `node`. */
  claim(pool: number, node: string): MutableBlock {
    for (let index = 0; ; index++) {
      const b = this.add(pool, index, node, "confirmed");
      if (b) return b;
    }
  }

  /** The lowest free ordinal of `b` for `node`; null when the block is full. */
  alloc(b: MutableBlock, node: string, kind: Allocation["kind"], pod: Allocation["pod"]): string | null {
    const used = new Set(b.allocations.map((a) => a.ordinal));
    for (let ordinal = 0; ordinal < b.size; ordinal++) {
      if (used.has(ordinal)) continue;
      const address = intToIp(b.network + ordinal);
      b.allocations.push({ ordinal, address, node, kind, pod });
      return address;
    }
    return null;
  }

  /** The first candidate with room, else a fresh block of `pool` claimed for `node`. */
  place(candidates: readonly MutableBlock[], pool: number, node: string, kind: Allocation["kind"], pod: Allocation["pod"]): string {
    for (const b of candidates) {
      const a = this.alloc(b, node, kind, pod);
      if (a) return a;
    }
    return this.alloc(this.claim(pool, node), node, kind, pod)!;
  }
}

function tunnel(book: Book, pools: readonly PoolCase[], node: AllocationInput["nodes"][number], encap: Encap, strict: boolean): string | null {
  const encPools = pools.flatMap((p, i) => (encapOf(p.mode) === encap && poolSelects(p, node) ? [i] : []));
  if (!encPools.length) return null;
  const enc = book.blocks.filter((b) => encPools.includes(b.pool));
  const own = enc.filter((b) => b.affinity === node.name);
  // Without strictAffinity a node sometimes borrows its tunnel address from whatever block comes first.
  const borrow = !strict && node.tunnelPick % 3 === 0 ? rotate(enc, node.tunnelPick) : [];
  const kind = encap;
  return book.place([...borrow, ...own], encPools[node.tunnelPick % encPools.length]!, node.name, kind, null);
}

export function allocateBlocks(input: AllocationInput): {
  pools: PoolCase[]; nodes: NodeCase[]; blocks: BlockCase[]; podIps: Map<string, string>;
} {
  // Every node must have a pool to allocate from (pool 0 selects all), and a VTEP when any pool is VXLAN (the first
  // VXLAN pool selects all): Felix creates vxlan.calico only on a node with a VTEP, so a node no VXLAN pool selects
  // has no route to any VXLAN block — a broken cluster, which verify rightly reports, not a random case to pass.
  const firstVxlan = input.pools.findIndex((p) => encapOf(p.mode) === "vxlan");
  const pools = input.pools.map((p, i): PoolCase => ({
    name: `pool-${i}`, cidr: POOL_CIDRS[i]!, network: ipToInt(POOL_CIDRS[i]!.split("/")[0]!), ...p,
    selector: (i === 0 || i === firstVxlan) && (p.selector === "edge" || p.selector === "not-edge") ? "all" : p.selector,
  }));
  const book = new Book(pools);
  const drawn = input.blocks.map((b) => book.add(b.pool % pools.length, b.index, b.affinity, b.state));
  const releasingBlock = book.blocks.find((b) => b.affinity === null);
  if (input.releasing && releasingBlock) releasingBlock.claims.push({ node: input.releasing, state: "pendingDeletion", deleted: false });
  // One BlockAffinity per node and block (its name is `<node>-<block>`).
  input.blocks.forEach((b, i) => {
    const block = drawn[i];
    if (!block || !b.extra || block.claims.some((a) => a.node === b.extra!.node)) return;
    block.claims.push({ node: b.extra.node, state: b.extra.deleted ? "confirmed" : "pending", deleted: b.extra.deleted });
  });
  // Tunnel addresses first: calico-node allocates them when the node starts, before its pods.
  const nodes = input.nodes.map((n, i): NodeCase => ({
    name: n.name,
    ip: `10.0.${n.otherSubnet ? 1 : 0}.${11 + i}`,
    edge: n.edge,
    ipip: tunnel(book, pools, n, "ipip", input.strict),
    vxlan: tunnel(book, pools, n, "vxlan", input.strict),
    annotate: { ipip: n.annotateIpip, vxlan: n.annotateVxlan },
    mac: n.mac ? `ee:ee:ee:00:00:${(i + 1).toString(16).padStart(2, "0")}` : null,
  }));
  const podIps = new Map<string, string>();
  const edge = new Map(input.nodes.map((n) => [n.name, n.edge] as const));
  for (const p of input.pods) {
    // AutoAssign only looks at pools that select the pod's node (pool 0 selects every node).
    const selects = (pool: number): boolean => poolSelects(pools[pool]!, { edge: edge.get(p.node) ?? false });
    const candidates = book.blocks.filter((b) => selects(b.pool) && (!input.strict || b.affinity === p.node));
    const ip = book.place(rotate(candidates, p.pick), selects(p.pick % pools.length) ? p.pick % pools.length : 0, p.node, "pod", { namespace: p.namespace, name: p.name });
    podIps.set(`${p.namespace}/${p.name}`, ip);
  }
  // Sorted by address, as `kubectl get` lists them (the compiler sorts anyway).
  const blocks = [...book.blocks]
    .sort((a, b) => a.network - b.network)
    .map((b): BlockCase => {
      const cidr = `${intToIp(b.network)}/${pools[b.pool]!.blockSize}`;
      const allocations = [...b.allocations].sort((x, y) => x.ordinal - y.ordinal);
      return { name: cidrName(cidr), cidr, network: b.network, size: b.size, pool: b.pool, affinity: b.affinity, claims: b.claims, allocations };
    });
  return { pools, nodes, blocks, podIps };
}

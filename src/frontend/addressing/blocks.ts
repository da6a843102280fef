// Blocks while the plan is being built, and their final, sorted IR form.
import type { Span } from "../../diagnostics/diagnostic.js";
import type { AddressBlock, BlockAddress, OwnerSource } from "../../ir/ipam.js";
import type { Use } from "./facts.js";
import { compareNets, formatNet, netContains, parseAddr, type Addr, type Net, type PoolNet } from "./space.js";

export type Affinity = AddressBlock["affinities"][number];

export interface BlockDraft {
  readonly net: Net;
  readonly cidr: string;
  readonly pool: PoolNet | null;
  owner: string | null;
  affinities: Affinity[];
  source: OwnerSource;
  /** By address text. */
  readonly addresses: Map<string, BlockAddress>;
  readonly allocated: number | null;
  readonly span: Span | null;
}

export function draft(net: Net, pool: PoolNet | null, o: Partial<Pick<BlockDraft, "owner" | "affinities" | "source" | "allocated" | "span">> = {}): BlockDraft {
  return {
    net,
    cidr: formatNet(net),
    pool,
    owner: o.owner ?? null,
    affinities: o.affinities ?? [],
    source: o.source ?? "ipam",
    addresses: new Map(),
    allocated: o.allocated ?? null,
    span: o.span ?? null,
  };
}

/** A use as a block address; `allocationNode` is what IPAM says (the use's own node when inferred). */
export function addressOf(u: Use, allocationNode: string | null): BlockAddress {
  return { address: u.text, use: u.use, owner: u.owner, node: u.node, allocationNode };
}

/**
 * Blocks sorted by network, with the lookup every stage needs: which block
 * holds an address. Blocks never overlap (refused or avoided before), so a
 * binary search over the sorted list finds the only candidate.
 */
export class BlockTable {
  private sorted: BlockDraft[] = [];

  constructor(blocks: readonly BlockDraft[] = []) {
    for (const b of blocks) this.add(b);
  }

  get all(): readonly BlockDraft[] {
    return this.sorted;
  }

  add(b: BlockDraft): void {
    const i = this.insertionPoint(b.net);
    this.sorted.splice(i, 0, b);
  }

  /** The block holding `a`, if any. */
  find(a: Addr): BlockDraft | null {
    const i = this.insertionPoint({ family: a.family, network: a.value, prefix: 128 });
    const b = this.sorted[i - 1];
    return b && netContains(b.net, a) ? b : null;
  }

  findText(text: string): BlockDraft | null {
    const a = parseAddr(text);
    return a ? this.find(a) : null;
  }

  /** Whether any block overlaps `n`. */
  overlaps(n: Net): boolean {
    const i = this.insertionPoint(n);
    const before = this.sorted[i - 1];
    const after = this.sorted[i];
    const hit = (b: BlockDraft | undefined): boolean => !!b && b.net.family === n.family && (netContains(b.net, { family: n.family, value: n.network }) || netContains(n, { family: b.net.family, value: b.net.network }));
    return hit(before) || hit(after);
  }

  /** First index whose block sorts after `n`. */
  private insertionPoint(n: Net): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareNets(this.sorted[mid]!.net, n) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const byNode = (a: Affinity, b: Affinity): number => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

export function finalBlock(b: BlockDraft): AddressBlock {
  // Sorted for determinism: addresses numerically, affinities by node.
  const addresses = [...b.addresses.values()]
    .map((x) => ({ x, a: parseAddr(x.address)! }))
    .sort((p, q) => (p.a.value < q.a.value ? -1 : p.a.value > q.a.value ? 1 : 0))
    .map((p) => p.x);
  return {
    cidr: b.cidr,
    pool: b.pool?.pool.name ?? null,
    owner: b.owner,
    affinities: [...b.affinities].sort(byNode),
    source: b.source,
    addresses,
    allocated: b.allocated,
    span: b.span,
  };
}

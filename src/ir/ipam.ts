// Calico IPAM in the policy IR: the objects a user can dump (spec
// calico-routes §1), decoded, and the address plan resolved from them (or,
// without them, inferred: §5.2) that every later stage reads — block owners,
// borrowed addresses, tunnel addresses. Kubernetes and Calico words only; no
// route or iptables words (those belong to the Calico backend).
import type { Span } from "../diagnostics/diagnostic.js";

/** IPAMBlock.spec.affinity: `host:<node>`, or (3.30+) `virtual:<name>` (LoadBalancer IPAM). */
export interface BlockAffinityRef {
  readonly kind: "host" | "virtual";
  readonly name: string;
}

/** One allocated ordinal of an IPAMBlock with the owner facts of its attribute (§1.2). */
export interface IPAMAllocation {
  readonly ordinal: number;
  /** The block's network address + ordinal. */
  readonly address: string;
  readonly handle: string | null;
  /** attributes[i].secondary.node; null on allocations too old to carry one (Felix makes no route for them). */
  readonly node: string | null;
  /** secondary.type: `ipipTunnelAddress`, `vxlanTunnelAddress`, …; null for pods. */
  readonly type: string | null;
  readonly namespace: string | null;
  readonly pod: string | null;
}

export interface IPAMBlock {
  readonly name: string;
  /** spec.cidr in network form (never read from the name). */
  readonly cidr: string;
  readonly affinity: BlockAffinityRef | null;
  /** Sorted by ordinal. */
  readonly allocations: readonly IPAMAllocation[];
  readonly span: Span | null;
}

/** An empty state in the object reads as confirmed (older data, §1.3). */
export type AffinityState = "confirmed" | "pending" | "pendingDeletion";

export interface BlockAffinity {
  readonly name: string;
  readonly node: string;
  readonly cidr: string;
  readonly state: AffinityState;
  readonly type: "host" | "virtual";
  readonly span: Span | null;
}

export interface IPAMHandle {
  readonly name: string;
  readonly handleId: string;
  /** spec.block: block CIDR → addresses held. */
  readonly blocks: ReadonlyMap<string, number>;
  readonly span: Span | null;
}

/** IPAMConfig (crd.projectcalico.org/v1) / IPAMConfiguration (projectcalico.org/v3), name `default`. */
export interface IPAMConfig {
  readonly strictAffinity: boolean;
  readonly autoAllocateBlocks: boolean;
  readonly maxBlocksPerHost: number;
  readonly span: Span | null;
}

/** The IPAM objects of the snapshot; `deleted: true` objects are already left out. Lists sorted by CIDR, then name. */
export interface IPAMObjects {
  readonly blocks: readonly IPAMBlock[];
  readonly affinities: readonly BlockAffinity[];
  readonly handles: readonly IPAMHandle[];
  readonly config: IPAMConfig | null;
}

// ---------------------------------------------------------------------------
// The resolved address plan.

/**
 * How a block's owner was decided: from IPAM objects (`ipam`), or by the first
 * rule of the §5.2 inference that decides (`tunnel-address`, `most-pods`,
 * `lowest-address`, `node-name`), or claimed for a node's inferred tunnel
 * address (`claimed`: AutoAssign claims a fresh block before it borrows, §2.2).
 */
export type OwnerSource = "ipam" | "tunnel-address" | "most-pods" | "lowest-address" | "node-name" | "claimed";

/** `allocation`: allocated in an IPAMBlock, but held by no pod or tunnel of the snapshot. */
export type AddressUse = "pod" | "ipip-tunnel" | "vxlan-tunnel" | "allocation";

/** One address in use inside a block. */
export interface BlockAddress {
  readonly address: string;
  readonly use: AddressUse;
  /** `ns/pod` for pods, the node name for tunnel addresses, the handle (or `ns/pod` of its attributes) for other allocations. */
  readonly owner: string;
  /** The node the address lives on (where the pod runs; the tunnel's node); null for an allocation no pod of the snapshot holds. BIRD follows this. */
  readonly node: string | null;
  /** The node IPAM's allocation names (secondary.node), null when it names none. Felix follows this. */
  readonly allocationNode: string | null;
}

export interface AddressBlock {
  readonly cidr: string;
  /** The enabled pool holding the block (by name); null for a block outside every pool. */
  readonly pool: string | null;
  /** Felix's owner: IPAMBlock.spec.affinity `host:` node (or the inferred owner); null = no affinity. */
  readonly owner: string | null;
  /**
   * BIRD's view: the block's confirmed and pendingDeletion BlockAffinities (pending ones are skipped, §2.3 rule 1;
   * an empty state reads as confirmed); the block's own `host:` affinity as confirmed when no BlockAffinity objects
   * were given; the inferred owner as confirmed. Sorted by node.
   */
  readonly affinities: readonly { readonly node: string; readonly state: "confirmed" | "pendingDeletion" }[];
  readonly source: OwnerSource;
  /** Addresses in use, sorted by address. */
  readonly addresses: readonly BlockAddress[];
  /** Addresses IPAM counts as allocated (used/free in `netpolc ipam`); null when inferred. */
  readonly allocated: number | null;
  readonly span: Span | null;
}

export type TunnelSource = "annotation" | "ipam" | "inferred";

export interface TunnelAddress {
  readonly address: string;
  readonly source: TunnelSource;
}

export interface NodeAddressing {
  readonly ipipTunnel: TunnelAddress | null;
  readonly vxlanTunnel: TunnelAddress | null;
  /** The VXLAN tunnel device's MAC (annotation, else derived from the node name: inferred). */
  readonly vxlanMac: { readonly mac: string; readonly source: TunnelSource } | null;
}

/** Who decides a node's cluster routes; the route programmer option picks which view a backend follows. */
export interface Addressing {
  /** Whether the plan came from IPAM objects (exact) or was inferred (§5.2, labelled as such everywhere). */
  readonly exact: boolean;
  /** Sorted by address. */
  readonly blocks: readonly AddressBlock[];
  /** By node name. */
  readonly nodes: ReadonlyMap<string, NodeAddressing>;
  /** IPAMConfig.strictAffinity (false when absent: borrowing allowed). */
  readonly strictAffinity: boolean;
}

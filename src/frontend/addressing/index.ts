// The address plan (src/ir/ipam.ts Addressing): which node owns each block,
// which addresses are borrowed, each node's tunnel addresses. Exact from the
// snapshot's IPAMBlock/BlockAffinity objects (exact.ts, calico-routes §5.1),
// otherwise inferred and said so (infer.ts, §5.2); tunnel addresses last
// (tunnels.ts), because an inferred one may claim a block. Contradictions are
// errors (facts.ts) and leave an empty plan: the pipeline stops on them.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import { poolSelectsNode, type IPPool, type Node, type Pod } from "../../ir/cluster.js";
import type { Addressing, IPAMObjects } from "../../ir/ipam.js";
import { finalBlock, type BlockTable } from "./blocks.js";
import { exactBlocks, ipamTunnels } from "./exact.js";
import { gatherFacts, holdsAddresses } from "./facts.js";
import { DEFAULT_POOL } from "../cluster/ippool.js";
import { alignedNet, formatNet, netContains, parseAddr, poolNets } from "./space.js";
import { inferredBlocks } from "./infer.js";
import { resolveTunnels, type PoolSelects } from "./tunnels.js";

export { holdsAddresses } from "./facts.js";

export interface AddressingInputs {
  /** Sorted (namespace, name). */
  readonly pods: readonly Pod[];
  /** Sorted by name. */
  readonly nodes: readonly Node[];
  readonly pools: readonly IPPool[];
  readonly ipam: IPAMObjects | null;
}

/** Whether the IPAM objects say anything about blocks (handles and config alone do not). */
const hasBlocks = (ipam: IPAMObjects | null): ipam is IPAMObjects => !!ipam && (ipam.blocks.length > 0 || ipam.affinities.length > 0);

const EMPTY = (strictAffinity: boolean): Addressing => ({ exact: false, blocks: [], nodes: new Map(), strictAffinity });

export function resolveAddressing(input: AddressingInputs, diag: DiagnosticSink, selects: PoolSelects = poolSelectsNode): Addressing {
  const strictAffinity = input.ipam?.config?.strictAffinity ?? false;
  const { facts, ok } = gatherFacts(input.pods, input.nodes, input.pools, diag);
  if (!ok) return EMPTY(strictAffinity);
  const exact = hasBlocks(input.ipam);
  const before = diag.errorCount;
  const table: BlockTable = exact ? exactBlocks(input.ipam as IPAMObjects, facts, diag) : inferredBlocks(facts, diag);
  if (diag.errorCount > before) return EMPTY(strictAffinity);
  const nodes = resolveTunnels({ nodes: input.nodes, pools: facts.pools, table, ipam: exact ? ipamTunnels(table) : null, selects }, diag);
  return { exact, blocks: table.all.map(finalBlock), nodes, strictAffinity };
}

/**
 * The pools when the snapshot gives none: Calico's manifest default
 * (192.168.0.0/16, IPIP Always, natOutgoing, /26 blocks), and — because a real
 * cluster whose pods use other addresses has a pool holding them — one /16 with
 * the same settings around the pod addresses outside it, each said in a note.
 */
export function assumedPools(pods: readonly Pod[], diag: DiagnosticSink): IPPool[] {
  const pools: IPPool[] = [DEFAULT_POOL];
  const nets = poolNets(pools);
  for (const p of pods.filter(holdsAddresses)) {
    for (const ip of p.ips) {
      const a = parseAddr(ip);
      if (!a || a.family !== 4 || nets.some((n) => netContains(n, a))) continue;
      const net = alignedNet(a, 16);
      const cidr = formatNet(net);
      const pool: IPPool = { ...DEFAULT_POOL, name: `assumed-${cidr.replace(/[./]/g, "-")}`, cidr };
      pools.push(pool);
      nets.push({ ...net, pool });
      diag.note("addressing/assumed-pool", p.span, `no IPPool given: assuming IPPool ${pool.name} (${cidr}, IPIP Always, natOutgoing, /26 blocks) for pod ${p.namespace}/${p.name}'s address ${ip}; give the cluster's IPPools for exact pools`);
    }
  }
  // Sorted for determinism: by name, as given pools are.
  return pools.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

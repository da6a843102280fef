// The address plan without IPAM objects: netpolc's guess (spec
// calico-routes §5.2, a proposal, not Calico behaviour), said out loud.
//
// Candidate blocks are the pool-aligned blocks of every pod address and
// annotated tunnel address. Each gets exactly one owner, by the first rule
// that decides among the nodes still tied:
//   a. the node whose annotated tunnel address lies in the block (the tunnel
//      address is normally the first allocation of a node's first block);
//   b. the node holding the most of the block's pod addresses;
//   c. the node holding the lowest address in the block (the claimer
//      allocates from ordinal 0 up, borrowers take later ordinals);
//   d. the byte-wise smallest node name.
// Every other address in the block is borrowed. When the guess is wrong only
// the blackhole and the block's next hop move: borrowed addresses still get
// their /32 via the node that holds them, so existing pods stay reachable.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { OwnerSource } from "../../ir/ipam.js";
import { addressOf, BlockTable, draft } from "./blocks.js";
import type { Facts, Use } from "./facts.js";
import { alignedNet, enabledPoolOf, formatNet, type Net, type PoolNet } from "./space.js";

interface Candidate {
  readonly net: Net;
  readonly pool: PoolNet;
  readonly uses: Use[];
}

const RULE_TEXT: Readonly<Record<Exclude<OwnerSource, "ipam" | "claimed">, string>> = {
  "tunnel-address": "its tunnel address lies in the block (rule a)",
  "most-pods": "it holds the most of the block's pods (rule b)",
  "lowest-address": "it holds the block's lowest address (rule c)",
  "node-name": "its name sorts first among the tied nodes (rule d)",
};

function candidates(facts: Facts): Candidate[] {
  const by = new Map<string, Candidate>();
  // facts.uses is sorted by address, so each candidate's uses are too, and candidates appear in address order.
  for (const u of facts.uses) {
    const pool = enabledPoolOf(facts.pools, u.addr);
    if (!pool) continue;
    const net = alignedNet(u.addr, pool.pool.blockSize);
    const key = formatNet(net);
    const c = by.get(key) ?? { net, pool, uses: [] };
    c.uses.push(u);
    by.set(key, c);
  }
  return [...by.values()];
}

/** Nodes with the highest score among `tied`; ties stay tied. */
function best(tied: readonly string[], score: (node: string) => number): string[] {
  const scores = tied.map((n) => score(n));
  const top = Math.max(...scores);
  return tied.filter((_, i) => scores[i] === top);
}

export function decideOwner(c: Pick<Candidate, "uses">): { owner: string; source: OwnerSource } {
  const tunnels = [...new Set(c.uses.filter((u) => u.use !== "pod").map((u) => u.node))];
  if (tunnels.length === 1) return { owner: tunnels[0]!, source: "tunnel-address" };
  let tied = [...new Set(c.uses.map((u) => u.node))];
  tied = best(tied, (n) => c.uses.filter((u) => u.use === "pod" && u.node === n).length);
  if (tied.length === 1) return { owner: tied[0]!, source: "most-pods" };
  // c.uses is sorted by address: the first use on a tied node holds the lowest address among them.
  const lowest = c.uses.find((u) => tied.includes(u.node));
  if (lowest) return { owner: lowest.node, source: "lowest-address" };
  // Sorted for determinism: byte order, never localeCompare.
  return { owner: [...tied].sort()[0] ?? "", source: "node-name" };
}

export function inferredBlocks(facts: Facts, diag: DiagnosticSink): BlockTable {
  const table = new BlockTable();
  for (const c of candidates(facts)) {
    const { owner, source } = decideOwner(c);
    const d = draft(c.net, c.pool, { owner, affinities: [{ node: owner, state: "confirmed" }], source });
    for (const u of c.uses) d.addresses.set(u.text, addressOf(u, u.node));
    table.add(d);
    const borrowed = c.uses.filter((u) => u.node !== owner).length;
    const tail = borrowed ? `; ${borrowed} address${borrowed === 1 ? "" : "es"} in it borrowed by other nodes` : "";
    diag.note("addressing/inferred-block", null, `block ${d.cidr} (IPPool "${c.pool.pool.name}"): owner ${owner} inferred because ${RULE_TEXT[source as keyof typeof RULE_TEXT]}${tail}; give IPAMBlock/BlockAffinity objects for exact routes`);
  }
  return table;
}

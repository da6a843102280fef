// The address plan from Calico's own IPAM objects (spec calico-routes §5.1):
// blocks and their `host:` affinity from IPAMBlock (what Felix follows),
// confirmed and pendingDeletion BlockAffinities (what BIRD follows), each
// allocation's owner from its attributes. Nothing is guessed: an address no
// block holds gets a block of its own with no owner, and a warning.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { BlockAddress, IPAMAllocation, IPAMBlock, IPAMObjects } from "../../ir/ipam.js";
import { addressOf, BlockTable, draft, type Affinity } from "./blocks.js";
import type { Facts, Use } from "./facts.js";
import { alignedNet, enabledPoolOf, formatNet, netsOverlap, parseNet, poolOfNet, type Net } from "./space.js";

const TUNNEL_TYPES: Readonly<Record<string, BlockAddress["use"]>> = { ipipTunnelAddress: "ipip-tunnel", vxlanTunnelAddress: "vxlan-tunnel" };

function allocationAddress(a: IPAMAllocation, facts: Facts, block: IPAMBlock, diag: DiagnosticSink): BlockAddress {
  const held = facts.byAddress.get(a.address);
  const tunnel = a.type ? TUNNEL_TYPES[a.type] : undefined;
  if (held) {
    if (a.node !== null && held.node !== a.node) {
      const what = held.use === "pod" ? `pod ${held.owner} runs on ${held.node}` : `it is ${held.node}'s tunnel address`;
      diag.warning("addressing/allocation-node-mismatch", held.span, `${a.address}: IPAMBlock ${block.cidr} allocates it to node ${a.node}, but ${what}; BIRD routes it by where it lives, Felix by the allocation`);
    }
    return addressOf(held, a.node);
  }
  const owner = tunnel ? (a.node ?? a.handle ?? "") : a.namespace && a.pod ? `${a.namespace}/${a.pod}` : (a.handle ?? "");
  // A tunnel allocation lives on its node even without the annotation; anything else no pod of the snapshot holds.
  return { address: a.address, use: tunnel ?? "allocation", owner, node: tunnel ? a.node : null, allocationNode: a.node };
}

function blockDrafts(ipam: IPAMObjects, facts: Facts, diag: DiagnosticSink): BlockTable {
  const table = new BlockTable();
  for (const b of ipam.blocks) {
    const net = parseNet(b.cidr);
    if (!net) continue;
    if (table.overlaps(net)) {
      const other = table.all.find((d) => netsOverlap(d.net, net));
      diag.error("addressing/overlapping-blocks", b.span, `IPAMBlock ${b.cidr} overlaps IPAMBlock ${other?.cidr ?? "another block"}: Calico would route one address two ways`);
      continue;
    }
    const pool = poolOfNet(facts.pools, net);
    if (!pool) diag.warning("addressing/block-outside-pools", b.span, `IPAMBlock ${b.cidr} is in no IPPool (a deleted pool?): Felix makes no route for it, BIRD only blackholes it on its affine node`);
    else if (pool.pool.blockSize !== net.prefix) diag.warning("addressing/block-size", b.span, `IPAMBlock ${b.cidr} is a /${net.prefix}, but IPPool "${pool.pool.name}" has blockSize ${pool.pool.blockSize}`);
    const d = draft(net, pool, { owner: b.affinity?.name ?? null, allocated: b.allocations.length, span: b.span });
    for (const a of b.allocations) d.addresses.set(a.address, allocationAddress(a, facts, b, diag));
    table.add(d);
  }
  return table;
}

/** Confirmed and pendingDeletion affinities per CIDR; two confirmed nodes for one block is an error. */
function affinitiesByCidr(ipam: IPAMObjects, diag: DiagnosticSink): Map<string, Affinity[]> {
  const out = new Map<string, Affinity[]>();
  for (const a of ipam.affinities) {
    if (a.state === "pending" || a.type !== "host") continue;
    const net = parseNet(a.cidr);
    if (!net) continue;
    const key = formatNet(net);
    const list = out.get(key) ?? [];
    const rival = list.find((x) => x.state === "confirmed" && x.node !== a.node);
    if (a.state === "confirmed" && rival) {
      diag.error("addressing/conflicting-affinities", a.span, `BlockAffinity ${a.name}: block ${key} is confirmed for node ${a.node} and for node ${rival.node}; BIRD would advertise it from both (ECMP)`);
      continue;
    }
    if (!list.some((x) => x.node === a.node)) list.push({ node: a.node, state: a.state });
    out.set(key, list);
  }
  return out;
}

function applyAffinities(table: BlockTable, ipam: IPAMObjects, facts: Facts, diag: DiagnosticSink): void {
  const given = ipam.affinities.length > 0;
  const byCidr = affinitiesByCidr(ipam, diag);
  for (const d of table.all) {
    const host = d.owner;
    d.affinities = given ? (byCidr.get(d.cidr) ?? []) : host ? [{ node: host, state: "confirmed" }] : [];
    const confirmed = d.affinities.find((a) => a.state === "confirmed");
    if (given && confirmed && host !== null && confirmed.node !== host) {
      diag.warning("addressing/affinity-mismatch", d.span, `IPAMBlock ${d.cidr} is affine to ${host}, its BlockAffinity to ${confirmed.node}: BIRD follows the BlockAffinity, Felix the block`);
    }
    byCidr.delete(d.cidr);
  }
  // Affinities whose block is gone still blackhole under BIRD (calico#4471); without any IPAMBlock, Felix's view is taken from them.
  for (const [cidr, affs] of byCidr) {
    const net = parseNet(cidr);
    if (!net || table.overlaps(net)) continue;
    const owner = ipam.blocks.length === 0 ? (affs.find((a) => a.state === "confirmed")?.node ?? null) : null;
    table.add(draft(net, poolOfNet(facts.pools, net), { owner, affinities: affs }));
  }
}

/** Uses no block holds: a block of their own, no owner (BIRD advertises a /32 from the node, Felix makes no route). */
function placeOrphans(table: BlockTable, facts: Facts, diag: DiagnosticSink): void {
  for (const u of facts.uses) {
    const pool = enabledPoolOf(facts.pools, u.addr);
    if (!pool) continue;
    const d = table.find(u.addr);
    if (d) {
      if (!d.addresses.has(u.text)) {
        d.addresses.set(u.text, addressOf(u, null));
        diag.warning("addressing/unallocated-address", u.span, `${describe(u)}: IPAMBlock ${d.cidr} has no allocation for it`);
      }
      continue;
    }
    const aligned = alignedNet(u.addr, pool.pool.blockSize);
    const net: Net = table.overlaps(aligned) ? alignedNet(u.addr, u.addr.family === 4 ? 32 : 128) : aligned;
    const o = draft(net, pool, { source: "ipam" });
    o.addresses.set(u.text, addressOf(u, null));
    table.add(o);
    diag.warning("addressing/unallocated-address", u.span, `${describe(u)}: no IPAMBlock holds it; BIRD advertises it as a /32 from ${u.node}, Felix makes no route to it`);
  }
}

const describe = (u: Use): string => (u.use === "pod" ? `pod ${u.owner} address ${u.text}` : `node ${u.node}'s tunnel address ${u.text}`);

export function exactBlocks(ipam: IPAMObjects, facts: Facts, diag: DiagnosticSink): BlockTable {
  const table = blockDrafts(ipam, facts, diag);
  applyAffinities(table, ipam, facts, diag);
  placeOrphans(table, facts, diag);
  return table;
}

/** IPAM's tunnel allocations per node and type (`ipip-tunnel`, `vxlan-tunnel`), the lowest address first. */
export function ipamTunnels(table: BlockTable): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of table.all) {
    for (const a of d.addresses.values()) {
      if (a.use === "pod" || a.use === "allocation" || a.node === null) continue;
      const key = `${a.use}\u0000${a.node}`;
      if (!out.has(key)) out.set(key, a.address);
    }
  }
  return out;
}

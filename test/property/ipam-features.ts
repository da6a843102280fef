// What a generated IpamCase exercises, as tags (the ipam-arb.ts counterpart
// of features.ts): ipam-coverage.test.ts demands that a fixed sample hits
// every tag, so a generator change that stops producing (say) borrowed
// tunnel addresses or pendingDeletion affinities fails loudly instead of
// quietly weakening every property of ipam-routes.test.ts.
import { GONE_NODE, ipToInt, type IpamCase } from "./ipam-arb.js";

export const IPAM_FEATURES = [
  "pool:ipip-always", "pool:ipip-cross", "pool:vxlan-always", "pool:vxlan-cross", "pool:never", "pool:several", "pool:node-selector",
  "block:/26", "block:/28-/30", "block:/32", "block:shared", "block:affinity-less-in-use", "block:affine-to-gone-node",
  "pod:borrowed", "tunnel:borrowed-ipip", "tunnel:borrowed-vxlan", "tunnel:annotated", "tunnel:unannotated-exact", "tunnel:unannotated-inferred",
  "vtep-mac:annotated", "vtep-mac:derived",
  "objects:none", "objects:blocks", "objects:blocks+affinities", "objects:v3", "affinity:state-empty",
  "affinity:pending", "affinity:pendingDeletion", "affinity:releasing", "affinity:rival-pending", "affinity:deleted",
  "strictAffinity:true", "strictAffinity:false", "strictAffinity:absent",
  "nodes:same-subnet-cross-pool", "nodes:other-subnet-cross-pool", "nodes:5",
  "pod:hostNetwork", "pod:pending", "pod:succeeded", "policies:none", "policies:some",
] as const;
export type IpamFeature = (typeof IPAM_FEATURES)[number];

const subnetOf = (ip: string): number => Math.floor(ipToInt(ip) / 256);

export function ipamFeaturesOf(c: IpamCase): Set<IpamFeature> {
  const tags = new Set<IpamFeature>();
  const tag = (f: IpamFeature): void => void tags.add(f);
  for (const p of c.pools) tag(`pool:${p.mode}`);
  if (c.pools.length > 1) tag("pool:several");
  if (c.pools.some((p) => p.selector === "edge" || p.selector === "not-edge")) tag("pool:node-selector");
  for (const b of c.blocks) {
    const size = Number(b.cidr.split("/")[1]);
    tag(size === 26 ? "block:/26" : size === 32 ? "block:/32" : "block:/28-/30");
    const nodes = new Set(b.allocations.map((a) => a.node));
    if (nodes.size > 1) tag("block:shared");
    if (b.affinity === null && b.allocations.length) tag("block:affinity-less-in-use");
    if (b.affinity === GONE_NODE) tag("block:affine-to-gone-node");
    for (const a of b.allocations) {
      if (b.affinity === null || a.node === b.affinity) continue;
      tag(a.kind === "pod" ? "pod:borrowed" : a.kind === "ipip" ? "tunnel:borrowed-ipip" : "tunnel:borrowed-vxlan");
    }
    // BlockAffinities are written only with "blocks+affinities".
    const own = b.claims[0];
    for (const a of c.objects === "blocks+affinities" ? b.claims : []) {
      if (a.deleted) tag("affinity:deleted");
      else if (a.state === "pendingDeletion") tag(b.affinity === null ? "affinity:releasing" : "affinity:pendingDeletion");
      else if (a.state === "pending") tag(a === own ? "affinity:pending" : "affinity:rival-pending");
    }
  }
  for (const n of c.nodes) {
    for (const [addr, annotated] of [[n.ipip, n.annotate.ipip], [n.vxlan, n.annotate.vxlan]] as const) {
      if (!addr) continue;
      tag(annotated ? "tunnel:annotated" : c.objects === "none" ? "tunnel:unannotated-inferred" : "tunnel:unannotated-exact");
    }
    if (n.vxlan) tag(n.mac ? "vtep-mac:annotated" : "vtep-mac:derived");
  }
  tag(`objects:${c.objects}`);
  if (c.objects !== "none" && c.spelling.v3) tag("objects:v3");
  if (c.objects === "blocks+affinities" && c.spelling.emptyState && c.blocks.some((b) => b.claims.some((a) => a.state === "confirmed"))) tag("affinity:state-empty");
  tag(c.strictAffinity === null ? "strictAffinity:absent" : c.strictAffinity ? "strictAffinity:true" : "strictAffinity:false");
  const cross = c.pools.some((p) => p.mode === "ipip-cross" || p.mode === "vxlan-cross");
  const subnets = c.nodes.map((n) => subnetOf(n.ip));
  if (cross && subnets.some((s, i) => subnets.indexOf(s) !== i)) tag("nodes:same-subnet-cross-pool");
  if (cross && new Set(subnets).size > 1) tag("nodes:other-subnet-cross-pool");
  if (c.nodes.length === 5) tag("nodes:5");
  for (const p of c.shape.pods) if (p.kind !== "endpoint") tag(`pod:${p.kind}`);
  tag(c.policies.length ? "policies:some" : "policies:none");
  return tags;
}

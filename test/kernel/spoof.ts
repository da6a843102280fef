// Anti-spoofing: Felix's raw-table rule
//   -A cali-PREROUTING … -m mark --mark 0x40000/0x40000 -m rpfilter --validmark --invert -j DROP
// must drop a packet a pod sends from an address that is not routed back to
// its own veth. The harness turns the kernel's rp_filter sysctl off, so this
// rule is the only thing that can stop such a packet; its counter proves it did.
import { iptablesTool } from "./dataplane.js";
import type { ProbeFlow } from "./flows.js";
import type { KernelCluster } from "./harness.js";
import { podKey } from "./topology.js";

/** Packets counted by the raw-table rpfilter DROP rule(s) of `node` (null = no such rule loaded). */
export async function rpfilterDrops(k: KernelCluster, node: string): Promise<number | null> {
  const saved = await k.guard.inNs(k.nodeNs(node), iptablesTool(k.variant, "save"), ["-c", "-t", "raw"]);
  const lines = saved.split("\n").filter((l) => / -m rpfilter .*-j DROP/.test(l));
  if (!lines.length) return null;
  return lines.reduce((sum, l) => sum + Number(/^\[(\d+):\d+\]/.exec(l)?.[1] ?? "0"), 0);
}

/**
 * Give the source pod a second address `spoofIp` (inside its own namespace),
 * send one probe from it, take the address away again. Returns whether the
 * probe got through and how many packets the rpfilter rule dropped meanwhile.
 */
export async function spoofedProbe(k: KernelCluster, f: ProbeFlow, spoofIp: string): Promise<{ delivered: boolean; drops: number | null }> {
  if (f.src.kind !== "pod") throw new Error("spoofedProbe needs a pod source");
  const src = f.src.pod;
  const podNs = k.topo.podNs.get(podKey(src));
  if (!podNs) throw new Error(`no namespace for ${podKey(src)}`);
  const before = (await rpfilterDrops(k, src.node)) ?? 0;
  await k.guard.ipBatch(podNs, [`address add ${spoofIp}/32 dev eth0`]);
  try {
    const delivered = await k.probeFrom(f, spoofIp);
    const after = await rpfilterDrops(k, src.node);
    return { delivered, drops: after === null ? null : after - before };
  } finally {
    await k.guard.ipBatch(podNs, [`address del ${spoofIp}/32 dev eth0`]);
  }
}

// A walk asked for no trace (simulatePath's `trace` false) keeps only its last step, which the walk itself reads (the
// NAT binding of a nat hook, the decisive step): every outcome must be the traced walk's, but for its empty trace.
// Checked on compiled nodes with kube-proxy's statistic branches, DNAT, MASQUERADE, affinity and Felix's chains.
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import { podIPv4 } from "../../src/ir/cluster.js";
import type { CtState, HookPath, Packet, SimOutcome } from "../../src/simulate/types.js";
import { hostContext } from "../../src/verify/topology.js";
import { BOOKINFO, compileAll, type Compiled } from "../verify/helpers.js";
import { compileModel } from "../verify/services-model.js";

const same = (o: SimOutcome) => ({ verdict: o.verdict, packet: o.packet, probability: o.probability, unknown: o.unknown, decisive: o.decisive ?? null });

/** Every node × path × packet of a small grid over the cluster's addresses, interfaces and service ports. */
function compare(c: Compiled): { walks: number; outcomes: number; nat: number; branched: number } {
  const model = c.ctx.model;
  const topo = c.ctx.topology(c.rules);
  const pods = model.cluster.pods.flatMap((p) => podIPv4(p) ?? []);
  const vips = (model.cluster.services?.services ?? []).flatMap((s) => (s.clusterIPs.kind === "ips" ? s.clusterIPs.ips.filter((ip) => !ip.includes(":")) : []));
  const nodeIps = [...topo.nodes.values()].flatMap((n) => n.ip ?? []);
  const addresses = [...new Set([...pods.slice(0, 4), ...vips.slice(0, 6), ...nodeIps.slice(0, 3), "203.0.113.77"])];
  const ports = [...new Set([80, ...(model.cluster.services?.services ?? []).flatMap((s) => s.ports.flatMap((p) => [p.port, p.nodePort]).filter((n) => n > 0))])].slice(0, 6);
  const differ: string[] = [];
  let [walks, outcomes, nat, branched] = [0, 0, 0, 0];
  for (const [node, r] of c.rules) {
    const info = topo.nodes.get(node)!;
    const host = { ...hostContext(info, r), recent: (_: string, addr: string) => addr === pods[0] };
    const ifaces = [...info.localIfaces.keys(), ...info.interfaceAddresses.keys(), "eth0"];
    const paths: HookPath[] = [
      ...ifaces.flatMap((i) => ifaces.filter((o) => o !== i).slice(0, 2).map((o): HookPath => ({ kind: "forward", inIface: i, outIface: o }))),
      ...ifaces.map((i): HookPath => ({ kind: "input", inIface: i })),
      ...ifaces.map((o): HookPath => ({ kind: "output", outIface: o })),
    ];
    for (const path of paths) {
      for (const src of addresses) {
        for (const dst of addresses) {
          if (src === dst) continue;
          const kinds: Array<readonly [string, number, CtState]> = [...ports.flatMap((p) => [["tcp", p, "NEW"], ["udp", p, "NEW"]] as const), ["tcp", 80, "ESTABLISHED"]];
          for (const [protocol, dstPort, ctstate] of kinds) {
            const packet: Packet = { src, dst, protocol, srcPort: 40000, dstPort, ctstate, mark: 0, dnat: false, snat: false };
            for (const until of [undefined, "dnat"] as const) {
              const traced = c.ctx.simulate(r.ruleset, path, packet, host, until);
              const bare = c.ctx.simulate(r.ruleset, path, packet, host, until, false);
              const [a, b] = [JSON.stringify(bare.map(same)), JSON.stringify(traced.map(same))];
              if (a !== b || bare.some((o) => o.trace.length > 0)) differ.push(`${node} ${JSON.stringify(path)} ${JSON.stringify(packet)} ${until ?? ""}: ${a} ≠ ${b}`);
              walks++;
              outcomes += traced.length;
              if (traced.length > 1) branched++;
              if (traced.some((o) => o.packet.dnat || o.packet.snat)) nat++;
            }
          }
        }
      }
    }
  }
  expect(differ.slice(0, 3)).toEqual([]);
  return { walks, outcomes, nat, branched };
}

describe("simulator: walks without a trace", () => {
  it("the hand-made services cluster (affinity, traffic policies, nodePorts)", () => {
    const r = compare(compileModel());
    // What the comparison is about happened: walks that branched and walks that NATed.
    expect(r.branched).toBeGreaterThan(0);
    expect(r.nat).toBeGreaterThan(0);
  });

  it("examples/bookinfo", () => {
    const r = compare(compileAll(gatherInputs([BOOKINFO], () => "")));
    expect(r.branched).toBeGreaterThan(0);
    expect(r.nat).toBeGreaterThan(0);
  });
});

// simulatePath's `reroute`: after the hooks up to the destination NAT, a
// translated branch goes on along the path its new destination gives. Each
// branch must end exactly as it does in a walk of that whole path (the hooks
// before the DNAT see no output device, so they take the same branches).
import { describe, expect, it } from "vitest";
import { createSimulator } from "../../src/simulate/index.js";
import type { HookPath, Packet, SimOutcome } from "../../src/simulate/types.js";
import { host, pkt, rules } from "./simulate-helpers.js";

const rs = rules(`*nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  :svc - [0:0]
  -A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j svc
  -A OUTPUT -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j svc
  -A svc -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.0.1.5:8080
  -A svc -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.0.2.6:8080
  -A svc -j DNAT --to-destination 10.0.3.7:9090
  -A POSTROUTING -o tunl0 -j MASQUERADE
  COMMIT
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  -A FORWARD -o cali2 -j DROP
  -A FORWARD -o tunl0 -p tcp -m tcp --dport 9090 -j REJECT
  -A FORWARD -i eth0 -o cali1 -j ACCEPT
  -A OUTPUT -o cali2 -j DROP
  COMMIT
`);

/** Where each backend is routed: two local workloads and one over the tunnel. */
const DEVICE: Readonly<Record<string, string>> = { "10.0.1.5": "cali1", "10.0.2.6": "cali2", "10.0.3.7": "tunl0" };

const view = (o: SimOutcome) => ({ verdict: o.verdict, packet: o.packet, probability: o.probability, trace: o.trace.map((t) => `${t.table}:${t.chain}:${t.index}:${t.action}`) });

/** Each outcome of the walk along `path` rerouted by `next`, and the outcomes of walking each device's whole path that reach a backend routed by it. */
function both(path: HookPath, next: (out: string) => HookPath, packet: Packet): { split: unknown[]; whole: unknown[] } {
  const sim = createSimulator();
  const split = sim.simulatePath(rs, path, packet, host(), undefined, true, (dst) => next(DEVICE[dst] ?? "eth0"));
  const whole: SimOutcome[] = [];
  for (const out of ["cali1", "cali2", "tunl0"]) {
    for (const o of sim.simulatePath(rs, next(out), packet, host())) if (o.packet.dnat && DEVICE[o.packet.dst] === out) whole.push(o);
  }
  const order = (xs: SimOutcome[]) => xs.map(view).sort((a, b) => (a.packet.dst < b.packet.dst ? -1 : 1));
  return { split: order(split.filter((o) => o.packet.dnat)), whole: order(whole) };
}

describe("simulatePath reroute: each DNAT branch on its own device", () => {
  it("a forwarded packet: each branch as the whole forward path with its device gives it", () => {
    const { split, whole } = both({ kind: "forward", inIface: "eth0", outIface: "eth0" }, (out) => ({ kind: "forward", inIface: "eth0", outIface: out }), pkt({ dst: "10.96.0.10" }));
    expect(split).toEqual(whole);
    expect(split.map((o) => (o as { verdict: string }).verdict)).toEqual(["ACCEPT", "DROP", "REJECT"]);
  });

  it("a host's packet: POSTROUTING sees the backend's device, OUTPUT the service address's", () => {
    const { split, whole } = both(
      { kind: "output", outIface: "eth0" },
      (out) => ({ kind: "output", outIface: "eth0", postIface: out }),
      pkt({ src: "10.0.0.11", dst: "10.96.0.10" }),
    );
    expect(split).toEqual(whole);
    // Filter OUTPUT saw eth0 (the route to the service address): cali2's DROP there never applies; tunl0's branch is masqueraded.
    expect(split.map((o) => (o as { verdict: string; packet: Packet }).packet.snat)).toEqual([false, false, true]);
  });

  it("an untranslated packet goes on along the path it was given; branches' probabilities still sum to 1", () => {
    const sim = createSimulator();
    const path: HookPath = { kind: "forward", inIface: "eth0", outIface: "eth0" };
    const asked: string[] = [];
    const other = sim.simulatePath(rs, path, pkt({ dst: "10.96.0.11" }), host(), undefined, true, (dst) => (asked.push(dst), path));
    expect(asked).toEqual([]);
    expect(other).toEqual(sim.simulatePath(rs, path, pkt({ dst: "10.96.0.11" }), host()));
    const all = sim.simulatePath(rs, path, pkt({ dst: "10.96.0.10" }), host(), undefined, true, (dst) => ({ ...path, outIface: DEVICE[dst]! }));
    expect(all.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 9);
  });

  it("refuses a path that starts on another hook", () => {
    const sim = createSimulator();
    expect(() =>
      sim.simulatePath(rs, { kind: "forward", inIface: "eth0", outIface: "eth0" }, pkt({ dst: "10.96.0.10" }), host(), undefined, true, () => ({ kind: "output", outIface: "eth0" })),
    ).toThrow(/another first hook/);
  });
});

// Algebraic laws of NetworkPolicy (spec/netpol-semantics.md §3), checked on
// random policies over a small fixed cluster: policies combine by union,
// order is irrelevant, and a direction is decided by its isolating policies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Protocol } from "../../src/ir/cluster.js";
import type { NetworkPolicy, PortEntry, Peer } from "../../src/ir/policy.js";
import { createEvaluator, evaluate } from "../../src/semantics/evaluate.js";
import type { DirectionVerdict } from "../../src/semantics/types.js";
import {
  allPorts, cport, flow, ipBlock, model, named, namespace, node, notIn, nsPeer, pod, podPeer, policy, sel, tcp, udp,
  type RuleDraft,
} from "./fixtures.js";

const namespaces = [namespace("x", { team: "x" }), namespace("y", { team: "y" })];
const nodes = [node("n1", "172.16.0.1"), node("n2", "172.16.0.2")];
const pods = [
  pod("x/a", { labels: { app: "a" }, ip: "192.168.0.1", node: "n1", ports: [cport("http", 80)] }),
  pod("x/b", { labels: { app: "b", tier: "db" }, ip: "192.168.0.2", node: "n1", ports: [cport("http", 81)] }),
  pod("x/c", { labels: { app: "a", tier: "web" }, ip: "10.1.0.3", node: "n2" }),
  pod("y/a", { labels: { app: "a" }, ip: "192.168.1.1", node: "n2", ports: [cport("dns", 53, "UDP")] }),
  pod("y/b", { labels: { app: "b" }, ip: "192.168.1.2", node: "n2" }),
];
const ips = ["172.16.0.1", "172.16.0.2", "10.1.2.3", "10.1.0.3", "8.8.8.8"];

const selectors = [sel(), sel({ app: "a" }), sel({ app: "b" }), sel({}, notIn("tier", "db"))];
const peerArb: fc.Arbitrary<Peer> = fc.oneof(
  fc.constantFrom(...selectors).map((s) => podPeer(s)),
  fc.constantFrom(...selectors).map((s) => nsPeer(s)),
  fc.tuple(fc.constantFrom(...selectors), fc.constantFrom(sel({ team: "y" }), sel())).map(([p, n]) => podPeer(p, n)),
  fc.constantFrom(ipBlock("10.0.0.0/8", "10.1.0.0/16"), ipBlock("0.0.0.0/0"), ipBlock("172.16.0.0/24"), ipBlock("::/0")),
);
const portArb: fc.Arbitrary<PortEntry> = fc.constantFrom(tcp(80), tcp(80, 81), udp(53), allPorts(), named("http"), named("dns", "UDP"));
const ruleArb: fc.Arbitrary<RuleDraft> = fc.record({
  peers: fc.array(peerArb, { maxLength: 2 }),
  ports: fc.array(portArb, { maxLength: 2 }),
});
const policyArb = (name: string): fc.Arbitrary<NetworkPolicy> =>
  fc
    .record({
      ns: fc.constantFrom("x", "y"),
      podSelector: fc.constantFrom(...selectors),
      types: fc.constantFrom<("Ingress" | "Egress")[]>(["Ingress"], ["Egress"], ["Ingress", "Egress"]),
      ingress: fc.array(ruleArb, { maxLength: 2 }),
      egress: fc.array(ruleArb, { maxLength: 2 }),
    })
    .map((d) => policy(`${d.ns}/${name}`, d));
const policiesArb = (prefix: string) =>
  fc.array(fc.nat(), { maxLength: 3 }).chain((ids) => fc.tuple(...ids.map((_, i) => policyArb(`${prefix}${i}`))));

const endpointArb = fc.oneof(fc.constantFrom(...pods), fc.constantFrom(...ips));
const flowArb = fc
  .tuple(endpointArb, endpointArb, fc.constantFrom<Protocol>("TCP", "UDP", "SCTP"), fc.constantFrom(53, 80, 81, 443))
  .map(([s, d, proto, port]) => flow(s, d, proto, port));

const EXEMPT = new Set(["not a pod", "same pod", "from own node"]);

/** The union law for one direction: allowed(P∪Q) from allowed(P) and allowed(Q). */
function unionOf(p: DirectionVerdict, q: DirectionVerdict): boolean {
  if (EXEMPT.has(p.reason)) return true;
  const isoP = p.isolatedBy.length > 0;
  const isoQ = q.isolatedBy.length > 0;
  return (!isoP && !isoQ) || (isoP && p.allowed) || (isoQ && q.allowed);
}

const refs = (v: DirectionVerdict): string[] =>
  v.allowedBy.map((r) => `${r.policy.namespace}/${r.policy.name}#${r.direction}${r.ruleIndex}`).sort();

describe("laws", () => {
  it("policies combine by union, per direction", () => {
    fc.assert(
      fc.property(policiesArb("p"), policiesArb("q"), flowArb, (ps, qs, f) => {
        const vp = evaluate(model({ namespaces, nodes, pods, policies: ps }), f);
        const vq = evaluate(model({ namespaces, nodes, pods, policies: qs }), f);
        const vpq = evaluate(model({ namespaces, nodes, pods, policies: [...ps, ...qs] }), f);
        expect(vpq.egress.allowed).toBe(unionOf(vp.egress, vq.egress));
        expect(vpq.ingress.allowed).toBe(unionOf(vp.ingress, vq.ingress));
        expect(vpq.allowed).toBe(vpq.egress.allowed && vpq.ingress.allowed);
        if (!EXEMPT.has(vpq.ingress.reason)) expect(refs(vpq.ingress)).toEqual([...refs(vp.ingress), ...refs(vq.ingress)].sort());
      }),
      { numRuns: 500 },
    );
  });

  it("policy order is irrelevant", () => {
    fc.assert(
      fc.property(policiesArb("p"), flowArb, (ps, f) => {
        const fwd = { ...model({ namespaces, nodes, pods }), policies: ps };
        const rev = { ...fwd, policies: [...ps].reverse() };
        const a = evaluate(fwd, f);
        const b = evaluate(rev, f);
        expect([b.allowed, b.egress.reason, b.ingress.reason]).toEqual([a.allowed, a.egress.reason, a.ingress.reason]);
        expect(refs(b.egress)).toEqual(refs(a.egress));
      }),
      { numRuns: 300 },
    );
  });

  it("allowedAt answers each port as evaluate does, with the sides given or not", () => {
    fc.assert(
      fc.property(policiesArb("p"), flowArb, fc.array(fc.constantFrom(1, 53, 54, 79, 80, 81, 82, 443, 65535), { maxLength: 6 }), (ps, f, ports) => {
        const ev = createEvaluator(model({ namespaces, nodes, pods, policies: ps }));
        expect(ev.allowedAt(f, ports)).toEqual(ports.map((port) => ev.evaluate({ ...f, port }).allowed));
        // The sides of the pair judged once, on another protocol and port, answer every protocol alike.
        const sides = ev.sides({ ...f, protocol: f.protocol === "UDP" ? "TCP" : "UDP", port: 7 });
        expect(ev.allowedAt(f, ports, sides)).toEqual(ports.map((port) => ev.evaluate({ ...f, port }).allowed));
      }),
      { numRuns: 500 },
    );
  });

  it("verdictWith gives evaluate's verdict (reasons and deciding rules too) from sides taken at another protocol and port", () => {
    fc.assert(
      fc.property(policiesArb("p"), flowArb, (ps, f) => {
        const ev = createEvaluator(model({ namespaces, nodes, pods, policies: ps }));
        const sides = ev.sides({ ...f, protocol: f.protocol === "UDP" ? "TCP" : "UDP", port: 7 });
        expect(ev.verdictWith(f, sides)).toEqual(ev.evaluate(f));
      }),
      { numRuns: 500 },
    );
  });
});

// ipBlock, self traffic, the own node, non-endpoint pods (spec/netpol-semantics.md §4, §7).
import { describe, expect, it } from "vitest";
import { endpointAt, endpointsOf, evaluate } from "../../src/semantics/evaluate.js";
import { flow, ipBlock, model, node, nsPeer, pod, podPeer, policy, sel } from "./fixtures.js";

const nodes = [node("node1", "172.16.0.11", "192.168.0.1"), node("node2", "172.16.0.12", "192.168.1.1")];
const a = pod("x/a", { labels: { app: "a" }, ip: "192.168.0.10", node: "node1" });
const b = pod("x/b", { labels: { app: "b" }, ip: "192.168.1.10", node: "node2" });
const denyAll = policy("x/deny-all", { types: ["Ingress", "Egress"] });

describe("ipBlock", () => {
  const fromBlock = (...peers: ReturnType<typeof ipBlock>[]) =>
    model({ pods: [a, b], nodes, policies: [policy("x/in", { podSelector: sel({ app: "a" }), ingress: [{ peers }] })] });

  it("except trims the block: an excepted IP is denied", () => {
    const m = fromBlock(ipBlock("10.0.0.0/8", "10.1.0.0/16"));
    expect(evaluate(m, flow("10.2.3.4", a)).allowed).toBe(true);
    expect(evaluate(m, flow("10.1.2.3", a)).allowed).toBe(false);
    expect(evaluate(m, flow("11.0.0.1", a)).allowed).toBe(false);
  });

  it("except is not a deny: another peer may allow the excepted IP", () => {
    const m = fromBlock(ipBlock("10.0.0.0/8", "10.1.0.0/16"), ipBlock("10.1.2.0/24"));
    expect(evaluate(m, flow("10.1.2.3", a)).allowed).toBe(true);
    expect(evaluate(m, flow("10.1.3.3", a)).allowed).toBe(false);
  });

  it("matches pod IPs too, in both directions", () => {
    const m = fromBlock(ipBlock("192.168.1.0/24"));
    expect(evaluate(m, flow(b, a)).allowed).toBe(true);
    const out = policy("x/out", { podSelector: sel({ app: "b" }), types: ["Egress"], egress: [{ peers: [ipBlock("192.168.0.10/32")] }] });
    expect(evaluate(model({ pods: [a, b], policies: [out] }), flow(b, a)).allowed).toBe(true);
  });

  it("host bits in the CIDR are masked, as the API server reads them", () => {
    expect(evaluate(fromBlock(ipBlock("10.1.2.3/8")), flow("10.200.0.1", a)).allowed).toBe(true);
  });

  it("an IPv6 block never matches IPv4, not even ::/0 or ::ffff:0:0/96", () => {
    const m = fromBlock(ipBlock("::/0"), ipBlock("::ffff:0:0/96"));
    expect(evaluate(m, flow("10.1.2.3", a)).allowed).toBe(false);
    expect(evaluate(m, flow(b, a)).allowed).toBe(false);
    expect(evaluate(m, flow("2001:db8::1", a)).allowed).toBe(true);
    expect(evaluate(fromBlock(ipBlock("0.0.0.0/0")), flow("2001:db8::1", a)).allowed).toBe(false);
  });
});

describe("special traffic", () => {
  it("a pod may always talk to itself, even under deny-all (by name or by its own IP)", () => {
    const m = model({ pods: [a, b], nodes, policies: [denyAll] });
    const v = evaluate(m, flow(a, a));
    expect(v.allowed).toBe(true);
    expect(v.egress.reason).toBe("same pod");
    expect(v.ingress.reason).toBe("same pod");
    expect(v.ingress.isolatedBy.map((p) => p.name)).toEqual(["deny-all"]);
    expect(evaluate(m, flow(a, "192.168.0.10")).egress.reason).toBe("same pod");
    expect(evaluate(m, flow(a, b)).allowed).toBe(false);
  });

  it("ingress from the pod's own node is allowed; other nodes are ordinary IPs", () => {
    const m = model({ pods: [a, b], nodes, policies: [denyAll] });
    expect(evaluate(m, flow("172.16.0.11", a)).ingress.reason).toBe("from own node");
    expect(evaluate(m, flow("192.168.0.1", a)).allowed).toBe(true); // node1's tunnel address
    expect(evaluate(m, flow("172.16.0.12", a)).allowed).toBe(false);
    expect(evaluate(m, flow("172.16.0.12", b)).allowed).toBe(true);
  });

  it("egress to the own node is not exempt (Felix applies egress policy to pod-to-host traffic)", () => {
    const m = model({ pods: [a, b], nodes, policies: [denyAll] });
    expect(evaluate(m, flow(a, "172.16.0.11")).allowed).toBe(false);
  });

  it("a hostNetwork pod is not matched by pod peers, but its node IP is matched by ipBlock", () => {
    const host = pod("x/host", { labels: { app: "b" }, hostNetwork: true, node: "node2", ips: ["172.16.0.12"] });
    const byLabel = policy("x/in", { podSelector: sel({ app: "a" }), ingress: [{ peers: [podPeer(sel({ app: "b" })), nsPeer(sel())] }] });
    const m = model({ pods: [a, b, host], nodes, policies: [byLabel] });
    expect(evaluate(m, flow(b, a)).allowed).toBe(true);
    expect(evaluate(m, flow(host, a)).allowed).toBe(false);
    const byIP = policy("x/in", { podSelector: sel({ app: "a" }), ingress: [{ peers: [ipBlock("172.16.0.0/24")] }] });
    expect(evaluate(model({ pods: [a, host], nodes, policies: [byIP] }), flow(host, a)).allowed).toBe(true);
  });

  it("a hostNetwork pod without podIPs speaks with its node's IP; on the pod's node it is the own node", () => {
    const host2 = pod("x/host2", { hostNetwork: true, node: "node2" });
    const host1 = pod("x/host1", { hostNetwork: true, node: "node1" });
    const byIP = policy("x/in", { podSelector: sel({ app: "a" }), ingress: [{ peers: [ipBlock("172.16.0.12/32")] }] });
    const m = model({ pods: [a, host1, host2], nodes, policies: [byIP] });
    expect(evaluate(m, flow(host2, a)).allowed).toBe(true);
    expect(evaluate(m, flow(host1, a)).ingress.reason).toBe("from own node");
  });

  it("non-endpoint pods are never isolated and never matched: hostNetwork, finished, IP-less", () => {
    const deny = policy("x/deny-all-x", { types: ["Ingress", "Egress"], ingress: [{ peers: [podPeer(sel())] }] });
    const host = pod("x/host", { hostNetwork: true, node: "node2", ips: ["172.16.0.12"] });
    const done = pod("x/done", { ip: "192.168.0.20", phase: "Succeeded" });
    const pending = pod("x/pending", { phase: "Pending" });
    const m = model({ pods: [a, host, done, pending], nodes, policies: [deny] });
    const toHost = evaluate(m, flow("8.8.8.8", host));
    expect(toHost.ingress.reason).toBe("not a pod");
    expect(toHost.allowed).toBe(true);
    expect(evaluate(m, flow(done, a)).allowed).toBe(false);
    expect(evaluate(m, flow(done, a)).egress.reason).toBe("not a pod");
    expect(evaluate(m, flow(pending, a)).allowed).toBe(false);
    expect(endpointsOf(m).map((p) => p.name)).toEqual(["a"]);
  });

  it("non-pod endpoints are not checked", () => {
    const v = evaluate(model({ pods: [a], nodes, policies: [denyAll] }), flow("1.1.1.1", "8.8.8.8"));
    expect(v.allowed).toBe(true);
    expect([v.egress.reason, v.ingress.reason]).toEqual(["not a pod", "not a pod"]);
  });
});

describe("helpers", () => {
  it("endpointsOf sorts by namespace, then name (byte order)", () => {
    const pods = ["y/a", "x/b", "x/B", "x/a"].map((q, i) => pod(q, { ip: `192.168.0.${i + 1}` }));
    const m = { ...model({ pods }), cluster: { ...model({ pods }).cluster, pods } };
    expect(endpointsOf(m).map((p) => `${p.namespace}/${p.name}`)).toEqual(["x/B", "x/a", "x/b", "y/a"]);
  });

  it("endpointAt maps a pod IP to its endpoint and anything else to a plain IP", () => {
    const m = model({ pods: [a, b], nodes });
    expect(endpointAt(m, "192.168.1.10")).toEqual({ kind: "pod", pod: b });
    expect(endpointAt(m, "172.16.0.11")).toEqual({ kind: "ip", ip: "172.16.0.11" });
  });
});

// Ports, protocols, named ports and policyTypes (spec/netpol-semantics.md §2, §5).
import { describe, expect, it } from "vitest";
import type { Protocol } from "../../src/ir/cluster.js";
import type { NetworkPolicy, PortEntry } from "../../src/ir/policy.js";
import { evaluate, resolveNamedPort } from "../../src/semantics/evaluate.js";
import { allPorts, cport, flow, ipBlock, model, named, pod, podPeer, policy, sctp, sel, tcp, udp } from "./fixtures.js";

const client = pod("x/client", { labels: { app: "client" }, ip: "192.168.0.2" });
const server = pod("x/server", {
  labels: { app: "server" },
  ip: "192.168.0.3",
  ports: [cport("serve-80-tcp", 80), cport("serve-81-udp", 81, "UDP"), cport("serve-80-sctp", 80, "SCTP")],
});

/** Whether client -> server proto/port passes an ingress policy on the server with one rule of these ports. */
function ingressAllows(ports: readonly PortEntry[], protocol: Protocol, port: number): boolean {
  const p = policy("x/server-in", { podSelector: sel({ app: "server" }), ingress: [{ ports }] });
  return evaluate(model({ pods: [client, server], policies: [p] }), flow(client, server, protocol, port)).allowed;
}

describe("ports and protocols", () => {
  it("ports: [{}] (defaulted to TCP, no port) opens every TCP port and no UDP", () => {
    expect(ingressAllows([allPorts()], "TCP", 1)).toBe(true);
    expect(ingressAllows([allPorts()], "TCP", 65535)).toBe(true);
    expect(ingressAllows([allPorts()], "UDP", 53)).toBe(false);
    expect(ingressAllows([allPorts()], "SCTP", 80)).toBe(false);
  });

  it("absent ports open every protocol", () => {
    for (const proto of ["TCP", "UDP", "SCTP"] as const) expect(ingressAllows([], proto, 4242)).toBe(true);
  });

  it("an SCTP rule does not open TCP or UDP on the same port", () => {
    expect(ingressAllows([sctp(80)], "SCTP", 80)).toBe(true);
    expect(ingressAllows([sctp(80)], "TCP", 80)).toBe(false);
    expect(ingressAllows([sctp(80)], "UDP", 80)).toBe(false);
  });

  it("endPort is an inclusive range; its edges", () => {
    const range = [tcp(8000, 8080)];
    expect(ingressAllows(range, "TCP", 7999)).toBe(false);
    expect(ingressAllows(range, "TCP", 8000)).toBe(true);
    expect(ingressAllows(range, "TCP", 8080)).toBe(true);
    expect(ingressAllows(range, "TCP", 8081)).toBe(false);
    expect(ingressAllows([tcp(53, 53)], "TCP", 53)).toBe(true); // endPort == port
    expect(ingressAllows([udp(1000, 2000)], "TCP", 1500)).toBe(false);
  });

  it("entries within ports are ORed", () => {
    const ports = [tcp(80), udp(53)];
    expect(ingressAllows(ports, "TCP", 80)).toBe(true);
    expect(ingressAllows(ports, "UDP", 53)).toBe(true);
    expect(ingressAllows(ports, "UDP", 80)).toBe(false);
  });
});

describe("named ports", () => {
  it("resolve by name AND protocol: serve-81-udp with TCP matches nothing", () => {
    expect(ingressAllows([named("serve-81-udp")], "TCP", 81)).toBe(false);
    expect(ingressAllows([named("serve-81-udp")], "UDP", 81)).toBe(false);
    expect(ingressAllows([named("serve-81-udp", "UDP")], "UDP", 81)).toBe(true);
    expect(ingressAllows([named("serve-80-sctp", "SCTP")], "SCTP", 80)).toBe(true);
    expect(ingressAllows([named("serve-80-sctp", "SCTP")], "TCP", 80)).toBe(false);
    expect(ingressAllows([named("no-such-port")], "TCP", 80)).toBe(false);
  });

  it("ingress resolves against the protected pod, not the source", () => {
    const clientWithPort = { ...client, ports: [cport("metrics", 9100)] };
    const p = policy("x/server-in", { podSelector: sel({ app: "server" }), ingress: [{ ports: [named("metrics")] }] });
    const m = model({ pods: [clientWithPort, server], policies: [p] });
    expect(evaluate(m, flow(clientWithPort, server, "TCP", 9100)).allowed).toBe(false);
  });

  it("egress resolves per destination pod: one name, different numbers", () => {
    const a = pod("x/a", { labels: { role: "backend" }, ip: "192.168.0.20", ports: [cport("http", 8080)] });
    const b = pod("x/b", { labels: { role: "backend" }, ip: "192.168.0.21", ports: [cport("http", 9090)] });
    const p = policy("x/client-out", {
      podSelector: sel({ app: "client" }),
      egress: [{ peers: [podPeer(sel({ role: "backend" }))], ports: [named("http")] }],
    });
    const m = model({ pods: [client, a, b], policies: [p] });
    const ok = (dst: typeof a, port: number): boolean => evaluate(m, flow(client, dst, "TCP", port)).allowed;
    expect(ok(a, 8080)).toBe(true);
    expect(ok(a, 9090)).toBe(false);
    expect(ok(b, 9090)).toBe(true);
    expect(ok(b, 8080)).toBe(false);
  });

  it("two containers sharing a port name: both numbers match", () => {
    const twin = pod("x/twin", {
      labels: { app: "server" },
      ip: "192.168.0.30",
      ports: [cport("http", 8080), cport("http", 80), cport("http", 80, "UDP")],
    });
    expect(resolveNamedPort(twin, "http", "TCP")).toEqual([80, 8080]);
    expect(resolveNamedPort(twin, "http", "UDP")).toEqual([80]);
    expect(resolveNamedPort(twin, "http", "SCTP")).toEqual([]);
    const p = policy("x/in", { podSelector: sel({ app: "server" }), ingress: [{ ports: [named("http")] }] });
    const m = model({ pods: [client, twin], policies: [p] });
    expect(evaluate(m, flow(client, twin, "TCP", 80)).allowed).toBe(true);
    expect(evaluate(m, flow(client, twin, "TCP", 8080)).allowed).toBe(true);
    expect(evaluate(m, flow(client, twin, "TCP", 81)).allowed).toBe(false);
  });

  it("a non-pod destination never matches a named port", () => {
    const p = policy("x/out", {
      podSelector: sel({ app: "client" }),
      egress: [{ peers: [ipBlock("0.0.0.0/0")], ports: [named("http")] }, { peers: [ipBlock("0.0.0.0/0")], ports: [tcp(443)] }],
    });
    const m = model({ pods: [client], policies: [p] });
    expect(evaluate(m, flow(client, "93.184.216.34", "TCP", 80)).allowed).toBe(false);
    expect(evaluate(m, flow(client, "93.184.216.34", "TCP", 443)).allowed).toBe(true);
  });

  it("a hostNetwork destination is not a pod: its container ports do not resolve", () => {
    const host = pod("x/host", { hostNetwork: true, ip: "172.16.0.12", node: "node2", ports: [cport("http", 80)] });
    const p = policy("x/out", { podSelector: sel({ app: "client" }), egress: [{ ports: [named("http")] }] });
    expect(evaluate(model({ pods: [client, host], policies: [p] }), flow(client, host, "TCP", 80)).allowed).toBe(false);
  });
});

describe("policyTypes", () => {
  const egressOnlyToServer = [{ peers: [podPeer(sel({ app: "server" }))] }];
  const run = (p: NetworkPolicy, dst: string | typeof server) =>
    evaluate(model({ pods: [client, server], policies: [p] }), flow(client, dst));

  it("egress: [] without the Egress type leaves egress unrestricted", () => {
    const p = policy("x/in-only", { podSelector: sel({ app: "client" }), egress: [] });
    expect(p.types).toEqual({ ingress: true, egress: false });
    const v = run(p, "8.8.8.8");
    expect(v.allowed).toBe(true);
    expect(v.egress.reason).toBe("not isolated");
  });

  it("egress rules under policyTypes [Ingress] are ignored", () => {
    const p = policy("x/in-only", { podSelector: sel({ app: "client" }), types: ["Ingress"], egress: egressOnlyToServer });
    expect(run(p, "8.8.8.8").allowed).toBe(true);
  });

  it("the same egress rules without policyTypes default Egress in, and deny ingress too", () => {
    const p = policy("x/defaulted", { podSelector: sel({ app: "client" }), egress: egressOnlyToServer });
    expect(p.types).toEqual({ ingress: true, egress: true });
    expect(run(p, "8.8.8.8").allowed).toBe(false);
    expect(run(p, server).allowed).toBe(true);
    expect(evaluate(model({ pods: [client, server], policies: [p] }), flow(server, client)).allowed).toBe(false);
  });

  it("egress isolation with no rules denies every egress", () => {
    const p = policy("x/deny-out", { podSelector: sel({ app: "client" }), types: ["Egress"] });
    expect(run(p, server).allowed).toBe(false);
    expect(run(p, "8.8.8.8").allowed).toBe(false);
  });
});

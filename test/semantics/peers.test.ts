// Isolation, selectors and peers (spec/netpol-semantics.md §3, §4, §6).
import { describe, expect, it } from "vitest";
import type { Pod } from "../../src/ir/cluster.js";
import type { NetworkPolicy } from "../../src/ir/policy.js";
import { evaluate } from "../../src/semantics/evaluate.js";
import { flow, ipBlock, model, namespace, notIn, nsPeer, pod, podPeer, policy, sel, tcp } from "./fixtures.js";

const xa = pod("x/a", { labels: { app: "a" }, ip: "192.168.0.10" });
const xb = pod("x/b", { labels: { app: "b", tier: "web" }, ip: "192.168.0.11" });
const xc = pod("x/c", { labels: { app: "c", tier: "db" }, ip: "192.168.0.12" });
const ya = pod("y/a", { labels: { app: "a" }, ip: "192.168.1.10" });
const yb = pod("y/b", { labels: { app: "b" }, ip: "192.168.1.11" });
const za = pod("z/a", { labels: { app: "a" }, ip: "192.168.2.10" });
const pods = [xa, xb, xc, ya, yb, za];
const namespaces = [namespace("x", { team: "x" }), namespace("y", { team: "y" }), namespace("z")];

/** The verdict of `src -> dst` TCP/80 under the given policies. */
function allowed(policies: readonly NetworkPolicy[], src: Pod | string, dst: Pod | string): boolean {
  return evaluate(model({ namespaces, pods, policies }), flow(src, dst)).allowed;
}

describe("isolation", () => {
  it("no policy: everything allowed, reason 'not isolated'", () => {
    const v = evaluate(model({ pods }), flow(xa, yb));
    expect(v.allowed).toBe(true);
    expect(v.egress.reason).toBe("not isolated");
    expect(v.ingress.reason).toBe("not isolated");
  });

  it("cross-namespace policies never isolate: a deny-all in x leaves y open", () => {
    const denyX = policy("x/deny-all", { types: ["Ingress", "Egress"] });
    expect(allowed([denyX], ya, yb)).toBe(true);
    expect(allowed([denyX], za, ya)).toBe(true);
    expect(allowed([denyX], xa, ya)).toBe(false); // x/a's egress is denied
    expect(allowed([denyX], ya, xa)).toBe(false); // x/a's ingress is denied
  });

  it("egress deny at the source beats an ingress allow at the destination", () => {
    const denyEgress = policy("x/deny-egress", { podSelector: sel({ app: "a" }), types: ["Egress"] });
    const allowIn = policy("y/allow-all-in", { ingress: [{}] });
    const v = evaluate(model({ namespaces, pods, policies: [denyEgress, allowIn] }), flow(xa, yb));
    expect(v.allowed).toBe(false);
    expect(v.egress.reason).toBe("no rule matched");
    expect(v.ingress.allowed).toBe(true);
    expect(v.ingress.reason).toBe("allowed by rule");
  });

  it("default-deny + allow is a union, and the verdict names both policies", () => {
    const deny = policy("x/default-deny");
    const allow = policy("x/allow-b", {
      podSelector: sel({ app: "a" }),
      ingress: [{ peers: [podPeer(sel({ app: "b" }))] }],
    });
    const m = model({ namespaces, pods, policies: [deny, allow] });
    const ok = evaluate(m, flow(xb, xa));
    expect(ok.allowed).toBe(true);
    expect(ok.ingress.isolatedBy.map((p) => p.name)).toEqual(["allow-b", "default-deny"]);
    expect(ok.ingress.allowedBy.map((r) => [r.policy.name, r.direction, r.ruleIndex])).toEqual([
      ["allow-b", "ingress", 0],
    ]);
    expect(evaluate(m, flow(xc, xa)).allowed).toBe(false);
    expect(evaluate(m, flow(xa, xb)).allowed).toBe(false); // b is isolated by default-deny only
  });

  it("allowedBy lists every matching rule of every policy", () => {
    const p1 = policy("x/p1", { ingress: [{ ports: [tcp(80)] }, { peers: [podPeer(sel({ app: "b" }))] }] });
    const p2 = policy("x/p2", { ingress: [{ peers: [ipBlock("192.168.0.0/16")] }] });
    const v = evaluate(model({ namespaces, pods, policies: [p1, p2] }), flow(xb, xa));
    expect(v.ingress.allowedBy.map((r) => `${r.policy.name}#${r.ruleIndex}`)).toEqual(["p1#0", "p1#1", "p2#0"]);
  });

  it("policy podSelector with NotIn selects pods lacking the key", () => {
    const deny = policy("x/deny-non-db", { podSelector: sel({}, notIn("tier", "db")) });
    expect(allowed([deny], ya, xa)).toBe(false); // x/a has no tier: selected
    expect(allowed([deny], ya, xb)).toBe(false); // tier=web: selected
    expect(allowed([deny], ya, xc)).toBe(true); // tier=db: not selected
  });
});

describe("selectors in peers", () => {
  const from = (...peers: Parameters<typeof podPeer>[]) =>
    policy("x/only", { podSelector: sel({ app: "a" }), ingress: [{ peers: peers.map((p) => podPeer(...p)) }] });

  it("NotIn on a missing key matches", () => {
    const p = from([sel({}, notIn("tier", "db"))]);
    expect(allowed([p], xb, xa)).toBe(true); // tier=web
    expect(allowed([p], xc, xa)).toBe(false); // tier=db
    const xd = pod("x/d", { ip: "192.168.0.13" }); // no tier at all
    expect(evaluate(model({ namespaces, pods: [...pods, xd], policies: [p] }), flow(xd, xa)).allowed).toBe(true);
  });

  it('matchLabels {k: ""} does not match a pod without k', () => {
    const p = from([sel({ tier: "" })]);
    const noTier = pod("x/d", { ip: "192.168.0.13" });
    const emptyTier = pod("x/e", { labels: { tier: "" }, ip: "192.168.0.14" });
    const m = model({ namespaces, pods: [...pods, noTier, emptyTier], policies: [p] });
    expect(evaluate(m, flow(noTier, xa)).allowed).toBe(false);
    expect(evaluate(m, flow(emptyTier, xa)).allowed).toBe(true);
  });

  it("podSelector alone ranges over the policy's namespace only", () => {
    const p = from([sel({ app: "b" })]);
    expect(allowed([p], xb, xa)).toBe(true);
    expect(allowed([p], yb, xa)).toBe(false);
  });

  it("namespaceSelector {} is every namespace; absent is the policy namespace", () => {
    const every = from([sel({ app: "b" }), sel()]);
    expect(allowed([every], yb, xa)).toBe(true);
    expect(allowed([every], ya, xa)).toBe(false);
    const everyPod = policy("x/ns-all", { podSelector: sel({ app: "a" }), ingress: [{ peers: [nsPeer(sel())] }] });
    expect(allowed([everyPod], za, xa)).toBe(true);
    expect(allowed([everyPod], "10.1.2.3", xa)).toBe(false); // pods only, never external IPs
  });

  it("AND: one peer with both selectors; OR: two peers", () => {
    const and = from([sel({ app: "b" }), sel({ team: "y" })]);
    expect(allowed([and], yb, xa)).toBe(true);
    expect(allowed([and], ya, xa)).toBe(false); // right namespace, wrong pod
    expect(allowed([and], xb, xa)).toBe(false); // right pod, wrong namespace
    const or = policy("x/or", {
      podSelector: sel({ app: "a" }),
      ingress: [{ peers: [podPeer(sel({ app: "b" })), nsPeer(sel({ team: "y" }))] }],
    });
    expect(allowed([or], yb, xa)).toBe(true);
    expect(allowed([or], ya, xa)).toBe(true); // any pod in y
    expect(allowed([or], xb, xa)).toBe(true); // app=b in the policy namespace
    expect(allowed([or], za, xa)).toBe(false);
  });

  it("the automatic kubernetes.io/metadata.name label selects a namespace by name", () => {
    const p = from([null, sel({ "kubernetes.io/metadata.name": "z" })]);
    expect(allowed([p], za, xa)).toBe(true);
    expect(allowed([p], ya, xa)).toBe(false);
  });

  it("a namespace missing from the snapshot still carries its name label", () => {
    const wa = pod("w/a", { ip: "192.168.3.10" });
    const p = from([null, sel({ "kubernetes.io/metadata.name": "w" })]);
    const m = { ...model({ pods: [xa, wa], policies: [p] }) };
    const withoutW = { ...m, cluster: { ...m.cluster, namespaces: m.cluster.namespaces.filter((n) => n.name !== "w") } };
    expect(evaluate(withoutW, flow(wa, xa)).allowed).toBe(true);
  });
});

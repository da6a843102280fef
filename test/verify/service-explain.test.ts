// explain of a connection to a Service: judged per DNAT branch on the backend pod (netpol-semantics §7), with the
// Service's own expectation (which backends, how likely, REJECT without endpoints) — never as a flow to an address
// outside the cluster.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Flow, FlowEndpoint } from "../../src/semantics/index.js";
import { explainFlow, explainService, explainText, serviceExplainAgrees, serviceExplainText, type ServiceExplainView } from "../../src/verify/index.js";
import type { Compiled } from "./helpers.js";
import { CLUSTER, compileModel, DENY_B } from "./services-model.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const pod = (c: Compiled, name: string): FlowEndpoint => ({ kind: "pod", pod: c.ctx.model.cluster.pods.find((p) => p.name === name)! });
const ip = (addr: string): FlowEndpoint => ({ kind: "ip", ip: addr });
const flow = (src: FlowEndpoint, dst: string, port: number): Flow => ({ src, dst: ip(dst), protocol: "TCP", port });

function one(c: Compiled, f: Flow, rules = c.rules): ServiceExplainView {
  const views = explainService(c.ctx, rules, f);
  expect(views).not.toBeNull();
  expect(views!.length).toBe(1);
  return views![0]!;
}

const branch = (v: ServiceExplainView, pod: string) => v.branches.find((b) => b.pod === `app/${pod}`)!;

describe("explain to a Service", () => {
  const denied = compileModel(DENY_B);

  it("a ClusterIP from a pod: each backend judged on its own pod, the deciding rule on the backend's node", () => {
    const v = one(denied, flow(pod(denied, "web-a"), "10.96.0.10", 80));
    expect(v.expected).toEqual(["192.168.0.10:8080", "192.168.1.10:8080"]);
    expect(v.status).toBe("ok");
    expect(serviceExplainAgrees(v)).toBe(true);
    const text = serviceExplainText(v);
    // web-b admits only the client: that branch is denied; web-a reaching itself is not judged (§7).
    expect(text.split("\n")[0]).toBe("app/web-a → ClusterIP 10.96.0.10:80/TCP (app/web:http): denied (rules agree)");
    expect(branch(v, "web-b").flow!.policy.verdict).toBe("denied");
    expect(text).toMatch(/^branch 192\.168\.1\.10:8080 \(app\/web-b\), p=0\.5\d*: denied \(rules agree\)$/m);
    expect(text).toMatch(/^ {2}dropped by: n2 filter cali-tw-cali\w+ rule \d+ \(n2\.iptables:\d+\) drop /m);
    expect(text).toMatch(/^ {2}isolated by: app\/deny-client-to-b \(policies\.yaml:\d+:\d+\)$/m);
    expect(text).toMatch(/^ {4}n1: forward in=cali\w+ out=tunl0 → ACCEPT/m);
    expect(text).toMatch(/^ {6}nat KUBE-SEP-\w+ rule \d+ \(n1\.iptables:\d+\) dnat( "[^"]*")?$/m);
    expect(branch(v, "web-a").notJudged).toMatch(/reaching itself/);
    // The branch says what explain says of the pod flow itself.
    const direct = explainFlow(denied.ctx, denied.rules, { src: pod(denied, "web-a"), dst: pod(denied, "web-b"), protocol: "TCP", port: 8080 });
    expect([branch(v, "web-b").flow!.policy.verdict, branch(v, "web-b").rules.verdict]).toEqual([direct.policy.verdict, direct.rules.verdict]);
  });

  it("the admitted client is allowed to both backends, with the k8s rule that admits it", () => {
    const v = one(denied, flow(pod(denied, "client"), "10.96.0.10", 80));
    const text = serviceExplainText(v);
    expect(text.split("\n")[0]).toBe("app/client → ClusterIP 10.96.0.10:80/TCP (app/web:http): allowed (rules agree)");
    expect(v.branches.map((b) => [b.pod, b.flow?.policy.verdict, b.rules.verdict])).toEqual([
      ["app/web-a", "allowed", "allowed"],
      ["app/web-b", "allowed", "allowed"],
    ]);
    expect(text).toMatch(/^ {2}k8s rule: app\/deny-client-to-b ingress\[0\] \(policies\.yaml:\d+:\d+\)$/m);
  });

  it("rules that let a denied branch through disagree (explain exits 1 on it)", () => {
    // The rules compiled without the policy, judged against the policy's model.
    const open = compileModel();
    const v = one(denied, flow(pod(denied, "web-a"), "10.96.0.10", 80), open.rules);
    expect(serviceExplainAgrees(v)).toBe(false);
    expect(branch(v, "web-b").flow!.status).toBe("mismatch");
    expect(serviceExplainText(v).split("\n")[0]).toBe("app/web-a → ClusterIP 10.96.0.10:80/TCP (app/web:http): denied (rules DISAGREE)");
  });

  it("a Service without endpoints: the REJECT it must meet, no backend judged", () => {
    const v = one(denied, flow(pod(denied, "client"), "10.96.0.11", 80));
    expect(v.expected).toBe("REJECT");
    expect(v.branches.map((b) => [b.backend, b.rules.verdict])).toEqual([[null, "denied"]]);
    const text = serviceExplainText(v);
    expect(text.split("\n")[0]).toBe("app/client → ClusterIP 10.96.0.11:80/TCP (app/empty:http): no backend judged (rules agree)");
    expect(text).toMatch(/^branch untranslated, p=1: not translated to any backend: the Service has no usable endpoint, so the rules must REJECT it$/m);
  });

  it("a NodePort from outside, and a host's ClusterIP connection", () => {
    const np = one(denied, flow(ip("203.0.113.9"), "10.0.0.1", 30080));
    expect([np.entry, np.branches.map((b) => b.pod)]).toEqual(["node-port", ["app/web-a", "app/web-b"]]);
    // From outside, web-b admits only the client: denied there.
    expect(np.branches.map((b) => b.flow?.policy.verdict)).toEqual(["allowed", "denied"]);
    expect(serviceExplainAgrees(np)).toBe(true);
    const host = one(denied, flow(ip("10.0.0.2"), "10.96.0.10", 80));
    expect(host.flow).toMatch(/^host n2 \(/);
    expect(serviceExplainAgrees(host)).toBe(true);
  });

  it("not a Service entry (another port of the ClusterIP, a pod): explained as a flow", () => {
    expect(explainService(denied.ctx, denied.rules, flow(pod(denied, "client"), "10.96.0.10", 81))).toBeNull();
    expect(explainService(denied.ctx, denied.rules, { src: pod(denied, "client"), dst: pod(denied, "web-b"), protocol: "TCP", port: 8080 })).toBeNull();
    expect(explainText(explainFlow(denied.ctx, denied.rules, flow(pod(denied, "client"), "10.96.0.10", 81))).length).toBeGreaterThan(0);
  });

  it("through the CLI: text and JSON, exit 0 when the rules agree", async () => {
    const dir = tempDir("netpolc-svc-explain-");
    writeFileSync(join(dir, "cluster.yaml"), CLUSTER);
    writeFileSync(join(dir, "policies.yaml"), DENY_B);
    const args = ["explain", dir, "--from", "app/web-a", "--to", "10.96.0.10", "--port", "80/TCP"];
    const r = await runCli(args);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(r.out.split("\n")[0]).toBe("app/web-a → ClusterIP 10.96.0.10:80/TCP (app/web:http): denied (rules agree)");
    const j = await runCli([...args, "--format", "json"]);
    const doc = JSON.parse(j.out) as { kind: string; branches: Array<{ pod: string; flow: { policy: { verdict: string } } | null }> };
    expect(doc.kind).toBe("service");
    expect(doc.branches.map((b) => [b.pod, b.flow?.policy.verdict ?? null])).toEqual([["app/web-a", null], ["app/web-b", "denied"]]);
    // With --rules: a host's connection and a NodePort from outside read the files as well.
    const out = tempDir("netpolc-svc-explain-out-");
    expect((await runCli(["compile", dir, "-o", out])).code).toBe(0);
    for (const [from, to, port, first] of [
      ["10.0.0.2", "10.96.0.10", "80", /^host n2 \(\S+\) → ClusterIP 10\.96\.0\.10:80\/TCP \(app\/web:http\): allowed \(rules agree\)$/],
      ["203.0.113.9", "10.0.0.1", "30080", /^203\.0\.113\.9 via n1 eth0 → NodePort 10\.0\.0\.1:30080\/TCP \(app\/np:http\): allowed to 1 of 2 backends \(rules agree\)$/],
    ] as const) {
      const x = await runCli(["explain", dir, "--from", from, "--to", to, "--port", port, "--rules", out]);
      expect([x.code, x.err], x.out).toEqual([0, ""]);
      expect(x.out.split("\n")[0]).toMatch(first);
    }
  });
});

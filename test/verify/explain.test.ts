// explain on bookinfo: "which policy dropped my packet?" — the dropping
// chain and rule, the isolating policies with their YAML positions; for an
// allowed flow, the iptables rule that set the accept mark and the k8s rule.
import { beforeAll, describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import type { Pod } from "../../src/ir/cluster.js";
import { explainFlow, explainText } from "../../src/verify/index.js";
import { BOOKINFO, compileAll, type Compiled } from "./helpers.js";

let c: Compiled;
const pod = (prefix: string): { kind: "pod"; pod: Pod } => {
  const p = c.ctx.model.cluster.pods.find((x) => x.name.startsWith(prefix));
  if (!p) throw new Error(`no pod ${prefix}`);
  return { kind: "pod", pod: p };
};

beforeAll(() => {
  c = compileAll(gatherInputs([BOOKINFO], () => ""));
});

describe("explain", () => {
  it("a denied flow names the dropping chain rule and the isolating policies with file:line:col", () => {
    // details → ratings: ratings only admits reviews.
    const v = explainFlow(c.ctx, c.rules, { src: pod("details-v1"), dst: pod("ratings-v1"), protocol: "TCP", port: 9080 });
    expect(v.status).toBe("ok");
    const text = explainText(v);
    expect(text.split("\n")[0]).toMatch(/→ default\/ratings-v1-\S+ 9080\/TCP: denied \(rules agree\)$/);
    expect(text).toMatch(/^dropped by: ubuntu3 filter cali-tw-cali[0-9a-f]{11} rule \d+ \(ubuntu3\.iptables:\d+\) drop "Drop if no policies passed packet"$/m);
    const iso = /^isolated by: (.*)$/m.exec(text)?.[1] ?? "";
    expect(iso).toMatch(/default\/default-deny-ingress \(\S*examples\/bookinfo\/policies\/default-deny-ingress\.yaml:\d+:\d+\)/);
    expect(iso).toMatch(/default\/ratings-from-reviews \(\S*examples\/bookinfo\/policies\/bookinfo-allow\.yaml:\d+:\d+\)/);
    // The full walk ends on that rule: every hop, chain by chain, with lines of <node>.iptables.
    expect(text).toMatch(/ubuntu2: forward in=cali\w+ out=tunl0 → ACCEPT/);
    expect(text).toMatch(/ubuntu3: forward in=tunl0 out=cali\w+ → DROP/);
  });

  it("a flow denied by egress isolation names the egress-side policies", () => {
    // main pods may only send to role=dev namespaces, DNS, and 10.0.0.0/8.
    const v = explainFlow(c.ctx, c.rules, { src: pod("main-699dd9dc98-vb9c5"), dst: pod("details-v1"), protocol: "TCP", port: 9080 });
    const text = explainText(v);
    expect(v.policy.verdict).toBe("denied");
    expect(text).toMatch(/^dropped by: ubuntu1 filter cali-fw-cali\w+ rule \d+ .*"Drop if no policies passed packet"$/m);
    expect(text).toMatch(/^isolated by: .*default\/prevent-egress \(\S*examples\/bookinfo\/policies\/prevent-egress\.yaml:\d+:\d+\)/m);
  });

  it("an allowed flow names the rule that set the accept mark and the k8s rule with its position", () => {
    const v = explainFlow(c.ctx, c.rules, { src: pod("reviews-v2"), dst: pod("ratings-v1"), protocol: "TCP", port: 9080 });
    expect(v.status).toBe("ok");
    const text = explainText(v);
    expect(text.split("\n")[0]).toMatch(/: allowed \(rules agree\)$/);
    expect(text).toMatch(
      /^allowed by: ubuntu3 filter cali-pi-\S+ rule 1 \(ubuntu3\.iptables:\d+\) mark "Policy default\/knp\.default\.ratings-from-reviews ingress" \[default\/ratings-from-reviews\]$/m,
    );
    expect(text).toMatch(/^k8s rule: default\/ratings-from-reviews ingress\[0\] \(\S*examples\/bookinfo\/policies\/bookinfo-allow\.yaml:\d+:\d+\)$/m);
  });

  it("an allowed flow also walks its reply back (ESTABLISHED, reverse hops); a denied one has none", () => {
    const v = explainFlow(c.ctx, c.rules, { src: pod("productpage"), dst: pod("details-v1"), protocol: "TCP", port: 9080 });
    expect([v.status, v.reply?.status]).toEqual(["ok", "ok"]);
    const text = explainText(v);
    expect(text).toMatch(/^reply \(default\/details-v1-\S+ → default\/productpage-v1-\S+, ESTABLISHED\): allowed$/m);
    expect(text).toMatch(/^ {2}ubuntu2: forward in=cali\w+ out=tunl0 → ACCEPT\n {4}.*\n(.*\n)*.*filter cali-fw-cali\w+ rule 1 \(ubuntu2\.iptables:\d+\) accept$/m);
    expect(text).toMatch(/^ {2}ubuntu3: forward in=tunl0 out=cali\w+ → ACCEPT$/m);
    expect(explainFlow(c.ctx, c.rules, { src: pod("details-v1"), dst: pod("ratings-v1"), protocol: "TCP", port: 9080 }).reply).toBeNull();
  });

  it("node traffic: the pod's own host reaches it on the OUTPUT path, whatever its ingress policy", () => {
    const v = explainFlow(c.ctx, c.rules, { src: { kind: "ip", ip: "172.16.0.13" }, dst: pod("ratings-v1"), protocol: "TCP", port: 9080 });
    expect([v.status, v.policy.verdict, v.policy.ingress.reason]).toEqual(["ok", "allowed", "from own node"]);
    expect(v.rules.hops.map((h) => h.path)).toEqual([expect.stringMatching(/^output out=cali\w+$/)]);
    expect(v.reply?.rules.hops.map((h) => h.path)).toEqual([expect.stringMatching(/^input in=cali\w+$/)]);
  });

  it("an external client reaches productpage through the host interface", () => {
    const v = explainFlow(c.ctx, c.rules, { src: { kind: "ip", ip: "203.0.113.1" }, dst: pod("productpage"), protocol: "TCP", port: 9080 });
    expect([v.status, v.policy.verdict]).toEqual(["ok", "allowed"]);
    expect(v.rules.hops.map((h) => h.path)).toEqual([expect.stringMatching(/^forward in=eth0 out=cali\w+$/)]);
  });
});

describe("explain over rules read back on demand (the CLI's compiled rules)", () => {
  it("reads back only the nodes its walk reaches, and says what it says over every node's rules", async () => {
    const { RulesOnDemand } = await import("../../src/verify/rules.js");
    const flows = [
      // Across nodes, dropped on the destination's; egress-denied on the source's; allowed, with its reply back.
      { src: pod("details-v1"), dst: pod("ratings-v1") },
      { src: pod("main-699dd9dc98-vb9c5"), dst: pod("details-v1") },
      { src: pod("reviews-v2"), dst: pod("ratings-v1") },
      { src: pod("productpage"), dst: pod("details-v1") },
    ];
    const nodesRead: string[][] = [];
    for (const f of flows) {
      const asked: string[] = [];
      const lazy = new RulesOnDemand([...c.rules.keys()], (node) => (asked.push(node), c.rules.get(node)!), c.ctx.compiledRoutes);
      const flow = { ...f, protocol: "TCP" as const, port: 9080 };
      const text = explainText(explainFlow(c.ctx, lazy, flow));
      expect(text).toBe(explainText(explainFlow(c.ctx, c.rules, flow)));
      // The nodes of the walk's hops (flow and reply), each read once, and no other.
      const walked = new Set([...text.matchAll(/^ {2}(\S+): (?:forward|input|output) /gm)].map((m) => m[1]!));
      expect(new Set(asked)).toEqual(walked);
      expect(asked.length).toBe(walked.size);
      nodesRead.push(asked);
    }
    // Bookinfo has three nodes; no walk above needs all of them.
    expect(nodesRead.every((n) => n.length < c.rules.size)).toBe(true);
  });
});

describe("explain of what it does not model", () => {
  it("a node's host to a NodePort is UNKNOWN and says why (not walked as traffic to a plain host); from outside it is walked", async () => {
    const { runCli } = await import("../helpers/cli.js");
    const r = await runCli(["explain", BOOKINFO, "--from", "172.16.0.11", "--to", "172.16.0.12", "--port", "31380"]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      "UNKNOWN: 172.16.0.12:31380/TCP is a NodePort of default/productpage:http, and the client is the host of node ubuntu1: explain walks NodePort connections from an address outside the cluster (--from 203.0.113.77, say), not from a node\n",
    );
    const outside = await runCli(["explain", BOOKINFO, "--from", "203.0.113.9", "--to", "172.16.0.12", "--port", "31380"]);
    expect(outside.code).toBe(0);
    expect(outside.out).toMatch(/^203\.0\.113\.9 via ubuntu2 eth0 → NodePort 172\.16\.0\.12:31380\/TCP \(default\/productpage:http\): allowed \(rules agree\)\n/);
  });
});

describe("explain's endpoint spelling", () => {
  it("an address with a port is refused with the spelling explain takes (it read as IPv6 before, 'IPv6 is off')", async () => {
    const { runCli } = await import("../helpers/cli.js");
    const v4 = await runCli(["explain", BOOKINFO, "--from", "172.16.0.11", "--to", "10.96.0.20:9080", "--port", "9080"]);
    expect([v4.code, v4.out, v4.err.split("\n")[0]]).toEqual([2, "", "netpolc: --to takes an address without its port: --to 10.96.0.20 --port 9080, not '10.96.0.20:9080'"]);
    const v6 = await runCli(["explain", BOOKINFO, "--from", "[fd00::1]:80", "--to", "default/productpage-v1-5f9dbcd669-9jb9b", "--port", "9080"]);
    expect([v6.code, v6.err.split("\n")[0]]).toEqual([2, "netpolc: --from takes an address without its port: --from fd00::1 --port 80, not '[fd00::1]:80'"]);
    // A plain IPv6 address still picks the IPv6 walk (here: an IPv4-only snapshot says so).
    const plain = await runCli(["explain", BOOKINFO, "--from", "fd00::1", "--to", "default/productpage-v1-5f9dbcd669-9jb9b", "--port", "9080"]);
    expect([plain.code, plain.err.split("\n")[0]]).toEqual([2, "netpolc: --family 6: IPv6 is off for these inputs (no IPv6 pool or pod address; --ipv6 on turns it on)"]);
  });
});

// examples/bookinfo: the reachability its README promises, checked with the
// reference evaluator on the IR the frontend loads from the example's YAML,
// and on a hand-built equivalent (so a loader regression and a YAML edit are
// told apart: the two must also agree field by field).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DiagnosticSink } from "../../src/diagnostics/diagnostic.js";
import { SourceMap } from "../../src/diagnostics/sources.js";
import { loadModel, type InputFile } from "../../src/frontend/index.js";
import type { Pod, Protocol } from "../../src/ir/cluster.js";
import type { Model } from "../../src/ir/policy.js";
import { evaluate } from "../../src/semantics/evaluate.js";
import { bookinfoModel } from "./bookinfo-model.js";
import { flow } from "./fixtures.js";

/** Short names: "productpage", "reviews-v2", "main-6fz62" (the pod-name suffix), "coredns", "sandbox". */
function find(m: Model, short: string): Pod {
  const [head = "", tail = ""] = short.split("-");
  const hit = m.cluster.pods.find((p) => p.name.startsWith(short) || (head === "main" && p.name.startsWith("main-") && p.name.endsWith(tail)));
  if (!hit) throw new Error(`no pod ${short}`);
  return hit;
}

type Row = readonly [src: string, dst: string, protocol: Protocol, port: number, allowed: boolean];
const isIP = (s: string): boolean => /^[0-9.]+$/.test(s);

// The README's table, one flow per row.
const REACHABILITY: readonly Row[] = [
  ["8.8.8.8", "productpage", "TCP", 9080, true],
  ["8.8.8.8", "productpage", "TCP", 9081, false],
  ["reviews-v2", "productpage", "TCP", 9080, true],
  ["172.16.0.11", "productpage", "TCP", 9080, true],
  ["productpage", "details", "TCP", 9080, true],
  ["productpage", "details", "TCP", 9081, false],
  ["productpage", "details", "UDP", 9080, false],
  ["productpage", "reviews-v1", "TCP", 9080, true],
  ["productpage", "reviews-v2", "TCP", 9080, true],
  ["productpage", "reviews-v3", "TCP", 9080, true],
  ["reviews-v1", "ratings", "TCP", 9080, true],
  ["reviews-v2", "ratings", "TCP", 9080, true],
  ["reviews-v3", "ratings", "TCP", 9080, true],
  ["reviews-v3", "ratings", "TCP", 8080, false],
  ["productpage", "ratings", "TCP", 9080, false],
  ["details", "reviews-v1", "TCP", 9080, false],
  ["ratings", "details", "TCP", 9080, false],
  ["8.8.8.8", "details", "TCP", 9080, false],
  ["details", "8.8.8.8", "TCP", 443, true],
  ["172.16.0.12", "details", "TCP", 9080, true], // its own node (ubuntu2)
  ["172.16.0.11", "details", "TCP", 9080, false],
  ["productpage", "main-6fz62", "TCP", 8080, false],
  ["main-vb9c5", "productpage", "TCP", 9080, false],
  ["main-vb9c5", "main-nlxss", "TCP", 8080, false],
  ["main-vb9c5", "main-vb9c5", "TCP", 8080, true],
  ["10.1.2.3", "main-6fz62", "TCP", 8080, true],
  ["192.168.5.5", "main-6fz62", "TCP", 8080, false],
  ["172.16.0.13", "main-6fz62", "TCP", 8080, true], // its own node (ubuntu3)
  ["172.16.0.11", "main-6fz62", "TCP", 8080, false],
  ["main-vb9c5", "10.20.30.40", "TCP", 443, true],
  ["main-vb9c5", "8.8.8.8", "TCP", 443, false],
  ["main-vb9c5", "coredns", "UDP", 53, true],
  ["main-nlxss", "coredns", "TCP", 53, true],
  ["main-nlxss", "coredns", "UDP", 54, false],
  ["main-vb9c5", "coredns", "TCP", 9153, false], // allow-dns-egress opens 53 only
  ["main-6fz62", "sandbox", "TCP", 8080, true],
  ["main-vb9c5", "sandbox", "UDP", 5353, true], // prevent-egress: any port to role=dev
  // No policy selects kube-system or dev: CoreDNS and the sandbox accept from anyone and send anywhere.
  ["8.8.8.8", "coredns", "UDP", 53, true],
  ["details", "coredns", "TCP", 9153, true],
  ["172.16.0.13", "coredns", "TCP", 53, true], // not its own node (ubuntu1)
  ["coredns", "8.8.8.8", "UDP", 53, true],
  ["8.8.8.8", "sandbox", "TCP", 8080, true],
  ["ratings", "sandbox", "TCP", 8080, true],
  ["coredns", "sandbox", "TCP", 8080, true],
  // Their egress being open does not open bookinfo's or main's ingress.
  ["sandbox", "productpage", "TCP", 9080, true],
  ["sandbox", "details", "TCP", 9080, false],
  ["coredns", "ratings", "TCP", 9080, false],
  ["coredns", "main-vb9c5", "TCP", 8080, false], // same node, but a pod, not the node's address
  ["sandbox", "main-nlxss", "TCP", 8080, false],
];

function checkReachability(load: () => Model): void {
  const m = load();
  const end = (s: string): Pod | string => (isIP(s) ? s : find(m, s));
  it.each(REACHABILITY)("%s -> %s %s/%i allowed=%s", (src, dst, protocol, port, allowed) => {
    expect(evaluate(m, flow(end(src), end(dst), protocol, port)).allowed).toBe(allowed);
  });

  it("explains ratings <- reviews by the named-port rule, under default deny", () => {
    const v = evaluate(m, flow(find(m, "reviews-v1"), find(m, "ratings"), "TCP", 9080));
    expect(v.ingress.isolatedBy.map((p) => p.name).sort()).toEqual(["default-deny-ingress", "ratings-from-reviews"]);
    expect(v.ingress.allowedBy.map((r) => `${r.policy.name}#${r.ruleIndex}`)).toEqual(["ratings-from-reviews#0"]);
  });
}

describe("examples/bookinfo (hand-built IR)", () => {
  checkReachability(bookinfoModel);
});

function exampleFiles(dir: string): InputFile[] {
  // Sorted for determinism, as the CLI does.
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ path: join(dir, f), text: readFileSync(join(dir, f), "utf8") }));
}

describe("examples/bookinfo (loaded from YAML by the frontend)", () => {
  const load = (): Model => {
    const diag = new DiagnosticSink();
    const m = loadModel(exampleFiles(join(import.meta.dirname, "../../examples/bookinfo")), diag, new SourceMap());
    expect(diag.all.filter((d) => d.severity !== "note")).toEqual([]);
    return m;
  };

  it("loads to the same pods, nodes and policies as the hand-built IR", () => {
    const got = load();
    const want = bookinfoModel();
    const podKey = (p: Pod) => [p.namespace, p.name, p.nodeName, p.ips, [...p.labels], p.ports, p.serviceAccount];
    expect(got.cluster.pods.map(podKey)).toEqual(want.cluster.pods.map(podKey));
    expect(got.cluster.nodes.map((n) => [n.name, n.ip, n.tunnelAddress])).toEqual(
      want.cluster.nodes.map((n) => [n.name, n.ip, n.tunnelAddress]),
    );
    expect(got.cluster.namespaces.map((n) => [n.name, [...n.labels]])).toEqual(
      want.cluster.namespaces.map((n) => [n.name, [...n.labels]]),
    );
    const poolKey = (p: Model["cluster"]["pools"][number]) => ({ ...p, span: null });
    expect(got.cluster.pools.map(poolKey)).toEqual(want.cluster.pools.map(poolKey));
    const polKey = (p: Model["policies"][number]) => [p.namespace, p.name, p.types, p.ingress.length, p.egress.length];
    expect(got.policies.map(polKey)).toEqual(want.policies.map(polKey));
  });

  checkReachability(load);
});

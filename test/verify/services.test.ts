// verify follows kube-proxy's DNAT (netpol-semantics §7): on a hand-made
// two-node cluster, each Service behaviour (a)–(e) is checked, then broken
// rulesets must be reported with kind "service".
import { describe, expect, it } from "vitest";
import { parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";
import { serviceView, serviceText } from "../../src/verify/service-report.js";
import { eachServiceCheck, serviceChecks, type ServiceCheck } from "../../src/verify/services-check.js";
import type { NodeRules } from "../../src/verify/index.js";
import { planClasses } from "../../src/verify/classes.js";
import type { Compiled } from "./helpers.js";
import { compileModel, DENY_B } from "./services-model.js";

const A = "192.168.0.10:8080";
const B = "192.168.1.10:8080";

function checks(c: Compiled, rules: ReadonlyMap<string, NodeRules> = c.rules): ServiceCheck[] {
  return serviceChecks(c.ctx.evaluator, c.ctx.topology(rules), rules, c.ctx.simulate);
}

const named = (all: readonly ServiceCheck[], svc: string, from: string, pinned: string | null = null): ServiceCheck => {
  const hit = all.find((k) => k.probe.spn === `app/${svc}:http` && (k.probe.src.kind === "pod" ? k.probe.src.pod.name : `${k.probe.from.kind}:${k.probe.from.node}`) === from && (k.probe.pinned ? `${k.probe.pinned.ip}:${k.probe.pinned.port}` : null) === pinned);
  if (!hit) throw new Error(`no probe ${svc} from ${from}`);
  return hit;
};

const reached = (k: ServiceCheck): Record<string, number> => Object.fromEntries(k.branches.map((b) => [b.backend ?? "untranslated", +b.probability.toFixed(9)]));

/** The node's rules with `edit` applied to its iptables text. */
function edited(c: Compiled, node: string, edit: (text: string) => string): Map<string, NodeRules> {
  const r = c.rules.get(node)!;
  const text = writeRuleSet(r.ruleset);
  const after = edit(text);
  expect(after).not.toBe(text);
  return new Map([...c.rules, [node, { ...r, ruleset: parseRuleSet(after, { file: r.file }).ruleset }]]);
}

describe("verify: services on a hand-made cluster", () => {
  const open = compileModel();
  const all = checks(open);

  it("every probe agrees (0 mismatches, 0 unknown) and covers every entry kind", () => {
    expect(all.filter((k) => k.status !== "ok").map((k) => serviceText(serviceView(k)))).toEqual([]);
    expect(new Set(all.map((k) => k.probe.entry))).toEqual(new Set(["cluster-ip", "node-port", "affinity"]));
    expect(all.length).toBe(30);
  });

  it("(a) a ClusterIP reaches exactly the ready endpoints, each with probability 1/2, from pods and hosts", () => {
    for (const from of ["web-a", "web-b", "host:n1", "host:n2"]) expect(reached(named(all, "web", from))).toEqual({ [A]: 0.5, [B]: 0.5 });
  });

  it("(a) a host's probe: OUTPUT sees the device towards the ClusterIP, POSTROUTING the one towards each backend", () => {
    // The kernel routes a local sender's packet when it is sent; nat OUTPUT's DNAT routes it again, which only
    // POSTROUTING sees (simulate/types.ts HookPath "output").
    const k = named(all, "web", "host:n2");
    const first = (backend: string) => k.branches.find((b) => b.backend === backend)!.hops[0]!.path;
    // A on n1, over IPIP; B on n2 itself, to its workload interface.
    expect(first(A)).toEqual({ kind: "output", outIface: "eth0", postIface: "tunl0" });
    expect(first(B)).toMatchObject({ kind: "output", outIface: "eth0", postIface: expect.stringMatching(/^cali/) });
  });

  it("(a) internalTrafficPolicy Local: only the source node's local endpoint", () => {
    expect(reached(named(all, "itp", "host:n1"))).toEqual({ [A]: 1 });
    expect(reached(named(all, "itp", "host:n2"))).toEqual({ [B]: 1 });
  });

  it("(b) a policy that denies the backend denies the ClusterIP branch to it, and only that one", () => {
    const denied = checks(compileModel(DENY_B));
    expect(denied.filter((k) => k.status !== "ok").map((k) => serviceText(serviceView(k)))).toEqual([]);
    const k = named(denied, "web", "web-a");
    const toB = k.branches.find((b) => b.backend === B)!;
    const toA = k.branches.find((b) => b.backend === A)!;
    expect([toB.expected, toB.actual, toB.verdict]).toEqual([false, false, "DROP"]);
    // web-a reaching itself is a hairpin: not judged by policy (netpol-semantics §7), accepted by the rules.
    expect([toA.expected, toA.actual]).toEqual([null, true]);
    expect(named(checks(open), "web", "web-a").branches.find((b) => b.backend === B)!.actual).toBe(true);
  });

  it("(c) a service without endpoints is rejected on its ClusterIP, from a pod and from every host", () => {
    for (const from of ["client", "host:n1", "host:n2"]) {
      const k = named(all, "empty", from);
      expect(k.branches.map((b) => [b.backend, b.verdict])).toEqual([[null, "REJECT"]]);
    }
  });

  it("(d) NodePort from outside: eTP Cluster reaches every endpoint; eTP Local only the entry node's, dropped without one", () => {
    expect(reached(named(all, "np", "external:n1"))).toEqual({ [A]: 0.5, [B]: 0.5 });
    expect(reached(named(all, "np", "external:n2"))).toEqual({ [A]: 0.5, [B]: 0.5 });
    expect(reached(named(all, "nplocal", "external:n1"))).toEqual({ [A]: 1 });
    const none = named(all, "nplocal", "external:n2");
    expect(none.branches.map((b) => [b.backend, b.verdict])).toEqual([[null, "DROP"]]);
    // From n2 to web-b across nodes: two hops (n2 forward eth0 → tunl0... n1 forward tunl0 → cali).
    expect(named(all, "np", "external:n2").branches.find((b) => b.backend === A)!.hops.map((h) => h.node)).toEqual(["n2", "n1"]);
  });

  it("(e) ClientIP affinity: with the recent list naming a backend, only that backend is reached", () => {
    expect(reached(named(all, "sticky", "web-a", A))).toEqual({ [A]: 1 });
    expect(reached(named(all, "sticky", "web-a", B))).toEqual({ [B]: 1 });
    expect(reached(named(all, "sticky", "web-a"))).toEqual({ [A]: 0.5, [B]: 0.5 });
  });
});

describe("verify: broken service rules are reported (kind service)", () => {
  const c = compileModel();

  it("a deleted KUBE-SEP DNAT rule: the backend is never reached and the branch leaks untranslated", () => {
    const rules = edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.includes("app/web:http") && l.includes(`--to-destination ${B}`))).join("\n"));
    const bad = checks(c, rules).filter((k) => k.status === "mismatch");
    const k = named(bad, "web", "web-a");
    expect(k.problems).toContain(`backend ${B} is never reached`);
    expect(k.problems.some((p) => p.includes("not translated to any backend and is accepted"))).toBe(true);
    const text = serviceText(serviceView(k));
    expect(text).toMatch(/^mismatch \(service\): app\/web-a → ClusterIP 10\.96\.0\.10:80\/TCP \(app\/web:http\)\n/);
    expect(serviceView(k).kind).toBe("service");
    // Only n1's sources see it; n2's rules are intact.
    expect(bad.every((x) => x.probe.from.node === "n1")).toBe(true);
  });

  it("a skewed statistic probability: each backend must be equally likely", () => {
    const rules = edited(c, "n1", (t) => t.replace(/(app\/web:http -> 192\.168\.0\.10:8080".*--probability) 0\.5\d*/, "$1 0.90000000000"));
    const k = named(checks(c, rules), "web", "host:n1");
    expect(k.status).toBe("mismatch");
    expect(k.problems).toEqual([`backend ${A} has probability 0.9, not 1/2`, `backend ${B} has probability 0.1, not 1/2`]);
  });

  it("a statistic jump sent to the wrong backend: the report names the KUBE-SVC rule of each path and each path's share", () => {
    // The second statistic branch (to B) now jumps to A's chain: A is reached by two paths, B never.
    const rules = edited(c, "n1", (t) => {
      const lines = t.split("\n");
      const toA = lines.find((l) => l.startsWith("-A KUBE-SVC-") && l.includes(`app/web:http -> ${A}`))!;
      const toB = lines.find((l) => l.startsWith("-A KUBE-SVC-") && l.includes(`app/web:http -> ${B}`))!;
      const sepA = /-j (KUBE-SEP-\w+)/.exec(toA)![1]!;
      return lines.map((l) => (l === toB ? l.replace(/-j KUBE-SEP-\w+/, `-j ${sepA}`) : l)).join("\n");
    });
    const k = named(checks(c, rules), "web", "host:n1");
    expect(k.problems).toContain(`backend ${B} is never reached`);
    const text = serviceText(serviceView(k));
    const svc = [...text.matchAll(/nat (KUBE-SVC-\w+) rule (\d+) \(n1\.iptables:\d+\) "([^"]*)" → ACCEPT \(one path of the branch: p=0\.5000000000\)/g)];
    // Each path starts with the rule that chose it (two rules of one KUBE-SVC chain, the second kube-proxy's rule for
    // B, as its comment says), then its DNAT.
    expect(svc).toHaveLength(2);
    expect(new Set(svc.map((m) => m[1])).size).toBe(1);
    expect(Number(svc[1]![2])).toBe(Number(svc[0]![2]) + 1);
    expect(svc.map((m) => m[3])).toEqual([`app/web:http -> ${A}`, `app/web:http -> ${B}`]);
    expect(text).toMatch(new RegExp(`branch ${A.replace(/\./g, "\\.")} p=1\.0000000000`));
    const view = serviceView(k);
    expect(new Set(view.branches[0]!.steps.filter((s) => s.node === "n1").map((s) => s.outcome))).toEqual(new Set([0, 1]));
  });

  it("a REJECT turned into ACCEPT: the empty service must still be refused", () => {
    const rules = edited(c, "n2", (t) => t.replace(/(app\/empty:http has no endpoints".*)-j REJECT.*/, "$1-j ACCEPT"));
    const k = named(checks(c, rules), "empty", "host:n2");
    expect(k.problems).toEqual([`accepted untranslated: expected REJECT ("app/empty:http has no endpoints")`]);
  });

  it("affinity ignored (recent rules deleted): the pinned backend is no longer the only one", () => {
    const rules = edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.includes("app/sticky:http") && l.includes("--rcheck"))).join("\n"));
    const k = named(checks(c, rules), "sticky", "web-a", B);
    expect(k.problems).toContain(`translated to ${A} (p=0.5), which is not the pinned backend`);
  });

  it("a deleted KUBE-NODEPORTS rule: the nodePort is no longer translated", () => {
    const rules = edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.startsWith("-A KUBE-NODEPORTS") && l.includes("app/np:http"))).join("\n"));
    const k = named(checks(c, rules), "np", "external:n1");
    expect(k.problems.slice(0, 2)).toEqual([`backend ${A} is never reached`, `backend ${B} is never reached`]);
  });
});

describe("verify: services on examples/bookinfo", () => {
  it("21 service probes, 0 mismatches; reviews' three backends each 1/3 from every host", async () => {
    const { gatherInputs } = await import("../../src/cli/inputs.js");
    const { BOOKINFO, compileAll } = await import("./helpers.js");
    const c = compileAll(gatherInputs([BOOKINFO], () => ""));
    const all = checks(c);
    expect(all.filter((k) => k.status !== "ok").map((k) => serviceText(serviceView(k)))).toEqual([]);
    expect(all.length).toBe(21);
    const reviews = all.filter((k) => k.probe.spn === "default/reviews:http" && k.probe.from.kind === "host");
    expect(reviews.length).toBe(3);
    for (const k of reviews) for (const b of k.branches) expect(b.probability).toBeCloseTo(1 / 3, 9);
    // productpage's NodePort 31380 from outside reaches 192.168.2.63:9080 on ubuntu3 from every node.
    const np = all.filter((k) => k.probe.entry === "node-port");
    expect(np.map((k) => [k.probe.from.node, reached(k)])).toEqual(["ubuntu1", "ubuntu2", "ubuntu3"].map((n) => [n, { "192.168.2.63:9080": 1 }]));
  });
});

// Class verify walks a backend's hop once per class key (classes.ts hopKey): the same checks as walking each.
describe("verify: service checks through class keys", () => {
  /** The checks through class keys, and how many hops took a key already walked on their node. */
  const keyed = (c: Compiled, rules: ReadonlyMap<string, NodeRules>): { checks: ServiceCheck[]; reused: number } => {
    const topo = c.ctx.topology(rules);
    const plan = planClasses(c.ctx, topo, rules, null, c.ctx.simulate);
    const met = new Map<string, Map<object, Set<number>>>();
    let reused = 0;
    const checks = serviceChecks(c.ctx.evaluator, topo, rules, c.ctx.simulate, (node, path, packet) => {
      const k = plan.hopKey(node, path, packet);
      if (k === null) return null;
      const byScope = met.get(node) ?? new Map<object, Set<number>>();
      met.set(node, byScope);
      const codes = byScope.get(k.scope) ?? new Set<number>();
      byScope.set(k.scope, codes);
      if (codes.has(k.code)) reused++;
      codes.add(k.code);
      return k;
    });
    return { checks, reused };
  };
  const seen = (all: readonly ServiceCheck[]) =>
    all.map((k) => ({
      status: k.status,
      problems: k.problems,
      branches: k.branches.map((b) => ({ backend: b.backend, p: b.probability, actual: b.actual, expected: b.expected, verdict: b.verdict, hops: b.hops.map((h) => [h.node, h.outcomes.map((o) => [o.verdict, o.packet, o.trace.map((t) => `${t.chain}:${t.index}:${t.action}`)])]) })),
    }));
  const c = compileModel();
  const cases: Array<[string, ReadonlyMap<string, NodeRules>]> = [
    ["as compiled", c.rules],
    ["a backend's node drops what it should accept", edited(c, "n2", (t) => t.replace(/^(-A cali-tw-\S+) /m, "-A $1 -j DROP\n$1 ").replace(/^-A -A /m, "-A "))],
    ["a policy denies a backend", compileModel(DENY_B).rules],
  ];
  for (const [name, rules] of cases) {
    it(name, () => {
      const base = name === "a policy denies a backend" ? compileModel(DENY_B) : c;
      const walked = serviceChecks(base.ctx.evaluator, base.ctx.topology(rules), rules, base.ctx.simulate);
      const k = keyed(base, rules);
      expect(seen(k.checks)).toEqual(seen(walked));
      // The keys were used: some backend hops took a walk made for another probe.
      expect(k.reused).toBeGreaterThan(0);
      // What each case is about happened: a mismatch where rules were broken, a dropped branch the policy wants dropped.
      if (name === "a backend's node drops what it should accept") expect(walked.some((x) => x.status !== "ok")).toBe(true);
      if (name === "a policy denies a backend") expect(walked.some((x) => x.status === "ok" && x.branches.some((b) => b.actual === false))).toBe(true);
    });
  }
});

// verify counts passing service checks and shows failing ones: its checks keep no traces but for a failing probe,
// which is walked again with them (eachServiceCheck "failures").
describe("verify: service checks traced only where they fail", () => {
  const c = compileModel();
  const hops = (k: ServiceCheck) => k.branches.map((b) => b.hops.map((h) => [h.node, h.path, h.outcomes.map((o) => [o.verdict, o.packet, o.probability, o.trace.map((t) => `${t.table}:${t.chain}:${t.index}:${t.action}`)])]));
  const cases: Array<[string, ReadonlyMap<string, NodeRules>]> = [
    ["as compiled", c.rules],
    ["a deleted KUBE-SEP DNAT rule", edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.includes("app/web:http") && l.includes(`--to-destination ${B}`))).join("\n"))],
    ["a backend's node drops what it should accept", edited(c, "n2", (t) => t.replace(/^(-A cali-tw-\S+) /m, "-A $1 -j DROP\n$1 ").replace(/^-A -A /m, "-A "))],
  ];
  for (const [name, rules] of cases) {
    it(name, () => {
      const topo = c.ctx.topology(rules);
      const traced = serviceChecks(c.ctx.evaluator, topo, rules, c.ctx.simulate);
      const some = [...eachServiceCheck(c.ctx.evaluator, topo, rules, c.ctx.simulate, null, "failures")];
      expect(some.map((k) => [k.probe.spn, k.probe.from, k.status, k.problems])).toEqual(traced.map((k) => [k.probe.spn, k.probe.from, k.status, k.problems]));
      some.forEach((k, i) => {
        // A failing check is the traced one, trace for trace; a passing one has its verdicts and no trace.
        if (k.status !== "ok") expect(hops(k)).toEqual(hops(traced[i]!));
        else expect(k.branches.flatMap((b) => b.hops.flatMap((h) => h.outcomes.flatMap((o) => o.trace)))).toEqual([]);
      });
      expect(traced.some((k) => k.status !== "ok")).toBe(name !== "as compiled");
      expect(traced.some((k) => k.branches.some((b) => b.hops.some((h) => h.outcomes.some((o) => o.trace.length > 0))))).toBe(true);
    });
  }
});

// A probe's first pass rides on its second where it can (services-check.ts checkServiceProbe): the walk towards the
// first backend it must reach, when every outcome of it was translated and known, gives the branches a walk up to the
// DNAT gives. The checks are the same as with a first pass of its own, trace for trace, broken rules included.
describe("verify: a probe's first node walked once, each DNAT branch on its own device", () => {
  const c = compileModel();
  const seen = (all: readonly ServiceCheck[]) =>
    all.map((k) => ({
      probe: [k.probe.spn, k.probe.from, k.probe.pinned],
      status: k.status,
      problems: k.problems,
      unknown: k.unknown,
      branches: k.branches.map((b) => ({ ...b, hops: b.hops.map((h) => [h.node, h.path, h.outcomes.map((o) => [o.verdict, o.packet, o.probability, o.unknown, o.trace.map((t) => `${t.table}:${t.chain}:${t.index}:${t.action}`)])]) })),
    }));
  const cases: Array<[string, ReadonlyMap<string, NodeRules>]> = [
    ["as compiled", c.rules],
    ["a deleted KUBE-SEP DNAT rule", edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.includes("app/web:http") && l.includes(`--to-destination ${B}`))).join("\n"))],
    ["a DNAT sent to the other backend", edited(c, "n1", (t) => t.replace(`--to-destination ${B}`, `--to-destination ${A}`))],
    ["a skewed statistic probability", edited(c, "n1", (t) => t.replace(/(app\/web:http -> 192\.168\.0\.10:8080".*--probability) 0\.5\d*/, "$1 0.90000000000"))],
    ["a REJECT turned into ACCEPT", edited(c, "n2", (t) => t.replace(/(app\/empty:http has no endpoints".*)-j REJECT.*/, "$1-j ACCEPT"))],
    ["affinity ignored", edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.includes("app/sticky:http") && l.includes("--rcheck"))).join("\n"))],
    ["a deleted KUBE-NODEPORTS rule", edited(c, "n1", (t) => t.split("\n").filter((l) => !(l.startsWith("-A KUBE-NODEPORTS") && l.includes("app/np:http"))).join("\n"))],
    ["a backend's node drops what it should accept", edited(c, "n2", (t) => t.replace(/^(-A cali-tw-\S+) /m, "-A $1 -j DROP\n$1 ").replace(/^-A -A /m, "-A "))],
    // In filter OUTPUT (after nat OUTPUT's DNAT): a host's packets to one backend dropped.
    ["a drop after the DNAT on the first node", edited(c, "n1", (t) => t.replace(/(\*filter\n[^]*?)^(-A cali-OUTPUT )/m, "$1-A cali-OUTPUT -d 192.168.1.10/32 -j DROP\n$2"))],
  ];
  for (const [name, rules] of cases) {
    it(name, () => {
      const topo = c.ctx.topology(rules);
      // Walks up to the DNAT, and walks rerouted after it, counted per mode.
      const untilDnat = { split: 0, own: 0 };
      const rerouted = { split: 0, own: 0 };
      const counting = (mode: keyof typeof untilDnat): typeof c.ctx.simulate => (rs, path, packet, host, until, trace, reroute) => {
        if (until === "dnat") untilDnat[mode]++;
        if (reroute) rerouted[mode]++;
        return c.ctx.simulate(rs, path, packet, host, until, trace, reroute);
      };
      const split = serviceChecks(c.ctx.evaluator, topo, rules, counting("split"), null, "split");
      const own = serviceChecks(c.ctx.evaluator, topo, rules, counting("own"), null, "own");
      expect(seen(split)).toEqual(seen(own));
      expect(own.length).toBeGreaterThan(10);
      // "own" walks every probe up to the DNAT, then again per device; "split" walks each probe's first node once.
      expect(untilDnat).toEqual({ split: 0, own: own.length });
      expect(rerouted).toEqual({ split: split.length, own: 0 });
      if (name !== "as compiled") expect(own.some((k) => k.status !== "ok")).toBe(true);
    });
  }
});

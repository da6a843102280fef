// Class verify beyond its agreement with the exhaustive walk (class-vs-exhaustive.test.ts, the property test):
// what it reports, that it is deterministic, and that it says when it cannot be trusted.
import { describe, expect, it } from "vitest";
import { gatherInputs } from "../../src/cli/inputs.js";
import type { IpSet } from "../../src/rules/ipset.js";
import { planClasses, rangesBetween, type FlowClass, type PlanLimits } from "../../src/verify/classes.js";
import type { Rule } from "../../src/rules/types.js";
import { stableJson, verifyClassReport, verifyText, type NodeRules } from "../../src/verify/index.js";
import { generateCluster, SIZES } from "../../scripts/gen-cluster.js";
import { BOOKINFO, compileAll } from "./helpers.js";

const files = gatherInputs([BOOKINFO], () => "");

/** Every flow class a plan emits, in order. */
const collect = (plan: { flows(emit: (fc: FlowClass) => void): void }): FlowClass[] => {
  const out: FlowClass[] = [];
  plan.flows((fc) => out.push(fc));
  return out;
};

describe("class verify", () => {
  it("stands for far more flows than it walks, every node crossed, 0 mismatches", () => {
    const c = compileAll(files);
    const r = verifyClassReport(c.ctx, c.rules);
    expect(r.fallback).toBeNull();
    const report = r.report!;
    expect(report.failures).toEqual([]);
    expect(report.classes).toBeGreaterThan(100);
    // Every port of TCP, UDP and SCTP between every pod pair at least (11 pods).
    expect(report.flows).toBeGreaterThan(11 * 10 * 65535 * 3);
    expect(report.nodes).toEqual(["ubuntu1", "ubuntu2", "ubuntu3"]);
  });

  it("is the same report whatever the order of the input files", () => {
    const a = compileAll(files);
    const b = compileAll([...files].reverse());
    const [ra, rb] = [verifyClassReport(a.ctx, a.rules).report!, verifyClassReport(b.ctx, b.rules).report!];
    expect(stableJson(rb)).toBe(stableJson(ra));
    expect(verifyText(rb)).toBe(verifyText(ra));
  });

  it("counts pod pairs of classes spread over many nodes as --node with every node does (two ways of counting, one answer)", () => {
    // Classes of many pods on several nodes: pairs on one node and across nodes are counted from per-node arrays
    // without --node, by walking the classes' nodes with it.
    const c = compileAll(generateCluster({ ...SIZES.small, pods: 90, policies: 12, nodes: 4 }).files);
    const all = verifyClassReport(c.ctx, c.rules).report!;
    const every = verifyClassReport(c.ctx, c.rules, [...c.rules.keys()]).report!;
    expect(all.failures).toEqual([]);
    expect(all.classes).toBeGreaterThan(0);
    expect(every.flows).toBe(all.flows);
    expect(every.classes).toBe(all.classes);
    expect(verifyText(every)).toBe(verifyText(all));
  });

  it("--node: only the flows crossing that node, fewer than all", () => {
    const c = compileAll(files);
    const all = verifyClassReport(c.ctx, c.rules).report!;
    const one = verifyClassReport(c.ctx, c.rules, ["ubuntu1"]).report!;
    expect(one.failures).toEqual([]);
    expect(one.flows).toBeGreaterThan(0);
    expect(one.flows).toBeLessThan(all.flows);
    expect(one.nodes).toContain("ubuntu1");
  });

  it("a set keyed on two addresses (hash:ip,port,ip) is not captured by classes: it says so, and the caller walks every flow", () => {
    const c = compileAll(files);
    const node = "ubuntu1";
    const nr = c.rules.get(node)!;
    const pairs: IpSet = { name: "test-pairs", type: "hash:ip,port,ip", options: ["family", "inet"], members: [{ value: "10.0.0.1,tcp:80,10.0.0.2" }] };
    const ruleset = {
      tables: nr.ruleset.tables.map((t) =>
        t.name !== "filter" ? t : {
          ...t,
          chains: t.chains.map((ch) => ch.name !== "FORWARD" ? ch : {
            ...ch,
            rules: [{ parts: [{ kind: "match" as const, module: "set", options: [{ name: "match-set", negated: false, args: ["test-pairs", "src,dst,dst"] }] }], target: { kind: "jump" as const, name: "DROP", options: [] } }, ...ch.rules],
          }),
        }),
    };
    const rules = new Map<string, NodeRules>(c.rules);
    rules.set(node, { ...nr, ruleset, ipsets: new Map([...nr.ipsets, ["test-pairs", pairs]]) });
    const r = verifyClassReport(c.ctx, rules);
    expect(r.report).toBeNull();
    expect(r.fallback).toMatch(/ipset test-pairs \(hash:ip,port,ip\) matches a pair of addresses \(ubuntu1\)/);
  });
});

/**
 * Compiles `inputs` (felix routes) to a temporary directory, deletes the route line `line` matches from
 * node-1.routes, and runs verify --rules over it: in classes, and with --exhaustive.
 */
async function withoutRoute(inputs: string, line: RegExp): Promise<{ classes: { code: number; out: string }; exhaustive: { code: number; out: string } }> {
  const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { main } = await import("../../src/cli/main.js");
  const dir = mkdtempSync(join(tmpdir(), "netpolc-class-route-"));
  const run = async (args: string[]): Promise<{ code: number; out: string }> => {
    let out = "";
    const code = await main(args, { stdout: (s: string) => void (out += s), stderr: () => {}, readStdin: () => "" });
    return { code, out };
  };
  try {
    expect((await run(["compile", inputs, "--route-programmer", "felix", "-o", dir])).code).toBe(0);
    const file = join(dir, "node-1.routes");
    const text = readFileSync(file, "utf8");
    const found = text.split("\n").find((l) => line.test(l));
    expect(found, `no ${String(line)} in ${file}`).toBeDefined();
    writeFileSync(file, text.replace(`${found}\n`, ""));
    const args = ["verify", inputs, "--route-programmer", "felix", "--rules", dir];
    return { classes: await run(args), exhaustive: await run([...args, "--exhaustive"]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const FIXTURES = new URL("fixtures/", import.meta.url).pathname;

describe("class verify groups host flows by every address of the host", () => {
  it("a node's deleted route to another node's tunnel block drops the replies to that node's host: caught (as --exhaustive does)", async () => {
    const { classes, exhaustive } = await withoutRoute(`${FIXTURES}host-reply-route.yaml`, /^route replace 10\.10\.0\.64\/26 via 10\.0\.0\.13 dev tunl0/);
    expect(exhaustive.code).toBe(1);
    expect(classes.code).toBe(1);
    expect(classes.out).toMatch(/^mismatch: reply of 10\.10\.0\.64 → z\/b \d+\/TCP dropped by node-1 /m);
  });
});

describe("class verify probes a host from the address its compiled routes give, as --exhaustive does", () => {
  it("node-1's deleted /32 to its own pod y/c (in another node's block): node-1's host cannot reach y/c, caught", async () => {
    // From the ipam route-deletion property (seed 1233136851): the tampered routes send node-1's packets for y/c
    // over vxlan.calico, whose address the host would then send from; the kubelet's address is still the node IP.
    const { classes, exhaustive } = await withoutRoute(`${FIXTURES}own-node-host-source`, /^route replace 10\.10\.0\.113\/32 dev cali\w+ scope link$/);
    expect(exhaustive.code).toBe(1);
    expect(classes.code).toBe(1);
    expect(classes.out).toMatch(/^mismatch: 10\.0\.0\.11 → y\/c \d+\/TCP$/m);
  });
});

describe("class verify's pod pairs in tiles", () => {
  it("every tiling gives the same flow classes; each source's and each destination's in the same order; by `order`, the untiled sequence", async () => {
    const { planClasses } = await import("../../src/verify/classes.js");
    const c = compileAll(generateCluster({ ...SIZES.small, pods: 120, policies: 16, nodes: 4 }).files);
    const topo = c.ctx.topology(c.rules);
    const run = (tile: readonly [number, number]) =>
      collect(planClasses(c.ctx, topo, c.rules, null, c.ctx.simulate, topo, { tile })).map((f) => ({
        text: [f.src, f.dst, f.ports(), f.count, f.status, f.replied].join(" | "), src: f.src, dst: f.dst, order: f.order,
      }));
    // One source class (one host) a tile, every destination in it: source-major order, as before tiles.
    const untiled = run([1, 1e9]);
    const classes = new Set(untiled.map((f) => f.src)).size;
    // More classes than the smaller tiles hold, so pairs of different tiles interleave.
    expect(classes).toBeGreaterThan(6);
    expect(untiled.map((f) => f.order)).toEqual([...untiled.map((f) => f.order)].sort((x, y) => x - y));
    const by = (list: typeof untiled, key: "src" | "dst") => {
      const m = new Map<string, string[]>();
      for (const f of list) m.set(f[key], [...(m.get(f[key]) ?? []), f.text]);
      return m;
    };
    expect(run([1, 1]).map((f) => f.text)).toEqual(untiled.map((f) => f.text));
    // Tiles of several sources (and of the cluster's 4 hosts): pairs of different sources interleave.
    for (const tile of [[2, 3], [5, 2], [32, 256], [1e9, 1e9]] as const) {
      const tiled = run(tile);
      expect(tiled.map((f) => f.text)).not.toEqual(untiled.map((f) => f.text));
      expect([...tiled].sort((x, y) => x.order - y.order).map((f) => f.text)).toEqual(untiled.map((f) => f.text));
      expect(by(tiled, "src")).toEqual(by(untiled, "src"));
      expect(by(tiled, "dst")).toEqual(by(untiled, "dst"));
    }
  });
});

describe("class verify's end numbers", () => {
  it("name the end classes as their texts do, one number per text, below the plan's count", async () => {
    const { planClasses } = await import("../../src/verify/classes.js");
    const c = compileAll(files);
    const topo = c.ctx.topology(c.rules);
    const plan = planClasses(c.ctx, topo, c.rules, null, c.ctx.simulate, topo, {});
    const textOf = new Map<number, string>();
    const endOf = new Map<string, number>();
    for (const f of collect(plan)) {
      for (const [end, text] of [[f.srcEnd, f.src], [f.dstEnd, f.dst]] as const) {
        expect(end).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThan(plan.ends);
        expect(textOf.get(end) ?? text).toBe(text);
        expect(endOf.get(text) ?? end).toBe(end);
        textOf.set(end, text);
        endOf.set(text, end);
      }
    }
    // Pod classes, outside classes and the three nodes all appear.
    expect([...endOf.keys()].filter((t) => t.startsWith("node "))).toEqual(["node ubuntu1", "node ubuntu2", "node ubuntu3"]);
    expect(textOf.size).toBeGreaterThan(plan.podClasses + 3);
  });
});

describe("class verify's per-address memos", () => {
  it("emptied after every answer, the plan gives the same flow classes, counts and verdicts", async () => {
    const { planClasses } = await import("../../src/verify/classes.js");
    for (const input of [files, generateCluster({ ...SIZES.small, pods: 60, policies: 10, nodes: 3 }).files]) {
      const c = compileAll(input);
      const topo = c.ctx.topology(c.rules);
      const flows = (limits?: PlanLimits) =>
        collect(planClasses(c.ctx, topo, c.rules, null, c.ctx.simulate, topo, limits)).map((f) => [f.src, f.dst, f.ports(), f.count, f.status, f.replied]);
      const kept = flows();
      expect(kept.length).toBeGreaterThan(50);
      expect(kept.some((f) => f[4] === "ok")).toBe(true);
      expect(flows({ memoBudget: 1 })).toEqual(kept);
      // A pod's projection as text (over the numbers' limit), for every content and for those reading two tests or more.
      expect(flows({ podCodes: 0 })).toEqual(kept);
      expect(flows({ podCodes: 1, memoBudget: 1 })).toEqual(kept);
    }
  });
});

describe("rangesBetween", () => {
  // The ranges a port class list is made of, the plain way: distinct points within (1, 65535], sorted, each a start.
  const reference = (at: readonly number[]): Array<{ from: number; to: number }> => {
    const starts = [...new Set(at)].filter((p) => p > 1 && p <= 65535).sort((a, b) => a - b);
    const bounds = [1, ...starts, 65536];
    return bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1]! - 1 }));
  };
  it("splits the port range at every point, whatever their order, repeats and strays, on both sides of the small-sort bound", () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const picks = [0, 1, 2, 65535, 65536, 70000, 80, 81, 443];
    for (const size of [0, 1, 2, 3, 5, 31, 32, 33, 64, 200]) {
      for (let round = 0; round < 20; round++) {
        const at = Array.from({ length: size }, () => (rand(3) === 0 ? picks[rand(picks.length)]! : rand(66000)));
        expect(rangesBetween(at.slice())).toEqual(reference(at));
      }
    }
    expect(rangesBetween([])).toEqual([{ from: 1, to: 65535 }]);
    expect(rangesBetween([443, 80, 80, 81])).toEqual([{ from: 1, to: 79 }, { from: 80, to: 80 }, { from: 81, to: 442 }, { from: 443, to: 65535 }]);
  });
});


describe("single ports: each its own class, the rest of its range one class; one the pair's classes leave out cuts nothing", () => {
  /** `c.rules` with `rule` put first in every workload egress chain (cali-fw-*) of every node. */
  const withFirstInEgress = (c: ReturnType<typeof compileAll>, rule: Rule): Map<string, NodeRules> => {
    const out = new Map<string, NodeRules>();
    for (const [node, nr] of c.rules) {
      const tables = nr.ruleset.tables.map((t) =>
        t.name !== "filter" ? t : { ...t, chains: t.chains.map((ch) => (ch.name.startsWith("cali-fw-") ? { ...ch, rules: [rule, ...ch.rules] } : ch)) },
      );
      out.set(node, { ...nr, ruleset: { tables } });
    }
    return out;
  };
  const udpDrop = (ports: string): Rule => ({
    parts: [
      { kind: "protocol", negated: false, value: "udp" },
      { kind: "match", module: "udp", options: [{ name: "dport", negated: false, args: [ports] }] },
    ],
    target: { kind: "jump", name: "DROP", options: [] },
  });

  it("from a pod, UDP is one class but Felix's VXLAN port (4789, an invariant), not one class each side of it", () => {
    const c = compileAll(files);
    const topo = c.ctx.topology(c.rules);
    const texts = collect(planClasses(c.ctx, topo, c.rules, null, c.ctx.simulate, topo)).filter((fc) => fc.flow.protocol === "UDP" && fc.flow.src.kind === "pod").map((fc) => fc.ports());
    expect(texts).toContain("every UDP port but 4789");
    expect(texts.filter((t) => /^every UDP port but (1-4789|4789-65535)$/.test(t))).toEqual([]);
  });

  it("a policy's single port is a class, and the ports below and above it one more: not a class on each side", () => {
    const c = compileAll(files);
    const topo = c.ctx.topology(c.rules);
    const tcp = collect(planClasses(c.ctx, topo, c.rules, null, c.ctx.simulate, topo)).filter((fc) => fc.flow.protocol === "TCP").map((fc) => fc.ports());
    expect(tcp).toContain("9080/TCP");
    expect(tcp).toContain("every TCP port but 9080");
    expect(tcp.filter((t) => /^every TCP port but (1-9080|9080-65535)$/.test(t))).toEqual([]);
  });

  it("a DROP of every TCP port but one, first in each workload's egress chain, is caught in the class of the rest", () => {
    const c = compileAll(files);
    const dropAllBut: Rule = {
      parts: [
        { kind: "protocol", negated: false, value: "tcp" },
        { kind: "match", module: "tcp", options: [{ name: "dport", negated: true, args: ["9080"] }] },
      ],
      target: { kind: "jump", name: "DROP", options: [] },
    };
    const report = verifyClassReport(c.ctx, withFirstInEgress(c, dropAllBut)).report!;
    expect(report.mismatches).toBeGreaterThan(0);
    expect(verifyText(report)).toMatch(/every TCP port but 9080, [\d,]+ flows?/);
  });

  it("a port between two NodePorts is no NodePort: from a pod to the host it is checked, and a DROP of it caught", () => {
    // The nat rules' single ports are the host's NodePorts, left out (the service probes check them); the port between
    // two of them (40001) is not one. Read from cut points in pairs, it was: with 40000 and 40002 both NodePorts,
    // the points 40000, 40001, 40002, 40003 made 40001 a one-port range of nat's, and a DROP of it went unseen.
    const c = compileAll(files);
    const node = "ubuntu1";
    const tcp = (port: string, target: string): Rule => ({
      parts: [
        { kind: "protocol", negated: false, value: "tcp" },
        { kind: "match", module: "tcp", options: [{ name: "dport", negated: false, args: [port] }] },
      ],
      target: { kind: "jump", name: target, options: [] },
    });
    const rules = new Map(c.rules);
    const nr = c.rules.get(node)!;
    const tables = nr.ruleset.tables.map((t) => ({
      ...t,
      chains: t.chains.map((ch) => {
        if (t.name === "nat" && ch.name === "KUBE-NODEPORTS") return { ...ch, rules: [...ch.rules, tcp("40000", "RETURN"), tcp("40002", "RETURN")] };
        if (t.name === "filter" && ch.name === "INPUT") return { ...ch, rules: [tcp("40001", "DROP"), ...ch.rules] };
        return ch;
      }),
    }));
    rules.set(node, { ...nr, ruleset: { tables } });
    const report = verifyClassReport(c.ctx, rules).report!;
    expect(report.mismatches).toBeGreaterThan(0);
    expect(verifyText(report)).toMatch(/^mismatch: default\/\S+ → 172\.16\.0\.11 40001\/TCP$/m);
    expect(verifyText(report)).toMatch(/40001\/TCP, [\d,]+ flows?/);
  });

  it("a class that leaves out many NodePorts counts them and still names its other left-out ports", () => {
    const c = compileAll(files);
    const node = "ubuntu1";
    const tcp = (port: string, target: string): Rule => ({
      parts: [
        { kind: "protocol", negated: false, value: "tcp" },
        { kind: "match", module: "tcp", options: [{ name: "dport", negated: false, args: [port] }] },
      ],
      target: { kind: "jump", name: target, options: [] },
    });
    const rules = new Map(c.rules);
    const nr = c.rules.get(node)!;
    const nodePorts = ["40000", "40002", "40004", "40006", "40008"];
    const tables = nr.ruleset.tables.map((t) => ({
      ...t,
      chains: t.chains.map((ch) => {
        if (t.name === "nat" && ch.name === "KUBE-NODEPORTS") return { ...ch, rules: [...ch.rules, ...nodePorts.map((p) => tcp(p, "RETURN"))] };
        if (t.name === "filter" && ch.name === "INPUT") return { ...ch, rules: [tcp("40003", "ACCEPT"), ...ch.rules] };
        return ch;
      }),
    }));
    rules.set(node, { ...nr, ruleset: { tables } });
    const topo = c.ctx.topology(rules);
    const texts = collect(planClasses(c.ctx, topo, rules, null, c.ctx.simulate, topo))
      .filter((fc) => fc.flow.protocol === "TCP" && fc.flow.src.kind === "pod" && fc.dst === `node ${node}`)
      .map((fc) => fc.ports());
    // 40003 is a class of its own, named among the rest's left-out ports; the NodePorts are counted, none listed.
    expect(texts).toContain("40003/TCP");
    const rest = texts.find((t) => t.includes("NodePorts"));
    expect(rest).toMatch(/^every TCP port but (\S+, )*40003, (\d+) NodePorts \(service probes\)$/);
    expect(Number(/(\d+) NodePorts/.exec(rest!)![1])).toBeGreaterThanOrEqual(nodePorts.length);
    expect(rest).not.toMatch(/4000[02468]/);
  });

  it("a range that starts right after the left-out port still cuts there: its DROP is caught, named by its own class", () => {
    const c = compileAll(files);
    const report = verifyClassReport(c.ctx, withFirstInEgress(c, udpDrop("4790:4800"))).report!;
    expect(report.mismatches).toBeGreaterThan(0);
    expect(verifyText(report)).toMatch(/^mismatch: .* 4790\/UDP/m);
    expect(verifyText(report)).toMatch(/4790-4800\/UDP, [\d,]+ flows?/);
  });

  it("a single port beside it is not left out: its DROP is caught, in a class of its own", () => {
    const c = compileAll(files);
    const report = verifyClassReport(c.ctx, withFirstInEgress(c, udpDrop("4788"))).report!;
    expect(report.mismatches).toBeGreaterThan(0);
    expect(verifyText(report)).toMatch(/4788\/UDP, [\d,]+ flows?/);
  });
});

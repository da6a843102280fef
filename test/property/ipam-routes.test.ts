// Properties of the routes netpolc emits when the pods of one block sit on
// several nodes (ipam-arb.ts draws such clusters: borrowed pod and tunnel
// addresses, affinity-less blocks, pending / pendingDeletion affinities,
// CrossSubnet peers, IPIP / VXLAN / plain pools, exact or inferred plans),
// each for both route programmers (calico-routes §0):
//
//   verify     compile succeeds and verify — compiled text parsed back and
//              simulated, routes walked per node — finds 0 mismatches and 0
//              unknowns: every pod reaches every pod (and host) exactly as the
//              reference evaluator says, through the emitted routes;
//   routes     no `.routes` file names a destination (or a neighbour, nor an
//              `.fdb` file a MAC) twice; no tunnel address
//              is on two nodes (or is a pod's); each node's blackholes are
//              exactly the blocks it owns in the programmer's view
//              (route-oracle.ts, computed from the generated case); walked
//              by the test's own reader and walk, every pod and host reaches
//              every pod (and back) crossing no node but the two ends;
//   order      the output is byte-identical under shuffled documents and keys;
//   mutation   one `via`/`dev`/`neigh` line (or `.fdb` entry) deleted, then
//              `verify --rules` on the tampered files reports a failure iff a
//              probed flow needed the line. The oracle (route-oracle.ts,
//              route-walk.ts) is independent of the compiler's route code: it
//              reads the tampered files with its own regular expressions and
//              walks every flow verify probes, and its reply, the way the kernel
//              would; a line is needed iff some flow the reference evaluator
//              allows (or its reply) no longer arrives. Deleting a line can
//              only change walks that used it (asserted), but such a walk may
//              still arrive another way (the block's owner relays a borrowed
//              address), which is why "used" alone is not the oracle. When a
//              line is needed, verify must name the flow, and where the
//              oracle's walk drops it verify's route drop must name the same
//              node and reason.
//
// Default runs keep the file well under 30 s on a 2-core VM;
// NETPOLC_PROPERTY_RUNS=N scales every property (params.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { outputFiles } from "../../src/pipeline.js";
import { createSimulator } from "../../src/simulate/index.js";
import { contextOf, flowName, plannedFlows, rulesFromOutput, verifyText, type NodeRules } from "../../src/verify/index.js";
import { compileOk, verifyCompiled } from "./check-case.js";
import { assertIpam, compileCase, deletableLines, optionsFor, tablesOf, verifyRulesDir, withoutLine } from "./ipam-check.js";
import { allDocuments, ipamCaseArb, type IpamCase } from "./ipam-arb.js";
import { propertyParams } from "./params.js";
import { delivery, expectedBlackholes, indirectPaths, networkOf, type Programmer } from "./route-oracle.js";
import type { WalkEnd } from "./route-walk.js";
import { prng, shuffle, shuffleKeys } from "./scramble.js";
import { yamlFile } from "./yaml.js";

const PROGRAMMERS: readonly Programmer[] = ["bird", "felix"];

function expectVerifies(c: IpamCase, programmer: Programmer): void {
  const { report } = verifyCompiled(compileCase(c, programmer).res);
  if (report.mismatches || report.unknown || report.flows === 0) {
    throw new Error(`verify finds ${report.mismatches} mismatching and ${report.unknown} unknown of ${report.flows} flows\n${verifyText(report)}`);
  }
}

/** The first word after `verb` on each matching line of a file: a neighbour's address, an FDB entry's MAC. */
const keysOf = (text: string, verb: string): string[] => text.split("\n").flatMap((l) => (l.startsWith(verb) ? [l.slice(verb.length).split(" ")[0]!] : []));
const repeated = (xs: readonly string[]): string[] => xs.filter((x, i) => xs.indexOf(x) !== i);

function expectRouteInvariants(c: IpamCase, programmer: Programmer): void {
  const { files } = compileCase(c, programmer);
  const tables = tablesOf(c, files);
  const podIps = new Set(c.shape.pods.flatMap((p) => (p.kind === "endpoint" && p.ip ? [p.ip] : [])));
  const tunnelHolders = new Map<string, string>();
  const expected = expectedBlackholes(c, programmer, tables);
  for (const t of tables.values()) {
    const seen = new Set<string>();
    const twice = t.routes.filter((r) => seen.has(r.cidr) || !seen.add(r.cidr)).map((r) => r.text);
    expect(twice, `${t.node}.routes names a destination twice`).toEqual([]);
    expect(repeated(keysOf(files.get(`${t.node}.routes`) ?? "", "neigh replace ")), `${t.node}.routes: one neighbour entry per VTEP`).toEqual([]);
    expect(repeated(keysOf(files.get(`${t.node}.fdb`) ?? "", "fdb replace ")), `${t.node}.fdb: one entry per MAC`).toEqual([]);
    for (const [dev, a] of t.addrs) {
      expect(tunnelHolders.get(a), `${t.node}'s ${dev} address ${a} is also on another node`).toBeUndefined();
      expect(podIps.has(a), `${t.node}'s ${dev} address ${a} is a pod's`).toBe(false);
      tunnelHolders.set(a, t.node);
    }
    const holes = t.routes.filter((r) => r.kind === "blackhole").map((r) => r.cidr).sort();
    expect(holes, `${t.node}'s blackholes (${programmer} view)`).toEqual([...expected.get(t.node)!].sort());
  }
  expect(indirectPaths(c, networkOf(c, tables)), "paths that do not arrive, or take a relay").toEqual([]);
}

function scrambledFiles(c: IpamCase, seed: number): { path: string; text: string }[] {
  const rnd = prng(seed);
  const docs = shuffle(allDocuments(c), rnd).map((d) => shuffleKeys(d, rnd));
  const split = 1 + Math.floor(rnd() * 3);
  return Array.from({ length: split }, (_, i) => ({
    path: `part-${i}.yaml`,
    text: yamlFile("Scrambled copy of a generated case.", docs.filter((_, j) => j % split === i), c.style === "block" ? "flow-leaves" : "block"),
  }));
}

function expectOrderIndependent(c: IpamCase, programmer: Programmer, seed: number): void {
  const opts = optionsFor(programmer);
  const expected = compileCase(c, programmer).files;
  const res = compileOk(scrambledFiles(c, seed), opts);
  const actual = outputFiles(res.outputs, opts, res.model);
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [f, text] of expected) expect(actual.get(f), f).toBe(text);
}

/** verify's words for where the oracle's walk ended (src/verify/routing.ts reasons). */
const REASON: Readonly<Record<Exclude<WalkEnd["kind"], "pod" | "host"> | Extract<WalkEnd, { kind: "dropped" }>["reason"], string>> = {
  outside: "leaves the cluster",
  dropped: "",
  blackhole: "blackhole route",
  "no-neighbour": "no neighbour entry",
  "no-fdb": "no FDB entry",
  "unknown-gateway": "is no node's address",
  "wrong-device": "which is not where",
  loop: "routing loop",
};

/** Outcome counts over a run, printed so the mix (needed / relayed / unused deletions) stays visible. */
const tally = { needed: 0, relayed: 0, unused: 0 };

function expectMutationCaught(c: IpamCase, programmer: Programmer, pick: number): void {
  const { res, files } = compileCase(c, programmer);
  const lines = deletableLines(files);
  if (!lines.length) return;
  const d = lines[pick % lines.length]!;
  const ref = `${d.file}:${d.line}`;
  const tampered = withoutLine(files, d);
  // Flow by flow (the failures are named by the flows probed below), and in classes (the default): both must see it.
  const report = verifyRulesDir(c, programmer, tampered, true);
  const classes = verifyRulesDir(c, programmer, tampered);

  // The flows verify probes (the tampered files change no rule, so no port, and plan over the compiled routes).
  const rules = new Map<string, NodeRules>(res.outputs.map((o) => [o.node, rulesFromOutput(o).rules!] as const));
  const ctx = contextOf(res, createSimulator().simulatePath);
  const { flows } = plannedFlows(ctx, [], rules);
  const allowed = flows.filter((f) => ctx.evaluator.evaluate(f).allowed);
  const before = networkOf(c, tablesOf(c, files));
  const after = networkOf(c, tablesOf(c, tampered));
  const used = allowed.filter((f) => delivery(before, f).used.includes(ref));
  const needed = allowed.flatMap((f) => {
    const dl = delivery(after, f);
    return dl.ok ? [] : [{ f, dl }];
  });
  // Walks that never took the line are unchanged by its deletion.
  for (const { f } of needed) expect(used, `${flowName(f)} fails without ${ref} but never used it`).toContain(f);
  tally[needed.length ? "needed" : used.length ? "relayed" : "unused"]++;

  const what = `${programmer}: deleted ${ref} (${d.text}); ${needed.length} of ${allowed.length} allowed flows need it`;
  expect(report.unknown, what).toBe(0);
  expect(classes.unknown, what).toBe(0);
  if (!needed.length) {
    expect(report.failures.map((x) => x.flow), what).toEqual([]);
    expect(classes.failures.map((x) => x.flow), what).toEqual([]);
    return;
  }
  expect(report.mismatches, what).toBeGreaterThan(0);
  expect(classes.mismatches, `${what} (class verify)`).toBeGreaterThan(0);
  const failures = new Map(report.failures.map((x) => [x.flow, x] as const));
  for (const { f, dl } of needed) {
    const name = dl.reply ? `reply of ${flowName(f)}` : flowName(f);
    const got = failures.get(name);
    expect(got, `${what}: verify does not report ${name}\n${JSON.stringify([...failures.keys()])}`).toBeDefined();
    // Every rule on the way accepted it before (the untampered verify passes), so routing is what drops it now.
    const drop = got && "rules" in got ? got.rules.routeDrop : null;
    expect(drop, `${what}: verify does not say routing dropped ${name}`).toBeTruthy();
    const end = dl.end!;
    const reason = end.kind === "dropped" ? REASON[end.reason] : REASON[end.kind as "outside"];
    expect(`${drop!.node}: ${drop!.reason}`, `${what}: ${name}`).toContain(`${end.node}: `);
    expect(drop!.reason, `${what}: ${name}`).toContain(reason);
  }
}

describe.each(PROGRAMMERS)("pods of one block on several nodes, --route-programmer %s", (programmer) => {
  it("compile succeeds; verify finds 0 mismatches and 0 unknown", () => {
    const params = propertyParams<[IpamCase]>(25, 0.5);
    assertIpam(fc.property(ipamCaseArb, (c) => expectVerifies(c, programmer)), params, programmer);
  }, 600_000);

  it("one route per destination, distinct tunnel addresses, blackholes exactly for owned blocks", () => {
    const params = propertyParams<[IpamCase]>(40, 0.5);
    assertIpam(fc.property(ipamCaseArb, (c) => expectRouteInvariants(c, programmer)), params, programmer);
  }, 600_000);

  it("output is byte-identical under shuffled documents, files and keys", () => {
    const params = propertyParams<[IpamCase, number]>(15, 0.25);
    assertIpam(fc.property(ipamCaseArb, fc.integer(), (c, seed) => expectOrderIndependent(c, programmer, seed)), params, programmer);
  }, 600_000);

  it("deleting one via/dev/neigh/fdb line fails verify --rules iff a probed flow needed it", () => {
    const params = propertyParams<[IpamCase, number]>(20, 0.5);
    tally.needed = tally.relayed = tally.unused = 0;
    assertIpam(fc.property(ipamCaseArb, fc.nat(), (c, pick) => expectMutationCaught(c, programmer, pick)), params, programmer);
    console.log(`mutation (${programmer}): ${tally.needed} needed, ${tally.relayed} used but relayed, ${tally.unused} unused`);
  }, 600_000);
});

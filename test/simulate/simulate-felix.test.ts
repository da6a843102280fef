// The simulator on real netpolc output: golden case F2 (default deny + allow
// ordering) walked flow by flow, and the bookinfo example walked for every
// pod pair on every node (no UNKNOWN allowed; throughput printed).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS } from "../../src/pipeline.js";
import type { NodeOutput } from "../../src/backends/types.js";
import { workloadInterfaceName } from "../../src/backends/calico/names.js";
import type { Model } from "../../src/ir/policy.js";
import { createSimulator } from "../../src/simulate/index.js";
import type { HostContext, Packet, SimOutcome, TraceStep } from "../../src/simulate/types.js";
import { parseRuleSet } from "../../src/rules/parser.js";
import { writeRuleSet } from "../../src/rules/writer.js";

const ROOT = join(import.meta.dirname, "..", "..");

function yamlFiles(dir: string): { path: string; text: string }[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(f) ? [{ path: p, text: readFileSync(p, "utf8") }] : [];
    });
}

function compiled(dir: string, nodes: string[]): { model: Model; outputs: readonly NodeOutput[] } {
  const res = compile(yamlFiles(dir), { ...DEFAULT_COMPILE_OPTIONS, nodes, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: "3.27" as const } });
  expect(res.diag.hasErrors()).toBe(false);
  return { model: res.model!, outputs: res.outputs };
}

/** The host of one node: its addresses, its ipsets, and rpfilter = "a pod's address arrives on its own veth". */
function nodeHost(model: Model, out: NodeOutput): HostContext {
  const node = model.cluster.nodes.find((n) => n.name === out.node)!;
  const podIface = new Map<string, string>();
  for (const p of model.cluster.pods) {
    if (p.nodeName === out.node && !p.hostNetwork && p.ips[0]) podIface.set(p.ips[0], workloadInterfaceName(p.namespace, p.name));
  }
  const local = [node.ip, node.tunnelAddress].filter((a): a is string => a !== null);
  return {
    localAddresses: new Set(local),
    ipsets: new Map(out.ipsets.map((s) => [s.name, s])),
    rpfilterOk: (src, iface) => !iface.startsWith("cali") || podIface.get(src) === iface,
    interfaceAddresses: new Map([["tunl0", new Set(node.tunnelAddress ? [node.tunnelAddress] : [])], ["eth0", new Set(node.ip ? [node.ip] : [])]]),
  };
}

const tcp = (src: string, dst: string, dstPort: number, ctstate: Packet["ctstate"] = "NEW"): Packet => ({
  src, dst, protocol: "tcp", srcPort: 41000, dstPort, ctstate, mark: 0, dnat: false, snat: false,
});

function comments(step: TraceStep | null | undefined): string[] {
  // A built rule keeps its comments beside its parts (rules/types.ts); a parsed one among them.
  return [...(step?.rule?.comments ?? []), ...(step?.rule?.parts ?? []).flatMap((p) => (p.kind === "match" && p.module === "comment" ? p.options.map((o) => o.args[0] ?? "") : []))];
}

function single(outcomes: SimOutcome[]): SimOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

describe("golden F2 on node1", () => {
  const { simulatePath } = createSimulator();
  const { model, outputs } = compiled(join(ROOT, "golden/f2-default-deny-and-allow-ordering"), ["node1"]);
  const out = outputs[0]!;
  const host: HostContext = { ...nodeHost(model, out), localAddresses: new Set(["10.0.0.11", "192.168.231.0"]) };
  const BACKEND = { ip: "192.168.231.6", iface: "cali2b1490aa46a" };
  const DB = { ip: "192.168.231.5", iface: "cali95aa86cbb2a" };
  const fwd = (from: typeof DB, to: typeof DB) => ({ kind: "forward", inIface: from.iface, outIface: to.iface }) as const;

  it("backend → db tcp/5432 NEW is accepted by allow-db-access", () => {
    const o = single(simulatePath(out.ruleset, fwd(BACKEND, DB), tcp(BACKEND.ip, DB.ip, 5432), host));
    expect([o.verdict, o.unknown]).toEqual(["ACCEPT", null]);
    const chains = o.trace.map((s) => s.chain);
    for (const c of ["cali-fw-cali2b1490aa46a", "cali-tw-cali95aa86cbb2a", "cali-pi-_tTE-E7yY40ogArNVgKt"]) expect(chains).toContain(c);
    // The policy set the accept bit; the endpoint chain returned on it; FORWARD accepted on the mark.
    expect(o.trace.find((s) => s.chain === "cali-pi-_tTE-E7yY40ogArNVgKt")).toMatchObject({ index: 0, action: "mark" });
    expect(o.decisive).toMatchObject({ table: "filter", chain: "FORWARD", action: "accept" });
    expect(comments(o.decisive)).toContain("Policy explicitly accepted packet.");
    expect(o.packet.mark & 0x10000).toBe(0x10000);
  });

  it("db → backend NEW is dropped by backend's default-deny", () => {
    const o = single(simulatePath(out.ruleset, fwd(DB, BACKEND), tcp(DB.ip, BACKEND.ip, 80), host));
    expect(o.verdict).toBe("DROP");
    expect(o.decisive).toMatchObject({ table: "filter", chain: "cali-tw-cali2b1490aa46a", action: "drop" });
    expect(comments(o.decisive)).toContain("Drop if no policies passed packet");
    expect(o.trace.map((s) => s.chain)).toContain("cali-pi-_R3gvoG4sTTQrQ1d4clb");
  });

  it("an ESTABLISHED db → backend packet is accepted at the conntrack rule", () => {
    const o = single(simulatePath(out.ruleset, fwd(DB, BACKEND), tcp(DB.ip, BACKEND.ip, 41000, "ESTABLISHED"), host));
    expect(o.verdict).toBe("ACCEPT");
    expect(o.decisive).toMatchObject({ table: "filter", chain: "cali-fw-cali95aa86cbb2a", index: 0, action: "accept" });
    expect(o.trace.some((s) => s.table === "nat")).toBe(false);
  });

  it("a spoofed source is dropped by the raw-table rpfilter rule", () => {
    const o = single(simulatePath(out.ruleset, fwd(DB, BACKEND), tcp(BACKEND.ip, BACKEND.ip, 80), host));
    expect(o.decisive).toMatchObject({ table: "raw", chain: "cali-PREROUTING", action: "drop" });
  });

  it("walking the parsed text gives the same verdict and real line numbers", () => {
    const text = writeRuleSet(out.ruleset);
    const parsed = parseRuleSet(text).ruleset;
    const o = single(simulatePath(parsed, fwd(DB, BACKEND), tcp(DB.ip, BACKEND.ip, 80), host));
    const line = text.split("\n")[o.decisive!.line! - 1]!;
    expect(line).toMatch(/^-A cali-tw-cali2b1490aa46a .*"Drop if no policies passed packet".* -j DROP$/);
  });
});

describe("bookinfo example", () => {
  const { model, outputs } = compiled(join(ROOT, "examples/bookinfo"), []);

  it("every pod pair on every node simulates without UNKNOWN (throughput printed)", () => {
    const pods = model.cluster.pods.filter((p) => p.nodeName && !p.hostNetwork && p.ips[0]);
    const flows: Array<[NodeOutput, HostContext, { kind: "forward"; inIface: string; outIface: string }, Packet]> = [];
    for (const out of outputs) {
      const h = nodeHost(model, out);
      const ifaceOf = (p: (typeof pods)[number]): string => (p.nodeName === out.node ? workloadInterfaceName(p.namespace, p.name) : "tunl0");
      for (const a of pods) {
        for (const b of pods) {
          if (a === b || (a.nodeName !== out.node && b.nodeName !== out.node)) continue;
          for (const port of [80, 9080]) flows.push([out, h, { kind: "forward", inIface: ifaceOf(a), outIface: ifaceOf(b) }, tcp(a.ips[0]!, b.ips[0]!, port)]);
        }
      }
    }
    expect(flows.length).toBeGreaterThan(50);
    const verdicts = new Map<string, number>();
    const rounds = Number(process.env.SIM_ROUNDS ?? 20);
    const { simulatePath } = createSimulator();
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (const [out, h, path, p] of flows) {
        for (const o of simulatePath(out.ruleset, path, p, h)) {
          if (r === 0) verdicts.set(o.verdict, (verdicts.get(o.verdict) ?? 0) + 1);
          if (o.verdict === "UNKNOWN") throw new Error(`UNKNOWN for ${p.src} → ${p.dst}: ${o.unknown}`);
        }
      }
    }
    const ms = performance.now() - t0;
    const rate = Math.round((flows.length * rounds) / (ms / 1000));
    console.log(`bookinfo: ${flows.length * rounds} simulations in ${ms.toFixed(0)} ms = ${rate}/s; verdicts ${JSON.stringify(Object.fromEntries(verdicts))}`);
    expect(verdicts.get("ACCEPT")).toBeGreaterThan(0);
    expect(verdicts.get("DROP")).toBeGreaterThan(0);
  });
});

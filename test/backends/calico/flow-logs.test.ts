// Flow logs (--flow-logs, Calico 3.30+; felix-format App. B, felix/rules/nflogprefix.go,
// policy.go CombineMatchAndActionsForProtoRule, endpoints.go): NFLOG rules after every
// policy and profile verdict and before the endpoint chains' drops.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nflogPrefix } from "../../../src/backends/calico/names.js";
import { compile, DEFAULT_COMPILE_OPTIONS, nodeFiles, type CompileOptions } from "../../../src/pipeline.js";
import type { InputFile } from "../../../src/frontend/index.js";
import type { CalicoVersion } from "../../../src/backends/index.js";
import { runCli } from "../../helpers/cli.js";

const GOLDEN = join(import.meta.dirname, "..", "..", "..", "golden");
const F2 = join(GOLDEN, "f2-default-deny-and-allow-ordering");
const inputs = (dir: string): InputFile[] =>
  readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort().map((f) => ({ path: f, text: readFileSync(join(dir, f), "utf8") }));

function filter(version: CalicoVersion, flowLogs: boolean, extra: readonly InputFile[] = []): string {
  const opts: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, calicoVersionGiven: true, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: version, flowLogs } };
  const res = compile([...inputs(F2), ...extra], opts);
  expect(res.diag.hasErrors()).toBe(false);
  return new Map(nodeFiles(res, opts)).get("node1.iptables")!;
}

const body = (l: string): string => l.replace(/ -m comment --comment "cali:[A-Za-z0-9_-]{16}"/, "");

describe("NFLOG prefixes", () => {
  it("Felix's own test vectors (nflogprefix_test.go at v3.30.7): kept under 63 characters, hashed to exactly 63 from there", () => {
    expect(nflogPrefix("API0|namespace1/default.policy")).toBe("API0|namespace1/default.policy");
    expect(nflogPrefix("DPE88|01234567890123456789012345678901234567890123456789012345")).toBe("DPE88|01234567890123456789012345678901234567890123456789012345");
    expect(nflogPrefix("DPI88|012345678901234567890123456789012345678901234567890123456")).toBe("DPI88|0123_S7GBfc7R7_4bzrXpbzglqoJrRG_UxIP0CuYjRWshz_7890123456");
    expect(nflogPrefix("DPE1|quite-a-long-namespace/quite-a-long-tier-name.quite-a-long-policy-name")).toBe("DPE1|quite_nnW4FYptgISH4G3jdI6KJWVcEx19s0BDp2On0wVAY_olicy-name");
    expect(nflogPrefix("DPE2|quite-a-long-namespace/quite-a-long-tier-name.quite-a-long-policy-name2")).toBe("DPE2|quite_1G46uquk9ypeSpt4I-AIn1FSwWxCefDd8GEcuoxHP_licy-name2");
  });
});

describe("--flow-logs", () => {
  it("policy chains: MARK, then the NFLOG on the accept mark, then RETURN; the last rule's RETURN stripped; index per Calico rule", () => {
    const t = filter("3.30", true);
    const chain = t.split("\n").filter((l) => l.startsWith("-A cali-pi-")).map(body);
    const nflog = chain.filter((l) => l.includes("-j NFLOG"));
    expect(nflog.length).toBeGreaterThan(0);
    for (const l of nflog) expect(l).toMatch(/ -m mark --mark 0x10000\/0x10000 -j NFLOG --nflog-prefix "API\d+\|default\/knp\.default\.[a-z0-9.-]+" --nflog-group 1 --nflog-size 80$/);
    // Every MARK accept is followed by its NFLOG, which is followed by a RETURN unless it ends its chain.
    const lines = t.split("\n").filter((l) => l.startsWith("-A cali-pi-"));
    lines.forEach((l, i) => {
      if (!l.includes("--set-xmark 0x10000/0x10000")) return;
      expect(lines[i + 1], l).toContain("-j NFLOG");
      const next = lines[i + 2];
      const chainOf = (x: string | undefined): string | undefined => x?.split(" ")[1];
      if (chainOf(next) === chainOf(l)) expect(next).toMatch(/-m mark --mark 0x10000\/0x10000 -j RETURN$/);
    });
  });

  it("the index counts the direction's Calico rules before family filtering (a rule skipped in one table keeps its number)", () => {
    const dual = join(GOLDEN, "dual-stack-basic");
    const opts: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, flowLogs: true } };
    const out = new Map(nodeFiles(compile(inputs(dual), opts), opts));
    const prefixes = (f: string): string[] => [...out.get(f)!.matchAll(/--nflog-prefix "(AP[IE]\d+\|knp\/shop\/web-ingress)"/g)].map((m) => m[1]!);
    // web-ingress: rule 0 (from client pods) in both families; rule 1 (an IPv6 ipBlock) only in ip6tables, still number 1.
    expect(prefixes("node1.iptables")).toEqual(["API0|knp/shop/web-ingress"]);
    expect(prefixes("node1.ip6tables")).toEqual(["API0|knp/shop/web-ingress", "API1|knp/shop/web-ingress"]);
  });

  it("3.32 names the policy by its kind-based ID; 3.31 by the v1 key name", () => {
    expect(filter("3.32", true)).toMatch(/--nflog-prefix "API0\|knp\/default\/[a-z0-9.-]+"/);
    expect(filter("3.31", true)).toMatch(/--nflog-prefix "API0\|default\/knp\.default\.[a-z0-9.-]+"/);
  });

  it("endpoint chains: DPI|default before the end-of-tier drop, DRI before the profiles' drop; profiles log ARI0|kns.<ns>", () => {
    const lines = filter("3.30", true).split("\n");
    const tw = lines.filter((l) => l.startsWith("-A cali-tw-")).map(body);
    const endOfTier = tw.findIndex((l) => l.includes("End of tier default"));
    expect(endOfTier).toBeGreaterThan(0);
    expect(tw[endOfTier - 1]).toMatch(/-m mark --mark 0x0\/0x20000 -j NFLOG --nflog-prefix "DPI\|default" --nflog-group 1 --nflog-size 80$/);
    const noProfile = tw.findIndex((l) => l.includes("Drop if no profiles matched"));
    expect(tw[noProfile - 1]).toMatch(/^-A cali-tw-\S+ -j NFLOG --nflog-prefix DRI --nflog-group 1 --nflog-size 80$/);
    const fw = lines.filter((l) => l.startsWith("-A cali-fw-")).map(body);
    expect(fw.some((l) => / -j NFLOG --nflog-prefix DRE --nflog-group 2 /.test(l))).toBe(true);
    expect(lines.map(body)).toContain('-A cali-pri-kns.default -m mark --mark 0x10000/0x10000 -j NFLOG --nflog-prefix "ARI0|kns.default" --nflog-group 1 --nflog-size 80');
    // No NFLOG in the static chains (felix/rules/static.go has none).
    expect(lines.filter((l) => /^-A (cali-(FORWARD|INPUT|OUTPUT|wl-to-host)|INPUT|FORWARD|OUTPUT) .*NFLOG/.test(l))).toEqual([]);
  });

  it("changes nothing else: without the NFLOG rules and hash comments the chains are the rules without flow logs", () => {
    const strip = (t: string): string[] => t.split("\n").filter((l) => !l.includes("-j NFLOG")).map(body);
    // P28+ strips trailing RETURNs before the NFLOG rules are dropped here, so compare RETURN-less bodies.
    const noReturn = (ls: string[]): string[] => ls.filter((l) => !/^-A cali-p(i|o|ri|ro)-\S+ -m mark --mark 0x10000\/0x10000 -j RETURN$/.test(l));
    expect(noReturn(strip(filter("3.30", true)))).toEqual(noReturn(strip(filter("3.30", false))));
  });

  it("before 3.30 there are none, and a warning says so; with -O2 it is refused", async () => {
    expect(filter("3.29", true)).toBe(filter("3.29", false));
    const res = compile(inputs(F2), { ...DEFAULT_COMPILE_OPTIONS, calicoVersionGiven: true, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: "3.29", flowLogs: true } });
    expect(res.diag.all.filter((d) => d.id === "input/flow-logs").map((d) => d.severity)).toEqual(["warning"]);
    const o2 = await runCli(["compile", F2, "--flow-logs", "-O2", "--emit", "iptables", "--node", "node1"]);
    expect(o2.code).toBe(2);
    expect(o2.err).toContain("--flow-logs cannot be combined with -O2");
  });

  it("verify walks the NFLOG rules (they only observe) and agrees with the evaluator", async () => {
    const r = await runCli(["verify", F2, "--flow-logs", "--calico-version", "3.30"]);
    expect(r.out).toMatch(/ 0 mismatches\n/);
    expect(r.code).toBe(0);
  });
});

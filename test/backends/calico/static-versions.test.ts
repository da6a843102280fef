// Two per-version deltas of Felix's static iptables layout, checked against projectcalico/calico:
// * nat POSTROUTING's `-j cali-POSTROUTING` is appended ("We must go last", after kube-proxy's masquerade jump,
//   felix/dataplane/linux/int_dataplane.go setUpIptablesNormal `AppendRules`) since v3.29.0 (d0b66a4cf9) and
//   v3.28.2 (backport 256fd48505), so it hashes under `POSTROUTING*appends*` (felix-format §2.2, §6); v3.27.x
//   (and v3.28.0–v3.28.1) insert it. The P28 profile follows the last 3.28 releases.
// * with VXLAN on, raw cali-PREROUTING (2nd rule) and cali-OUTPUT (3rd rule) have Felix's
//   `Protocol("udp").DestPort(VXLANPort)` → NoTrack (felix/rules/static.go StaticRawPreroutingChain /
//   StaticRawOutputChain) since v3.29.0 (4f55a016c2); no 3.28.x has it.
// The nft twins of both are pinned by the real dump (nft-dump.test.ts: `z057H0Z77Fcko47w`, `KSSCpT-T9DVdO0Iq`).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../src/cli/args.js";
import { runCompile } from "../../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../../src/cli/flags.js";
import { DEFAULT_CALICO_OPTIONS } from "../../../src/backends/calico/index.js";
import { CALICO_VERSIONS, profileOf, type CalicoVersion } from "../../../src/backends/calico/profile.js";
import { natChains, rawChains, type StaticContext } from "../../../src/backends/calico/static.js";
import { mergeNodeRuleSets } from "../../../src/backends/kubeproxy/merge.js";
import { felixText } from "../../../src/rules/felix.js";
import type { Chain, Rule, RuleSet, TableName } from "../../../src/rules/types.js";
import { parseRuleSet } from "../../../src/rules/parser.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { caseInputs, GOLDEN_ROOT } from "../../helpers/golden-cases.js";

const APPENDED: readonly CalicoVersion[] = ["3.28", "3.29", "3.30", "3.31", "3.32"];
const NOTRACK: readonly CalicoVersion[] = ["3.29", "3.30", "3.31", "3.32"];

function ctx(version: CalicoVersion, o: Partial<StaticContext> = {}): StaticContext {
  return {
    opts: { ...DEFAULT_CALICO_OPTIONS, calicoVersion: version },
    family: 4,
    ipipEnabled: false,
    hasTunnelAddress: false,
    vxlanEnabled: true,
    hasVxlanTunnelAddress: true,
    natOutgoing: true,
    ...o,
  };
}

/** One table's iptables-save lines (without the header, declarations and COMMIT). */
function saved(table: TableName, chains: readonly Chain[]): string[] {
  const rs: RuleSet = { tables: [{ name: table, chains }] };
  return writeRuleSet(rs).split("\n").filter((l) => l.startsWith("-A "));
}
const of = (lines: readonly string[], chain: string): string[] => lines.filter((l) => l.startsWith(`-A ${chain} `));
const chainOf = (chains: readonly Chain[], name: string): Chain => chains.find((c) => c.name === name)!;

describe("nat POSTROUTING hook: inserted at P27, appended from P28 (v3.28.2+ / v3.29.0+)", () => {
  it("the profiles say so", () => {
    expect(CALICO_VERSIONS.filter((v) => profileOf(v).natPostroutingAppended)).toEqual(APPENDED);
    expect(CALICO_VERSIONS.filter((v) => profileOf(v, 6).natPostroutingAppended)).toEqual(APPENDED);
  });

  for (const version of CALICO_VERSIONS) {
    const appended = APPENDED.includes(version);
    it(`${version}: ${appended ? "hashed under POSTROUTING*appends*" : "hashed under POSTROUTING"}, in both families`, () => {
      for (const family of [4, 6] as const) {
        const chains = natChains(ctx(version, { family, vxlanEnabled: family === 4, hasVxlanTunnelAddress: family === 4 }));
        const post = chainOf(chains, "POSTROUTING");
        expect(post.rules.map(felixText)).toEqual(["--jump cali-POSTROUTING"]);
        expect(post.hashRuns).toEqual(appended ? [{ chain: "POSTROUTING", rules: 0 }, { chain: "POSTROUTING*appends*", rules: 1 }] : [{ chain: "POSTROUTING", rules: 1 }, { chain: "POSTROUTING*appends*", rules: 0 }]);
        // O3lY…: spec §8.1 (real captures); 0i8p…: the §6 recipe on `-A POSTROUTING*appends* HASH --jump cali-POSTROUTING`.
        expect(of(saved("nat", chains), "POSTROUTING")).toEqual([`-A POSTROUTING -m comment --comment "cali:${appended ? "0i8pjzKKPyA34aQD" : "O3lYWMrLQYEMJtB5"}" -j cali-POSTROUTING`]);
        // The other nat hooks stay inserted.
        expect(of(saved("nat", chains), "PREROUTING")).toEqual(['-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING']);
        expect(of(saved("nat", chains), "OUTPUT")).toEqual(['-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT']);
      }
    });
  }

  // kube-proxy's `-j KUBE-POSTROUTING` (EnsureRule Prepend): Felix's inserted hook stays above it, the appended one lands after it.
  const kubeJump: Rule = { parts: [{ kind: "match", module: "comment", options: [{ name: "comment", negated: false, args: ["kubernetes postrouting rules"], quoted: true }] }], target: { kind: "jump", name: "KUBE-POSTROUTING", options: [] } };
  const kube: RuleSet = { tables: [{ name: "nat", chains: [{ name: "POSTROUTING", policy: "ACCEPT", rules: [kubeJump] }, { name: "KUBE-POSTROUTING", policy: null, rules: [] }] }] };
  const isFelixHook = (r: Rule): boolean => r.target?.kind === "jump" && r.target.name.startsWith("cali-");

  for (const version of ["3.27", "3.28", "3.32"] as const) {
    it(`${version}: merged with kube-proxy, Felix's hook is ${version === "3.27" ? "first" : "last"} in nat POSTROUTING`, () => {
      const merged = mergeNodeRuleSets({ tables: [{ name: "nat", chains: natChains(ctx(version)) }] }, kube, isFelixHook);
      const lines = of(saved("nat", merged.tables[0]!.chains), "POSTROUTING");
      const felix = version === "3.27" ? '-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING' : '-A POSTROUTING -m comment --comment "cali:0i8pjzKKPyA34aQD" -j cali-POSTROUTING';
      const kubeLine = '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING';
      expect(lines).toEqual(version === "3.27" ? [felix, kubeLine] : [kubeLine, felix]);
    });
  }
});

describe("raw VXLAN NOTRACK rules: from P29 (v3.29.0), IPv4 with VXLAN on", () => {
  it("the profiles say so", () => {
    expect(CALICO_VERSIONS.filter((v) => profileOf(v).vxlanNotrack)).toEqual(NOTRACK);
  });

  for (const version of CALICO_VERSIONS) {
    const has = NOTRACK.includes(version);
    it(`${version}: ${has ? "cali-PREROUTING rule 2 and cali-OUTPUT rule 3" : "none"}`, () => {
      const chains = rawChains(ctx(version));
      const notrack = (c: Chain): number[] => c.rules.flatMap((r, i) => (r.target?.kind === "jump" && r.target.name === "NOTRACK" ? [i] : []));
      expect(notrack(chainOf(chains, "cali-PREROUTING"))).toEqual(has ? [1] : []);
      expect(notrack(chainOf(chains, "cali-OUTPUT"))).toEqual(has ? [2] : []);
      // Felix's own spelling (what is hashed): match_builder.go Protocol("udp") + DestPort(4789), NoTrackAction.
      if (has) expect(felixText(chainOf(chains, "cali-PREROUTING").rules[1]!)).toBe("-p udp --dport 4789 --jump NOTRACK");
    });
  }

  it("not without VXLAN, and not in the IPv6 tables (VXLANEnabledV6 is not modelled)", () => {
    for (const version of NOTRACK) {
      for (const c of [ctx(version, { vxlanEnabled: false, hasVxlanTunnelAddress: false }), ctx(version, { family: 6, vxlanEnabled: false, hasVxlanTunnelAddress: false })]) {
        const text = saved("raw", rawChains(c)).join("\n");
        expect(text).not.toContain("NOTRACK");
      }
    }
  });

  // Hashes: the §6 recipe on Felix's text (computed independently of netpolc; no iptables capture of 3.29+ VXLAN at hand).
  it("3.30 (the [CAL-DUMP] layout): iptables-save lines and hashes", () => {
    const lines = saved("raw", rawChains(ctx("3.30")));
    // iptables-save prints the port under the udp match iptables loaded for `-p udp` (App. A).
    expect(of(lines, "cali-PREROUTING").slice(0, 3)).toEqual([
      '-A cali-PREROUTING -m comment --comment "cali:DQ6LK2guiBRMyrLK" -j MARK --set-xmark 0x0/0x1b0000',
      '-A cali-PREROUTING -p udp -m comment --comment "cali:sIsu2aAqNN6K3YYn" -m udp --dport 4789 -j NOTRACK',
      '-A cali-PREROUTING -i cali+ -m comment --comment "cali:W0qKAga6QivxLxL1" -j MARK --set-xmark 0x80000/0x80000',
    ]);
    expect(of(lines, "cali-OUTPUT")).toEqual([
      '-A cali-OUTPUT -m comment --comment "cali:clI8WObfCl4yhr60" -j MARK --set-xmark 0x0/0x1b0000',
      '-A cali-OUTPUT -m comment --comment "cali:ZbkN6P8OdRcBRPpU" -j cali-to-host-endpoint',
      '-A cali-OUTPUT -p udp -m comment --comment "cali:ry5_UEpt1OaPPCxO" -m udp --dport 4789 -j NOTRACK',
      '-A cali-OUTPUT -m comment --comment "cali:MGhICIksKDnYMIkW" -m mark --mark 0x10000/0x10000 -j ACCEPT',
    ]);
  });

  it("the saved table parses back to itself, and the parsed rule is Felix's text again", () => {
    const text = writeRuleSet({ tables: [{ name: "raw", chains: rawChains(ctx("3.32")) }] });
    const parsed = parseRuleSet(text);
    expect(parsed.diagnostics).toEqual([]);
    expect(writeRuleSet(parsed.ruleset)).toBe(text);
    const rule = parsed.ruleset.tables[0]!.chains.find((c) => c.name === "cali-PREROUTING")!.rules[1]!;
    const uncommented = { ...rule, parts: rule.parts.filter((p) => !(p.kind === "match" && p.module === "comment")) };
    expect(felixText(uncommented)).toBe("-p udp --dport 4789 --jump NOTRACK");
  });
});

describe("a VXLAN cluster end to end (golden/vxlan-always-static-rules inputs)", () => {
  const dir = join(GOLDEN_ROOT, "vxlan-always-static-rules");
  const files = (...flags: string[]): Map<string, string> => new Map(runCompile(caseInputs(dir), parseArgs(["-o", "unused", "--node", "node1", ...flags], COMPILE_FLAGS)).files);
  const notrackLines = (text: string): string[] => text.split("\n").filter((l) => l.includes("NOTRACK"));

  it("3.28: no NOTRACK rules; 3.32 at -O1 and -O2: both, as Felix writes them", () => {
    expect(notrackLines(files("--calico-version", "3.28").get("node1.iptables")!)).toEqual([]);
    for (const o of ["1", "2"]) {
      const lines = notrackLines(files("--calico-version", "3.32", "-O", o).get("node1.iptables")!);
      expect(lines.map((l) => l.replace(/cali:[\w-]{16}/, "cali:…")), `-O${o}`).toEqual([
        '-A cali-OUTPUT -p udp -m comment --comment "cali:…" -m udp --dport 4789 -j NOTRACK',
        '-A cali-PREROUTING -p udp -m comment --comment "cali:…" -m udp --dport 4789 -j NOTRACK',
      ]);
    }
  });

  it("3.32 nftables: the same rules in raw-cali-PREROUTING / raw-cali-OUTPUT, and the appended nat hook", () => {
    const nft = files("--calico-version", "3.32", "--dataplane", "nftables").get("node1.nft")!;
    expect(nft.split("\n").filter((l) => l.includes("notrack")).map((l) => l.trim().replace(/cali:[\w-]{16}/, "cali:…"))).toEqual([
      'udp dport 4789 counter notrack comment "cali:…;"',
      'udp dport 4789 counter notrack comment "cali:…;"',
    ]);
    expect(nft).toContain('counter jump nat-cali-POSTROUTING comment "cali:z057H0Z77Fcko47w;"');
  });
});

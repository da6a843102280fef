// -O / --passes / --no-pass / --stats on `netpolc compile`.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../../../src/cli/args.js";
import { compileOptionsFrom, runCompile } from "../../../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../../../src/cli/flags.js";
import { GOLDEN, goldenInputs } from "./helpers.js";

const args = (...a: string[]) => parseArgs(a, COMPILE_FLAGS);
const files = goldenInputs(join(GOLDEN, "f3-egress-selectors-protocols-ipblock-except"));

describe("compile -O flags", () => {
  it("-O2, -O 2 and --opt-level=2 select every pass; default is -O1 with none", () => {
    for (const a of [["-O2"], ["-O", "2"], ["--opt-level=2"]]) expect(compileOptionsFrom(args(...a)).optimize).toEqual({ level: 2, passes: expect.arrayContaining(["cidr-merge", "chain-share"]) });
    expect(compileOptionsFrom(args()).optimize).toEqual({ level: 1, passes: expect.any(Array) });
  });

  it("--passes runs only those, --no-pass disables one; unknown names and -O1 are usage errors", () => {
    expect(compileOptionsFrom(args("-O2", "--passes", "port-merge,cidr-merge")).optimize?.passes).toEqual(["cidr-merge", "port-merge"]);
    expect(compileOptionsFrom(args("-O2", "--no-pass", "chain-share")).optimize?.passes).not.toContain("chain-share");
    expect(() => compileOptionsFrom(args("-O2", "--passes", "bogus"))).toThrow(UsageError);
    expect(() => compileOptionsFrom(args("-O2", "--no-pass", "bogus"))).toThrow(/unknown pass 'bogus'/);
    expect(() => compileOptionsFrom(args("--passes", "cidr-merge"))).toThrow(UsageError);
    expect(() => args("-O3")).toThrow(UsageError);
  });

  it("-O1 output equals the default; -O2 differs and is smaller", () => {
    const o1 = runCompile(files, args("--emit", "iptables", "--node", "node1"));
    expect(runCompile(files, args("--emit", "iptables", "--node", "node1", "-O1")).stdout).toBe(o1.stdout);
    const o2 = runCompile(files, args("--emit", "iptables", "--node", "node1", "-O2"));
    expect(o2.exitCode).toBe(0);
    expect(o2.stdout.split("\n").length).toBeLessThan(o1.stdout.split("\n").length);
  });

  it("--stats prints one row per node and step to stderr, stdout keeps the results", () => {
    const r = runCompile(files, args("--emit", "iptables", "--node", "node1", "-O2", "--stats"));
    const rows = r.stderr.trim().split("\n");
    expect(rows[0]).toBe("node\tafter\trules\tchains\tsets\tmembers");
    expect(rows.slice(1).map((l) => l.split("\t")[1])).toEqual(["-O1", "cidr-merge", "port-merge", "rule-absorb", "return-merge", "ipset-dedup", "chain-share", "dead-tail"]);
    const rules = rows.slice(1).map((l) => Number(l.split("\t")[2]));
    expect(rules[rules.length - 1]).toBeLessThan(rules[0]!);
    expect(r.stdout).toMatch(/^\*raw/m);
  });
});

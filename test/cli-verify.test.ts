// `netpolc verify` and `netpolc explain` through main(): exit codes, the
// stdout/stderr split, --format json, and --rules with good, tampered,
// missing and unparsable files.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { workloadInterfaceName } from "../src/backends/calico/names.js";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const BOOKINFO = join(ROOT, "examples", "bookinfo");
const PRODUCTPAGE = "default/productpage-v1-54d799c966-h96dv";
const DETAILS = "default/details-v1-68c7c8666d-x57tf";
const RATINGS = "default/ratings-v1-8558d4458d-86mtm";

const run = runCli;

/** A fresh copy of bookinfo's compiled rules, to tamper with. */
async function compiledDir(): Promise<string> {
  const dir = tempDir("netpolc-verify-");
  // The tampering below edits Felix 3.27's text (its comments and marks).
  const r = await run(["compile", BOOKINFO, "-o", dir, "--calico-version", "3.27"]);
  expect(r.code).toBe(0);
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, "utf8");
  const next = text.replace(from, to);
  expect(next, `no '${String(from)}' in ${file}`).not.toBe(text);
  writeFileSync(file, next);
}

/** details' endpoint chains on ubuntu2 (`cali-tw-<iface>`, `cali-fw-<iface>`). */
const DETAILS_IFACE = workloadInterfaceName("default", "details-v1-68c7c8666d-x57tf");

/** Deletes the conntrack rule of one of details' endpoint chains: `tw` ESTABLISHED accept or `fw` INVALID drop. */
function deleteConntrackRule(dir: string, chain: "tw" | "fw", state: "RELATED,ESTABLISHED" | "INVALID"): void {
  edit(join(dir, "ubuntu2.iptables"), new RegExp(`^-A cali-${chain}-${DETAILS_IFACE} .*--ctstate ${state} -j \\w+\n`, "m"), "");
}

/** details-from-productpage allows 9080; make its rule on details' node say 9081. */
function tamperDetailsPort(dir: string): void {
  edit(join(dir, "ubuntu2.iptables"), /(Policy default\/knp\.default\.details-from-productpage ingress".*--dports) 9080/, "$1 9081");
}

describe("netpolc verify", () => {
  let flows = 0;
  let summary = "";
  beforeAll(async () => {
    const r = await run(["verify", BOOKINFO]);
    flows = Number(/verified: ([\d,]+) flows/.exec(r.out)?.[1]?.replaceAll(",", ""));
    summary = r.out;
  });

  it("compiles and verifies bookinfo: one summary line on stdout, quiet stderr, exit 0", async () => {
    const r = await run(["verify", BOOKINFO]);
    expect(r).toEqual({ code: 0, out: summary, err: "" });
    expect(summary).toMatch(/^verified: [\d,]+ flows in [\d,]+ classes, \d+ replies, \d+ Felix invariant probes, \d+ service probes on 3 nodes, 0 mismatches\n$/);
    // Every pod pair on every port of every protocol probed: far more flows than classes walked.
    expect(flows).toBeGreaterThan(10_000_000);
  });

  it("--exhaustive walks every pod pair on every mentioned port, one by one", async () => {
    const r = await run(["verify", BOOKINFO, "--exhaustive"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verified: \d+ flows, \d+ replies, \d+ Felix invariant probes, \d+ service probes on 3 nodes, 0 mismatches\n$/);
    const doc = JSON.parse((await run(["verify", BOOKINFO, "--exhaustive", "--format", "json"])).out) as Record<string, unknown>;
    expect(doc["classes"]).toBeUndefined();
    expect(doc["invariants"]).toBe(11 * 6); // every one of the 11 endpoint pods, every invariant
  });

  it("--format json is one stable JSON document", async () => {
    const r = await run(["verify", BOOKINFO, "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    const [, classes, replies, invariants, services] = /in ([\d,]+) classes, (\d+) replies, (\d+) Felix invariant probes, (\d+) service probes/
      .exec(summary)!
      .map((x) => Number(x.replaceAll(",", "")));
    expect(doc).toEqual({ classes, failures: [], flows, inferredRoutes: 0, invariants, mismatches: 0, nodes: ["ubuntu1", "ubuntu2", "ubuntu3"], replies, services, unknown: 0 });
    expect(services).toBe(21); // per ClusterIP its endpoint pods (6 in all) and the 3 hosts, plus productpage's NodePort from outside on each node
    expect(replies).toBeGreaterThan(100);
    // Per class of pods (pods whose endpoint chains are alike share one), every invariant.
    expect(invariants! % 6).toBe(0);
    expect(invariants).toBeGreaterThanOrEqual(6 * 6);
    expect(Object.keys(doc)).toEqual([...Object.keys(doc)].sort());
  });

  it("--node keeps the flows that cross that node", async () => {
    const r = await run(["verify", BOOKINFO, "--node", "ubuntu1"]);
    expect(r.code).toBe(0);
    const n = Number(/verified: ([\d,]+) flows/.exec(r.out)?.[1]?.replaceAll(",", ""));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(flows);
  });

  it("--rules with the compiled files agrees (exit 0)", async () => {
    const r = await run(["verify", BOOKINFO, "--rules", await compiledDir()]);
    expect(r).toEqual({ code: 0, out: summary, err: "" });
  });

  it("--rules without an ESTABLISHED accept: the dropped replies and the broken invariant, each reported as such (exit 1)", async () => {
    const dir = await compiledDir();
    deleteConntrackRule(dir, "tw", "RELATED,ESTABLISHED");
    const r = await run(["verify", BOOKINFO, "--rules", dir]);
    expect(r.code).toBe(1);
    // details → productpage is allowed, so its reply must come back into details.
    expect(r.out).toMatch(
      new RegExp(`^mismatch: reply of ${DETAILS} → ${PRODUCTPAGE} 9080/TCP dropped by ubuntu2 filter cali-tw-${DETAILS_IFACE} rule \\d+ \\(.*ubuntu2\\.iptables:\\d+\\) drop "Drop if no policies passed packet"$`, "m"),
    );
    expect(r.out).toContain("reply traffic of an allowed connection is implicitly allowed (netpol-semantics §7)");
    expect(r.out).toMatch(new RegExp(`^mismatch \\(invariant\\): ESTABLISHED \\S+ → ${DETAILS} \\d+/TCP \\(into ${DETAILS}\\) dropped by `, "m"));
    expect(r.out).toContain("Felix invariant (not NetworkPolicy): a packet in ctstate ESTABLISHED forwarded to a workload is accepted");
    const json = JSON.parse((await run(["verify", BOOKINFO, "--rules", dir, "--format", "json"])).out) as { failures: Array<{ kind: string }> };
    expect([...new Set(json.failures.map((f) => f.kind))].sort()).toEqual(["invariant", "reply"]);
  });

  it("--rules without an INVALID drop: the invariant names the policy chain that was consulted (exit 1)", async () => {
    const dir = await compiledDir();
    deleteConntrackRule(dir, "fw", "INVALID");
    const r = await run(["verify", BOOKINFO, "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^mismatch \\(invariant\\): INVALID ${DETAILS} → \\S+ \\d+/TCP \\(from ${DETAILS}\\) `, "m"));
    expect(r.out).toMatch(new RegExp(`^  consulted: ubuntu2 filter cali-fw-${DETAILS_IFACE} rule \\d+ .* → cali-pro-kns\\.default$`, "m"));
    expect(r.out).toMatch(/verified: .*, 1 mismatches\n$/);
  });

  it("--rules with a set class verify cannot read (hash:ip,port,ip): a note on stderr, every flow walked one by one", async () => {
    const dir = await compiledDir();
    const ipsets = join(dir, "ubuntu1.ipsets");
    writeFileSync(ipsets, readFileSync(ipsets, "utf8") + "create test-pairs hash:ip,port,ip family inet hashsize 1024 maxelem 1048576\nadd test-pairs 10.0.0.1,tcp:80,10.0.0.2\n");
    edit(join(dir, "ubuntu1.iptables"), /^-A FORWARD /m, "-A FORWARD -m set --match-set test-pairs src,dst,dst -j DROP\n-A FORWARD ");
    const r = await run(["verify", BOOKINFO, "--rules", dir]);
    expect(r.err).toBe("netpolc: note: checking every flow one by one: class verify does not capture ipset test-pairs (hash:ip,port,ip) matches a pair of addresses (ubuntu1)\n");
    // The exhaustive summary (no classes); the set matches no probe, so nothing fails.
    expect(r.out).toMatch(/^verified: \d+ flows, \d+ replies, .* 0 mismatches\n$/);
    expect(r.code).toBe(0);
  });

  it("--rules with a tampered port reports the mismatching flow on stdout (exit 1)", async () => {
    const dir = await compiledDir();
    tamperDetailsPort(dir);
    const r = await run(["verify", BOOKINFO, "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("");
    expect(r.out).toContain(`mismatch: ${PRODUCTPAGE} → ${DETAILS} 9080/TCP`);
    expect(r.out).toContain(`mismatch: ${PRODUCTPAGE} → ${DETAILS} 9081/TCP`);
    expect(r.out).toMatch(/allowed by default\/details-from-productpage ingress\[0\] \(.*bookinfo-allow\.yaml:\d+:\d+\)/);
    expect(r.out).toMatch(/ubuntu2: forward in=tunl0 out=cali\w+ → DROP\n(.*\n)*.*filter cali-tw-cali\w+ rule \d+ \(.*ubuntu2\.iptables:\d+\) drop "Drop if no policies passed packet"/);
    expect(r.out).toMatch(/verified: [\d,]+ flows in [\d,]+ classes, \d+ replies, \d+ Felix invariant probes, \d+ service probes on 3 nodes, [1-9]\d* mismatches\n$/);
    // Each mismatch names the class it stands for.
    expect(r.out).toMatch(new RegExp(`^  class: .*${DETAILS.split("/")[1]!.slice(0, 7)}.* 9080/TCP, [\\d,]+ flows?; the flow shown is one of them$`, "m"));
    const json = JSON.parse((await run(["verify", BOOKINFO, "--rules", dir, "--format", "json"])).out) as { mismatches: number };
    expect(json.mismatches).toBeGreaterThan(0);
  });

  it("--rules with a missing file is an error naming the file (exit 1)", async () => {
    const dir = await compiledDir();
    rmSync(join(dir, "ubuntu2.ipsets"));
    const r = await run(["verify", BOOKINFO, "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain(join(dir, "ubuntu2.ipsets"));
  });

  it("--rules with a syntax error reports file:line:col (exit 1)", async () => {
    const dir = await compiledDir();
    edit(join(dir, "ubuntu1.iptables"), "-A cali-FORWARD ", "-A cali-FORWARD --bogus-flag ");
    const r = await run(["verify", BOOKINFO, "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(new RegExp(`${join(dir, "ubuntu1.iptables").replace(/[.]/g, "\\.")}:\\d+:\\d+: error`));
  });

  it("usage errors exit 2 with stderr only", async () => {
    for (const argv of [["verify"], ["verify", "--bogus", BOOKINFO], ["verify", BOOKINFO, "--format", "xml"]]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/^netpolc: /);
    }
  });

  it("an unknown --node is an input error (exit 1)", async () => {
    const r = await run(["verify", BOOKINFO, "--node", "nope"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('node "nope" is not in the snapshot');
  });

  it("verify --help and explain --help print their own usage", async () => {
    const r = await run(["verify", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: netpolc verify [options] <inputs...>");
    expect((await run(["explain", "--help"])).out).toContain("Usage: netpolc explain --from NS/POD|IP --to NS/POD|IP --port PORT[/PROTO]");
  });
});

describe("netpolc explain", () => {
  it("an allowed flow: verdict, allowing policy rule and iptables rule, exit 0", async () => {
    const r = await run(["explain", BOOKINFO, "--from", PRODUCTPAGE, "--to", DETAILS, "--port", "9080/TCP"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out.split("\n")[0]).toBe(`${PRODUCTPAGE} → ${DETAILS} 9080/TCP: allowed (rules agree)`);
    expect(r.out).toMatch(/k8s rule: default\/details-from-productpage ingress\[0\] \(.*bookinfo-allow\.yaml:\d+:\d+\)/);
  });

  it("--format json parses; usage errors exit 2", async () => {
    const r = await run(["explain", BOOKINFO, "--from", DETAILS, "--to", RATINGS, "--port", "9080", "--format", "json"]);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.out) as { policy: { verdict: string }; rules: { verdict: string } };
    expect([v.policy.verdict, v.rules.verdict]).toEqual(["denied", "denied"]);
    for (const argv of [
      ["explain", BOOKINFO, "--from", DETAILS, "--to", RATINGS],
      ["explain", BOOKINFO, "--from", DETAILS, "--to", RATINGS, "--port", "99999"],
      ["explain", BOOKINFO, "--from", "default/nope", "--to", RATINGS, "--port", "80"],
      ["explain", BOOKINFO, "--from", DETAILS, "--to", DETAILS, "--port", "80"],
    ]) {
      const u = await run(argv);
      expect(u.code, argv.join(" ")).toBe(2);
      expect(u.out).toBe("");
    }
  });

  it("a flow whose reply the rules drop is a finding too (exit 1)", async () => {
    const dir = await compiledDir();
    deleteConntrackRule(dir, "tw", "RELATED,ESTABLISHED");
    const r = await run(["explain", BOOKINFO, "--from", DETAILS, "--to", PRODUCTPAGE, "--port", "9080/TCP", "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toBe(`${DETAILS} → ${PRODUCTPAGE} 9080/TCP: allowed (reply DISAGREES)`);
    expect(r.out).toMatch(new RegExp(`^reply dropped by ubuntu2 filter cali-tw-${DETAILS_IFACE} rule \\d+ .*"Drop if no policies passed packet" \\(reply traffic`, "m"));
  });

  it("with tampered --rules, the disagreement is a finding (exit 1)", async () => {
    const dir = await compiledDir();
    tamperDetailsPort(dir);
    const r = await run(["explain", BOOKINFO, "--from", PRODUCTPAGE, "--to", DETAILS, "--port", "9080/TCP", "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("allowed (rules DISAGREE)");
    expect(r.out).toContain(`dropped by: ubuntu2 filter cali-tw-`);
  });
});

describe("netpolc verify -O2", () => {
  it("verifies the optimised rules of examples/bookinfo, and refuses pass flags without -O2", async () => {
    const { main } = await import("../src/cli/main.js");
    let out = "";
    let err = "";
    const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s), readStdin: () => "" };
    const example = new URL("../examples/bookinfo", import.meta.url).pathname;
    expect(await main(["verify", "-O2", example], io)).toBe(0);
    expect(out).toMatch(/^verified: [\d,]+ flows in [\d,]+ classes, .* 0 mismatches\n$/);
    out = "";
    expect(await main(["verify", "--no-pass", "dead-tail", example], io)).toBe(2);
    expect(err).toContain("need -O2");
  });
});

describe("verify on a dual-stack snapshot", () => {
  const DUAL = join(import.meta.dirname, "..", "golden", "dual-stack-basic");
  it("checks the IPv4 side and the IPv6 side (a second line, JSON under ipv6); --ipv6 off checks IPv4 alone, with a warning", async () => {
    const on = await runCli(["verify", DUAL]);
    expect(on.code).toBe(0);
    expect(on.out).toMatch(/^verified: .* 0 mismatches\nverified IPv6: [\d,]+ flow classes, .* 0 mismatches\n$/);
    const json = await runCli(["verify", DUAL, "--format", "json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect([report.mismatches, report.ipv6.mismatches, report.ipv6.flows]).toEqual([0, 0, null]);
    expect(report.ipv6.classes).toBeGreaterThan(0);
    // --exhaustive walks IPv6 flows one by one: the JSON counts them as the text does.
    const every = await runCli(["verify", DUAL, "--exhaustive"]);
    expect(every.code).toBe(0);
    const counted = /\nverified IPv6: ([\d,]+) flows,/.exec(every.out);
    expect(counted, every.out).not.toBeNull();
    const everyJson = JSON.parse((await runCli(["verify", DUAL, "--exhaustive", "--format", "json"])).out);
    expect(everyJson.ipv6.classes).toBeUndefined();
    expect(everyJson.ipv6.flows).toBe(Number(counted![1]!.replace(/,/g, "")));
    expect(everyJson.ipv6.flows).toBeGreaterThan(0);
    const off = await runCli(["verify", DUAL, "--ipv6", "off"]);
    expect(off.code).toBe(0);
    expect(off.out).not.toContain("IPv6");
    expect(off.err).toContain("--ipv6 is off");
  });
});

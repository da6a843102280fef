// `netpolc verify` and `netpolc explain` through main(): exit codes, the
// stdout/stderr split, --format json, and --rules with good, tampered,
// missing and unparsable files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main, type Io } from "../src/cli/main.js";

const ROOT = join(import.meta.dirname, "..");
const BOOKINFO = join(ROOT, "examples", "bookinfo");
const PRODUCTPAGE = "default/productpage-v1-54d799c966-h96dv";
const DETAILS = "default/details-v1-68c7c8666d-x57tf";
const RATINGS = "default/ratings-v1-8558d4458d-86mtm";

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), readStdin: () => "" };
  const code = await main(argv, io);
  return { code, out, err };
}

/** A fresh copy of bookinfo's compiled rules, to tamper with. */
async function compiledDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "netpolc-verify-"));
  const r = await run(["compile", BOOKINFO, "-o", dir]);
  expect(r.code).toBe(0);
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, "utf8");
  const next = text.replace(from, to);
  expect(next, `no '${String(from)}' in ${file}`).not.toBe(text);
  writeFileSync(file, next);
}

/** details-from-productpage allows 9080; make its rule on details' node say 9081. */
function tamperDetailsPort(dir: string): void {
  edit(join(dir, "ubuntu2.iptables"), /(Policy default\/knp\.default\.details-from-productpage ingress".*--dports) 9080/, "$1 9081");
}

describe("netpolc verify", () => {
  let flows = 0;
  beforeAll(async () => {
    const r = await run(["verify", BOOKINFO]);
    flows = Number(/verified: (\d+) flows/.exec(r.out)?.[1]);
  });

  it("compiles and verifies bookinfo: one summary line on stdout, quiet stderr, exit 0", async () => {
    const r = await run(["verify", BOOKINFO]);
    expect(r).toEqual({ code: 0, out: `verified: ${flows} flows on 3 nodes, 0 mismatches\n`, err: "" });
    expect(flows).toBeGreaterThan(500);
  });

  it("--format json is one stable JSON document", async () => {
    const r = await run(["verify", BOOKINFO, "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc).toEqual({ failures: [], flows, mismatches: 0, nodes: ["ubuntu1", "ubuntu2", "ubuntu3"], unknown: 0 });
    expect(Object.keys(doc)).toEqual([...Object.keys(doc)].sort());
  });

  it("--node keeps the flows that cross that node", async () => {
    const r = await run(["verify", BOOKINFO, "--node", "ubuntu1"]);
    expect(r.code).toBe(0);
    const n = Number(/verified: (\d+) flows/.exec(r.out)?.[1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(flows);
  });

  it("--rules with the compiled files agrees (exit 0)", async () => {
    const r = await run(["verify", BOOKINFO, "--rules", await compiledDir()]);
    expect(r).toEqual({ code: 0, out: `verified: ${flows} flows on 3 nodes, 0 mismatches\n`, err: "" });
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
    expect(r.out).toMatch(/verified: \d+ flows on 3 nodes, [1-9]\d* mismatches\n$/);
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

  it("--help lists verify and explain", async () => {
    const r = await run(["verify", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("netpolc verify [options] <inputs...>");
    expect(r.out).toContain("netpolc explain --from");
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

  it("with tampered --rules, the disagreement is a finding (exit 1)", async () => {
    const dir = await compiledDir();
    tamperDetailsPort(dir);
    const r = await run(["explain", BOOKINFO, "--from", PRODUCTPAGE, "--to", DETAILS, "--port", "9080/TCP", "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("allowed (rules DISAGREE)");
    expect(r.out).toContain(`dropped by: ubuntu2 filter cali-tw-`);
  });
});

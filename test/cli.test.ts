// CLI behaviour: exit codes, the stdout/stderr split, --help, and the
// all-or-nothing promise (invalid input never writes a file).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const F2 = join(ROOT, "golden", "f2-default-deny-and-allow-ordering");
/** What `compile` prints for F2 by default: F2 as the newest Calico lays it out. */
const F2_DEFAULT = join(ROOT, "golden", "f2-default-deny-and-allow-ordering-calico-3.32");

const run = runCli;

const tmp = (): string => tempDir("netpolc-cli-");

describe("netpolc CLI", () => {
  it("--help goes to stdout and exits 0; compile --help lists compile's options", async () => {
    const r = await run(["--help"]);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(r.out).toContain("Usage: netpolc <command> [options] <inputs...>");
    const c = await run(["compile", "--help"]);
    expect(c.out).toContain("Usage: netpolc compile [options] <inputs...>");
    for (const f of ["--output", "--node", "--emit", "--format"]) expect(c.out).toContain(f);
  });

  it("no arguments prints the short command list on stderr and exits 2", async () => {
    const r = await run([]);
    expect([r.code, r.out]).toEqual([2, ""]);
    expect(r.err).toContain("Commands: compile, verify, explain");
  });

  it("unknown options and commands are usage errors (exit 2, stderr only)", async () => {
    for (const argv of [["frobnicate"], ["compile", "--bogus", F2], ["compile", F2], ["compile", "--emit", "nope", F2]]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/^netpolc: /);
    }
  });

  it("a missing input path is a usage error", async () => {
    const r = await run(["compile", "-o", tmp(), "/nonexistent/netpolc-input"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("/nonexistent/netpolc-input");
  });

  it("--emit prints one node's rules to stdout, quiet stderr", async () => {
    const r = await run(["compile", F2, "--node", "node1", "--emit", "iptables"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toBe(readFileSync(join(F2_DEFAULT, "expected", "node1.iptables"), "utf8"));
  });

  it("--emit with several nodes asks for --node", async () => {
    const r = await run(["compile", F2, "--emit", "iptables"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--node");
  });

  it("-o writes three files per node and nothing else", async () => {
    const dir = join(tmp(), "out");
    const r = await run(["compile", F2, "-o", dir]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    expect(readdirSync(dir).sort()).toEqual(
      ["node0", "node1", "node2"].flatMap((n) => [`${n}.ipsets`, `${n}.iptables`, `${n}.routes`]).sort(),
    );
    expect(readFileSync(join(dir, "node1.ipsets"), "utf8")).toBe(readFileSync(join(F2_DEFAULT, "expected", "node1.ipsets"), "utf8"));
  });

  it("-o into a new directory: the directory is made with the umask's mode, no temp directory is left; into an existing one, old files stay and new ones replace", async () => {
    const base = tmp();
    const dir = join(base, "out");
    mkdirSync(join(base, "made-by-mkdir"));
    const r = await run(["compile", F2, "-o", dir]);
    expect(r.code).toBe(0);
    expect(readdirSync(base).sort()).toEqual(["made-by-mkdir", "out"]);
    expect(statSync(dir).mode).toBe(statSync(join(base, "made-by-mkdir")).mode);
    writeFileSync(join(dir, "notes.txt"), "mine\n");
    writeFileSync(join(dir, "node1.iptables"), "previous\n");
    const again = await run(["compile", F2, "-o", dir]);
    expect(again.code).toBe(0);
    expect(readdirSync(base).sort()).toEqual(["made-by-mkdir", "out"]);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine\n");
    expect(readFileSync(join(dir, "node1.iptables"), "utf8")).toBe(readFileSync(join(F2_DEFAULT, "expected", "node1.iptables"), "utf8"));
  });

  it("-o onto a file, or below one, is a usage error naming the file, and nothing is written", async () => {
    const base = tmp();
    const file = join(base, "a-file");
    writeFileSync(file, "mine\n");
    const onto = await run(["compile", F2, "-o", file]);
    expect(onto).toEqual({ code: 2, out: "", err: `netpolc: -o ${file}: not a directory\nTry 'netpolc compile --help'.\n` });
    const below = await run(["compile", F2, "-o", join(file, "sub", "out")]);
    expect(below).toEqual({ code: 2, out: "", err: `netpolc: -o ${join(file, "sub", "out")}: ${file} is not a directory\nTry 'netpolc compile --help'.\n` });
    expect(readdirSync(base)).toEqual(["a-file"]);
    expect(readFileSync(file, "utf8")).toBe("mine\n");
  });

  it("invalid input exits 1, reports file:line:col, and writes nothing", async () => {
    const base = tmp();
    const bad = join(base, "bad.yaml");
    writeFileSync(bad, readFileSync(join(F2, "cluster.yaml"), "utf8") + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: default}\nspec:\n  podselector: {}\n");
    const dir = join(base, "out");
    const r = await run(["compile", bad, "-o", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: error\\[`));
    expect(r.err).toContain('unknown field "spec.podselector"');
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(base)).toEqual(["bad.yaml"]); // no temp dir left behind
  });

  it("an existing output directory is left untouched when the input is invalid", async () => {
    const base = tmp();
    const dir = join(base, "out");
    mkdirSync(dir);
    writeFileSync(join(dir, "node1.iptables"), "previous\n");
    const bad = join(base, "bad.yaml");
    writeFileSync(bad, "# bad\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad_Name}\n");
    const r = await run(["compile", bad, "-o", dir]);
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, "node1.iptables"), "utf8")).toBe("previous\n");
  });

  it("reads stdin with -", async () => {
    const text = ["cluster.yaml", "allow-db-access.yaml", "default-deny.yaml"].map((f) => readFileSync(join(F2, f), "utf8")).join("\n---\n");
    const r = await run(["compile", "-", "--node", "node1", "--emit", "ipsets"], text);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(F2_DEFAULT, "expected", "node1.ipsets"), "utf8"));
  });

  it("--format json puts machine-readable diagnostics on stderr", async () => {
    const base = tmp();
    const bad = join(base, "bad.yaml");
    writeFileSync(bad, "# bad\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad_Name, namespace: default}\n");
    const r = await run(["compile", bad, "-o", join(base, "o"), "--format", "json"]);
    expect(r.code).toBe(1);
    const parsed = JSON.parse(r.err) as { file: string; line: number; severity: string; message: string }[];
    expect(parsed[0]).toMatchObject({ file: bad, line: 4, severity: "error" });
    expect(parsed[0]!.message).toMatch(/^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  });

  it("the installed bin runs (npx netpolc)", () => {
    const bin = join(ROOT, "bin", "netpolc.js");
    const out = execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
    expect(out).toMatch(/^netpolc \d+\.\d+\.\d+\n$/);
    const r = spawnSync(process.execPath, [bin, "compile", F2, "--node", "node1", "--emit", "routes"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(F2_DEFAULT, "expected", "node1.routes"), "utf8"));
  });
});

describe("unknown --node", () => {
  it("names the node and a few known ones, not all of a large cluster", async () => {
    const { unknownNodeMessage } = await import("../src/pipeline.js");
    const many = Array.from({ length: 500 }, (_, i) => `worker-${String(i).padStart(4, "0")}`);
    expect(unknownNodeMessage("node-001", many)).toBe(
      'node "node-001" is not in the snapshot (known: worker-0000, worker-0001, worker-0002, worker-0003, worker-0004, worker-0005, worker-0006, worker-0007 … and 492 more)',
    );
    expect(unknownNodeMessage("x", ["a", "b"])).toBe('node "x" is not in the snapshot (known: a, b)');
    expect(unknownNodeMessage("x", [])).toBe('node "x" is not in the snapshot (known: none)');
    const r = await run(["compile", F2, "--node", "nope", "--emit", "iptables"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/node "nope" is not in the snapshot \(known: [a-z0-9-]+/);
  });
});

describe("--jobs", () => {
  it("takes a positive number or auto, and the output does not depend on it", async () => {
    for (const bad of ["0", "-1", "two", "1.5"]) {
      const r = await run(["compile", F2, "--emit", "iptables", "--node", "node1", "--jobs", bad]);
      expect([r.code, r.err]).toEqual([2, expect.stringContaining(`option '--jobs' must be a positive number or auto, not '${bad}'`)]);
    }
    const outs = await Promise.all(["1", "3", "auto"].map((j) => run(["compile", F2, "--emit", "iptables", "--node", "node1", "--jobs", j])));
    expect(outs.map((o) => o.code)).toEqual([0, 0, 0]);
    expect(new Set(outs.map((o) => o.out)).size).toBe(1);
  });
});

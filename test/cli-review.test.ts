// netpolc diff and netpolc check through the CLI: the bookinfo one-port edit
// (exactly one chain and the flows it changes), compiled output and dumps,
// --git in a throwaway repository, --expected, exit codes and formats, and
// the pre-commit hook entry spawned exactly as pre-commit runs it.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const BOOKINFO = join(ROOT, "examples", "bookinfo");
const tmp = (): string => tempDir("netpolc-review-");

const run = runCli;

/** bookinfo with productpage's ingress port 9080 → 9081 (the first `port: 9080` of bookinfo-allow.yaml). */
function editedBookinfo(): string {
  const dir = join(tmp(), "bookinfo");
  cpSync(BOOKINFO, dir, { recursive: true });
  const f = join(dir, "policies", "bookinfo-allow.yaml");
  writeFileSync(f, readFileSync(f, "utf8").replace("port: 9080", "port: 9081"));
  return dir;
}

/** One node n1 and `n` pods p0… (labels app=a<i>) in default, each container declaring `ports`. */
const snapshot = (n: number, ports: string): string => `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}
${Array.from({ length: n }, (_, i) => `---
apiVersion: v1
kind: Pod
metadata: {name: p${i}, namespace: default, labels: {app: a${i}}}
spec: {nodeName: n1, containers: [{name: c, image: x, ports: ${ports}}]}
status: {podIP: 192.168.0.${i + 2}, phase: Running}
`).join("")}`;

const POLICY = (port: string): string => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: default
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports:
    - port: ${port}
`;

describe("netpolc diff", () => {
  const edited = editedBookinfo();

  it("compiles inputs with the compile flags given: -O2 output against -O2 inputs is no change", async () => {
    const out = tmp();
    expect((await run(["compile", BOOKINFO, "-o", out, "-O2"])).code).toBe(0);
    const same = await run(["diff", out, BOOKINFO, "-O2"]);
    expect([same.code, same.err]).toEqual([0, ""]);
    const other = await run(["diff", out, BOOKINFO]);
    expect(other.code).toBe(1);
  });

  it("bookinfo, one port edited: exactly one chain on one node, and the flows to productpage that moved port", async () => {
    const r = await run(["diff", BOOKINFO, edited, "--format", "json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out);
    const chains = rep.rules.files.flatMap((f: { file: string; chains: Array<{ table: string; kind: string; chain: string }> }) =>
      f.chains.map((c) => `${f.file} ${c.table} ${c.kind} ${c.chain}`));
    expect(chains).toHaveLength(1);
    expect(chains[0]).toMatch(/^ubuntu\d\.iptables filter changed cali-pi-/);
    const lines = rep.rules.files[0].chains[0].lines as string[];
    expect(lines.filter((l) => l.startsWith("-") || l.startsWith("+")).map((l) => l.replace(/.*--dports (\d+).*/, "$1"))).toEqual(["9080", "9081"]);
    const changes = rep.flows.changes as Array<{ kind: string; dst: string; ports: Array<{ from: number; to: number }>; portText: string; policy: string; before: string; after: string }>;
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) {
      expect(c.policy).toBe("default/productpage-from-anywhere");
      expect(c.dst).toMatch(/^default\/productpage-/);
      // The port sets, never a representative: exactly the one port that moved.
      expect(c.ports).toEqual([c.kind === "opens" ? { from: 9081, to: 9081 } : { from: 9080, to: 9080 }]);
      expect(c.portText).toBe(c.kind === "opens" ? "9081/TCP" : "9080/TCP");
    }
    expect(new Set(changes.map((c) => c.kind))).toEqual(new Set(["opens", "closes"]));
    const opened = changes.find((c) => c.kind === "opens")!;
    expect(opened.after).toMatch(/allowed by default\/productpage-from-anywhere ingress\[0\] \(.*bookinfo-allow\.yaml:\d+:\d+\)/);
    expect(opened.before).toContain("no rule matched");
  });

  it("text and markdown formats; identical sides exit 0 quietly", async () => {
    const t = await run(["diff", BOOKINFO, edited]);
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^rules: 1 chain\(s\) changed in 1 file\(s\); flows: \d+ opened, \d+ closed/);
    expect(t.out).toMatch(/@@ -\d+,\d+ \+\d+,\d+ @@ filter cali-pi-/);
    expect(t.out).not.toContain("cali:");
    const m = await run(["diff", BOOKINFO, edited, "--format", "markdown"]);
    expect(m.out).toContain("### netpolc diff");
    expect(m.out).toContain("| 🟢 opens |");
    expect(m.out).toContain("````diff");
    expect(await run(["diff", BOOKINFO, BOOKINFO])).toEqual({ code: 0, out: "", err: "" });
  });

  it("aggregates a namespace's pods into ns/* when all change the same way", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    for (const side of ["a", "b"]) writeFileSync(join(dir, side, "cluster.yaml"), snapshot(3, "[]"));
    writeFileSync(join(dir, "a", "p.yaml"), POLICY("5432"));
    writeFileSync(join(dir, "b", "p.yaml"), POLICY("5433"));
    const r = await run(["diff", join(dir, "a"), join(dir, "b")]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("opens default/* → default/* 5433/TCP");
    expect(r.out).toContain("opens any address outside the cluster → default/* 5433/TCP");
    expect(r.out).not.toContain("203.0.113");
    expect(r.out).toMatch(/of [\d,]+ flows in [\d,]+ classes compared/);
    expect(r.out).toContain("closes default/* → default/* 5432/TCP");
    expect(r.out).not.toMatch(/→ default\/p\d/);
  });

  it("a default-deny closes every port, said so, never a representative port or address", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    for (const side of ["a", "b"]) writeFileSync(join(dir, side, "cluster.yaml"), snapshot(2, "[{name: web, containerPort: 8080}]"));
    // Side a: port 5432 and the named port open from 10.0.0.0/8 but 10.1.0.0/16; side b adds a default deny.
    const open = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: default}
spec:
  podSelector: {matchLabels: {app: a0}}
  policyTypes: [Ingress]
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 5432}, {port: web}]
`;
    writeFileSync(join(dir, "a", "p.yaml"), open);
    writeFileSync(join(dir, "b", "p.yaml"), open + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: default}
spec: {podSelector: {}, policyTypes: [Ingress]}
`);
    const r = await run(["diff", join(dir, "a"), join(dir, "b")]);
    expect(r.code).toBe(1);
    // p1 was selected by nothing: everything to it closes, on every port, from every address class.
    expect(r.out).toContain("closes default/p0 → default/p1 every TCP port");
    expect(r.out).toContain("closes any address outside the cluster but 10.0.0.0/8 → default/p1 every TCP port");
    expect(r.out).toContain("closes 10.1.0.0/16 → default/p1 every TCP port");
    expect(r.out).toContain("closes 10.0.0.0/8 except 10.1.0.0/16 → default/p1 every TCP port");
    // p0 keeps what db allows: only the rest closes, and nothing from outside changes.
    expect(r.out).not.toMatch(/→ default\/p0/);
    expect(r.out).not.toMatch(/\b\d+\.\d+\.\d+\.\d+ →/);
  });

  it("compiled output directories and a single node dump: rule diff only; hash-only churn is no change; renames", async () => {
    const [o1, o2] = [tmp(), tmp()];
    expect((await run(["compile", BOOKINFO, "-o", o1])).code).toBe(0);
    expect((await run(["compile", edited, "-o", o2])).code).toBe(0);
    const r = await run(["diff", o1, o2, "--format", "json"]);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out);
    expect(rep.flows).toBeNull();
    expect(rep.rules.files.map((f: { file: string }) => f.file)).toHaveLength(1);
    // A "node dump" (any file name) against a compiled file: paired although the names differ.
    const dumpDir = tmp();
    const ipt = readdirSync(o1).find((n) => n.endsWith(".iptables"))!;
    const text = readFileSync(join(o1, ipt), "utf8");
    writeFileSync(join(dumpDir, "dump.txt"), text.replace(/cali:[A-Za-z0-9_-]{16}/g, "cali:AAAAAAAAAAAAAAAA"));
    expect(await run(["diff", join(o1, ipt), join(dumpDir, "dump.txt")])).toEqual({ code: 0, out: "", err: "" });
    // Rename: same rules, new name, and the jump to it updated.
    const renamed = text.split("cali-pi-").join("cali-pX-");
    writeFileSync(join(dumpDir, "renamed.iptables"), renamed);
    const rn = await run(["diff", join(o1, ipt), join(dumpDir, "renamed.iptables"), "--format", "json"]);
    const kinds = JSON.parse(rn.out).rules.files[0].chains.map((c: { kind: string }) => c.kind);
    expect(new Set(kinds)).toEqual(new Set(["renamed"]));
  });

  it("exit 2 on invalid input, unparseable rules and usage errors", async () => {
    const bad = tmp();
    writeFileSync(join(bad, "p.yaml"), POLICY("70000"));
    const r = await run(["diff", BOOKINFO, bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/p\.yaml:\d+:\d+: error\[.*Invalid value: 70000/);
    const junk = join(bad, "junk.iptables");
    writeFileSync(junk, "*filter\n-A NOPE --bogus\nCOMMIT\n");
    expect((await run(["diff", junk, junk])).code).toBe(0);
    const other = join(bad, "other.iptables");
    writeFileSync(other, "*filter\n-A ??? \nCOMMIT\n");
    expect((await run(["diff", junk, other])).code).toBe(2);
    expect((await run(["diff", BOOKINFO])).code).toBe(2);
  });

  it("--git A..B compiles both revisions from the object database, leaving the work tree alone", async () => {
    const repo = tmp();
    const g = (...a: string[]): string => execFileSync("git", ["-C", repo, ...a], { encoding: "utf8" });
    g("init", "-q");
    g("config", "user.email", "t@example.com");
    g("config", "user.name", "t");
    cpSync(BOOKINFO, join(repo, "k8s"), { recursive: true });
    g("add", ".");
    g("commit", "-q", "-m", "one");
    const f = join(repo, "k8s", "policies", "bookinfo-allow.yaml");
    writeFileSync(f, readFileSync(f, "utf8").replace("port: 9080", "port: 9081"));
    g("commit", "-q", "-am", "two");
    writeFileSync(f, "garbage: [\n"); // a dirty work tree must not matter
    const cwd = process.cwd();
    try {
      process.chdir(repo);
      const r = await run(["diff", "--git", "HEAD~1..HEAD", "k8s", "--format", "json"]);
      expect(r.err).toBe("");
      expect(r.code).toBe(1);
      const rep = JSON.parse(r.out);
      expect(rep.rules.files).toHaveLength(1);
      expect(rep.flows.changes.every((c: { policy: string }) => c.policy === "default/productpage-from-anywhere")).toBe(true);
      expect((await run(["diff", "--git", "HEAD..HEAD", "k8s"])).code).toBe(0);
      expect((await run(["diff", "--git", "nope..HEAD"])).code).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(f, "utf8")).toBe("garbage: [\n");
  });
});

describe("netpolc check", () => {
  it("--expected: up-to-date output passes, stale output fails with the rule diff", async () => {
    const out = tmp();
    expect((await run(["compile", BOOKINFO, "-o", out])).code).toBe(0);
    const ok = await run(["check", BOOKINFO, "--expected", out]);
    expect(ok.code).toBe(0);
    expect(ok.out).not.toContain("stale");
    const stale = await run(["check", editedBookinfo(), "--expected", out]);
    expect(stale.code).toBe(1);
    expect(stale.out).toContain(`error[check/stale-output]: ${out} is stale: 1 file(s) differ`);
    expect(stale.out).toMatch(/\n-.*--dports 9080.*\n\+.*--dports 9081/);
  });

  it("--expected compiles with the compile flags given (output committed at -O2 is checked at -O2)", async () => {
    const out = tmp();
    expect((await run(["compile", BOOKINFO, "-o", out, "-O2"])).code).toBe(0);
    const same = await run(["check", BOOKINFO, "--expected", out, "-O2"]);
    expect([same.code, same.out]).toEqual([0, expect.not.stringContaining("stale")]);
    const other = await run(["check", BOOKINFO, "--expected", out]);
    expect(other.code).toBe(1);
    expect(other.out).toContain(`error[check/stale-output]: ${out} is stale`);
    const calicoOnly = tmp();
    expect((await run(["compile", BOOKINFO, "-o", calicoOnly, "--backend", "calico"])).code).toBe(0);
    expect((await run(["check", BOOKINFO, "--expected", calicoOnly, "--backend", "calico"])).code).toBe(0);
  });

  it("--expected with nftables output: .nft files diffed chain by chain, and the regenerate command repeats the flags", async () => {
    const out = tmp();
    expect((await run(["compile", BOOKINFO, "-o", out, "--dataplane", "nftables"])).code).toBe(0);
    expect((await run(["check", BOOKINFO, "--expected", out, "--dataplane", "nftables"])).code).toBe(0);
    const stale = await run(["check", editedBookinfo(), "--expected", out, "--dataplane", "nftables"]);
    expect(stale.code).toBe(1);
    expect(stale.out).toContain(`regenerate with \`netpolc compile <inputs> --dataplane nftables -o ${out}\``);
    expect(stale.out).toMatch(/@@ .* ip calico filter-cali-pi-knp\/default\/productpage-from-anywhere\n-.*tcp dport 9080.*\n\+.*tcp dport 9081/);
  });

  it("usage errors exit 2", async () => {
    expect((await run(["check", "--disable", "no-such-lint", BOOKINFO])).code).toBe(2);
    expect((await run(["check", "--max-warnings", "x", BOOKINFO])).code).toBe(2);
  });
});

describe("pre-commit hook", () => {
  const bin = join(ROOT, "bin", "netpolc.js");
  beforeAll(() => {
    // The bin runs dist/; rebuild when any of this feature's sources is newer than its build.
    const srcs = ["src/cli/check.ts", "src/cli/diff.ts", "src/cli/main.ts", ...readdirSync(join(ROOT, "src/review")).map((n) => `src/review/${n}`)];
    const stale = srcs.some((s) => {
      const built = join(ROOT, "dist", s.replace(/\.ts$/, ".js"));
      try {
        return statSync(built).mtimeMs < statSync(join(ROOT, s)).mtimeMs;
      } catch {
        return true;
      }
    });
    if (stale) execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "ignore" });
  }, 300_000);

  it(".pre-commit-hooks.yaml declares netpolc-check; its entry blocks an invalid policy and passes a valid one", () => {
    const hooks = readFileSync(join(ROOT, ".pre-commit-hooks.yaml"), "utf8");
    expect(hooks).toMatch(/- id: netpolc-check\n/);
    expect(hooks).toMatch(/\n  entry: netpolc check\n/);
    expect(hooks).toMatch(/\n  language: node\n/);
    const files = /\n  files: (.*)\n/.exec(hooks)![1]!;
    const entry = /\n  entry: (.*)\n/.exec(hooks)![1]!.split(" ");
    expect(entry[0]).toBe("netpolc");
    const repo = tmp();
    mkdirSync(join(repo, "policies"));
    writeFileSync(join(repo, "policies", "good.yaml"), POLICY("5432"));
    writeFileSync(join(repo, "policies", "bad.yaml"), POLICY("70000"));
    expect(new RegExp(files).test("policies/bad.yaml")).toBe(true);
    // pre-commit runs: <entry> <args> <staged file names>, from the repository root.
    const hook = (staged: string[]) => spawnSync(process.execPath, [bin, ...entry.slice(1), ...staged], { cwd: repo, encoding: "utf8" });
    const bad = hook(["policies/good.yaml", "policies/bad.yaml"]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^policies\/bad\.yaml:11:13: error\[netpol\/[a-z-]+\]: spec\.ingress\[0\]\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535, inclusive/m);
    const good = hook(["policies/good.yaml"]);
    expect(good.stderr).toBe("");
    expect(good.stdout).toBe("");
    expect(good.status).toBe(0);
  });
});

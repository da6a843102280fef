// Each lint fires on a minimal input, stays quiet on a clean one, and can be
// turned off with --disable; SARIF output validates against the vendored
// SARIF 2.1.0 schema subset (test/fixtures/sarif/README.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.js";
import { runCheck } from "../../src/cli/check.js";
import { CHECK_FLAGS } from "../../src/cli/flags.js";
import type { InputFile } from "../../src/frontend/index.js";
import { LINT_RULES } from "../../src/review/lint-rules.js";

const ROOT = join(import.meta.dirname, "..", "..");

const NS = `apiVersion: v1
kind: Namespace
metadata: {name: app, labels: {team: a}}
`;
const pod = (name: string, labels: string, ip: string, ports = "[]"): string => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: app, labels: ${labels}}
spec: {nodeName: n1, containers: [{name: c, image: x, ports: ${ports}}]}
status: {podIP: ${ip}, phase: Running}
`;
const NODE = `---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}
`;
const CLUSTER = NS + NODE + pod("web", "{app: web}", "192.168.1.2", "[{name: http, containerPort: 8080}]") + pod("db", "{app: db}", "192.168.1.3");

function policy(name: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: app}
spec:
${spec}`;
}

function check(files: InputFile[], ...argv: string[]): { code: number; out: string } {
  const r = runCheck(files, parseArgs(argv, CHECK_FLAGS), () => null, "0.0.0-test");
  return { code: r.exitCode, out: r.stdout };
}

const withCluster = (p: string): InputFile[] => [{ path: "cluster.yaml", text: CLUSTER }, { path: "policy.yaml", text: p }];

const CASES: Record<string, InputFile[]> = {
  "lint/policy-selects-no-pod": withCluster(policy("p", "  podSelector: {matchLabels: {app: gone}}\n  policyTypes: [Ingress]\n")),
  "lint/peer-selects-nothing": withCluster(policy("p", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: nope}}\n")),
  "lint/egress-without-dns": withCluster(policy("p", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 5432}]\n")),
  "lint/ipblock-covers-pod-ips": withCluster(policy("p", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - ipBlock: {cidr: 192.168.1.2/32}\n")),
  "lint/named-port-undefined": withCluster(policy("p", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports: [{port: http}]\n")),
  "lint/redundant-rule": withCluster(policy("p", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - ports: [{port: 5432}]\n  - ports: [{port: 5000, endPort: 6000}]\n")),
  "lint/duplicate-policy": [
    { path: "a.yaml", text: policy("p", "  podSelector: {}\n  policyTypes: [Ingress]\n") },
    { path: "b.yaml", text: policy("p", "  podSelector: {}\n  policyTypes: [Ingress]\n") },
  ],
  "lint/policy-types-missing": [{ path: "policy.yaml", text: policy("p", "  podSelector: {}\n  egress:\n  - ports: [{protocol: UDP, port: 53}]\n") }],
};

describe("netpolc check lints", () => {
  it("every lint has a case", () => {
    expect(Object.keys(CASES).sort()).toEqual(LINT_RULES.map((r) => r.id).sort());
  });

  for (const [id, files] of Object.entries(CASES)) {
    it(`${id} fires with a position and a fix hint, and --disable turns it off`, () => {
      const r = check(files);
      const mine = r.out.split("\n").filter((l) => l.includes(`[${id}]`));
      expect(mine.length, r.out).toBeGreaterThan(0);
      expect(mine[0]).toMatch(/^[a-z.]+\.yaml:\d+:\d+: (warning|error)\[/);
      expect(r.out).toContain("note: fix: ");
      const off = check(files, "--disable", id.slice("lint/".length));
      expect(off.out).not.toContain(`[${id}]`);
    });
  }

  it("a clean policy with a cluster has no findings and exits 0 quietly", () => {
    const ok = policy("p", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: web}}\n    ports: [{port: 5432}]\n");
    expect(check(withCluster(ok))).toEqual({ code: 0, out: "" });
  });

  it("warnings pass unless --max-warnings is exceeded; errors always fail", () => {
    const files = CASES["lint/redundant-rule"]!;
    expect(check(files).code).toBe(0);
    expect(check(files, "--max-warnings", "1").code).toBe(0);
    expect(check(files, "--max-warnings", "0").code).toBe(1);
    expect(check(CASES["lint/duplicate-policy"]!).code).toBe(1);
    expect(check(CASES["lint/duplicate-policy"]!, "--disable", "duplicate-policy").code).toBe(0);
  });

  it("pod-dependent lints stay quiet without a cluster", () => {
    const p = policy("p", "  podSelector: {matchLabels: {app: gone}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: nope}}\n    ports: [{port: http}]\n");
    expect(check([{ path: "p.yaml", text: p }])).toEqual({ code: 0, out: "" });
  });

  it("invalid input: the API server's message at file:line:col, exit 1, in every format", () => {
    const bad = [{ path: "bad.yaml", text: policy("p", "  podSelector: {}\n  ingress:\n  - ports: [{port: 70000}]\n") }];
    const r = check(bad);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^bad\.yaml:\d+:\d+: error\[[a-z]+\/[a-z-]+\]: spec\.ingress\[0\]\.ports\[0\]\.port: Invalid value: 70000/);
    expect(check(bad, "--format", "github").out).toMatch(/^::error file=bad\.yaml,line=\d+,col=\d+,title=/);
    expect(JSON.parse(check(bad, "--format", "json").out)[0]).toMatchObject({ severity: "error", file: "bad.yaml" });
  });

  it("SARIF validates against the SARIF 2.1.0 schema (vendored subset) and carries rules and regions", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "sarif", "sarif-2.1.0-subset.json"), "utf8"));
    // strict off: the official schema's `anyOf: [{required: [text]}, {required: [id]}]` pattern is valid
    // draft-07 but trips ajv's strictRequired; strictness here would test ajv's taste, not our output.
    const ajv = new Ajv({ strict: false, allErrors: true });
    const isUri = (s: string, base?: string): boolean => {
      try {
        new URL(s, base);
        return true;
      } catch {
        return false;
      }
    };
    ajv.addFormat("uri", (s: string) => isUri(s));
    ajv.addFormat("uri-reference", (s: string) => isUri(s, "file:///base/") && !/\s/.test(s));
    const validate = ajv.compile(schema);
    type Log = { runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; level: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
    const warned = JSON.parse(check(CASES["lint/redundant-rule"]!, "--format", "sarif").out) as Log;
    expect(validate(warned), JSON.stringify(validate.errors)).toBe(true);
    expect(warned.runs[0]!.results.map((x) => [x.ruleId, x.level])).toEqual([["lint/redundant-rule", "warning"]]);
    expect(warned.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(["lint/redundant-rule"]);
    const bad = [{ path: "dir with space/bad.yaml", text: policy("q", "  podSelector: {}\n  ingress:\n  - ports: [{port: 0}]\n") }];
    const failed = JSON.parse(check(bad, "--format", "sarif").out) as Log;
    expect(validate(failed), JSON.stringify(validate.errors)).toBe(true);
    const res = failed.runs[0]!.results[0]!;
    expect(res.level).toBe("error");
    expect(res.locations[0]!.physicalLocation.artifactLocation.uri).toBe("dir%20with%20space/bad.yaml");
    expect(res.locations[0]!.physicalLocation.region.startLine).toBeGreaterThan(1);
    // Also a clean run: no results, still valid.
    expect(validate(JSON.parse(check([], "--format", "sarif").out))).toBe(true);
  });
});

describe("lint/ipblock-covers-pod-ips on a dual-stack snapshot", () => {
  it("says that the covered pods' traffic of the other family is not allowed by the block", () => {
    const dual = readFileSync(join(ROOT, "golden", "dual-stack-basic", "cluster.yaml"), "utf8");
    const p = policy("db-from-pods-v4", "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 192.168.0.0/16}\n    ports: [{port: 6543}]\n").replace("namespace: app}", "namespace: shop}");
    const r = check([{ path: "cluster.yaml", text: dual }, { path: "policy.yaml", text: p }]);
    expect(r.out).toContain("[lint/ipblock-covers-pod-ips]");
    expect(r.out).toContain("note: these pods also have IPv6 addresses, which this IPv4 block does not hold: their IPv6 traffic is not allowed by it");
    // Single-stack: no such note.
    const single = check(CASES["lint/ipblock-covers-pod-ips"]!);
    expect(single.out).not.toContain("IPv6 addresses");
  });
});

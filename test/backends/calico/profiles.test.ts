// Calico version profiles (src/backends/calico/profile.ts; spec felix-format
// §0, Appendix B): the deltas between v3.27 and v3.32, checked against the
// spec's fixtures — F6 (a real 3.32 capture), §8.4's P30+/P31+ static chains,
// §4.6's policy groups — and against the simulator (every profile verifies).
import { describe, expect, it } from "vitest";
import { CALICO_VERSIONS, type CalicoVersion } from "../../../src/backends/index.js";
import { RuleHasher } from "../../../src/rules/felix.js";
import { lengthLimitedId } from "../../../src/backends/calico/names.js";
import { compile, DEFAULT_COMPILE_OPTIONS, emitText, type CompileOptions } from "../../../src/pipeline.js";
import { main } from "../../../src/cli/main.js";
import { expectVerified } from "../../property/check-case.js";
import { PASS_NAMES } from "../../../src/backends/index.js";

const NODE = `apiVersion: v1
kind: Node
metadata: {name: node1}
status: {addresses: [{type: InternalIP, address: 10.0.0.11}]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: default-ipv4-ippool}
spec: {cidr: 192.168.0.0/16, ipipMode: Always, natOutgoing: true, blockSize: 26}
`;

const pod = (ns: string, name: string, ip: string, labels = "{}"): string => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: ${labels}}
spec: {nodeName: node1, containers: [{name: c, image: x}]}
status: {podIP: ${ip}, phase: Running}
`;

const F6 = NODE + `---
apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {kubernetes.io/metadata.name: team-b}}
` + pod("team-b", "nettest2", "192.168.1.5") + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-from-other-ns, namespace: team-b}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-b}}
`;

const at = (version: CalicoVersion): CompileOptions => ({ ...DEFAULT_COMPILE_OPTIONS, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: version } });

function compiled(text: string, version: CalicoVersion): { iptables: string; ipsets: string } {
  const res = compile([{ path: "in.yaml", text }], at(version));
  expect(res.diag.all.filter((d) => d.severity === "error")).toEqual([]);
  const out = res.outputs[0]!;
  return { iptables: emitText(out, "iptables", at(version), res.renderer), ipsets: emitText(out, "ipsets", at(version), res.renderer) };
}

const lines = (text: string, prefix: string): string[] => text.split("\n").filter((l) => l.startsWith(prefix));

describe("F6: a real Calico 3.32 capture, byte for byte", () => {
  const { iptables } = compiled(F6, "3.32");
  it("the policy chain: P32 name and comment, no trailing RETURN", () => {
    expect(lines(iptables, "-A cali-pi-")).toEqual([
      '-A cali-pi-_qA9lGysOzwIsyVf0V23 -m comment --comment "cali:1IcPMZGwYeWkgn-d" -m comment --comment "KubernetesNetworkPolicy team-b/deny-from-other-ns ingress" -m set --match-set cali40s:a_sG3wUbuH4Nz-nbt4Bl5Dz src -j MARK --set-xmark 0x10000/0x10000',
    ]);
  });
  it("the endpoint chain: 0x30000 clear, tier comments, P30 end-of-tier drop", () => {
    expect(lines(iptables, "-A cali-tw-calicd14548c312 ")).toEqual([
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:-q0dLZofvHCDHTBr" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:PVIQLxz7VQgaN5Bq" -m conntrack --ctstate INVALID -j DROP',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:GKnBrL0JmfeH3DJR" -j MARK --set-xmark 0x0/0x30000',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:7H_Lhs4-VsfZQ1wp" -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:RixnN3lI8Trv83S2" -m mark --mark 0x0/0x20000 -j cali-pi-_qA9lGysOzwIsyVf0V23',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:3D_HPb7tFKfM2Vrv" -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:eVb40FUL2Y8GmYwE" -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:bpLZGd36RTJTS3a_" -j cali-pri-kns.team-b',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:Pa6ZV3POYEPyqzy0" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:WLddpp1M-j-m2rjw" -j cali-pri-ksa.team-b.default',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:TFymZmbI018QkwIU" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-tw-calicd14548c312 -m comment --comment "cali:lMeaXiqWJ0cvtcRm" -m comment --comment "Drop if no profiles matched" -j DROP',
    ]);
  });
});

describe("static chains per profile (§8.4)", () => {
  const p31 = compiled(F6, "3.31");
  const p30 = compiled(F6, "3.30");
  const p29 = compiled(F6, "3.29");
  it("P30+: the all-bits masks and the raw workload bit move (0x1b0000, 0x1a0000, 0x80000)", () => {
    expect(p30.iptables).toContain('-A cali-FORWARD -m comment --comment "cali:W_vvds1Nw3n9QE2f" -j MARK --set-xmark 0x0/0x1a0000\n');
    expect(p30.iptables).toContain('-A cali-FORWARD -o cali+ -m comment --comment "cali:4Z0Pf0byo05NFe-P" -j cali-to-wl-dispatch\n');
    expect(p30.iptables).toContain('-A cali-PREROUTING -i cali+ -m comment --comment "cali:o0awFTLnSamXVVNW" -j MARK --set-xmark 0x80000/0x80000\n');
    expect(p29.iptables).toContain("-j MARK --set-xmark 0x0/0xe0000\n");
    expect(p29.iptables).not.toContain("0x1a0000");
  });
  it("P31+: network-ip-pools, the DSCP rule first in mangle cali-POSTROUTING, and the sets it names", () => {
    expect(p31.iptables).toContain('-A cali-POSTROUTING -m comment --comment "cali:rjggb5FqJG-Y25Bt" -m comment --comment "set dscp for traffic leaving cluster." -m set --match-set cali40dscp-src-net src -m set ! --match-set cali40network-ip-pools dst -m set ! --match-set cali40this-host dst -j cali-egress-dscp\n');
    expect(p31.iptables).toContain('-A cali-POSTROUTING -m comment --comment "cali:jjeDINEyBNIZOyCC" -m mark --mark 0x10000/0x10000 -j RETURN\n');
    expect(p31.iptables).toContain('-A cali-nat-outgoing -m comment --comment "cali:W_qq_N2KSTWyCvrX" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40network-ip-pools dst -j MASQUERADE --random-fully\n');
    expect(p31.iptables).toContain(":cali-egress-dscp - [0:0]\n");
    expect(p31.ipsets).toContain("create cali40network-ip-pools hash:net");
    expect(p31.ipsets).toContain("create cali40dscp-src-net hash:net");
    expect(p31.ipsets).toMatch(/create cali40this-host hash:ip [^\n]*\nadd cali40this-host 10\.0\.0\.11\n/);
    expect(p31.ipsets).not.toContain("all-ipam-pools");
    expect(p30.ipsets).toContain("create cali40all-ipam-pools hash:net");
    expect(p30.iptables).not.toContain("dscp");
  });
});

const db = (name: string, port: number): string => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: default}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: ${port}}]}]}
`;

const GROUP = NODE + pod("default", "db-0", "192.168.1.5", "{app: db}") + pod("default", "web-0", "192.168.1.6", "{app: web}");

describe("policy groups (P28+, §4.6)", () => {
  it("two policies with one selector jump through cali-gi-, named by the spec's UID; the rule hashes are the spec's", () => {
    const p32 = compiled(GROUP + db("allow-a", 80) + db("allow-b", 81), "3.32").iptables;
    const p28 = compiled(GROUP + db("allow-a", 80) + db("allow-b", 81), "3.28").iptables;
    // The spec's UIDs (vNb37yb2Um6F4-ColYpsA, V8ZsWHpSmnUm6EOdIVndn) cut to 20 characters: a 29-character chain
    // name is refused by iptables-restore ("must be under 29 chars"), and Felix's own limit is 28.
    expect(lines(p32, "-A cali-gi-")).toEqual([
      expect.stringMatching(/^-A cali-gi-vNb37yb2Um6F4-ColYps -m comment --comment "cali:[^"]+" -j cali-pi-knp\/default\/allow-a$/),
      expect.stringMatching(/^-A cali-gi-vNb37yb2Um6F4-ColYps -m comment --comment "cali:[^"]+" -m mark --mark 0x0\/0x30000 -j cali-pi-knp\/default\/allow-b$/),
    ]);
    expect(p28).toContain(":cali-gi-V8ZsWHpSmnUm6EOdIVnd - [0:0]");
    // The spec hashed its example under the 29-character name: the same rules give its hashes there.
    const texts = ["--jump cali-pi-knp/default/allow-a", "-m mark --mark 0/0x30000 --jump cali-pi-knp/default/allow-b"];
    expect(new RuleHasher().hashes("cali-gi-vNb37yb2Um6F4-ColYpsA", texts)).toEqual(["rCWos2SGjZe_7TWI", "dSuh_Ts1nGl_K-f5"]);
    expect(lines(p32, "-A cali-tw-").filter((l) => l.includes("-j cali-gi-"))).toHaveLength(1);
    expect(p32).not.toMatch(/-A cali-tw-\S+ .*-j cali-pi-knp/);
    // P27 has no groups.
    expect(compiled(GROUP + db("allow-a", 80) + db("allow-b", 81), "3.27").iptables).not.toContain("cali-gi-");
  });

  it("six policies: every fifth returns on a verdict first; the group enforces exactly what the policies say", () => {
    const six = GROUP + [1, 2, 3, 4, 5, 6].map((i) => db(`allow-${i}`, 8000 + i)).join("");
    const body = lines(compiled(six, "3.32").iptables, "-A cali-gi-").map((l) => l.replace(/ -m comment --comment "cali:[^"]+"/, ""));
    expect(body).toEqual([
      ...[1, 2, 3, 4, 5].map((i) => expect.stringMatching(new RegExp(`^-A cali-gi-\\S+ ${i === 1 ? "" : "-m mark --mark 0x0/0x30000 "}-j cali-pi-knp/default/allow-${i}$`))),
      expect.stringMatching(/^-A cali-gi-\S+ -m comment --comment "Return on verdict" -m mark ! --mark 0x0\/0x30000 -j RETURN$/),
      expect.stringMatching(/^-A cali-gi-\S+ -j cali-pi-knp\/default\/allow-6$/),
    ]);
    for (const v of CALICO_VERSIONS) expect(expectVerified([{ path: "in.yaml", text: six }], at(v)).mismatches).toBe(0);
  });
});

describe("naming and order (App. B)", () => {
  it("policy chain suffixes: <ns>/knp.default.<n>, P29 default/<ns>/knp.default.<n>, P32 knp/<ns>/<n>", () => {
    const input = GROUP + db("a", 80);
    expect(compiled(input, "3.28").iptables).toContain('--comment "Policy default/knp.default.a ingress"');
    // cali-pi- + "knp/default/a" fits in 28 characters: printed as is.
    expect(compiled(input, "3.32").iptables).toContain(":cali-pi-knp/default/a - [0:0]");
    // Past 28 characters the suffix is hashed (§1): P29's tier prefix gives another name than P28's.
    expect(compiled(input, "3.29").iptables).toContain(`:${lengthLimitedId("cali-pi-", "default/default/knp.default.a")} - [0:0]`);
    expect(compiled(input, "3.28").iptables).toContain(`:${lengthLimitedId("cali-pi-", "default/knp.default.a")} - [0:0]`);
    expect(lengthLimitedId("cali-pi-", "default/default/knp.default.a")).not.toBe(lengthLimitedId("cali-pi-", "default/knp.default.a"));
  });

  it("P32 breaks order ties on <name>/<namespace>/<kind>: db-x before db (P27: db before db-x)", () => {
    const input = NODE + pod("default", "p", "192.168.1.5", "{app: db}") + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: default}
spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-x, namespace: default}
spec: {podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 81}]}]}
`;
    const jumps = (v: CalicoVersion): string[] => lines(compiled(input, v).iptables, "-A cali-tw-").flatMap((l) => /-j (cali-pi-\S+)/.exec(l)?.[1] ?? []);
    expect(jumps("3.32")).toEqual(["cali-pi-knp/default/db-x", "cali-pi-knp/default/db"]);
    expect(jumps("3.27").length).toBe(2);
    expect(jumps("3.27")[0]).not.toBe(jumps("3.27")[1]);
  });

  it("an unknown version is a usage error", async () => {
    const errs: string[] = [];
    const io = { stdout: () => {}, stderr: (x: string) => void errs.push(x), readStdin: () => "" };
    expect(await main(["compile", "examples/bookinfo", "--emit", "iptables", "--calico-version", "3.26"], io)).toBe(2);
    expect(errs.join("")).toContain("--calico-version");
  });
});

describe("profile chains (§5)", () => {
  it("P28+ strips the kns chain's trailing RETURN: one rule, hashed as rule 1 of the P27 chain", () => {
    const p27 = lines(compiled(F6, "3.27").iptables, "-A cali-pri-kns.team-b ");
    const p28 = lines(compiled(F6, "3.28").iptables, "-A cali-pri-kns.team-b ");
    expect(p27).toHaveLength(2);
    expect(p28).toEqual([p27[0]]);
  });
});

describe("ClusterInformation's spec.calicoVersion picks the version when --calico-version is not given", () => {
  const info = (version: string, name = "default", apiVersion = "crd.projectcalico.org/v1"): string => `---
apiVersion: ${apiVersion}
kind: ClusterInformation
metadata: {name: ${name}}
spec: {calicoVersion: ${version}, clusterGUID: 1c3f, clusterType: "k8s,bgp,kubeadm,kdd", datastoreReady: true}
`;
  const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), readStdin: () => files.shift() ?? "" });
    return { code, out: out.join(""), err: err.join("") };
  };
  let files: string[] = [];
  const emit = async (text: string, ...flags: string[]) => {
    files = [text];
    return run(["compile", "-", "--emit", "iptables", ...flags]);
  };

  it("v3.32.1 (either API group) compiles as --calico-version 3.32 does, with a note under --verbose", async () => {
    const want = (await emit(F6, "--calico-version", "3.32")).out;
    for (const api of ["crd.projectcalico.org/v1", "projectcalico.org/v3"]) {
      const r = await emit(F6 + info("v3.32.1", "default", api), "--verbose");
      expect(r.code).toBe(0);
      expect(r.out).toBe(want);
      expect(r.err).toContain("compiling for Calico 3.32, the release ClusterInformation names (spec.calicoVersion v3.32.1)");
    }
  });

  it("--calico-version wins, with a warning when they disagree; a release outside 3.27-3.32 is the nearest, with a warning", async () => {
    const given = await emit(F6 + info("v3.32.1"), "--calico-version", "3.28");
    expect(given.out).toBe((await emit(F6, "--calico-version", "3.28")).out);
    expect(given.err).toContain("ClusterInformation says Calico v3.32.1; compiling for 3.28, as --calico-version says");
    const newer = await emit(F6 + info("v3.33.0"));
    expect(newer.out).toBe((await emit(F6, "--calico-version", "3.32")).out);
    expect(newer.err).toContain("outside the releases netpolc reproduces (3.27 to 3.32); compiling for 3.32, the nearest");
    const older = await emit(F6 + info("v3.26.4"));
    expect(older.out).toBe((await emit(F6, "--calico-version", "3.27")).out);
    expect(older.err).toContain("compiling for 3.27, the nearest");
  });

  it("other names are ignored with a warning; a version that is no release, likewise", async () => {
    const other = await emit(F6 + info("v3.32.1", "not-default"));
    expect(other.out).toBe((await emit(F6)).out);
    expect(other.err).toContain('Calico reads only the one named "default"');
    const bad = await emit(F6 + info("latest"));
    expect(bad.err).toContain('spec.calicoVersion "latest" is not a Calico release');
  });
});

describe("-O2 at every version", () => {
  it("the optimizer keeps the version's names, marks and groups, and verify agrees", () => {
    const six = GROUP + [1, 2, 3, 4, 5, 6].map((i) => db(`allow-${i}`, 8000 + i)).join("") + db("allow-7", 8001);
    for (const v of CALICO_VERSIONS) {
      const opts = { ...at(v), optimize: { level: 2 as const, passes: PASS_NAMES } };
      expect(expectVerified([{ path: "in.yaml", text: six }], opts).mismatches).toBe(0);
      expect(expectVerified([{ path: "in.yaml", text: F6 }], opts).mismatches).toBe(0);
    }
    const res = compile([{ path: "in.yaml", text: F6 }], { ...at("3.32"), optimize: { level: 2, passes: PASS_NAMES } });
    const text = emitText(res.outputs[0]!, "iptables", at("3.32"), res.renderer);
    expect(text).toContain('--comment "KubernetesNetworkPolicy team-b/deny-from-other-ns ingress"');
    expect(text).toContain("-j MARK --set-xmark 0x0/0x1a0000");
  });
});

describe("ClusterInformation text is hostile input", () => {
  it("a version with control characters or a long tail is not a release, and is quoted when shown", () => {
    const files = [{ path: "in.yaml", text: F6 + `---
apiVersion: crd.projectcalico.org/v1
kind: ClusterInformation
metadata: {name: default}
spec: {calicoVersion: "v3.32.1-\\e[31mred\\nline"}
` }];
    const res = compile(files, { ...DEFAULT_COMPILE_OPTIONS, calicoVersionGiven: false });
    const w = res.diag.all.find((d) => d.id === "clusterinformation/calico-version");
    expect(w?.message).toContain('"v3.32.1-\\u001b[31mred\\nline"');
    expect(w?.message).not.toMatch(/[\u0000-\u001f]/);
    expect(res.model?.cluster.calicoRelease).toBeNull();
  });
});

describe("--ipv6 off on a dual-stack snapshot: IPv6 is not rendered, and that is said", () => {
  const dual = (extra: string): string => NODE + pod("default", "a", "192.168.1.5") + extra;
  const warnings = (text: string, backend?: "kube-proxy"): string[] =>
    compile([{ path: "in.yaml", text }], { ...DEFAULT_COMPILE_OPTIONS, ipv6: "off", ...(backend ? { backend } : {}) }).diag.all.filter((d) => d.id === "input/ipv6-not-rendered").map((d) => d.message);
  it("an IPv6 pool or an IPv6 pod address gives one warning; an IPv4-only snapshot none", () => {
    const v6pool = `---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: v6}
spec: {cidr: "fd10::/48", blockSize: 122}
`;
    expect(warnings(dual(v6pool))).toEqual([expect.stringContaining('dual-stack (IPv6 pool fd10::/48 (IPPool "v6")) but --ipv6 is off')]);
    const v6pod = NODE + `---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: default}
spec: {nodeName: node1, containers: [{name: c, image: x}]}
status: {podIP: 192.168.1.6, podIPs: [{ip: 192.168.1.6}, {ip: "fd10::6"}], phase: Running}
`;
    expect(warnings(v6pod)).toEqual([expect.stringContaining("IPv6 address on pod default/b")]);
    expect(warnings(F6)).toEqual([]);
  });
});

// IPv6 / dual-stack rendering (spec ipv6-and-policy Part A): the IPv6 twin of
// every table, ICMPv6 in cali-wl-to-host, CIDRs filtered per family, `cali60`
// sets, the --ipv6 switch, and the families kept apart.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS, emitKinds, nodeFiles, type CompileOptions } from "../../../src/pipeline.js";
import type { InputFile } from "../../../src/frontend/index.js";
import { parseRuleSet } from "../../../src/rules/parser.js";
import { writeRuleSet } from "../../../src/rules/writer.js";
import { runCli } from "../../helpers/cli.js";
import { workloadInterfaceName } from "../../../src/backends/calico/names.js";
import { PASS_NAMES } from "../../../src/backends/index.js";

const CASE = join(import.meta.dirname, "..", "..", "..", "golden", "dual-stack-basic");
const INPUTS: InputFile[] = ["cluster.yaml", "policy.yaml"].map((f) => ({ path: f, text: readFileSync(join(CASE, f), "utf8") }));

function files(opts: Partial<CompileOptions> = {}, inputs: readonly InputFile[] = INPUTS): Map<string, string> {
  const res = compile(inputs, { ...DEFAULT_COMPILE_OPTIONS, ...opts });
  expect(res.diag.hasErrors()).toBe(false);
  return new Map(nodeFiles(res, { ...DEFAULT_COMPILE_OPTIONS, ...opts }));
}

const lines = (text: string, re: RegExp): string[] => text.split("\n").filter((l) => re.test(l));

describe("IPv6 tables", () => {
  it("P27: the ip6tables lines the spec quotes from real nodes (A2), byte for byte", () => {
    const v6 = files({ calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: "3.27" }, calicoVersionGiven: true }).get("node1.ip6tables")!;
    const spec = [
      '-A cali-INPUT -i cali+ -m comment --comment "cali:FewJpBykm9iJ-YNH" -g cali-wl-to-host',
      '-A cali-INPUT -m comment --comment "cali:hder3ARWznqqv8Va" -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A cali-INPUT -m comment --comment "cali:xgOu2uJft6H9oDGF" -j MARK --set-xmark 0x0/0xf0000',
      '-A cali-INPUT -m comment --comment "cali:_-d-qojMfHM6NwBo" -j cali-from-host-endpoint',
      '-A cali-INPUT -m comment --comment "cali:LqmE76MP94lZTGhA" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A cali-OUTPUT -m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A cali-OUTPUT -o cali+ -m comment --comment "cali:69FkRTJDvD5Vu6Vl" -j RETURN',
      '-A cali-OUTPUT -m comment --comment "cali:Fskumj4SGQtDV6GC" -j MARK --set-xmark 0x0/0xf0000',
      '-A cali-OUTPUT -m comment --comment "cali:1F4VWEsQu0QbRwKf" -m conntrack ! --ctstate DNAT -j cali-to-host-endpoint',
      '-A cali-OUTPUT -m comment --comment "cali:m8Eqm15x1MjD24LD" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:TYeA_BqDrPHaAt6E" -m icmp6 --icmpv6-type 130 -j ACCEPT',
      '-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:5ugan8LfmJg_BiJc" -m icmp6 --icmpv6-type 131 -j ACCEPT',
      '-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:Fl5LHxdlOnUNgCc4" -m icmp6 --icmpv6-type 132 -j ACCEPT',
      '-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:tNvzCkGVISJ3ZXdS" -m icmp6 --icmpv6-type 133 -j ACCEPT',
      '-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:86e1wB5w3SEOMrZb" -m icmp6 --icmpv6-type 135 -j ACCEPT',
      '-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:kCq3XXx0yCb5mSXt" -m icmp6 --icmpv6-type 136 -j ACCEPT',
      '-A cali-wl-to-host -m comment --comment "cali:qQJuyC_KUUNb16sA" -j cali-from-wl-dispatch',
      '-A cali-wl-to-host -m comment --comment "cali:TEAa8oLTO9cQ8kDr" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT',
    ];
    const filter = v6.slice(v6.indexOf("*filter\n"));
    expect(lines(filter, /^-A (cali-INPUT|cali-OUTPUT|cali-wl-to-host) /)).toEqual(spec);
    expect(lines(v6, /^-A cali-nat-outgoing /)).toEqual([
      '-A cali-nat-outgoing -m comment --comment "cali:Ir_z2t1P6-CxTDof" -m set --match-set cali60masq-ipam-pools src -m set ! --match-set cali60all-ipam-pools dst -j MASQUERADE --random-fully',
    ]);
  });

  it("P31+: the computed P30+ masks and the P31 nat-outgoing hash (A2)", () => {
    const v6 = files().get("node1.ip6tables")!;
    const hashes = (chain: string): string[] => lines(v6, new RegExp(`^-A ${chain} `)).map((l) => /cali:([A-Za-z0-9_-]{16})/.exec(l)![1]!);
    expect(hashes("cali-INPUT")).toEqual(["FewJpBykm9iJ-YNH", "hder3ARWznqqv8Va", "eyx2leKMZ98ckPa-", "3x0rc-VDNNJkVu93", "pARw-KZUlQru4OX0"]);
    expect(lines(v6, /^-A cali-nat-outgoing /).join("")).toContain("cali:Y4sh__lNLsPKa_Pw");
  });

  it("no IPIP or tunnel rule in IPv6, which IPIP never carries (A2)", () => {
    const out = files();
    const v4 = out.get("node1.iptables")!;
    const v6 = out.get("node1.ip6tables")!;
    expect(v4).toMatch(/-o tunl0 .*MASQUERADE/);
    expect(v4).toContain("cali40all-hosts-net");
    expect(v6).not.toMatch(/tunl0|all-hosts-net|all-vxlan-net|vxlan\.calico/);
    expect(v6).not.toMatch(/-A cali-INPUT -p ipencap/);
    // Endpoint chains are per interface, the same in both tables (A2), the -p 4 drop included.
    const ep = (t: string): string[] => lines(t, /^-A cali-fw-/);
    expect(ep(v6)).toEqual(ep(v4));
  });

  it("each ipBlock exists only in its own family's table; a selector-only rule in both (A5)", () => {
    const out = files();
    const v4 = out.get("node2.iptables")! + out.get("node1.iptables")!;
    const v6 = out.get("node2.ip6tables")! + out.get("node1.ip6tables")!;
    expect(v4).toContain("-d 203.0.113.0/24");
    expect(v4).not.toContain("2001:db8::/32");
    expect(v4).not.toContain("fd00:200::");
    expect(v6).toContain("-d 2001:db8::/32");
    expect(v6).toContain("-s fd00:200::/56");
    expect(v6).toContain("-s fd00:200::/120");
    expect(v6).not.toContain("203.0.113.0/24");
    // The selector rule of web-ingress is in both, over the same set ID.
    const id = /cali40s:([A-Za-z0-9_-]+) src/.exec(out.get("node1.iptables")!)![1]!;
    expect(out.get("node1.ip6tables")).toContain(`cali60s:${id} src`);
  });

  it("a direction whose every rule is of the other family degenerates to the comment-only rule (A5)", () => {
    const only4: InputFile = {
      path: "only4.yaml",
      text: [
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: web-from-v4, namespace: shop}",
        "spec:",
        "  podSelector: {matchLabels: {app: web}}",
        "  ingress: [{from: [{ipBlock: {cidr: 198.51.100.0/24}}]}]",
        "",
      ].join("\n"),
    };
    const out = files({}, [...INPUTS, only4]);
    const chain = (t: string): string[] => lines(t, /^-A cali-pi-knp\/shop\/web-from-v4 /);
    expect(chain(out.get("node1.iptables")!).join("\n")).toContain("-s 198.51.100.0/24");
    expect(chain(out.get("node1.ip6tables")!)).toEqual([
      expect.stringMatching(/^-A cali-pi-knp\/shop\/web-from-v4 -m comment --comment "cali:[A-Za-z0-9_-]{16}" -m comment --comment "KubernetesNetworkPolicy shop\/web-from-v4 ingress"$/),
    ]);
  });

  it("IPv6 CIDRs in network form, as Go's IPNet.String() leaves them (A4); ::/0 is not printed, as 0.0.0.0/0", () => {
    const pol: InputFile = {
      path: "v6cidr.yaml",
      text: [
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata: {name: v6cidr, namespace: shop}",
        "spec:",
        "  podSelector: {matchLabels: {app: web}}",
        '  ingress: [{from: [{ipBlock: {cidr: "FD00:300::1:5/112", except: ["fd00:300::1:80/121"]}}]}, {from: [{ipBlock: {cidr: "::/0"}}], ports: [{port: 9000}]}]',
        "",
      ].join("\n"),
    };
    const v6 = files({}, [...INPUTS, pol]).get("node1.ip6tables")!;
    const chain = lines(v6, /^-A cali-pi-knp\/shop\/v6cidr /).join("\n");
    expect(chain).toContain("-s fd00:300::1:0/112");
    expect(chain).toContain("-s fd00:300::1:80/121");
    expect(chain).not.toMatch(/FD00|::1:5\//);
    expect(chain).toMatch(/-A cali-pi-knp\/shop\/v6cidr -p tcp -m comment .* -m multiport --dports 9000/);
    expect(chain).not.toContain("::/0");
  });

  it("cali60 sets hold the IPv6 members only, with family inet6; the IPv4 ones the IPv4 members (A6)", () => {
    const sets = files().get("node1.ipsets")!;
    const v6 = lines(sets, /cali60/);
    const v4 = lines(sets, /cali40/);
    expect(v6.filter((l) => l.startsWith("create"))).not.toHaveLength(0);
    for (const l of v6.filter((x) => x.startsWith("create"))) expect(l).toContain("family inet6");
    for (const l of v6.filter((x) => x.startsWith("add"))) expect(l.split(" ")[2]).toContain(":");
    for (const l of v4.filter((x) => x.startsWith("add"))) expect(l.split(" ")[2]).not.toContain("::");
    expect(sets).toContain("fd00:10:244::105,tcp:8080");
    expect(sets).not.toContain("cali60all-hosts-net");
    // IPv4 sets first, then IPv6.
    expect(sets.lastIndexOf("create cali40")).toBeLessThan(sets.indexOf("create cali60"));
  });

  it("kube-proxy's IPv6 proxier writes the IPv6 Service address and endpoint into ip6tables only", () => {
    const out = files();
    expect(out.get("node1.ip6tables")).toContain("-d fd00:96::20/128 -p tcp");
    expect(out.get("node1.ip6tables")).toContain("--to-destination [fd00:10:244::105]:8080");
    expect(out.get("node1.iptables")).toContain("-d 10.96.0.20/32 -p tcp");
    expect(out.get("node1.iptables")).not.toContain("fd00:96::20");
  });

  it("every .ip6tables re-parses and re-writes identically", () => {
    for (const [name, text] of files()) {
      if (!name.endsWith(".ip6tables")) continue;
      const parsed = parseRuleSet(text, { file: name });
      expect(parsed.diagnostics, name).toEqual([]);
      expect(writeRuleSet(parsed.ruleset)).toBe(text);
    }
  });

  it("-O2 optimises the IPv6 tables too (fewer rules), and verify agrees in both families", async () => {
    const o1 = files();
    const opts: Partial<CompileOptions> = { optimize: { level: 2, passes: ["dead-tail", "rule-merge", "cidr-merge", "chain-share", "ipset-dedup"].filter((p) => PASS_NAMES.includes(p)) } };
    const o2 = files(opts);
    const count = (t: string | undefined): number => (t ?? "").split("\n").filter((l) => l.startsWith("-A ")).length;
    expect(count(o2.get("node1.ip6tables"))).toBeLessThan(count(o1.get("node1.ip6tables")));
    const r = await runCli(["verify", CASE, "-O2"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ 0 mismatches\nverified IPv6: .* 0 mismatches\n$/);
  });

  it("deterministic: the inputs in reverse order give the same bytes", () => {
    const a = files();
    const b = files({}, [...INPUTS].reverse());
    expect([...b]).toEqual([...a]);
  });
});

describe("--ipv6", () => {
  it("auto: on for a dual-stack snapshot (a note says why), off for an IPv4-only one", () => {
    const res = compile(INPUTS, DEFAULT_COMPILE_OPTIONS);
    expect(res.diag.all.find((d) => d.id === "input/ipv6")?.severity).toBe("note");
    expect(emitKinds(DEFAULT_COMPILE_OPTIONS, res.model)).toContain("ip6tables");
    const v4only = readFileSync(join(CASE, "..", "f1-ingress-from-pod-selector", "cluster.yaml"), "utf8");
    const r4 = compile([{ path: "c.yaml", text: v4only }], DEFAULT_COMPILE_OPTIONS);
    expect(emitKinds(DEFAULT_COMPILE_OPTIONS, r4.model)).not.toContain("ip6tables");
  });

  it("off: IPv4 only, and a warning that the IPv6 side is not written", () => {
    const opts: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, ipv6: "off" };
    const res = compile(INPUTS, opts);
    expect(res.diag.all.find((d) => d.id === "input/ipv6-not-rendered")?.severity).toBe("warning");
    const out = new Map(nodeFiles(res, opts));
    expect([...out.keys()].some((k) => k.endsWith(".ip6tables"))).toBe(false);
    expect(out.get("node1.ipsets")).not.toContain("cali60");
    expect(out.get("node1.iptables")).toBe(files().get("node1.iptables"));
  });

  it("on: an IPv4-only snapshot still gets the IPv6 twin (Felix programs it whenever IPv6 support is on, A1)", () => {
    const v4only = readFileSync(join(CASE, "..", "f1-ingress-from-pod-selector", "cluster.yaml"), "utf8");
    const opts: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, ipv6: "on" };
    const out = new Map(nodeFiles(compile([{ path: "c.yaml", text: v4only }], opts), opts));
    expect(out.get("node1.ip6tables")).toContain("-A cali-wl-to-host -p ipv6-icmp");
    expect(out.get("node1.ip6tables")).toMatch(/:cali-tw-cali/);
  });

  it("a pod with IPv6 addresses only is an endpoint in both tables (chains per interface, A1), in the IPv6 sets and routes only", () => {
    const only6: InputFile = {
      path: "only6.yaml",
      text: [
        "apiVersion: v1",
        "kind: Pod",
        "metadata: {name: v6only, namespace: shop, labels: {app: client}}",
        "spec: {nodeName: node1, containers: [{name: c, image: x}]}",
        'status: {phase: Running, podIPs: [{ip: "fd00:10:244::109"}]}',
        "",
      ].join("\n"),
    };
    const out = files({}, [...INPUTS, only6]);
    const iface = workloadInterfaceName("shop", "v6only", "cali");
    for (const f of ["node1.iptables", "node1.ip6tables"]) {
      expect(out.get(f), f).toContain(`:cali-tw-${iface} - [0:0]`);
      expect(out.get(f), f).toContain(`-A cali-to-wl-dispatch -o ${iface} `);
    }
    // app=client: in web-ingress's source set, IPv6 only.
    expect(out.get("node1.ipsets")).toMatch(/add cali60s:\S+ fd00:10:244::109\n/);
    expect(out.get("node1.routes")).toContain(`route replace fd00:10:244::109/128 dev ${iface} scope link`);
    expect(out.get("node1.routes")).not.toMatch(new RegExp(`/32 dev ${iface}`));
    expect(out.get("node1.ipsets")!.split("\n").filter((l) => l.startsWith("add cali40") && l.endsWith(" "))).toEqual([]);
  });

  it("the CLI: rules --family 6 lists the IPv6 tables as ip6tables -S; with IPv6 off it is a usage error", async () => {
    const r = await runCli(["rules", CASE, "--node", "node1", "--family", "6", "--chain", "cali-wl-to-host"]);
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[1]).toBe('-A cali-wl-to-host -p ipv6-icmp -m comment --comment "cali:TYeA_BqDrPHaAt6E" -m icmp6 --icmpv6-type 130 -j ACCEPT');
    const v4 = await runCli(["rules", CASE, "--node", "node1", "--chain", "cali-wl-to-host"]);
    expect(v4.out).not.toContain("icmp6");
    const off = await runCli(["rules", join(CASE, "..", "f1-ingress-from-pod-selector"), "--node", "node1", "--family", "6"]);
    expect(off.code).toBe(2);
  });

  it("the CLI: --emit ip6tables prints the IPv6 tables; with IPv6 off it is a usage error", async () => {
    const on = await runCli(["compile", CASE, "--node", "node1", "--emit", "ip6tables"]);
    expect(on.code).toBe(0);
    expect(on.out).toBe(files().get("node1.ip6tables"));
    const off = await runCli(["compile", CASE, "--node", "node1", "--emit", "ip6tables", "--ipv6", "off"]);
    expect(off.code).toBe(2);
    expect(off.err).toContain("IPv6 is off");
  });
});

describe("diff on a dual-stack snapshot: each family judged on its own", () => {
  const tmp = (name: string, policy: string): string => {
    const dir = mkdtempSync(join(tmpdir(), `npc-ds-${name}-`));
    writeFileSync(join(dir, "cluster.yaml"), readFileSync(join(CASE, "cluster.yaml"), "utf8"));
    writeFileSync(join(dir, "policy.yaml"), policy);
    return dir;
  };
  const base = readFileSync(join(CASE, "policy.yaml"), "utf8");

  it("narrowing an IPv6 ipBlock closes IPv6 flows to the carved-out class only, over IPv6, and shows the ip6tables hunk", async () => {
    const a = tmp("a", base);
    const b = tmp("b", base.replace('cidr: "2001:db8::/32"', 'cidr: "2001:db8::/48"'));
    try {
      const r = await runCli(["diff", a, b]);
      expect(r.code).toBe(1);
      const flows = r.out.split("\n").filter((l) => /^\s+(opens|closes) /.test(l));
      expect(flows).toEqual(["  closes shop/client → 2001:db8::/32 except 2001:db8::/48 443/TCP over IPv6"]);
      expect(r.out).toContain(".ip6tables\n");
      expect(r.out).toContain("+-A cali-po-");
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it("an IPv4-only ipBlock over the pod network keeps IPv4 open and closes IPv6", async () => {
    const a = tmp("c", base);
    const extra = [
      "---",
      "apiVersion: networking.k8s.io/v1",
      "kind: NetworkPolicy",
      "metadata: {name: db-from-pods-v4, namespace: shop}",
      "spec:",
      "  podSelector: {matchLabels: {app: db}}",
      "  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16}}], ports: [{port: 6543}]}]",
      "",
    ].join("\n");
    const b = tmp("d", base + extra);
    try {
      const r = await runCli(["diff", a, b, "--format", "json"]);
      const changes = JSON.parse(r.out).flows.changes as { kind: string; src: string; dst: string; portText: string; family: number | null }[];
      const toDb = changes.filter((c) => c.dst === "shop/db" && c.portText === "6543/TCP");
      // web → db on 6543 was denied (db-ingress allows 5432 only); the new policy opens it from the IPv4 pod network only.
      expect(toDb.filter((c) => c.family === 4).map((c) => `${c.kind} ${c.src}`)).toContain("opens shop/web");
      expect(toDb.filter((c) => c.family === 6)).toEqual([]);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it("a single-stack diff names no family", async () => {
    const dir = join(CASE, "..", "f1-ingress-from-pod-selector");
    const r = await runCli(["diff", dir, join(CASE, "..", "f2-default-deny-and-allow-ordering"), "--format", "json"]);
    const changes = JSON.parse(r.out).flows.changes as { family: number | null }[];
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) expect(c.family).toBeNull();
    const t = await runCli(["diff", dir, join(CASE, "..", "f2-default-deny-and-allow-ordering")]);
    expect(t.out).not.toContain(" over IPv");
  });
});

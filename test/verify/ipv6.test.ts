// verify of the IPv6 side through an IPv4 image (src/verify/ipv6.ts): the
// image keeps every containment the rules and policies can ask about, reports
// speak IPv6, and a tampered .ip6tables rule is caught where it is.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIP, parseCIDR, parseIP } from "../../src/frontend/validation/ip.js";
import { imageOf } from "../../src/verify/ipv6.js";
import { runCli } from "../helpers/cli.js";
import { propertyParams } from "../property/params.js";

const DUAL = join(import.meta.dirname, "..", "..", "golden", "dual-stack-basic");

function v4cidr(t: string): { net: number; len: number } {
  const [a, l] = t.split("/");
  return { net: Number(parseIP(a!)!.value), len: Number(l ?? 32) };
}
const in4 = (outer: { net: number; len: number }, inner: { net: number; len: number }): boolean =>
  inner.len >= outer.len && (outer.len === 0 || Math.floor(inner.net / 2 ** (32 - outer.len)) === Math.floor(outer.net / 2 ** (32 - outer.len)));
function in6(outer: string, inner: string): boolean {
  const o = parseCIDR(outer)!;
  const i = inner.includes("/") ? parseCIDR(inner)! : { network: parseIP(inner)!.value, prefix: 128 };
  const shift = BigInt(128 - o.prefix);
  return i.prefix >= o.prefix && i.network >> shift === o.network >> shift;
}

describe("the IPv4 image of IPv6 prefixes", () => {
  // Prefixes under a few roots so that they nest and touch; hosts inside them.
  const prefixArb = fc.record({ root: fc.constantFrom(0xfd00n << 112n, 0x2001_0db8n << 96n), bits: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), len: fc.integer({ min: 16, max: 128 }) });
  const text = (p: { root: bigint; bits: bigint; len: number }): string => {
    const v = p.root | (p.bits << 48n);
    const masked = p.len === 0 ? 0n : (v >> BigInt(128 - p.len)) << BigInt(128 - p.len);
    return `${formatIP(6, masked)}/${p.len}`;
  };
  const params = propertyParams<[{ root: bigint; bits: bigint; len: number }[]]>(200);
  it(`keeps containment and disjointness of every pair, hosts included, and shows each image as its original (${params.numRuns} cases)`, () => {
    fc.assert(
      fc.property(fc.array(prefixArb, { minLength: 1, maxLength: 40 }), (ps) => {
        const all = [...new Set(ps.map(text))];
        const img = imageOf(all);
        if ("error" in img) return;
        for (const a of all) {
          const ia = v4cidr(img.cidr(a)!);
          expect(img.display(img.cidr(a)!)).toBe(a.endsWith("/128") ? a : a);
          for (const b of all) {
            const ib = v4cidr(img.cidr(b)!);
            expect(in4(ia, ib), `${b} in ${a}`).toBe(in6(a, b));
          }
        }
      }),
      params,
    );
  });

  it("maps a /128 to a /32 address, ::/0 to 0.0.0.0/0 and ::1 to 127.0.0.1; refuses what it was not given", () => {
    const img = imageOf(["fd00::/64", "fd00::5", "fd00::/122"]);
    if ("error" in img) throw new Error(img.error);
    expect(img.cidr("fd00::5")).toMatch(/\/32$/);
    expect(img.cidr("fd00::5/128")).toBe(img.cidr("fd00::5"));
    expect(img.cidr("::/0")).toBe("0.0.0.0/0");
    expect(img.addr("::1")).toBe("127.0.0.1");
    expect(img.addr("fd00::6")).toBeNull();
    expect(img.cidr("fd00::/60")).toBeNull();
    expect(img.display(`${img.addr("fd00::5")} and ${img.cidr("fd00::/122")}`)).toBe("fd00::5 and fd00::/122");
    // An address with a port is bracketed, as IPv6 spells it; an address alone and a prefix are not.
    expect(img.display(`${img.addr("fd00::5")}:8080/TCP, ${img.addr("fd00::5")}, ${img.cidr("fd00::/122")}`)).toBe("[fd00::5]:8080/TCP, fd00::5, fd00::/122");
  });

  it("refuses nesting deeper than the 29 bits of the image allow (verify then says IPv6 is UNKNOWN, never guesses)", () => {
    const deep = Array.from({ length: 40 }, (_, i) => `fd00::/${16 + i}`);
    expect("error" in imageOf(deep)).toBe(true);
  });
});

describe("verify --ipv6 through the image", () => {
  it("a clean dual-stack compile verifies both families with 0 mismatches", async () => {
    const r = await runCli(["verify", DUAL]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verified: .* 0 mismatches\nverified IPv6: [\d,]+ flow classes, .* 0 mismatches\n$/);
  });

  it("a tampered .ip6tables CIDR is caught in IPv6 terms, traced through the .ip6tables lines; the IPv4 side is untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "npc-v6t-"));
    try {
      const c = await runCli(["compile", DUAL, "-o", dir]);
      expect(c.code).toBe(0);
      const f = join(dir, "node1.ip6tables");
      const text = readFileSync(f, "utf8");
      expect(text).toContain("-s fd00:200::/56");
      writeFileSync(f, text.replace("-s fd00:200::/56", "-s fd00:200::/60"));
      const r = await runCli(["verify", DUAL, "--rules", dir]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^verified: .* 0 mismatches\n/m);
      expect(r.out).toContain("mismatch: fd00:200:0:10:: → shop/web 8080/TCP");
      expect(r.out).toContain("class: fd00:200::/56 except fd00:200::/60 → shop/web 8080/TCP; the flow shown is one of them");
      // The walk is traced through the .ip6tables lines it read (the policy chain, then the end-of-tier drop).
      expect(r.out).toMatch(/filter cali-pi-knp\/shop\/web-ingress rule \d+ \(\S*node1\.ip6tables:\d+\)/);
      expect(r.out).toMatch(/drop "End of tier default\. Drop if no policies passed packet"/);
      expect(r.out).toMatch(/verified IPv6: .* 1 mismatches\n$/);
      const json = JSON.parse((await runCli(["verify", DUAL, "--rules", dir, "--format", "json"])).out);
      expect([json.mismatches, json.ipv6.mismatches, json.ipv6.flows]).toEqual([0, 1, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--exhaustive walks every IPv6 probe flow too (not the classes), and catches a tampered rule as class verify does", async () => {
    const clean = await runCli(["verify", DUAL, "--exhaustive"]);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^verified: [\d,]+ flows, .* 0 mismatches\nverified IPv6: [\d,]+ flows, .* 0 mismatches\n$/);
    const dir = mkdtempSync(join(tmpdir(), "npc-v6x-"));
    try {
      expect((await runCli(["compile", DUAL, "-o", dir])).code).toBe(0);
      const f = join(dir, "node1.ip6tables");
      writeFileSync(f, readFileSync(f, "utf8").replace("-s fd00:200::/56", "-s fd00:200::/60"));
      const r = await runCli(["verify", DUAL, "--rules", dir, "--exhaustive"]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^mismatch: fd00:200:[0-9a-f:]+ → shop\/web 8080\/TCP/m);
      expect(r.out).toMatch(/verified IPv6: [\d,]+ flows, .* [1-9]\d* mismatches\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a deleted IPv6 route is caught (routes matter: BIRD's route to the peer's block)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "npc-v6r-"));
    try {
      expect((await runCli(["compile", DUAL, "-o", dir])).code).toBe(0);
      const f = join(dir, "node2.routes");
      const text = readFileSync(f, "utf8");
      expect(text).toContain("route replace fd00:10:244::100/122 via fd00:100::11 dev eth0 proto bird\n");
      writeFileSync(f, text.replace("route replace fd00:10:244::100/122 via fd00:100::11 dev eth0 proto bird\n", ""));
      const r = await runCli(["verify", DUAL, "--rules", dir]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^verified: .* 0 mismatches\n/m);
      expect(r.out).toMatch(/verified IPv6: .* [1-9]\d* mismatches\n$/);
      expect(r.out).toMatch(/fd00:10:244::/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--rules without a node's .ip6tables is a finding while IPv6 is on; --ipv6 off checks IPv4 alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "npc-v6m-"));
    try {
      cpSync(DUAL, join(dir, "in"), { recursive: true });
      expect((await runCli(["compile", DUAL, "-o", join(dir, "out")])).code).toBe(0);
      rmSync(join(dir, "out", "node2.ip6tables"));
      const r = await runCli(["verify", DUAL, "--rules", join(dir, "out")]);
      expect(r.code).toBe(1);
      expect(r.err).toContain("node2.ip6tables: no such file");
      const off = await runCli(["verify", DUAL, "--rules", join(dir, "out"), "--ipv6", "off"]);
      expect(off.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("explain of an IPv6 flow", () => {
  it("walks an IPv6 address's packet through .ip6tables and shows it in IPv6 terms (family picked from the address)", async () => {
    const denied = await runCli(["explain", DUAL, "--from", "2001:db8::7", "--to", "shop/web", "--port", "8080"]);
    expect(denied.code).toBe(0);
    expect(denied.out).toMatch(/^2001:db8::7 → shop\/web 8080\/TCP: denied \(rules agree\)\n/);
    expect(denied.out).toMatch(/route node1\.routes:\d+ route replace fd00:10:244::105\/128 dev cali\w+ scope link/);
    expect(denied.out).toMatch(/filter cali-tw-cali\w+ rule \d+ \(node1\.ip6tables:\d+\) drop "End of tier default/);
    const allowed = await runCli(["explain", DUAL, "--from", "fd00:200::1:0", "--to", "shop/web", "--port", "8080"]);
    expect(allowed.out).toMatch(/^fd00:200::1:0 → shop\/web 8080\/TCP: allowed \(rules agree\)/);
    expect(allowed.out).toContain("allowed by shop/web-ingress ingress[1]");
  });

  it("--family 6 between pods: the IPv6 route and rules; --family 6 with IPv6 off is a usage error", async () => {
    const r = await runCli(["explain", DUAL, "--from", "shop/client", "--to", "shop/web", "--port", "8080", "--family", "6"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("route replace fd00:10:244::100/122 via fd00:100::11 dev eth0 proto bird");
    expect(r.out).toContain("node2.ip6tables:");
    const v4 = await runCli(["explain", DUAL, "--from", "shop/client", "--to", "shop/web", "--port", "8080"]);
    expect(v4.out).toContain("node2.iptables:");
    expect(v4.out).not.toContain(".ip6tables");
    const off = await runCli(["explain", DUAL, "--from", "shop/client", "--to", "shop/web", "--port", "8080", "--family", "6", "--ipv6", "off"]);
    expect(off.code).toBe(2);
    expect(off.err).toContain("IPv6 is off");
  });
});

describe("explain to an IPv6 Service address", () => {
  it("follows kube-proxy's IPv6 DNAT to the backend and judges the branch on the backend pod, as for IPv4", async () => {
    const r = await runCli(["explain", DUAL, "--from", "shop/client", "--to", "fd00:96::20", "--port", "80"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^shop\/client → ClusterIP \[fd00:96::20\]:80\/TCP \(shop\/web:http\): allowed \(rules agree\)\n/);
    expect(r.out).toContain("expected backends: [fd00:10:244::105]:8080, each with probability 1/1");
    expect(r.out).toContain("branch [fd00:10:244::105]:8080 (shop/web), p=1: allowed (rules agree)");
    // The DNAT on the client's node, then the backend's node over the IPv6 route, read from the .ip6tables files.
    expect(r.out).toMatch(/nat KUBE-SEP-\w+ rule \d+ \(node2\.ip6tables:\d+\) dnat "shop\/web:http"/);
    expect(r.out).toMatch(/node1: forward in=eth0 out=cali\w+ → ACCEPT/);
    expect(r.out).not.toMatch(/ingress of fd00:96::20|not a pod/);
    const json = JSON.parse((await runCli(["explain", DUAL, "--from", "shop/client", "--to", "fd00:96::20", "--port", "80", "--format", "json"])).out);
    expect(json.branches.map((b: { backend: string }) => b.backend)).toEqual(["[fd00:10:244::105]:8080"]);
  });

  it("a tampered IPv6 DNAT target is a disagreement: the expected backend is never reached", async () => {
    const dir = mkdtempSync(join(tmpdir(), "npc-v6svc-"));
    try {
      expect((await runCli(["compile", DUAL, "-o", dir])).code).toBe(0);
      const f = join(dir, "node2.ip6tables");
      const text = readFileSync(f, "utf8");
      expect(text).toContain("--to-destination [fd00:10:244::105]:8080");
      writeFileSync(f, text.replace("--to-destination [fd00:10:244::105]:8080", "--to-destination [fd00:10:244::105]:9090"));
      const r = await runCli(["explain", DUAL, "--rules", dir, "--from", "shop/client", "--to", "fd00:96::20", "--port", "80"]);
      expect(r.code).toBe(1);
      expect(r.out).toContain("backend [fd00:10:244::105]:8080 is never reached");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("matrix --family 6", () => {
  it("judges the IPv6 side: an IPv4-only ipBlock over the pod network opens web → db on IPv4, not on IPv6; pods shown with IPv6 addresses", async () => {
    const dir = mkdtempSync(join(tmpdir(), "npc-v6mx-"));
    try {
      cpSync(DUAL, dir, { recursive: true });
      rmSync(join(dir, "expected"), { recursive: true, force: true });
      const extra = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-from-pods-v4, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16}}], ports: [{port: 6543}]}]\n";
      writeFileSync(join(dir, "policy.yaml"), readFileSync(join(dir, "policy.yaml"), "utf8") + extra);
      const cell = (out: string): string => out.split("\n").find((l) => l.startsWith("3 shop/web"))!;
      const v4 = await runCli(["matrix", dir, "--port", "6543"]);
      const v6 = await runCli(["matrix", dir, "--port", "6543", "--family", "6"]);
      expect(cell(v4.out)).toBe("3 shop/web     . . .");
      expect(cell(v6.out)).toBe("3 shop/web     . X .");
      const json = JSON.parse((await runCli(["matrix", dir, "--port", "6543", "--family", "6", "--format", "json"])).out);
      expect(json.parties.map((p: { detail: string }) => p.detail)).toEqual(["node node2, fd00:10:244::208", "node node2, fd00:10:244::207", "node node1, fd00:10:244::105"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

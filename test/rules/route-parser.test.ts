// `ip -batch` / `bridge -batch` text → RouteCommand[] / FdbEntry[] and back:
// the writer's output reads back to the same commands (and bytes), and what a
// person or `ip` would write reads as its documented normal form
// (src/rules/route-parser.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFdb, parseRoutes } from "../../src/rules/route-parser.js";
import { writeFdb, writeRoutes, type FdbEntry, type RouteCommand } from "../../src/rules/routes.js";
import { GOLDEN_ROOT, goldenCaseNames } from "../helpers/golden-cases.js";

function withoutLines<T extends { line: number }>(xs: readonly T[]): Omit<T, "line">[] {
  return xs.map(({ line: _line, ...rest }) => rest);
}

/** Parses cleanly and writes back. */
function normalised(text: string): string {
  const r = parseRoutes(text);
  expect(r.diagnostics).toEqual([]);
  return writeRoutes(r.commands);
}

const EVERY_KIND: RouteCommand[] = [
  { kind: "link-add-vxlan", dev: "vxlan.calico", mac: "66:0d:2e:aa:01:ff", vni: 4096, local: "172.16.0.11", port: 4789 },
  { kind: "link-add-vxlan", dev: "vxlan-v6.calico", mac: null, vni: 6144, local: "fd00:10::b", port: 4789 },
  { kind: "link-up", dev: "vxlan.calico", mtu: 1410 },
  { kind: "link-up", dev: "tunl0", mtu: null },
  { kind: "addr", cidr: "192.168.0.1/32", dev: "tunl0" },
  { kind: "addr", cidr: "fd00:10::b/64", dev: "eth0" },
  { kind: "blackhole", cidr: "192.168.0.0/26", proto: "bird" },
  { kind: "blackhole", cidr: "fd5f:1::/122", proto: null },
  { kind: "dev", cidr: "192.168.0.52/32", dev: "calida284fa5314", scope: "link", proto: null, metric: null },
  { kind: "dev", cidr: "192.168.0.53/32", dev: "cali6d8add8d729", scope: "link", proto: "80", metric: 1024 },
  { kind: "dev", cidr: "fd5f:1::5/128", dev: "cali0", scope: "link", proto: "kernel", metric: 0 },
  { kind: "via", cidr: "192.168.1.0/26", via: "172.16.0.12", dev: "tunl0", proto: "bird", onlink: true, mtu: null },
  { kind: "via", cidr: "192.168.2.0/26", via: "172.16.0.13", dev: null, proto: "bird", onlink: false, mtu: null },
  { kind: "via", cidr: "192.168.3.0/26", via: "192.168.3.1", dev: "vxlan.calico", proto: "80", onlink: true, mtu: 1410 },
  { kind: "via", cidr: "fd5f:2::/122", via: "fd00:10::c", dev: "eth0", proto: null, onlink: false, mtu: 1280 },
  { kind: "neigh", address: "192.168.3.1", lladdr: "66:0d:2e:aa:01:02", dev: "vxlan.calico" },
  { kind: "neigh", address: "fd5f:2::1", lladdr: "66:0d:2e:aa:01:03", dev: "vxlan-v6.calico" },
];

const FDB: FdbEntry[] = [
  { mac: "66:0d:2e:aa:01:02", dev: "vxlan.calico", dst: "172.16.0.13" },
  { mac: "66:0d:2e:aa:01:03", dev: "vxlan-v6.calico", dst: "fd00:10::c" },
];

describe("round trip of the writer's output", () => {
  it("every command kind, v4 and v6, with and without its optional parts", () => {
    const text = writeRoutes(EVERY_KIND);
    const r = parseRoutes(text);
    expect(r.diagnostics).toEqual([]);
    expect(withoutLines(r.commands)).toEqual(EVERY_KIND);
    expect(r.commands.map((c) => c.line)).toEqual(EVERY_KIND.map((_, i) => i + 1));
    expect(writeRoutes(r.commands)).toBe(text);
  });

  it("fdb entries", () => {
    const text = writeFdb(FDB);
    const r = parseFdb(text);
    expect(r.diagnostics).toEqual([]);
    expect(withoutLines(r.entries)).toEqual(FDB);
    expect(writeFdb(r.entries)).toBe(text);
  });

  const files = goldenCaseNames().flatMap((c) =>
    readdirSync(join(GOLDEN_ROOT, c, "expected"))
      .filter((f) => f.endsWith(".routes") || f.endsWith(".fdb"))
      .sort()
      .map((f) => `${c}/expected/${f}`),
  );
  it("there are golden route files", () => expect(files.length).toBeGreaterThan(0));
  it.each(files)("golden/%s", (path) => {
    const text = readFileSync(join(GOLDEN_ROOT, path), "utf8");
    if (path.endsWith(".fdb")) {
      const r = parseFdb(text, { file: path });
      expect(r.diagnostics).toEqual([]);
      expect(writeFdb(r.entries)).toBe(text);
    } else {
      const r = parseRoutes(text, { file: path });
      expect(r.diagnostics).toEqual([]);
      expect(writeRoutes(r.commands)).toBe(text);
    }
  });
});

describe("hand-written and ip-accepted spellings normalise", () => {
  it.each([
    // verbs, objects and synonyms
    ["route add 10.0.0.0/24 dev eth0", "route replace 10.0.0.0/24 dev eth0 scope link"],
    ["route append 10.0.0.0/24 dev eth0 scope link", "route replace 10.0.0.0/24 dev eth0 scope link"],
    ["route replace to 10.0.0.0/24 oif eth0 scope 253", "route replace 10.0.0.0/24 dev eth0 scope link"],
    ["route replace 10.0.0.0/24 dev eth0 priority 7", "route replace 10.0.0.0/24 dev eth0 scope link metric 7"],
    ["route replace 10.0.0.0/24 dev eth0 preference 7", "route replace 10.0.0.0/24 dev eth0 scope link metric 7"],
    ["addr add 192.168.0.1 dev tunl0", "address replace 192.168.0.1/32 dev tunl0"],
    ["address add local 192.168.0.1/26 dev tunl0", "address replace 192.168.0.1/26 dev tunl0"],
    ["neigh add 10.0.0.1 lladdr 66:AA:bb:c:d:e dev vxlan.calico", "neigh replace 10.0.0.1 lladdr 66:aa:bb:0c:0d:0e dev vxlan.calico nud permanent"],
    ["neigh replace dev x nud permanent to 10.0.0.1 lladdr 66:aa:bb:cc:dd:ee", "neigh replace 10.0.0.1 lladdr 66:aa:bb:cc:dd:ee dev x nud permanent"],
    ["link set tunl0 up", "link set dev tunl0 up"],
    ["link set up mtu 1480 dev tunl0", "link set dev tunl0 mtu 1480 up"],
    // options in any order, proto as name or number, boot dropped
    ["route replace 10.1.0.0/26 via 172.16.0.2 dev tunl0 onlink proto bird", "route replace 10.1.0.0/26 via 172.16.0.2 dev tunl0 proto bird onlink"],
    ["route replace proto 12 onlink dev tunl0 via 172.16.0.2 10.1.0.0/26", "route replace 10.1.0.0/26 via 172.16.0.2 dev tunl0 proto bird onlink"],
    ["route replace 10.1.0.0/26 via 172.16.0.2 protocol 80", "route replace 10.1.0.0/26 via 172.16.0.2 proto 80"],
    ["route replace 10.1.0.0/26 via 172.16.0.2 proto boot scope global", "route replace 10.1.0.0/26 via 172.16.0.2"],
    ["route replace 10.1.0.0/26 via 172.16.0.2 proto 3", "route replace 10.1.0.0/26 via 172.16.0.2"],
    ["route replace 10.1.0.0/26 via 172.16.0.2 proto 4", "route replace 10.1.0.0/26 via 172.16.0.2 proto static"],
    ["route replace blackhole 10.2.0.0/26 proto 2", "route replace blackhole 10.2.0.0/26 proto kernel"],
    ["route replace unicast 10.2.0.0/26 dev x", "route replace 10.2.0.0/26 dev x scope link"],
    // bare destinations, default, IPv6 canonical form
    ["route replace 10.0.0.5 dev cali1", "route replace 10.0.0.5/32 dev cali1 scope link"],
    ["route replace default via 10.0.0.1", "route replace 0.0.0.0/0 via 10.0.0.1"],
    ["route replace default via fe80::1 dev eth0", "route replace ::/0 via fe80::1 dev eth0"],
    ["route replace 2001:DB8:0:0:0:0:0:5 dev cali1", "route replace 2001:db8::5/128 dev cali1 scope link"],
    ["route replace 2001:0db8:0000::/48 via 2001:db8:0:0:1::1", "route replace 2001:db8::/48 via 2001:db8::1:0:0:1"],
    // vxlan device: keywords in any order, id/vni, dstport default
    [
      "link add name vxlan.calico type vxlan nolearning dstport 4789 local 10.0.0.1 vni 4096",
      "link add vxlan.calico type vxlan id 4096 local 10.0.0.1 dstport 4789 nolearning",
    ],
    [
      "link add dev vxlan.calico addr 66:AA:bb:cc:dd:ee type vxlan id 1 local 10.0.0.1 nolearning",
      "link add vxlan.calico address 66:aa:bb:cc:dd:ee type vxlan id 1 local 10.0.0.1 dstport 8472 nolearning",
    ],
    ["link add x type vxlan id 1 local 10.0.0.1 dstport 0 nolearning", "link add x type vxlan id 1 local 10.0.0.1 dstport 8472 nolearning"],
  ])("%s", (input, expected) => {
    expect(normalised(input + "\n")).toBe(expected + "\n");
    // The normal form is a fixed point.
    expect(normalised(expected + "\n")).toBe(expected + "\n");
  });

  it("skips blank and comment lines, keeps line numbers, reads CRLF and a missing final newline", () => {
    const text = "# routes\n\n  route replace 10.0.0.0/24 dev a # why\r\n\t# more\nlink set b up";
    const r = parseRoutes(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.commands.map((c) => [c.line, c.kind])).toEqual([
      [3, "dev"],
      [5, "link-up"],
    ]);
  });

  it("fdb: to, add, static and no state read as the one entry the writer prints", () => {
    const text = ["fdb add to AA:BB:CC:DD:EE:FF dev vxlan.calico dst 10.0.0.2", "fdb replace 0:0:0:0:0:0 dst fd00::0:2 static self dev x", ""].join("\n");
    const r = parseFdb(text);
    expect(r.diagnostics).toEqual([]);
    expect(writeFdb(r.entries)).toBe(
      "fdb replace aa:bb:cc:dd:ee:ff dev vxlan.calico dst 10.0.0.2 self permanent\nfdb replace 00:00:00:00:00:00 dev x dst fd00::2 self permanent\n",
    );
  });

  it("keywords are whole words: a device may be called uplink, devices or routes", () => {
    expect(normalised("route replace 10.0.0.0/24 dev uplink\nlink set devices up\nlink set dev up up\naddress add 10.0.0.1 dev routes\n")).toBe(
      "route replace 10.0.0.0/24 dev uplink scope link\nlink set dev devices up\nlink set dev up up\naddress replace 10.0.0.1/32 dev routes\n",
    );
  });

  it("a word is refused only by the command that gives it a meaning: link set peer, link set nat", () => {
    expect(normalised("link set peer up\nlink set nat up\n")).toBe("link set dev peer up\nlink set dev nat up\n");
  });
});

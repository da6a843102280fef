// Errors of the route and fdb parser: every one names the word at its
// file:line:col, and a line with an error yields no command (never a silent skip).
import { describe, expect, it } from "vitest";
import { formatParseDiagnostic } from "../../src/rules/parser.js";
import { parseFdb, parseRoutes } from "../../src/rules/route-parser.js";

const routes = (text: string): string[] => parseRoutes(text, { file: "n1.routes" }).diagnostics.map((d) => `${d.id} ${formatParseDiagnostic(d)}`);
const fdb = (text: string): string[] => parseFdb(text, { file: "n1.fdb" }).diagnostics.map((d) => `${d.id} ${formatParseDiagnostic(d)}`);

describe("routes: values", () => {
  it.each([
    ["route replace 10.0.0.1/24 dev cali1", "routes/invalid-value n1.routes:1:15: error: invalid prefix for given prefix length: '10.0.0.1/24' has host bits set (the network is 10.0.0.0/24)"],
    ["route replace fd00::1/64 dev cali1", "routes/invalid-value n1.routes:1:15: error: invalid prefix for given prefix length: 'fd00::1/64' has host bits set (the network is fd00::/64)"],
    ["route replace 10.0.0.0/33 dev x", "routes/invalid-value n1.routes:1:15: error: invalid prefix length in '10.0.0.0/33': expected 0-32, in decimal"],
    ["route replace 10.0.0.0/08 dev x", "routes/invalid-value n1.routes:1:15: error: invalid prefix length in '10.0.0.0/08': expected 0-32, in decimal"],
    ["route replace 010.0.0.0/8 dev x", "routes/invalid-value n1.routes:1:15: error: invalid address '010.0.0.0': a leading 0 is ambiguous (ip reads it as octal)"],
    ["route replace 10/8 dev x", "routes/invalid-value n1.routes:1:15: error: invalid address '10': expected an IPv4 (a.b.c.d) or IPv6 address"],
    ["route replace 10.0.0.0/24 via fd00::1", "routes/invalid-value n1.routes:1:31: error: gateway fd00::1 is IPv6 but the destination 10.0.0.0/24 is IPv4"],
    ["route replace 10.0.0.0/24 proto felix dev x", "routes/invalid-value n1.routes:1:33: error: invalid protocol 'felix': expected a name from iproute2's rt_protos (bird, static, kernel, …) or a number 0-255"],
    ["route replace 10.0.0.0/24 proto 256 dev x", "routes/invalid-value n1.routes:1:33: error: invalid protocol '256': expected a name from iproute2's rt_protos (bird, static, kernel, …) or a number 0-255"],
    ["route replace 10.0.0.0/24 dev x metric 4294967296", "routes/invalid-value n1.routes:1:40: error: invalid metric '4294967296': expected a decimal number from 0 to 4294967295"],
    ["route replace 10.0.0.0/24 via 1.2.3.4 mtu 67", "routes/invalid-value n1.routes:1:43: error: invalid mtu '67': expected a decimal number from 68 to 65535"],
    ["route replace 10.0.0.0/24 dev a/b", "routes/invalid-value n1.routes:1:31: error: invalid interface name 'a/b': it contains '/', ':' or whitespace"],
    ["route replace 10.0.0.0/24 dev ..", "routes/invalid-value n1.routes:1:31: error: invalid interface name '..'"],
    ["route replace 10.0.0.0/24 dev cafécafécafécafé", "routes/invalid-value n1.routes:1:31: error: invalid interface name 'cafécafécafécafé': longer than 15 bytes"],
    ["link add x type vxlan id 16777216 local 10.0.0.1 nolearning", "routes/invalid-value n1.routes:1:26: error: invalid VXLAN id '16777216': expected a decimal number from 0 to 16777215"],
    ["link add x address 01:00:5e:00:00:01 type vxlan id 1 local 10.0.0.1 nolearning", "routes/invalid-value n1.routes:1:20: error: invalid device MAC address '01:00:5e:00:00:01': a multicast or all-zero address cannot be a device's"],
    ["link set dev x mtu 70000 up", "routes/invalid-value n1.routes:1:20: error: invalid mtu '70000': expected a decimal number from 68 to 65535"],
    ["neigh replace 10.0.0.1 lladdr 66:aa:bb:cc:dd dev x", "routes/invalid-value n1.routes:1:31: error: invalid MAC address '66:aa:bb:cc:dd': expected six hex bytes separated by ':'"],
  ])("%s", (line, expected) => {
    expect(routes(line + "\n")).toEqual([expected]);
  });
});

describe("routes: syntax and missing parts", () => {
  it.each([
    ["route", "routes/parse-error n1.routes:1:6: error: expected add, replace or append after route, found end of line"],
    ["route replace 10.0.0.0/24 via", "routes/parse-error n1.routes:1:30: error: expected a value after via, found end of line"],
    ["route replace 10.0.0.0/24", "routes/parse-error n1.routes:1:26: error: expected via <gateway>, dev <device> or blackhole in route replace, found end of line"],
    ["route replace 10.0.0.0/24 dev x y", "routes/parse-error n1.routes:1:33: error: unexpected 'y': route replace already has its destination ('10.0.0.0/24')"],
    ["route replace 10.0.0.0/24 dev x dev y", "routes/parse-error n1.routes:1:33: error: duplicate 'dev' in route replace"],
    ["route replace 10.0.0.0/24 oif x dev y", "routes/parse-error n1.routes:1:33: error: duplicate 'dev' in route replace"],
    ["route replace 10.0.0.0/24 via 1.2.3.4 onlink", "routes/parse-error n1.routes:1:39: error: onlink needs dev <device>"],
    ["ip route add 10.0.0.0/24 dev x", "routes/parse-error n1.routes:1:1: error: expected link, address, route, neigh or fdb at the start of a line, found 'ip' (batch lines leave out the program name)"],
    ['route replace "10.0.0.0/24" dev x', "routes/parse-error n1.routes:1:15: error: quoted words are not supported (netpolc never writes them)"],
    ["route replace 10.0.0.0/24 dev x\u00a0", "routes/parse-error n1.routes:1:32: error: unexpected character '\u00a0'"],
    ["link add x", "routes/parse-error n1.routes:1:11: error: expected type <link type> in link add, found end of line"],
    ["link add type vxlan id 1 local 10.0.0.1 nolearning", "routes/parse-error n1.routes:1:51: error: expected device name in link add, found end of line"],
    ["link add x name y type vxlan id 1 local 10.0.0.1 nolearning", "routes/parse-error n1.routes:1:17: error: unexpected 'y': link add already has its device name ('x')"],
    ["link add x type vxlan local 10.0.0.1 nolearning", "routes/parse-error n1.routes:1:48: error: expected id <VNI> in link add type vxlan, found end of line"],
    ["link add x type vxlan id 1 local 10.0.0.1 nolearning bogus", "routes/parse-error n1.routes:1:54: error: unknown vxlan option 'bogus'"],
    ["neigh replace 10.0.0.1 dev x", "routes/parse-error n1.routes:1:29: error: expected lladdr <MAC> in neigh replace, found end of line"],
    ["address add 10.0.0.1/24", "routes/parse-error n1.routes:1:24: error: expected dev <device> in address add, found end of line"],
  ])("%s", (line, expected) => {
    expect(routes(line + "\n")).toEqual([expected]);
  });
});

describe("routes: what ip accepts but the route model cannot hold", () => {
  it.each([
    ["rule add from all lookup 100", "routes/unsupported n1.routes:1:1: error: 'rule' is not supported: expected link, address, route, neigh or fdb at the start of a line"],
    ["tunnel add t0 mode ipip", "routes/unsupported n1.routes:1:1: error: 'tunnel' is not supported: expected link, address, route, neigh or fdb at the start of a line"],
    ["route del 10.0.0.0/24", "routes/unsupported n1.routes:1:7: error: 'del' is not supported: expected add, replace or append after route"],
    ["link del x", "routes/unsupported n1.routes:1:6: error: 'del' is not supported: expected add or set after link"],
    ["route replace 10.0.0.0/24 dev x table 10", "routes/unsupported n1.routes:1:33: error: 'table' is not supported in route replace"],
    ["route replace 10.0.0.0/24 dev x src 10.0.0.1", "routes/unsupported n1.routes:1:33: error: 'src' is not supported in route replace"],
    ["route replace unreachable 10.0.0.0/24", "routes/unsupported n1.routes:1:15: error: route type 'unreachable' is not supported (netpolc models unicast and blackhole routes)"],
    ["route replace 10.0.0.0/24 dev x lladdr 66:aa:bb:cc:dd:ee", "routes/unsupported n1.routes:1:33: error: 'lladdr' is not supported in route replace"],
    ["route replace 10.0.0.0/24 via 1.2.3.4 metric 5", "routes/unsupported n1.routes:1:39: error: 'metric' is not supported on a via route (the route model keeps a metric on device routes only)"],
    ["route replace 10.0.0.0/24 dev x mtu 1400", "routes/unsupported n1.routes:1:33: error: 'mtu' is not supported on a device route (the route model keeps them on via routes only)"],
    ["route replace 10.0.0.0/24 dev x onlink", "routes/unsupported n1.routes:1:33: error: 'onlink' is not supported on a device route (the route model keeps them on via routes only)"],
    ["route replace blackhole 10.0.0.0/24 dev x", "routes/unsupported n1.routes:1:37: error: 'dev' is not supported on a blackhole route"],
    ["route replace 10.0.0.0/24 dev x scope host", "routes/unsupported n1.routes:1:39: error: scope host is not supported on a device route (netpolc models scope link)"],
    ["route replace 10.0.0.0/24 via 1.2.3.4 scope link", "routes/unsupported n1.routes:1:45: error: scope link is not supported on a via route (netpolc models scope global)"],
    ["route replace 10.0.0.0/24 dev x \\", "routes/unsupported n1.routes:1:33: error: line continuations (a trailing '\\') are not supported"],
    ["link add x type ipip", "routes/unsupported n1.routes:1:17: error: link type 'ipip' is not supported (netpolc creates vxlan devices only)"],
    ["link add x mtu 1400 type vxlan id 1 local 10.0.0.1 nolearning", "routes/unsupported n1.routes:1:12: error: 'mtu' is not supported in link add"],
    ["link add x type vxlan id 1 local 10.0.0.1", "routes/unsupported n1.routes:1:42: error: a vxlan device without nolearning learns remote MACs from traffic, which netpolc does not model; expected nolearning"],
    ["link add x type vxlan id 1 local 10.0.0.1 nolearning remote 10.0.0.2", "routes/unsupported n1.routes:1:54: error: 'remote' is not supported in link add type vxlan"],
    ["link add x type vxlan id 1 local 10.0.0.1 nolearning dev eth0", "routes/unsupported n1.routes:1:54: error: 'dev' is not supported in link add"],
    ["link set dev x mtu 1400", "routes/unsupported n1.routes:1:24: error: link set without up is not supported (netpolc models devices it brings up); expected up"],
    ["link set dev x down", "routes/unsupported n1.routes:1:16: error: 'down' is not supported in link set"],
    ["address add 10.0.0.1/24 dev x label x:1", "routes/unsupported n1.routes:1:31: error: 'label' is not supported in address add"],
    ["neigh replace 10.0.0.1 lladdr 66:aa:bb:cc:dd:ee dev x nud reachable", "routes/unsupported n1.routes:1:59: error: nud reachable is not supported (netpolc models permanent neighbours)"],
    ["fdb replace aa:bb:cc:dd:ee:ff dev x dst 10.0.0.1", "routes/unsupported n1.routes:1:1: error: fdb is a bridge -batch command; it belongs in the .fdb file"],
  ])("%s", (line, expected) => {
    expect(routes(line + "\n")).toEqual([expected]);
  });
});

describe("fdb", () => {
  it.each([
    ["fdb replace aa:bb:cc:dd:ee:ff dev x", "routes/parse-error n1.fdb:1:36: error: expected dst <address> in fdb replace, found end of line"],
    ["fdb replace aa:bb:cc:dd:ee:zz dev x dst 1.2.3.4", "routes/invalid-value n1.fdb:1:13: error: invalid MAC address 'aa:bb:cc:dd:ee:zz': expected six hex bytes separated by ':'"],
    ["fdb append aa:bb:cc:dd:ee:ff dev x dst 1.2.3.4", "routes/unsupported n1.fdb:1:5: error: 'append' is not supported: expected add or replace after fdb"],
    ["fdb replace aa:bb:cc:dd:ee:ff dev x dst 1.2.3.4 master", "routes/unsupported n1.fdb:1:49: error: 'master' is not supported in fdb replace"],
    ["fdb replace aa:bb:cc:dd:ee:ff dev x dst 1.2.3.4 dynamic", "routes/unsupported n1.fdb:1:49: error: 'dynamic' is not supported in fdb replace"],
    ["fdb replace aa:bb:cc:dd:ee:ff dev x dst 1.2.3.4 vni 5", "routes/unsupported n1.fdb:1:49: error: 'vni' is not supported in fdb replace"],
    ["link set dev x up", "routes/unsupported n1.fdb:1:1: error: 'link' is not supported in bridge -batch input, which holds fdb lines only (ip commands belong in the .routes file)"],
  ])("%s", (line, expected) => {
    expect(fdb(line + "\n")).toEqual([expected]);
  });
});

it("reports every bad line once, at its own line, and still reads the good ones", () => {
  const text = [
    "link set dev tunl0 mtu 1480 up",
    "# a comment",
    "route replace 10.0.0.1/24 via 1.2.3.4 metric 5 table 9",
    "route replace 192.168.0.0/26 via 172.16.0.12 dev tunl0 proto bird onlink",
    "route get 10.0.0.1",
    "",
    "  address replace 192.168.0.1/32 dev tunl0 peer 1.2.3.4",
  ].join("\n");
  const r = parseRoutes(text, { file: "n1.routes" });
  expect(r.diagnostics.map(formatParseDiagnostic)).toEqual([
    // Only the first issue of a line is reported (the words are gathered before their values are checked).
    "n1.routes:3:48: error: 'table' is not supported in route replace",
    "n1.routes:5:7: error: 'get' is not supported: expected add, replace or append after route",
    "n1.routes:7:44: error: 'peer' is not supported in address replace",
  ]);
  expect(r.commands.map((c) => [c.line, c.kind])).toEqual([
    [1, "link-up"],
    [4, "via"],
  ]);
  expect(r.diagnostics[0]!.span).toEqual({ file: "n1.routes", start: 90, end: 95 });
});

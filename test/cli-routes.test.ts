// Routes end to end through the CLI: pods of one /26 on three nodes without
// IPAM objects (issue: "every node claims the block, the same tunl0 address on
// all three, verify UNKNOWN, explain refuses"), a tampered route caught by
// verify --rules, and the .fdb of a VXLAN cluster.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const SHARED = join(ROOT, "golden", "ipam-inferred-shared-block");
const VXLAN = join(ROOT, "golden", "vxlan-always-static-rules");

async function compiled(input: string, ...flags: string[]): Promise<string> {
  const dir = tempDir("netpolc-routes-");
  const r = await runCli(["compile", input, "-o", dir, ...flags]);
  expect(r.code, r.err).toBe(0);
  return dir;
}

const routeFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith(".routes")).sort();

describe("pods of one /26 on three nodes, no IPAM objects", () => {
  it("verify: every flow judged, 0 UNKNOWN, 0 mismatches; the inference is said on stderr", async () => {
    const r = await runCli(["verify", SHARED]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^verified: [\d,]+ flows in [\d,]+ classes, .* on 3 nodes, 0 mismatches\n$/);
    expect(r.err).toMatch(/^netpolc: note: \d{1,3}(,\d{3})* flows were routed over blocks whose owner netpolc inferred; give IPAMBlock\/BlockAffinity objects for exact routes\n$/);
  });

  it("every node has its own tunnel address, and no .routes file names a destination twice", async () => {
    const dir = await compiled(SHARED);
    const tunnels = new Set<string>();
    for (const f of routeFiles(dir)) {
      const lines = readFileSync(join(dir, f), "utf8").trim().split("\n");
      const addr = lines.filter((l) => l.startsWith("address replace ") && l.endsWith(" dev tunl0"));
      expect(addr, f).toHaveLength(1);
      tunnels.add(addr[0]!);
      const dests = lines.filter((l) => l.startsWith("route replace ")).map((l) => l.replace("route replace blackhole ", "route replace ").split(" ")[2]);
      expect(new Set(dests).size, f).toBe(dests.length);
    }
    expect(tunnels.size).toBe(3);
  });

  it("explain walks a flow to a borrowed address: over tunl0 by the /32 route, into the pod", async () => {
    const r = await runCli(["explain", SHARED, "--from", "shop/client", "--to", "shop/web-0", "--port", "8080/TCP"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("shop/client → shop/web-0 8080/TCP: allowed (rules agree)");
    expect(r.out).toContain("a3.routes:7 route replace 192.168.5.2/32 via 10.0.0.11 dev tunl0 proto bird onlink [block owner inferred;");
    expect(r.out).toMatch(/a1: forward in=tunl0 out=cali\w+ → ACCEPT\n {4}route a1\.routes:4 route replace 192\.168\.5\.2\/32 dev cali\w+ scope link\n/);
  });

  it("verify --rules reads the routes back: the owner's deleted /32 to a borrowed address is a routing drop, named with node and line", async () => {
    const dir = await compiled(SHARED);
    const file = join(dir, "a2.routes");
    writeFileSync(file, readFileSync(file, "utf8").replace("route replace 192.168.5.2/32 via 10.0.0.11 dev tunl0 proto bird onlink\n", ""));
    const r = await runCli(["verify", SHARED, "--rules", dir]);
    expect(r.code).toBe(1);
    // Without it, a2's own blackhole for the block eats what a2 sends to web-0 (calico#3246): the replies to web-0's connections to a2's host.
    // Every port of the class is dropped alike: the one shown stands for them (its class line says which).
    expect(r.out).toContain(`a2: dropped by routing: blackhole route (route ${dir}/a2.routes:3 route replace blackhole 192.168.5.0/26 proto bird [block owner inferred;`);
    expect(r.out).toMatch(/^mismatch: reply of shop\/web-0 → 10\.0\.0\.12 \d+\/TCP a2: dropped by routing: blackhole route/m);
    // Every mismatch is such a reply (one per class of ports and protocol), and nothing else fails.
    const heads = r.out.split("\n").filter((l) => /^(mismatch|UNKNOWN)/.test(l));
    expect(heads.length).toBeGreaterThan(0);
    for (const h of heads) expect(h).toMatch(/^mismatch: reply of shop\/web-0 → 10\.0\.0\.12 \d+\/(TCP|UDP|SCTP) a2: dropped by routing: blackhole route/);
    expect(r.out).toMatch(new RegExp(`, ${heads.length} mismatches\n$`));
  });

  it("another node's missing /32 still delivers through the owner (a real kernel forwards tunl0 to tunl0 too)", async () => {
    const dir = await compiled(SHARED);
    const file = join(dir, "a3.routes");
    writeFileSync(file, readFileSync(file, "utf8").replace("route replace 192.168.5.2/32 via 10.0.0.11 dev tunl0 proto bird onlink\n", ""));
    expect((await runCli(["verify", SHARED, "--rules", dir])).code).toBe(0);
    const r = await runCli(["explain", SHARED, "--rules", dir, "--from", "shop/client", "--to", "shop/web-0", "--port", "8080/TCP"]);
    expect(r.out).toMatch(/a3: forward in=cali\w+ out=tunl0 → ACCEPT\n.*\n(.*\n)*  a2: forward in=tunl0 out=tunl0 → ACCEPT\n(.*\n)*  a1: forward in=tunl0 out=cali\w+ → ACCEPT/);
  });

  it("verify --rules with a file that does not parse: exit 1 with file:line:col", async () => {
    const dir = await compiled(SHARED);
    writeFileSync(join(dir, "a1.routes"), "route replace 10.0.0.0/33 dev eth0\n");
    const r = await runCli(["verify", SHARED, "--rules", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/a1\.routes:1:\d+: error\[routes\//);
  });
});

describe("VXLAN outputs", () => {
  it("-o writes <node>.fdb beside .routes; --emit fdb prints it", async () => {
    const dir = await compiled(VXLAN);
    expect(readdirSync(dir).filter((f) => f.startsWith("node1.")).sort()).toEqual(["node1.fdb", "node1.ipsets", "node1.iptables", "node1.routes"]);
    const r = await runCli(["compile", VXLAN, "--node", "node1", "--emit", "fdb"]);
    expect(r.out).toMatch(/^(fdb replace [0-9a-f:]{17} dev vxlan\.calico dst 10\.0\.0\.1\d self permanent\n)+$/);
  });

  it("an IPIP cluster writes no .fdb", async () => {
    expect(readdirSync(await compiled(SHARED)).some((f) => f.endsWith(".fdb"))).toBe(false);
  });
});

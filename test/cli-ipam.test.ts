// `netpolc ipam` end to end through main(): the spec calico-routes §2.5 worked
// example (test/fixtures/ipam-worked-example) with its IPAM objects (exact) and
// without them (inferred), -o wide, JSON, the route programmer's view, usage and
// invalid input. Tables are compared byte for byte.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli as run } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const DIR = join("test", "fixtures", "ipam-worked-example");
const CLUSTER = join(DIR, "cluster.yaml");
const IPAM = join(DIR, "ipam.yaml");
const text = (...lines: string[]): string => lines.join("\n") + "\n";

const BORROWED = text(
  "+-----------+----------------+--------------+-------------+------+---------------+",
  "|    IP     | BORROWING-NODE |    BLOCK     | BLOCK OWNER | TYPE | ALLOCATED-TO  |",
  "+-----------+----------------+--------------+-------------+------+---------------+",
  "| 10.10.1.6 | n2             | 10.10.1.0/26 | n1          | pod  | default/api-1 |",
  "| 10.10.4.7 | n3             | 10.10.4.0/26 |             | pod  | default/db-0  |",
  "+-----------+----------------+--------------+-------------+------+---------------+",
);

const BIRD_VIEW = text(
  "Owners follow BIRD, which programs these routes (--route-programmer bird, Calico's default up to 3.32): a",
  "block belongs to the node of its confirmed BlockAffinity, an address to the node it lives on.",
  "--route-programmer felix shows Felix's view.",
);
const EXACT = "Address plan: exact, from the snapshot's IPAM objects (4 IPAMBlocks, 3 BlockAffinities).\n";

const EXACT_BLOCKS = text(
  "+----------+--------------+-----------+------------+--------------+--------+",
  "| GROUPING |     CIDR     | IPS TOTAL | IPS IN USE |   IPS FREE   | OWNER  |",
  "+----------+--------------+-----------+------------+--------------+--------+",
  "| IP Pool  | 10.10.0.0/16 |     65536 | 7 (0%)     | 65529 (100%) |        |",
  "| Block    | 10.10.1.0/26 |        64 | 3 (5%)     | 61 (95%)     | n1     |",
  "| Block    | 10.10.2.0/26 |        64 | 2 (3%)     | 62 (97%)     | n2     |",
  "| Block    | 10.10.3.0/26 |        64 | 1 (2%)     | 63 (98%)     | n3     |",
  "| Block    | 10.10.4.0/26 |        64 | 1 (2%)     | 63 (98%)     | <none> |",
  "+----------+--------------+-----------+------------+--------------+--------+",
);

describe("netpolc ipam: the worked example with its IPAM objects (exact)", () => {
  it("prints calicoctl's --show-blocks table with an OWNER column, then the borrowed table", async () => {
    const r = await run(["ipam", DIR]);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(r.out).toBe(EXACT_BLOCKS + "\n" + BORROWED + "\n" + BIRD_VIEW + EXACT);
  });

  it("-o wide adds pool, encapsulation, owner, how it was decided, both views, tunnel addresses, and the nodes", async () => {
    const r = await run(["ipam", "-o", "wide", CLUSTER, IPAM]);
    expect([r.code, r.err]).toEqual([0, ""]);
    const rule = "+----------+--------------+-----------+------------+--------------+--------+---------------+--------+-------------------------------+-------------+-----------------+----------------------+";
    const block = (cidr: string, use: string, free: string, owner: string, decided: string, felix: string, bird: string, tunnels: string): string =>
      `| Block    | ${cidr} |        64 | ${use} | ${free} | pool-a | IPIP Always   | ${owner} | ${decided} | ${felix} | ${bird} | ${tunnels} |`;
    const blocks = text(
      rule,
      "| GROUPING |     CIDR     | IPS TOTAL | IPS IN USE |   IPS FREE   |  POOL  | ENCAPSULATION | OWNER  |          DECIDED BY           | FELIX OWNER | BIRD AFFINITIES |   TUNNEL ADDRESSES   |",
      rule,
      "| IP Pool  | 10.10.0.0/16 |     65536 | 7 (0%)     | 65529 (100%) | pool-a | IPIP Always   |        |                               |             |                 |                      |",
      block("10.10.1.0/26", "3 (5%)    ", "61 (95%)    ", "n1    ", "BIRD: BlockAffinity confirmed", "n1         ", "n1 confirmed   ", "10.10.1.0 (n1, IPIP)"),
      block("10.10.2.0/26", "2 (3%)    ", "62 (97%)    ", "n2    ", "BIRD: BlockAffinity confirmed", "n2         ", "n2 confirmed   ", "10.10.2.0 (n2, IPIP)"),
      block("10.10.3.0/26", "1 (2%)    ", "63 (98%)    ", "n3    ", "BIRD: BlockAffinity confirmed", "n3         ", "n3 confirmed   ", "10.10.3.0 (n3, IPIP)"),
      block("10.10.4.0/26", "1 (2%)    ", "63 (98%)    ", "<none>", "BIRD: no BlockAffinity       ", "           ", "               ", "                    "),
      rule,
    );
    const nodes = text(
      "+------+--------------+------------------------+----------------------+-----------+",
      "| NODE |      IP      |  IPIP TUNNEL ADDRESS   | VXLAN TUNNEL ADDRESS | VXLAN MAC |",
      "+------+--------------+------------------------+----------------------+-----------+",
      "| n1   | 10.0.0.11/24 | 10.10.1.0 (annotation) |                      |           |",
      "| n2   | 10.0.0.12/24 | 10.10.2.0 (annotation) |                      |           |",
      "| n3   | 10.0.0.13/24 | 10.10.3.0 (annotation) |                      |           |",
      "+------+--------------+------------------------+----------------------+-----------+",
    );
    expect(r.out).toBe(blocks + "\n" + BORROWED + "\n" + nodes + "\n" + BIRD_VIEW + EXACT);
  });

  it("the same bytes whatever the input order", async () => {
    expect((await run(["ipam", IPAM, CLUSTER])).out).toBe((await run(["ipam", CLUSTER, IPAM])).out);
  });

  it("--format json: one document with sorted keys holding everything -o wide shows", async () => {
    const r = await run(["ipam", "--format", "json", DIR]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown> & {
      pools: { name: string; total: number; inUse: number; free: number; blocks: { cidr: string; owner: string | null; ownerSource: string; felixOwner: string | null; inUse: number; tunnelAddresses: string[] }[] }[];
      borrowed: { ip: string; blockOwner: string }[];
    };
    expect(Object.keys(doc)).toEqual(["blocksOutsidePools", "borrowed", "exact", "ipamObjects", "nodes", "pools", "routeProgrammer", "strictAffinity", "unclassified"]);
    expect([doc.exact, doc.routeProgrammer, doc.unclassified, doc.ipamObjects]).toEqual([true, "bird", 0, { affinities: 3, blocks: 4 }]);
    const pool = doc.pools[0]!;
    expect([pool.name, pool.total, pool.inUse, pool.free]).toEqual(["pool-a", 65536, 7, 65529]);
    expect(pool.blocks.map((b) => [b.cidr, b.owner, b.ownerSource, b.inUse, b.tunnelAddresses])).toEqual([
      ["10.10.1.0/26", "n1", "ipam", 3, ["10.10.1.0"]],
      ["10.10.2.0/26", "n2", "ipam", 2, ["10.10.2.0"]],
      ["10.10.3.0/26", "n3", "ipam", 1, ["10.10.3.0"]],
      ["10.10.4.0/26", null, "ipam", 1, []],
    ]);
    expect(doc.borrowed.map((b) => [b.ip, b.blockOwner])).toEqual([["10.10.1.6", "n1"], ["10.10.4.7", ""]]);
    expect(r.out).toBe((await run(["ipam", "--format", "json", "-o", "wide", IPAM, CLUSTER])).out);
  });
});

describe("netpolc ipam: the same pods without IPAM objects (inferred)", () => {
  it("marks every owner inferred, with the rule that decided, and says how to make the plan exact", async () => {
    const r = await run(["ipam", CLUSTER]);
    expect([r.code, r.err]).toEqual([0, ""]);
    expect(r.out).toBe(
      text(
        "+----------+--------------+-----------+------------+--------------+-------------------------------+",
        "| GROUPING |     CIDR     | IPS TOTAL | IPS IN USE |   IPS FREE   |             OWNER             |",
        "+----------+--------------+-----------+------------+--------------+-------------------------------+",
        "| IP Pool  | 10.10.0.0/16 |     65536 | 7 (0%)     | 65529 (100%) |                               |",
        "| Block    | 10.10.1.0/26 |        64 | 3 (5%)     | 61 (95%)     | n1 (inferred: tunnel address) |",
        "| Block    | 10.10.2.0/26 |        64 | 2 (3%)     | 62 (97%)     | n2 (inferred: tunnel address) |",
        "| Block    | 10.10.3.0/26 |        64 | 1 (2%)     | 63 (98%)     | n3 (inferred: tunnel address) |",
        "| Block    | 10.10.4.0/26 |        64 | 1 (2%)     | 63 (98%)     | n3 (inferred: most pods)      |",
        "+----------+--------------+-----------+------------+--------------+-------------------------------+",
        "",
        "+-----------+----------------+--------------+-------------+------+---------------+",
        "|    IP     | BORROWING-NODE |    BLOCK     | BLOCK OWNER | TYPE | ALLOCATED-TO  |",
        "+-----------+----------------+--------------+-------------+------+---------------+",
        "| 10.10.1.6 | n2             | 10.10.1.0/26 | n1          | pod  | default/api-1 |",
        "+-----------+----------------+--------------+-------------+------+---------------+",
        "",
      ) +
        BIRD_VIEW +
        text(
          "Address plan: inferred. No IPAMBlock or BlockAffinity objects were given, so owners marked inferred or claimed",
          "are netpolc's guess from where pods and tunnel addresses are, not Calico's. For the exact plan, add the",
          "cluster's IPAM objects to the inputs:",
          "  kubectl get ipamblocks.crd.projectcalico.org,blockaffinities.crd.projectcalico.org -o yaml > ipam.yaml",
        ),
    );
  });

  it("a node without a tunnel annotation gets a claimed block (-o wide says why, and the tunnel address is inferred)", async () => {
    const n4 = "apiVersion: v1\nkind: Node\nmetadata: {name: n4}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.14}]}\n";
    const r = await run(["ipam", "-o", "wide", CLUSTER, "-"], n4);
    expect(r.code).toBe(0);
    expect(r.out).toContain("| Block    | 10.10.0.0/26 |        64 | 1 (2%)     | 63 (98%)     | pool-a | IPIP Always   | n4    | claimed for its inferred tunnel address | n4          | n4 confirmed    | 10.10.0.0 (n4, IPIP) |\n");
    expect(r.out).toContain("| Block    | 10.10.4.0/26 |        64 | 1 (2%)     | 63 (98%)     | pool-a | IPIP Always   | n3    | inferred: most of the pods (rule b)     |");
    expect(r.out).toContain("| n4   | 10.0.0.14    | 10.10.0.0 (inferred)   |                      |           |\n");
    expect((await run(["ipam", CLUSTER, "-"], n4)).out).toContain("| Block    | 10.10.0.0/26 |        64 | 1 (2%)     | 63 (98%)     | n4 (claimed)                  |\n");
  });
  it("without an IPPool the assumed pools are named as such", async () => {
    const noPool = readFileSync(CLUSTER, "utf8").replace(/apiVersion: projectcalico\.org\/v3\nkind: IPPool\n[^\n]*\n[^\n]*\n---\n/, "");
    const r = await run(["ipam", "-o", "wide", "-"], noPool);
    expect(r.code).toBe(0);
    expect(r.out).toContain("| IP Pool  | 10.10.0.0/16   |     65536 | 7 (0%)     | 65529 (100%) | assumed-10-10-0-0-16 (assumed) | IPIP Always   |");
    expect(r.out).toContain("| IP Pool  | 192.168.0.0/16 |     65536 | 0 (0%)     | 65536 (100%) | default-ipv4-ippool (assumed)  | IPIP Always   |");
    expect(r.out).toContain("\nNo IPPool given, so the pools are assumed: Calico's manifest default 192.168.0.0/16");
  });
});

describe("netpolc ipam: whose view the owners are", () => {
  // n3's BlockAffinity left out: BIRD (which reads BlockAffinities) sees no owner for 10.10.3.0/26, Felix (IPAMBlock) sees n3.
  const withoutN3Affinity = readFileSync(IPAM, "utf8").replace(/- apiVersion: crd\.projectcalico\.org\/v1\n {2}kind: BlockAffinity\n {2}metadata: \{name: n3-[^\n]*\n[^\n]*\n/, "");

  it("BIRD: the block has no owner and n3's tunnel address is borrowed from it", async () => {
    const r = await run(["ipam", CLUSTER, "-"], withoutN3Affinity);
    expect(r.code).toBe(0);
    expect(r.out).toContain("| Block    | 10.10.3.0/26 |        64 | 1 (2%)     | 63 (98%)     | <none> |\n");
    expect(r.out).toContain("| 10.10.3.0 | n3             | 10.10.3.0/26 |             | ipipTunnelAddress |               |\n");
    expect(r.out).toContain("(4 IPAMBlocks, 2 BlockAffinities)");
  });

  it("--route-programmer felix: the IPAMBlock's affinity owns it, nothing is borrowed from it", async () => {
    const r = await run(["ipam", "--route-programmer", "felix", CLUSTER, "-"], withoutN3Affinity);
    expect(r.code).toBe(0);
    expect(r.out).toContain("| Block    | 10.10.3.0/26 |        64 | 1 (2%)     | 63 (98%)     | n3     |\n");
    expect(r.out).toContain(BORROWED);
    expect(r.out).toContain(
      text(
        "Owners follow Felix, which programs these routes (--route-programmer felix, Calico's default from 3.33): a",
        "block belongs to the node of its IPAMBlock affinity, an address to the node of its allocation.",
        "--route-programmer bird shows BIRD's view.",
      ),
    );
  });

  it("VXLAN blocks follow Felix whatever the option; an allocation without a node gets calicoctl's note; a block outside every pool comes last without a pool row", async () => {
    const extra = [
      "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: 10-10-5-0-26}\n",
      'spec: {cidr: 10.10.5.0/26, affinity: "host:n1", allocations: [null, null, 0], unallocated: [0, 1], strictAffinity: false, attributes: [{handle_id: old-handle, secondary: {}}]}\n',
      "---\napiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: 172-16-0-0-26}\n",
      'spec: {cidr: 172.16.0.0/26, affinity: "host:n2", allocations: [0], unallocated: [], strictAffinity: false, attributes: [{handle_id: gone-pool, secondary: {node: n3, namespace: default, pod: old-0}}]}\n',
    ].join("");
    const r = await run(["ipam", DIR, "-"], extra);
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning[addressing/block-outside-pools]: IPAMBlock 172.16.0.0/26 is in no IPPool");
    const lines = r.out.split("\n");
    expect(lines.slice(8, 11)).toEqual([
      "| Block    | 10.10.5.0/26  |        64 | 1 (2%)     | 63 (98%)     | <none> |",
      "| Block    | 172.16.0.0/26 |        64 | 1 (2%)     | 63 (98%)     | <none> |",
      "+----------+---------------+-----------+------------+--------------+--------+",
    ]);
    expect(r.out).toContain("| 172.16.0.0 | n3             | 172.16.0.0/26 |             | pod  | default/old-0 |\n");
    expect(r.out).toContain("\nNote: found 1 IP allocations without an explicit node association. Unable to determine if they are borrowed.\n");
    const vxlan = await run(["ipam", join("golden", "vxlan-and-ipip-pools")]);
    expect(vxlan.out).toContain("| IP Pool  | 192.168.128.0/17 |     32768 | 4 (0%)     | 32764 (100%) |");
    expect(vxlan.out).toContain("VXLAN blocks follow Felix, which always programs VXLAN routes: a block belongs to the node of its IPAMBlock\n");
  });
});

describe("netpolc ipam: usage, invalid and hostile input", () => {
  it("--help prints the usage with the ipam options", async () => {
    const r = await run(["ipam", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: netpolc ipam [-o wide] [--format text|json] <inputs...>\n");
    expect(r.out).toContain("Options:\n  -o, --output FMT");
    expect(r.out).toContain("--route-programmer WHO");
  });

  it("usage errors exit 2", async () => {
    for (const argv of [["ipam"], ["ipam", "-o", "yaml", DIR], ["ipam", "--format", "html", DIR], ["ipam", "--route-programmer", "gobgp", DIR]]) {
      const r = await run(argv);
      expect([r.code, r.out]).toEqual([2, ""]);
      expect(r.err).toMatch(/^netpolc: /);
    }
  });

  it("invalid input exits 1: diagnostics with file:line:col on stderr, nothing on stdout", async () => {
    const bad = 'apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: x}\nspec: {cidr: 10.10.9.0/26, affinity: "host:Bad|Node", allocations: [], unallocated: [], attributes: [], strictAffinity: false}\n';
    const r = await run(["ipam", CLUSTER, "-"], bad);
    expect([r.code, r.out]).toEqual([1, ""]);
    expect(r.err).toMatch(/^<stdin>:4:\d+: error/m);
  });

  it("a 200-character node name keeps every table rectangular", async () => {
    // 200, not 253: the handle ipip-tunnel-addr-<node> and the BlockAffinity name <node>-<cidr> must stay within 253.
    const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(8)}`;
    expect(long).toHaveLength(200);
    const dir = tempDir("netpolc-ipam-");
    for (const f of [CLUSTER, IPAM]) writeFileSync(join(dir, basename(f)), readFileSync(f, "utf8").replaceAll("n2", long));
    const ok = await run(["ipam", "-o", "wide", dir]);
    expect([ok.code, ok.err]).toEqual([0, ""]);
    const tables = ok.out.split("\n\n").filter((t) => t.startsWith("+"));
    expect(tables).toHaveLength(3);
    for (const t of tables) {
      const lines = t.trimEnd().split("\n");
      expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    }
    expect(ok.out).toContain(`| 10.10.1.6 | ${long} |`);
  });
});

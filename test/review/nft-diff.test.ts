// The chain-by-chain and set-by-set diff of `.nft` files (src/review/nft-diff.ts)
// and its place in the output diff (output-diff.ts): added, removed, changed
// and renamed chains, base-chain declarations, set elements as +/- lines,
// Felix's hash comments ignored, and parse errors falling back to text hunks.
import { describe, expect, it } from "vitest";
import { diffNftTexts } from "../../src/review/nft-diff.js";
import { diffOutputDirs } from "../../src/review/output-diff.js";

/** A small `nft list ruleset`-style node file: kube-proxy's cluster-ips set, Felix's forward hook and a policy chain. */
function listing(o: { ips?: string; policy?: string; pi?: string[]; extra?: string; hook?: string } = {}): string {
  const pi = (o.pi ?? ['tcp dport 9080 counter accept comment "cali:AAAAAAAAAAAAAAAA; allow 9080"']).map((r) => `\t\t${r}\n`).join("");
  return `table ip kube-proxy {
\tcomment "rules for kube-proxy"
\tset cluster-ips {
\t\ttype ipv4_addr
\t\tcomment "Active ClusterIPs"
\t\telements = { ${o.ips ?? "10.96.0.1, 10.96.0.10"} }
\t}
}
table ip calico {
\tchain filter-FORWARD {
\t\ttype filter hook forward priority ${o.hook ?? "filter"}; policy ${o.policy ?? "accept"};
\t\tcounter jump ${o.extra ?? "filter-cali-pi-a"} comment "cali:BBBBBBBBBBBBBBBB;"
\t}

\tchain ${o.extra ?? "filter-cali-pi-a"} {
${pi}\t}
}
`;
}

const diff = (a: string | undefined, b: string | undefined): { changes: ReturnType<typeof diffNftTexts>; problems: string[] } => {
  const problems: string[] = [];
  return { changes: diffNftTexts(a, b, ["a/n1.nft", "b/n1.nft"], problems), problems };
};

describe("nft diff", () => {
  it("the same text, or the same rules listed in the other form, is no change", () => {
    expect(diff(listing(), listing()).changes).toEqual([]);
    // Elements in another order list the same (nft sorts them).
    expect(diff(listing(), listing({ ips: "10.96.0.10, 10.96.0.1" })).changes).toEqual([]);
  });

  it("only Felix's rule hashes changed: not reported", () => {
    const b = listing({ pi: ['tcp dport 9080 counter accept comment "cali:ZZZZZZZZZZZZZZZZ; allow 9080"'] }).replace("cali:BBBBBBBBBBBBBBBB;", "cali:CCCCCCCCCCCCCCCC;");
    expect(diff(listing(), b).changes).toEqual([]);
    const files = (t: string): { files: ReadonlyMap<string, string> } => ({ files: new Map([["n1.nft", t]]) });
    const d = diffOutputDirs(files(listing()), files(b), { oldLabel: "a", newLabel: "b" });
    expect([d.changed, d.text]).toEqual([false, ""]);
  });

  it("a changed rule: one hunk of its chain, hash prefix left out, the rest of the comment kept", () => {
    const b = listing({ pi: ['tcp dport 9080 counter accept comment "cali:QQQQQQQQQQQQQQQQ; allow 9080"', "tcp dport 9081 counter accept"] });
    const { changes } = diff(listing(), b);
    expect(changes).toEqual([
      {
        table: "ip calico", object: "chain", kind: "changed", chain: "filter-cali-pi-a", newChain: "filter-cali-pi-a",
        lines: ["@@ -1,1 +1,2 @@ ip calico filter-cali-pi-a", ' tcp dport 9080 counter accept comment "allow 9080"', "+tcp dport 9081 counter accept"],
      },
    ]);
  });

  it("set elements added and removed are +/- lines under the set's attributes", () => {
    const { changes } = diff(listing(), listing({ ips: "10.96.0.1, 10.96.0.20, 10.96.0.30" }));
    expect(changes).toHaveLength(1);
    expect(changes![0]!).toMatchObject({ table: "ip kube-proxy", object: "set", kind: "changed", chain: "cluster-ips" });
    expect(changes![0]!.lines).toEqual([
      "@@ -1,4 +1,5 @@ ip kube-proxy set cluster-ips",
      " type ipv4_addr",
      ' comment "Active ClusterIPs"',
      " 10.96.0.1",
      "-10.96.0.10",
      "+10.96.0.20",
      "+10.96.0.30",
    ]);
  });

  it("base chain declaration changes (policy, priority) are reported", () => {
    const { changes } = diff(listing(), listing({ policy: "drop", hook: "filter + 5" }));
    expect(changes!.map((c) => c.lines)).toEqual([
      [
        "@@ -1,2 +1,2 @@ ip calico filter-FORWARD",
        "-type filter hook forward priority filter; policy accept;",
        "+type filter hook forward priority filter + 5; policy drop;",
        " counter jump filter-cali-pi-a",
      ],
    ]);
  });

  it("added and removed chains, sets and whole tables; a renamed chain with the same rules is one rename", () => {
    const noKube = listing().replace(/^table ip kube-proxy \{[\s\S]*?\n\}\n/, "");
    const removed = diff(listing(), noKube).changes!;
    expect(removed.map((c) => [c.table, c.object, c.kind, c.chain])).toEqual([["ip kube-proxy", "set", "removed", "cluster-ips"]]);
    expect(removed[0]!.lines[0]).toBe("@@ -1,4 +1,0 @@ ip kube-proxy set cluster-ips");
    const added = diff(undefined, listing()).changes!;
    expect(added.map((c) => [c.table, c.object, c.kind, c.chain])).toEqual([
      ["ip kube-proxy", "set", "added", "cluster-ips"],
      ["ip calico", "chain", "added", "filter-FORWARD"],
      ["ip calico", "chain", "added", "filter-cali-pi-a"],
    ]);
    // Renamed (the caller's jump changes with it): a rename with no rule hunk, and no change to the caller.
    const renamed = diff(listing(), listing({ extra: "filter-cali-pi-b" })).changes!;
    expect(renamed).toEqual([{ table: "ip calico", object: "chain", kind: "renamed", chain: "filter-cali-pi-a", newChain: "filter-cali-pi-b", lines: [] }]);
    const files = (t: string): { files: ReadonlyMap<string, string> } => ({ files: new Map([["n1.nft", t]]) });
    const d = diffOutputDirs(files(listing()), files(listing({ extra: "filter-cali-pi-b" })), { oldLabel: "a", newLabel: "b" });
    expect(d.text).toBe("--- a/n1.nft\n+++ b/n1.nft\n@@ ip calico filter-cali-pi-a renamed to filter-cali-pi-b (same rules) @@\n");
  });

  it("a parse error: reported at file:line:col, and the file is compared as text", () => {
    const bad = listing().replace("counter jump filter-cali-pi-a", "counter jumpx filter-cali-pi-a");
    const r = diff(listing(), bad);
    expect(r.changes).toBeNull();
    expect(r.problems).toEqual([expect.stringMatching(/^b\/n1\.nft:12:11: error: /)]);
    const files = (t: string): { files: ReadonlyMap<string, string> } => ({ files: new Map([["n1.nft", t]]) });
    const d = diffOutputDirs(files(listing()), files(bad), { oldLabel: "a", newLabel: "b" });
    expect(d.problems).toEqual(r.problems);
    expect(d.files[0]!.chains).toBeNull();
    expect(d.files[0]!.lines).toContain("+\t\tcounter jumpx filter-cali-pi-a comment \"cali:BBBBBBBBBBBBBBBB;\"");
  });

  it("reads knftables' transaction form as its listing", () => {
    const tx = `add table ip kube-proxy { comment "rules for kube-proxy" ; }
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add element ip kube-proxy cluster-ips { 10.96.0.10 }
add element ip kube-proxy cluster-ips { 10.96.0.1 }
`;
    const kube = listing().replace(/table ip calico \{[\s\S]*$/, "");
    expect(diff(kube, tx).changes).toEqual([]);
  });
});

// The view commands end to end through main(): workloads (the seed's
// `calicoctl get workloadendpoint` table), matrix (formats, --html, usage
// errors), rules (`iptables -S` lines from the compile printer).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { compile, DEFAULT_COMPILE_OPTIONS } from "../src/pipeline.js";
import { writeListRules } from "../src/rules/writer.js";
import { BOOKINFO, readTree } from "./views/helpers.js";
import { SEED_WORKLOADS } from "./helpers/seed.js";
import { tempDir } from "./helpers/tmp.js";

const run = runCli;

describe("netpolc workloads", () => {
  it("reproduces the seed's calicoctl get workloadendpoint table for examples/bookinfo", async () => {
    const r = await run(["workloads", BOOKINFO]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("WORKLOAD                          NODE      NETWORKS          INTERFACE");
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual(SEED_WORKLOADS);
    // tabwriter layout: padding 3 after the widest cell of each column, last column unpadded.
    expect(lines[5]).toBe("productpage-v1-54d799c966-h96dv   ubuntu3   192.168.2.63/32   calic30c889d0d0");
  });

  it("-A adds the NAMESPACE column; -n selects a namespace (default: default, as calicoctl)", async () => {
    const all = await run(["workloads", "-A", BOOKINFO]);
    const lines = all.out.trimEnd().split("\n");
    // NAMESPACE is as wide as "kube-system" plus tabwriter's padding of 3.
    expect(lines[0]).toBe("NAMESPACE     WORKLOAD                          NODE      NETWORKS          INTERFACE");
    expect(lines[1]).toMatch(/^default {7}details-v1-68c7c8666d-x57tf/);
    // The nine of namespace default, then the two of cluster/addons.yaml, sorted by namespace and name.
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([...Array(9).fill("default"), "dev", "kube-system"]);
    expect(lines[10]).toBe("dev           sandbox                           ubuntu2   192.168.1.70/32   calif61808e99fc");
    const dns = await run(["workloads", "-n", "kube-system", BOOKINFO]);
    expect(dns.out).toBe(
      "WORKLOAD                   NODE      NETWORKS          INTERFACE\n" +
        "coredns-5dd5756b68-7xk9t   ubuntu1   192.168.0.53/32   calia976b91bfb1\n",
    );
    const none = await run(["workloads", "-n", "kube-public", BOOKINFO]);
    expect(none.out).toBe("WORKLOAD   NODE   NETWORKS   INTERFACE\n");
    expect((await run(["workloads", "-A", "-n", "x", BOOKINFO])).code).toBe(2);
  });

  it("invalid input exits 1 with diagnostics on stderr", async () => {
    const dir = tempDir("netpolc-views-");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n");
    const r = await run(["workloads", bad]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain("bad.yaml:");
  });
});

describe("netpolc matrix", () => {
  it("prints the text matrix by default, json with --format json", async () => {
    const t = await run(["matrix", BOOKINFO, "--port", "9080/TCP"]);
    expect(t.code).toBe(0);
    expect(t.out).toContain("9080/TCP: 42 allowed, 79 denied\n");
    expect(t.out).toContain(" 6 default/ratings-v1-8558d4458d-86mtm      X  X  X  X  .  .  X  X  X  .  .\n");
    const j = await run(["matrix", BOOKINFO, "--port", "http", "--port", "53/udp", "--format", "json"]);
    const doc = JSON.parse(j.out) as { tables: { port: unknown; protocol: string }[] };
    expect(doc.tables.map((x) => `${String(x.port)}/${x.protocol}`)).toEqual(["http/TCP", "53/UDP"]);
  });

  it("--namespace (-n) keeps those namespaces' pods as rows and columns; an unknown one is an input error", async () => {
    const r = await run(["matrix", BOOKINFO, "-n", "dev", "--namespace", "kube-system", "--port", "53/UDP"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ *1 dev\/sandbox/m);
    expect(r.out).toMatch(/^ *2 kube-system\/coredns/m);
    expect(r.out).not.toContain("default/");
    const bad = await run(["matrix", BOOKINFO, "-n", "nope"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toBe("");
    expect(bad.err).toBe('error[input/unknown-namespace]: namespace "nope" is not in the snapshot (known: default, dev, kube-system)\n');
  });

  it("--by namespace", async () => {
    const r = await run(["matrix", BOOKINFO, "--by", "namespace", "--port", "53/UDP"]);
    // default → default: only a pod to itself; every namespace reaches CoreDNS and the sandbox; no default pod accepts 53 from them.
    expect(r.out).toContain("53/UDP: 6 allowed, 2 denied, 1 mixed\n");
    expect(r.out).toContain("1 default      ~ . .\n2 dev          X . .\n3 kube-system  X . .\n");
  });

  it("--html writes a self-contained page and prints nothing else", async () => {
    const dir = tempDir("netpolc-views-");
    const file = join(dir, "m.html");
    const r = await run(["matrix", BOOKINFO, "--html", file]);
    expect([r.code, r.out, r.err]).toEqual([0, "", ""]);
    const html = readFileSync(file, "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=|@import|url\(/);
    expect(html.match(/<button type="button" data-tab=/g)).toHaveLength(6);
    expect(existsSync(join(dir, ".m.html.netpolc-tmp"))).toBe(false);
    const nowhere = await run(["matrix", BOOKINFO, "--html", join(dir, "missing", "m.html")]);
    expect([nowhere.code, nowhere.out]).toEqual([2, ""]);
    expect(nowhere.err).toContain("cannot write");
    const both = await run(["matrix", BOOKINFO, "--html", file, "--format", "text", "--port", "80"]);
    expect(both.out).toContain("80/TCP:");
  });

  it("--against marks changed flows", async () => {
    const r = await run(["matrix", join(BOOKINFO, "cluster"), "--against", BOOKINFO, "--port", "9080"]);
    expect(r.code).toBe(0);
    // Without the policies every flow is allowed: the 79 denied cells of bookinfo changed.
    expect(r.out).toContain("9080/TCP: 121 allowed, 0 denied, 79 changed\n");
    expect(r.out).toContain(".* ");
  });

  it("bad --port values and missing inputs are usage errors", async () => {
    for (const argv of [["matrix", BOOKINFO, "--port", "0"], ["matrix", BOOKINFO, "--port", "80/ICMP"], ["matrix", BOOKINFO, "--port", "Http"], ["matrix"], ["matrix", BOOKINFO, "--format", "svg"]]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err).toMatch(/^netpolc: /);
    }
  });
});

describe("netpolc rules", () => {
  it("lists the node's filter table as iptables -S does, from the compile printer", async () => {
    const r = await run(["rules", BOOKINFO, "--node", "ubuntu1"]);
    expect(r.code).toBe(0);
    const res = compile(readTree(BOOKINFO), { ...DEFAULT_COMPILE_OPTIONS, nodes: ["ubuntu1"] });
    const filter = res.outputs[0]!.ruleset.tables.find((t) => t.name === "filter")!;
    expect(r.out).toBe(writeListRules(filter));
    expect(r.out.split("\n").slice(0, 3)).toEqual(["-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"]);
  });

  it("--chain keeps one chain, --table picks the table", async () => {
    const r = await run(["rules", BOOKINFO, "--node", "ubuntu1", "--chain", "cali-tw-cali6d8add8d729"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("-N cali-tw-cali6d8add8d729");
    expect(lines.slice(1).every((l) => l.startsWith("-A cali-tw-cali6d8add8d729 "))).toBe(true);
    const fwd = await run(["rules", BOOKINFO, "--node", "ubuntu1", "--chain", "FORWARD"]);
    expect(fwd.out.split("\n")[0]).toBe("-P FORWARD ACCEPT");
    const nat = await run(["rules", BOOKINFO, "--node", "ubuntu1", "-t", "nat"]);
    expect(nat.out).toContain("-P POSTROUTING ACCEPT\n");
    expect(nat.out).toContain("-A cali-POSTROUTING ");
  });

  it("an unknown chain is iptables' error (exit 1); a missing --node is a usage error", async () => {
    const r = await run(["rules", BOOKINFO, "--node", "ubuntu1", "--chain", "NOPE"]);
    expect([r.code, r.out]).toEqual([1, ""]);
    expect(r.err).toContain("No chain/target/match by that name");
    expect((await run(["rules", BOOKINFO])).code).toBe(2);
    const unknown = await run(["rules", BOOKINFO, "--node", "nowhere"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('node "nowhere" is not in the snapshot');
  });
});

describe("usage", () => {
  it("--help lists the view commands; each command's --help its options", async () => {
    const r = await run(["--help"]);
    for (const s of ["  matrix ", "  workloads ", "  rules "]) expect(r.out).toContain(s);
    expect((await run(["matrix", "--help"])).out).toContain("--against PATH");
    expect((await run(["workloads", "--help"])).out).toContain("--all-namespaces");
    expect((await run(["rules", "--help"])).out).toContain("--chain CHAIN");
  });
});

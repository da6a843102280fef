// The whole-node files (Calico + kube-proxy) and the kube-proxy --as-saved
// files load into a kernel and iptables-nft-save prints them back
// identically, table by table (the kernel's table order is an environment
// fact). Root, iptables-nft, ipset and iproute2 only; everything runs inside
// a PRIVATE network namespace created and deleted here, never the host's.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { caseArgs, caseFiles, emitCase, GOLDEN } from "./helpers.js";
import { gatherInputs } from "../../../src/cli/inputs.js";

const TOOLS = ["/usr/sbin/iptables-nft-save", "/usr/sbin/iptables-nft-restore", "/usr/sbin/ipset", "/usr/sbin/ip"];
const canRun = process.getuid?.() === 0 && TOOLS.every((t) => existsSync(t));
if (!canRun) console.warn("kube-proxy kernel round trip SKIPPED: needs root, iptables-nft, ipset and iproute2");

function sh(args: readonly string[], input = ""): string {
  const r = spawnSync(args[0]!, args.slice(1), { input, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `*table` … `COMMIT` blocks by table name, `#` comment lines dropped. */
function tables(text: string): Map<string, string> {
  const clean = text.split("\n").filter((l) => !l.startsWith("#")).join("\n");
  return new Map([...clean.matchAll(/^\*(\w+)\n[\s\S]*?^COMMIT\n/gm)].map((m) => [m[1]!, m[0]]));
}

/** Restore `iptables` (after `ipsets`) in a fresh namespace and return what iptables-nft-save prints. */
function roundTrip(iptables: string, ipsets: string): string {
  const ns = `np-kp-${process.pid}`;
  sh(["ip", "netns", "add", ns]);
  try {
    if (ipsets) sh(["ip", "netns", "exec", ns, "ipset", "restore"], ipsets);
    sh(["ip", "netns", "exec", ns, "iptables-nft-restore"], iptables);
    return sh(["ip", "netns", "exec", ns, "iptables-nft-save"]);
  } finally {
    spawnSync("ip", ["netns", "del", ns]);
  }
}

function expectFixedPoint(iptables: string, ipsets = ""): void {
  const back = tables(roundTrip(iptables, ipsets));
  for (const [name, block] of tables(iptables)) expect(back.get(name), name).toBe(block);
}

const BOOKINFO = join(GOLDEN, "bookinfo-example", "expected");

describe.skipIf(!canRun)("kernel: iptables-nft-save prints the node files back identically", () => {
  for (const node of ["ubuntu1", "ubuntu2", "ubuntu3"]) {
    it(`bookinfo ${node}: Calico + kube-proxy, jumps in node order`, () => {
      expectFixedPoint(readFileSync(join(BOOKINFO, `${node}.iptables`), "utf8"), readFileSync(join(BOOKINFO, `${node}.ipsets`), "utf8"));
    });
  }

  for (const name of ["kp-f14-saved-affinity-loadbalancer", "kp-f4-saved-random-fully"]) {
    it(`${name} (--as-saved)`, () => expectFixedPoint(emitCase(caseFiles(name), caseArgs(name))));
  }

  it("bookinfo with the kube-proxy 1.13 profile (--as-saved)", () => {
    const files = gatherInputs([join(import.meta.dirname, "..", "..", "..", "examples", "bookinfo")], () => "");
    expectFixedPoint(emitCase(files, ["--backend", "kube-proxy", "--kube-proxy-version", "1.13", "--as-saved", "--node", "ubuntu1"]));
  });
});

// The devices each netfilter hook sees, simulator against kernel. One nft
// table of base chains, one per hook and device (`iifname` / `oifname` of the
// interface the packet crossed, counted), is loaded into a router namespace
// between two others; a UDP packet forwarded through it, and one its host
// sends, are counted by the kernel. The simulator walks the same ruleset
// (parsed and lowered as verify reads a `.nft` file) along the forward and
// output paths with the same devices: the rules it passes must be the ones the
// kernel counted. Namespaces are np<pid>h-*, deleted in finally. A loud skip
// without root, nft or namespaces, unless NETPOLC_KERNEL_TESTS=required.
import { afterAll, describe, expect, it } from "vitest";
import { parseNft } from "../../src/rules/nft/parse.js";
import { lowerNft } from "../../src/rules/nft/lower.js";
import { createSimulator } from "../../src/simulate/index.js";
import type { HookPath, HostContext, Packet } from "../../src/simulate/types.js";
import { NsGuard, hasTool, missingPrerequisites } from "./sys.js";

const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = [...missingPrerequisites(), ...(hasTool("nft", ["--version"]) ? [] : ["nft"])];
const skip = missing.length > 0 && !required;
if (skip) {
  console.warn(`\n!!!!!!!! KERNEL HOOK-DEVICE TESTS SKIPPED: missing ${missing.join(", ")}.\n!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`);
}

const guard = new NsGuard(`np${process.pid}h-`);

// The router's devices: `ra` towards the sender, `rb` towards the receiver.
const HOOKS = ["prerouting", "input", "forward", "output", "postrouting"] as const;
const PROBES = HOOKS.flatMap((hook) => (["iifname", "oifname"] as const).flatMap((field) => (["ra", "rb"] as const).map((dev) => ({ hook, field, dev }))));
/** Probe i sets mark bit i in the simulator; the kernel counts it. */
const chainName = (hook: string): string => `c_${hook}`;
const TABLE = [
  "table ip probe {",
  ...HOOKS.map((hook) => {
    const rules = PROBES.map((p, i) => ({ p, i })).filter(({ p }) => p.hook === hook);
    // Only the probe's own packets (UDP to port 9): b's ICMP port-unreachable answers cross the router too.
    const lines = rules.map(({ p, i }) => `    ${p.field} "${p.dev}" udp dport 9 counter meta mark set mark or 0x${(1 << i).toString(16)}`);
    return [`  chain ${chainName(hook)} {`, `    type filter hook ${hook} priority 0; policy accept;`, ...lines, "  }"].join("\n");
  }),
  "}",
  "",
].join("\n");

/** Probe indices the kernel counted a packet on, from `nft list table` (rules in PROBES order within each chain). */
function counted(listing: string): number[] {
  const out: number[] = [];
  for (const [i, p] of PROBES.entries()) {
    const chain = listing.split(`chain ${chainName(p.hook)} {`)[1]?.split("}")[0] ?? "";
    const line = chain.split("\n").find((l) => l.includes(`${p.field} "${p.dev}"`)) ?? "";
    const n = Number(/counter packets (\d+)/.exec(line)?.[1] ?? "NaN");
    if (Number.isNaN(n)) throw new Error(`no counter for ${p.hook} ${p.field} ${p.dev} in:\n${listing}`);
    if (n > 0) out.push(i);
  }
  return out;
}

/** The probe of postrouting `oifname "rb"`: the last rule every probe packet of this test passes. */
const LAST = PROBES.findIndex((p) => p.hook === "postrouting" && p.field === "oifname" && p.dev === "rb");

/** The router's counts once the packets have left it (they may wait for ARP): polled, ~2 s at most. */
async function countedWhenThrough(list: () => Promise<string>): Promise<number[]> {
  for (let i = 0; ; i++) {
    const got = counted(await list());
    if (got.includes(LAST) || i >= 40) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Probe indices the simulator passes for one packet along `path`. */
function simulated(path: HookPath, packet: Packet, host: HostContext): number[] {
  const parsed = parseNft(TABLE, { file: "probe.nft" });
  expect(parsed.diagnostics).toEqual([]);
  const { ruleset } = lowerNft(parsed.ruleset, "ip");
  const out = createSimulator().simulatePath(ruleset, path, packet, host);
  expect(out.map((o) => o.verdict)).toEqual(["ACCEPT"]);
  const mark = out[0]!.packet.mark;
  return PROBES.map((_, i) => i).filter((i) => (mark & (1 << i)) !== 0);
}

const udp = (src: string, dst: string): Packet => ({ src, dst, protocol: "udp", srcPort: 40000, dstPort: 9, ctstate: "NEW", mark: 0, dnat: false, snat: false });
const HOST: HostContext = { localAddresses: new Set(["10.91.1.1", "10.91.2.1"]), ipsets: new Map(), rpfilterOk: () => true, recent: () => false };

describe.skipIf(skip)("kernel: the devices each hook sees", () => {
  afterAll(() => guard.deleteAll());

  it("a forwarded packet and one the host sends: the simulator passes the probes the kernel counts", async () => {
    const [a, r, b] = [`${guard.prefix}a`, `${guard.prefix}r`, `${guard.prefix}b`];
    try {
      for (const ns of [a, r, b]) await guard.add(ns);
      // veth pairs are made inside the namespaces (never in this machine's own), then one end moved.
      await guard.ip(r, ["link", "add", "ra", "type", "veth", "peer", "name", "va", "netns", a]);
      await guard.ip(r, ["link", "add", "rb", "type", "veth", "peer", "name", "vb", "netns", b]);
      await guard.ipBatch(a, ["addr add 10.91.1.2/24 dev va", "link set va up", "link set lo up", "route add default via 10.91.1.1"]);
      await guard.ipBatch(b, ["addr add 10.91.2.2/24 dev vb", "link set vb up", "link set lo up", "route add default via 10.91.2.1"]);
      await guard.ipBatch(r, ["addr add 10.91.1.1/24 dev ra", "addr add 10.91.2.1/24 dev rb", "link set ra up", "link set rb up", "link set lo up"]);
      await guard.sysctls(r, { "net.ipv4.ip_forward": "1" });
      await guard.inNs(r, "nft", ["-f", "-"], TABLE);

      // Forwarded: a → r → b, in on ra, out on rb.
      await guard.inNs(a, "bash", ["-c", "for i in 1 2 3; do echo hi > /dev/udp/10.91.2.2/9; done"]);
      const listing = (): Promise<string> => guard.inNs(r, "nft", ["list", "table", "ip", "probe"]);
      const forwarded = await countedWhenThrough(listing);
      expect(forwarded).toEqual(simulated({ kind: "forward", inIface: "ra", outIface: "rb" }, udp("10.91.1.2", "10.91.2.2"), HOST));
      // The kernel's own view, spelled out: prerouting has no output device, postrouting still the input one.
      const names = forwarded.map((i) => `${PROBES[i]!.hook} ${PROBES[i]!.field} ${PROBES[i]!.dev}`);
      expect(names).toEqual(["prerouting iifname ra", "forward iifname ra", "forward oifname rb", "postrouting iifname ra", "postrouting oifname rb"]);

      // Sent by the router's host towards b: out on rb, no input device anywhere.
      // Fresh counters: the table loaded again (nft 1.0.6 resets named counters only).
      await guard.inNs(r, "nft", ["delete", "table", "ip", "probe"]);
      await guard.inNs(r, "nft", ["-f", "-"], TABLE);
      await guard.inNs(r, "bash", ["-c", "for i in 1 2 3; do echo hi > /dev/udp/10.91.2.2/9; done"]);
      const sent = await countedWhenThrough(listing);
      expect(sent).toEqual(simulated({ kind: "output", outIface: "rb" }, udp("10.91.2.1", "10.91.2.2"), HOST));
      expect(sent.map((i) => `${PROBES[i]!.hook} ${PROBES[i]!.field} ${PROBES[i]!.dev}`)).toEqual(["output oifname rb", "postrouting oifname rb"]);
    } finally {
      for (const ns of [a, r, b]) guard.delete(ns);
    }
  });
});

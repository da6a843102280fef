// One small kernel cross-check of the simulator: a ruleset with marks, sets,
// multiport, addrtype, goto/RETURN and a DROP policy is loaded with
// iptables-nft-restore into namespace B; namespace A sends UDP probes to B
// over a veth pair; what B's socket receives is compared with simulatePath
// on the input path. Everything happens in two private namespaces
// (np-sim-<pid>-a/b), created here and deleted in afterAll; nothing touches
// the host namespace. Skips loudly without root, iproute2, iptables-nft or
// ipset, unless NETPOLC_KERNEL_TESTS=required.
import { spawn, spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { createSimulator } from "../../src/simulate/index.js";
import { writeIpSets } from "../../src/rules/ipset.js";
import type { IpSet } from "../../src/rules/ipset.js";
import type { HostContext } from "../../src/simulate/types.js";
import { hashNet, pkt, rules } from "./simulate-helpers.js";

const NS_A = `np-sim-${process.pid}-a`;
const NS_B = `np-sim-${process.pid}-b`;
const SRCS = ["10.231.0.1", "10.231.0.3", "10.231.0.4"];
const DSTS = ["10.231.0.2", "10.231.0.20"];
const PORTS = [7001, 7002, 7003, 7004, 7005];

const RULES = `*mangle
:PREROUTING ACCEPT [0:0]
:MARKS - [0:0]
-A PREROUTING -i vb -j MARKS
-A MARKS -p udp -m multiport --dports 7001:7003,7005 -j MARK --set-xmark 0x100/0x300
-A MARKS -p udp -m udp --dport 7002 -j MARK --or-mark 0x200
-A MARKS -m set --match-set npsim-nets src -j MARK --xor-mark 0x1
COMMIT
*filter
:INPUT DROP [0:0]
:CHECK - [0:0]
:ALLOWED - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp -j CHECK
-A CHECK -m mark --mark 0x300/0x300 -j DROP
-A CHECK -m set --match-set npsim-svc dst,dst -j ACCEPT
-A CHECK -m mark --mark 0x1/0x1 -g ALLOWED
-A CHECK -p udp -m udp --dport 7001 -m addrtype --dst-type LOCAL -d 10.231.0.20 -j ACCEPT
-A ALLOWED -p udp -m udp --dport 7003 -j RETURN
-A ALLOWED -m mark ! --mark 0x100/0x100 -j RETURN
-A ALLOWED -j ACCEPT
COMMIT
`;

const SETS: IpSet[] = [
  hashNet("npsim-nets", ["10.231.0.0/24", ["10.231.0.4", "nomatch"]]),
  { ...hashNet("npsim-svc", ["10.231.0.20,udp:7004"], "hash:ip,port"), options: ["family", "inet", "hashsize", "1024", "maxelem", "65536"] },
];

function sh(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function missing(): string[] {
  if (process.platform !== "linux") return ["Linux"];
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push("root");
  for (const [tool, arg] of [["ip", "-V"], ["iptables-nft-restore", "--version"], ["ipset", "version"]] as const) {
    const r = spawnSync(tool, [arg], { encoding: "utf8" });
    if (r.error || r.status !== 0) out.push(tool);
  }
  return out;
}

const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const lacking = missing();
if (lacking.length && !required) console.warn(`\n!!!!!!!! SIMULATOR KERNEL CHECK SKIPPED: missing ${lacking.join(", ")}\n`);

function setUp(): void {
  sh(["ip", "netns", "add", NS_A]);
  sh(["ip", "netns", "add", NS_B]);
  sh(["ip", "-n", NS_A, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", NS_B]);
  sh(["ip", "-n", NS_A, "-batch", "-"], ["link set lo up", "link set va up", ...SRCS.map((a) => `address add ${a}/24 dev va`)].join("\n") + "\n");
  sh(["ip", "-n", NS_B, "-batch", "-"], ["link set lo up", "link set vb up", ...DSTS.map((a) => `address add ${a}/24 dev vb`)].join("\n") + "\n");
  sh(["ip", "netns", "exec", NS_B, "ipset", "restore"], writeIpSets(SETS));
  sh(["ip", "netns", "exec", NS_B, "iptables-nft-restore"], RULES);
}

/** B listens on every probe port and prints each datagram's payload; resolves once listening. */
function receiver(): Promise<{ stop: () => Promise<string[]> }> {
  const code = `const d=require("dgram");let n=0;for(const p of ${JSON.stringify(PORTS)}){const s=d.createSocket("udp4");s.on("message",(m)=>console.log(String(m)));s.bind(p,"0.0.0.0",()=>{if(++n===${PORTS.length})console.log("ready")});}`;
  const child = spawn("ip", ["netns", "exec", NS_B, process.execPath, "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("ready\n")) {
        resolve({
          stop: () =>
            new Promise((done) => {
              child.on("close", () => done(out.split("\n").filter((l) => l.startsWith("probe "))));
              child.kill("SIGTERM");
            }),
        });
      }
    });
  });
}

/** A sends one datagram per probe from the given source address; payload "probe <src> <dst> <port>". */
function send(probes: ReadonlyArray<[string, string, number]>): void {
  const code = `const d=require("dgram");const ps=${JSON.stringify(probes)};let left=ps.length;for(const [s,t,p] of ps){const k=d.createSocket("udp4");k.bind(0,s,()=>k.send("probe "+s+" "+t+" "+p,p,t,()=>{k.close();if(--left===0)process.exit(0)}));}`;
  sh(["ip", "netns", "exec", NS_A, process.execPath, "-e", code]);
}

describe.skipIf(lacking.length > 0 && !required)("simulator vs kernel (iptables-nft, private namespaces)", () => {
  afterAll(() => {
    for (const ns of [NS_A, NS_B]) spawnSync("ip", ["netns", "del", ns]);
  });

  it("accept/drop of every probe matches the simulator's input-path verdict", async () => {
    if (lacking.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${lacking.join(", ")}`);
    setUp();
    const rs = rules(RULES);
    const host: HostContext = { localAddresses: new Set(DSTS), ipsets: new Map(SETS.map((s) => [s.name, s])), rpfilterOk: () => true };
    const probes: Array<[string, string, number]> = SRCS.flatMap((s) => DSTS.flatMap((t) => PORTS.map((p): [string, string, number] => [s, t, p])));
    const { simulatePath } = createSimulator();
    const rx = await receiver();
    send(probes);
    await new Promise((r) => setTimeout(r, 300));
    const received = new Set(await rx.stop());
    const rows = probes.map(([s, t, p]) => {
      const out = simulatePath(rs, { kind: "input", inIface: "vb" }, pkt({ src: s, dst: t, protocol: "udp", srcPort: 50000, dstPort: p }), host);
      expect(out).toHaveLength(1);
      return `${s} → ${t}:${p} sim=${out[0]!.verdict} kernel=${received.has(`probe ${s} ${t} ${p}`) ? "ACCEPT" : "DROP"}`;
    });
    if (process.env["SIM_SHOW"]) console.log(rows.join("\n"));
    const mismatches = rows.filter((r) => !/sim=(\w+) kernel=\1$/.test(r));
    expect(mismatches).toEqual([]);
    // The ruleset is only a useful check if both verdicts occur.
    expect(rows.some((r) => r.includes("kernel=ACCEPT")) && rows.some((r) => r.includes("kernel=DROP"))).toBe(true);
  });
});

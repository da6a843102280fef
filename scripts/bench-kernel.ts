// How long the kernel takes to accept one node's rules: `iptables-restore
// --test` (and a real load) of the node's .iptables, after `ipset restore` of
// its .ipsets, inside a PRIVATE network namespace created for this and
// deleted in `finally`. The host's own namespace is never touched. Needs
// root, iproute2, ipset and iptables; otherwise returns why it was skipped.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export type KernelResult =
  | { readonly kind: "measured"; readonly testMs: number; readonly loadMs: number; readonly execMs: number; readonly iptables: string }
  | { readonly kind: "skipped"; readonly why: string };

const REPS = 3;

function available(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return !r.error && r.status === 0;
}

function run(ns: string, argv: readonly string[], input = ""): number {
  const t0 = performance.now();
  const r = spawnSync("ip", ["netns", "exec", ns, ...argv], { input, maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.error || r.status !== 0) throw new Error(`${argv.join(" ")} in ${ns} failed (${r.status}): ${r.stderr?.toString() ?? r.error}`);
  return ms;
}

/** Best of REPS: the machine may be shared, and each run is idempotent. */
function best(f: () => number): number {
  return Math.min(...Array.from({ length: REPS }, f));
}

export function kernelLoad(iptablesFile: string, ipsetsFile: string): KernelResult {
  if (process.getuid?.() !== 0) return { kind: "skipped", why: "not root (a private network namespace needs CAP_SYS_ADMIN)" };
  for (const [cmd, args] of [["ip", ["-V"]], ["ipset", ["version"]], ["iptables-restore", ["--version"]]] as const) {
    if (!available(cmd, args)) return { kind: "skipped", why: `${cmd} is not available` };
  }
  const version = spawnSync("iptables-restore", ["--version"]).stdout.toString().trim();
  const ns = `np-bench-${process.pid}`;
  const add = spawnSync("ip", ["netns", "add", ns], { encoding: "utf8" });
  if (add.status !== 0) return { kind: "skipped", why: `ip netns add failed: ${add.stderr.trim()}` };
  try {
    const rules = readFileSync(iptablesFile, "utf8");
    run(ns, ["ipset", "restore"], readFileSync(ipsetsFile, "utf8"));
    // `ip netns exec` itself (setns + exec) is part of every figure; measured alone to be subtracted by the reader.
    const execMs = best(() => run(ns, ["true"]));
    const testMs = best(() => run(ns, ["iptables-restore", "--test"], rules));
    const loadMs = best(() => run(ns, ["iptables-restore"], rules));
    return { kind: "measured", testMs, loadMs, execMs, iptables: version };
  } finally {
    // Flush rules before the sets they reference can be destroyed with the namespace.
    spawnSync("ip", ["netns", "exec", ns, "iptables-restore"], { input: "*filter\nCOMMIT\n*raw\nCOMMIT\n*mangle\nCOMMIT\n*nat\nCOMMIT\n" });
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  }
}

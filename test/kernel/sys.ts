// Process helpers for the kernel harness. Every state-changing command goes
// through `inNs`, `ip`, `ipBatch` or `bridgeBatch`, which refuse any namespace outside this run's
// prefix, so nothing can ever be applied to the machine's own namespace.
import { spawn, spawnSync } from "node:child_process";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command, optionally feeding stdin; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + String(e) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** Like `run`, but a non-zero exit is a harness failure. */
export async function must(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) {
    const shown = input && input.length < 4000 ? `\n--- input ---\n${input}` : "";
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}${shown}`);
  }
  return r.stdout;
}

/** The run's namespace guard: every namespace this harness touches starts with `prefix`. */
export class NsGuard {
  constructor(readonly prefix: string) {
    // A prefix like "np1234-" keeps our namespaces recognisable and lets cleanup
    // delete only ours; an empty or odd prefix would make that unsafe.
    if (!/^np[a-z0-9]+-$/.test(prefix)) throw new Error(`unsafe namespace prefix ${JSON.stringify(prefix)}`);
  }

  check(ns: string): string {
    if (!ns.startsWith(this.prefix) || ns.length > this.prefix.length + 24) {
      throw new Error(`refusing to touch namespace ${JSON.stringify(ns)} (run prefix ${this.prefix})`);
    }
    return ns;
  }

  add(ns: string): Promise<string> {
    return must("ip", ["netns", "add", this.check(ns)]);
  }

  /** Command run inside one of our namespaces (`ip netns exec`). */
  inNs(ns: string, cmd: string, args: readonly string[], input?: string): Promise<string> {
    return must("ip", ["netns", "exec", this.check(ns), cmd, ...args], input);
  }

  /** Same, but the caller inspects the result. */
  tryInNs(ns: string, cmd: string, args: readonly string[], input?: string): Promise<RunResult> {
    return run("ip", ["netns", "exec", this.check(ns), cmd, ...args], input);
  }

  /** `ip -n <ns> -batch -`: many ip commands, one process, all scoped to `ns`. */
  ipBatch(ns: string, lines: readonly string[]): Promise<string> {
    return must("ip", ["-n", this.check(ns), "-batch", "-"], lines.join("\n") + "\n");
  }

  /** `ip -n <ns> <args…>`: one ip command scoped to `ns`. */
  ip(ns: string, args: readonly string[]): Promise<string> {
    return must("ip", ["-n", this.check(ns), ...args]);
  }

  /** Same, but the caller inspects the result (`ip -batch` input rejected by the kernel is a finding, not a harness error). */
  tryIp(ns: string, args: readonly string[], input?: string): Promise<RunResult> {
    return run("ip", ["-n", this.check(ns), ...args], input);
  }

  /** `bridge -n <ns> -batch -`: FDB entries (and any other bridge commands), all scoped to `ns`. */
  bridgeBatch(ns: string, lines: readonly string[]): Promise<string> {
    return must("bridge", ["-n", this.check(ns), "-batch", "-"], lines.join("\n") + "\n");
  }

  /** Same, but the caller inspects the result. */
  tryBridgeBatch(ns: string, lines: readonly string[]): Promise<RunResult> {
    return run("bridge", ["-n", this.check(ns), "-batch", "-"], lines.join("\n") + "\n");
  }

  /** Write sysctls of namespace `ns` (one shell, paths under its own /proc/sys/net). */
  sysctls(ns: string, values: Readonly<Record<string, string>>): Promise<string> {
    const script = Object.entries(values)
      .map(([k, v]) => `echo ${v} > /proc/sys/${k.replace(/\./g, "/")}`)
      .join(" && ");
    return this.inNs(ns, "sh", ["-ec", script]);
  }

  /** Our namespaces that exist now (leftovers included). */
  list(): string[] {
    const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
    return (r.stdout ?? "")
      .split("\n")
      .map((l) => l.split(" ")[0] ?? "")
      .filter((n) => n.startsWith(this.prefix));
  }

  /** Delete one of our namespaces (synchronous, never throws). */
  delete(ns: string): void {
    spawnSync("ip", ["netns", "del", this.check(ns)]);
  }

  /** Delete every namespace with our prefix; synchronous so it also works from exit handlers. */
  deleteAll(): void {
    for (const ns of this.list()) this.delete(ns);
  }
}

/** Tools and privileges the kernel tests need; returns what is missing (empty = ready). */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.platform !== "linux") return [`Linux (this is ${process.platform})`];
  if (typeof process.getuid === "function" && process.getuid() !== 0) missing.push("root (uid 0)");
  for (const [tool, args] of [
    ["ip", ["-V"]],
    ["iptables-restore", ["--version"]],
    ["iptables-save", ["--version"]],
    ["ipset", ["version"]],
    ["bridge", ["-V"]],
  ] as const) {
    const r = spawnSync(tool, [...args], { encoding: "utf8" });
    if (r.error || r.status !== 0) missing.push(tool);
  }
  if (missing.length) return missing;
  // Creating a namespace is the real test (containers without CAP_SYS_ADMIN fail here).
  const probe = `npprobe${process.pid}-0`;
  const r = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (r.status !== 0) missing.push(`ability to create network namespaces (${(r.stderr ?? "").trim()})`);
  else spawnSync("ip", ["netns", "del", probe]);
  return missing;
}

/** Whether a tool exists (optional helpers such as `conntrack`, `iptables-legacy-restore`). */
export function hasTool(tool: string, args: readonly string[] = ["--version"]): boolean {
  const r = spawnSync(tool, [...args], { encoding: "utf8" });
  return !r.error && r.status === 0;
}

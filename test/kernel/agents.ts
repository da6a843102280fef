// One long-lived agent process per pod namespace (scripts/netns/agent.mjs):
// it serves TCP+UDP on 80 and 81 and runs that pod's probes on request, so a
// scenario costs no process start-ups.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { NsGuard } from "./sys.js";

export const AGENT_PATH = fileURLToPath(new URL("../../scripts/netns/agent.mjs", import.meta.url));
export const SERVED_PORTS = [80, 81] as const;

export interface ProbeRequest {
  readonly ip: string;
  readonly port: number;
  readonly proto: "tcp" | "udp";
  readonly sport: number;
  /** Source address to bind (default: the pod's own). */
  readonly sip?: string;
}

interface Pending {
  resolve: (results: boolean[]) => void;
  reject: (e: Error) => void;
}

const READY_TIMEOUT_MS = 15_000;

class Agent {
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private stderr = "";
  private isReady = false;

  constructor(readonly ns: string, private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on("data", (d: Buffer) => this.onData(d.toString()));
    child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    child.stdin.on("error", () => {});
    child.on("exit", (code) => this.failAll(new Error(`agent in ${ns} exited (${code}): ${this.stderr.trim()}`)));
  }

  ready(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent in ${this.ns} not ready: ${this.stderr}`)), READY_TIMEOUT_MS);
      this.readyWaiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  probe(probes: readonly ProbeRequest[], timeoutMs: number): Promise<boolean[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify({ id, timeoutMs, probes }) + "\n");
    });
  }

  stop(): void {
    this.child.stdin.end();
    // Backstop: the agent exits on stdin EOF; kill only this child by its pid.
    const t = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    t.unref();
    this.child.once("exit", () => clearTimeout(t));
  }

  get exited(): Promise<void> {
    return this.child.exitCode !== null ? Promise.resolve() : new Promise((r) => this.child.once("exit", () => r()));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const msg = JSON.parse(line) as { ready?: boolean; id?: number; results?: boolean[] };
      if (msg.ready) {
        this.isReady = true;
        this.readyWaiter?.resolve();
      }
      if (msg.id !== undefined && msg.results) {
        this.pending.get(msg.id)?.resolve(msg.results);
        this.pending.delete(msg.id);
      }
    }
  }

  private failAll(e: Error): void {
    this.readyWaiter?.reject(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** What the agents serve: the ports (default SERVED_PORTS), and with `ipv6` every port on [::] as well. */
export interface AgentOptions {
  readonly ports?: readonly number[];
  readonly ipv6?: boolean;
}

/** Agents keyed by pod key ("ns/pod"). */
export class AgentPool {
  private readonly agents = new Map<string, Agent>();

  async start(g: NsGuard, pods: ReadonlyMap<string, string>, opts: AgentOptions = {}): Promise<void> {
    const args = [AGENT_PATH, "--ports", (opts.ports ?? SERVED_PORTS).join(","), ...(opts.ipv6 ? ["--ipv6"] : [])];
    for (const [key, ns] of pods) {
      const child = spawn("ip", ["netns", "exec", g.check(ns), process.execPath, ...args], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      this.agents.set(key, new Agent(ns, child));
    }
    await Promise.all([...this.agents.values()].map((a) => a.ready()));
  }

  probe(key: string, probes: readonly ProbeRequest[], timeoutMs: number): Promise<boolean[]> {
    const a = this.agents.get(key);
    if (!a) throw new Error(`no agent for ${key}`);
    return a.probe(probes, timeoutMs);
  }

  async stop(): Promise<void> {
    const all = [...this.agents.values()];
    for (const a of all) a.stop();
    await Promise.all(all.map((a) => a.exited));
    this.agents.clear();
  }
}

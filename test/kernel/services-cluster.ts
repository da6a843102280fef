// The kernel Service tests' inputs: the harness's cluster.yaml plus Services
// and EndpointSlices over its pods (generated from the topology, so addresses
// and nodes always agree), compiled with both backends as `netpolc compile`
// does by default; and the identity agents (scripts/netns/agent-id.mjs).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { compile, DEFAULT_COMPILE_OPTIONS, emitText, type Dataplane } from "../../src/pipeline.js";
import type { NodeRules } from "./dataplane.js";
import type { PodSpec, TopologySpec } from "./snapshot.js";
import type { NsGuard } from "./sys.js";

export const AGENT_ID_PATH = fileURLToPath(new URL("../../scripts/netns/agent-id.mjs", import.meta.url));
/** The port the identity agents serve (agent.mjs keeps 80/81). */
export const ID_PORT = 8080;
export const WEB_IP = "10.96.0.10";
export const EMPTY_IP = "10.96.0.11";
export const NP_IP = "10.96.0.12";
export const NODE_PORT = 30080;

const slice = (svc: string, eps: readonly PodSpec[]): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${svc}-k, namespace: x, labels: {kubernetes.io/service-name: ${svc}}}
addressType: IPv4
endpoints:${eps.length ? "" : " []"}
${eps.map((p) => `- {addresses: [${p.ip}], conditions: {ready: true}, nodeName: ${p.node}, targetRef: {kind: Pod, name: ${p.name}, namespace: ${p.namespace}}}`).join("\n")}
ports: [{name: id, port: ${ID_PORT}, protocol: TCP}]
`;

const service = (name: string, ip: string, extra: string): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: x}
spec:
  clusterIP: ${ip}
  ${extra}
`;

export interface ServiceSetup {
  /** The two backends of x/web, on different nodes. */
  readonly web: readonly [PodSpec, PodSpec];
  /** x/np's only backend, and a node that is not its node (the NodePort entry). */
  readonly npBackend: PodSpec;
  readonly entryNode: string;
  readonly yaml: string;
}

export function serviceSetup(spec: TopologySpec): ServiceSetup {
  const xs = spec.pods.filter((p) => p.namespace === "x");
  const a = xs[0];
  const b = xs.find((p) => a && p.node !== a.node);
  if (!a || !b) throw new Error("cluster.yaml needs two x pods on different nodes");
  const entry = spec.nodes.find((n) => n.name !== b.node);
  if (!entry) throw new Error("cluster.yaml needs two nodes");
  const port = (np: string): string => `ports: [{name: id, port: 80, protocol: TCP, targetPort: ${ID_PORT}${np}}]`;
  const yaml = [
    "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 192.168.0.0/16\n",
    service("web", WEB_IP, port("")), slice("web", [a, b]),
    service("empty", EMPTY_IP, port("")), slice("empty", []),
    service("np", NP_IP, `type: NodePort\n  ${port(`, nodePort: ${NODE_PORT}`)}`), slice("np", [b]),
  ].join("---\n");
  return { web: [a, b], npBackend: b, entryNode: entry.name, yaml };
}

/** cluster.yaml + services (+ policies) → every node's whole `.iptables` (Felix + kube-proxy) and `.ipsets`. */
export function compileWithServices(cluster: { path: string; text: string }, services: string, policies = "", dataplane: Dataplane = "iptables"): Map<string, NodeRules> {
  const files = [cluster, { path: "services.yaml", text: services }];
  if (policies) files.push({ path: "policies.yaml", text: policies });
  const opts = { ...DEFAULT_COMPILE_OPTIONS, dataplane: { calico: dataplane, kubeProxy: dataplane } };
  const res = compile(files, opts);
  if (!res.model || res.diag.hasErrors()) throw new Error(`services do not compile: ${res.diag.all.map((d) => d.message).join("; ")}`);
  // Both agents in nftables mode: `<node>.nft` holds kube-proxy's and Felix's tables, nothing is left for iptables.
  if (dataplane === "nftables") return new Map(res.outputs.map((o) => [o.node, { iptables: "", ipsets: "", nft: emitText(o, "nft", opts) }]));
  return new Map(res.outputs.map((o) => [o.node, { iptables: emitText(o, "iptables", opts), ipsets: emitText(o, "ipsets", opts) }]));
}

/** Identity servers, one per pod namespace, started and stopped by the test (by their own pids). */
export class IdServers {
  private readonly children: ChildProcessWithoutNullStreams[] = [];

  async start(g: NsGuard, pods: ReadonlyMap<string, string>): Promise<void> {
    await Promise.all(
      [...pods].map(([id, ns]) => {
        const child = spawn("ip", ["netns", "exec", g.check(ns), process.execPath, AGENT_ID_PATH, "--serve", String(ID_PORT), "--id", id], { stdio: ["pipe", "pipe", "pipe"] });
        this.children.push(child);
        return new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`identity agent in ${ns} not ready`)), 15_000);
          child.stdout.once("data", () => (clearTimeout(t), resolve()));
          child.once("exit", (code) => (clearTimeout(t), reject(new Error(`identity agent in ${ns} exited (${code})`))));
        });
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((c) => {
        if (c.exitCode !== null) return Promise.resolve();
        const done = new Promise<void>((r) => c.once("exit", () => r()));
        c.stdin.end();
        const t = setTimeout(() => c.kill("SIGKILL"), 2000);
        t.unref();
        return done.then(() => clearTimeout(t));
      }),
    );
    this.children.length = 0;
  }
}

export type IdResult = { readonly id: string } | { readonly error: string; readonly ms: number };

/** `count` concurrent connections from namespace `ns` to ip:port; what each one got. */
export async function probeIds(g: NsGuard, ns: string, ip: string, port: number, count: number, timeoutMs: number): Promise<IdResult[]> {
  const out = await g.inNs(ns, process.execPath, [AGENT_ID_PATH, "--probe", `${ip}:${port}`, "--count", String(count), "--timeout", String(timeoutMs)]);
  return JSON.parse(out) as IdResult[];
}

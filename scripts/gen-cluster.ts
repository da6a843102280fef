// Synthetic cluster generator for benchmarks and scale tests (issue 5).
//
//   npm run build && node dist/scripts/gen-cluster.js <small|medium|10k|50k> <out-dir> [--seed N] [--services]
//
// Shape: team namespaces (<team>-<env>) of deployments with app/tier labels
// and pods named as ReplicaSets name them (<deploy>-<hash>-<5 chars>), spread
// over nodes; every pod IP lies in one of its node's /26 IPAM blocks of the
// pool 10.128.0.0/9, blocks interleaved across nodes as IPAM hands them out
// over time. Policies and Services: see gen-cluster-policies.ts; with
// Services (size `medium`, or --services) a KubeProxyConfiguration too, so
// both backends render. Deterministic: the same
// size and seed give byte-identical files. The objects carry the fields
// `kubectl get -o yaml` shows that matter to a reader (owner references,
// images, resources), not managedFields or conditions.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { dump } from "js-yaml";
import { MONITORING_NS, PROMETHEUS_APP, GRPC_PORT, HTTP_PORT, METRICS_PORT, namespacePolicies, serviceObjects, type Deployment, type Tier } from "./gen-cluster-policies.js";

export interface SizeSpec {
  readonly pods: number;
  readonly policies: number;
  readonly nodes: number;
  /** One Service with its EndpointSlice per deployment, and a KubeProxyConfiguration: kube-proxy renders too. */
  readonly services?: boolean;
}

export const SIZES = {
  small: { pods: 200, policies: 50, nodes: 5 },
  /** What a platform team has (issue 14): ≈250 Services of every kind, kube-proxy beside Felix on 20 nodes. */
  medium: { pods: 1_000, policies: 300, nodes: 20, services: true },
  "10k": { pods: 10_000, policies: 1_000, nodes: 100 },
  "50k": { pods: 50_000, policies: 5_000, nodes: 500 },
} as const satisfies Record<string, SizeSpec>;
export type SizeName = keyof typeof SIZES;

export interface GeneratedFile {
  readonly path: string;
  readonly text: string;
}

export interface Generated {
  readonly files: GeneratedFile[];
  readonly summary: Record<string, number>;
}

/** mulberry32: tiny, fast, and good enough to shuffle a synthetic cluster. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** `n` characters of the alphabet ReplicaSets use for name suffixes (no vowels, no 0/1/3). */
  chars(n: number): string {
    const alphabet = "bcdfghjklmnpqrstvwxz2456789";
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

const POLICIES_PER_NAMESPACE = 10;
const POOL_BASE = (10 << 24) | (128 << 16); // 10.128.0.0/9
const BLOCK = 64; // blockSize 26
const NODE_BASE = (172 << 24) | (16 << 16) | (1 << 8); // 172.16.1.0, nodes count up from .10
const SERVICE_BASE = (10 << 24) | (96 << 16) | 10; // 10.96.0.10 in the service range
const TEAMS = ["payments", "checkout", "search", "catalog", "identity", "ledger", "shipping", "ads", "media", "growth", "risk", "support"];
const ENVS = ["prod", "staging", "dev"];
const WORDS = ["api", "web", "cart", "auth", "feed", "queue", "index", "store", "report", "notify", "render", "sync", "gateway", "profile", "billing"];
const TIERS: readonly Tier[] = ["frontend", "backend", "backend", "cache", "worker"];
const REPLICAS = [1, 2, 2, 3, 3, 4, 6, 8, 12];

/** kube-proxy as kubeadm configures it: the pod pool as clusterCIDR, so pod traffic is told apart by source (detectLocalMode ClusterCIDR). */
const KUBE_PROXY_CONFIG = { apiVersion: "kubeproxy.config.k8s.io/v1alpha1", kind: "KubeProxyConfiguration", mode: "iptables", clusterCIDR: "10.128.0.0/9" };

const ipText = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** Node IPAM: `blocks` /26 blocks per node, interleaved; the first address of the first block is the tunnel. */
class Ipam {
  private readonly used: number[];
  readonly capacity: number;
  constructor(
    private readonly nodes: number,
    blocks: number,
  ) {
    this.used = new Array<number>(nodes).fill(1);
    this.capacity = blocks * BLOCK;
  }
  private address(node: number, offset: number): number {
    const block = Math.floor(offset / BLOCK) * this.nodes + node;
    return POOL_BASE + block * BLOCK + (offset % BLOCK);
  }
  tunnel(node: number): string {
    return ipText(this.address(node, 0));
  }
  /** The next free address of a random node with room (linear probing from the pick). */
  allocate(rng: Rng): { node: number; ip: string } {
    let node = rng.int(this.nodes);
    for (let tries = 0; this.used[node]! >= this.capacity; tries++) {
      if (tries >= this.nodes) throw new Error("IPAM: cluster full");
      node = (node + 1) % this.nodes;
    }
    const offset = this.used[node]!;
    this.used[node] = offset + 1;
    return { node, ip: ipText(this.address(node, offset)) };
  }
}

const nodeName = (i: number): string => `worker-${String(i).padStart(4, "0")}`;

function nodeObject(i: number, tunnel: string): object {
  const ip = ipText(NODE_BASE + 10 + i);
  const name = nodeName(i);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": `zone-${"abc"[i % 3]}` },
      annotations: { "projectcalico.org/IPv4Address": `${ip}/16`, "projectcalico.org/IPv4IPIPTunnelAddr": tunnel },
    },
    status: { addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }] },
  };
}

function podObject(d: Deployment, p: Deployment["pods"][number], labels: Record<string, string>): object {
  const ports = [
    { name: "http", containerPort: HTTP_PORT, protocol: "TCP" },
    { name: "metrics", containerPort: METRICS_PORT, protocol: "TCP" },
    ...(d.tier === "backend" ? [{ name: "grpc", containerPort: GRPC_PORT, protocol: "TCP" }] : []),
  ];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      namespace: d.namespace,
      labels: { ...labels, "pod-template-hash": d.hash },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${d.app}-${d.hash}`, controller: true }],
    },
    spec: {
      containers: [{ name: d.app, image: `registry.example.com/${d.namespace}/${d.app}:1.4.2`, ports, resources: { requests: { cpu: "100m", memory: "128Mi" } } }],
      nodeName: p.node,
      serviceAccountName: d.app,
      restartPolicy: "Always",
    },
    status: { phase: "Running", podIP: p.ip, podIPs: [{ ip: p.ip }], qosClass: "Burstable" },
  };
}

const toYaml = (docs: readonly object[]): string => docs.map((d) => "---\n" + dump(d, { noRefs: true })).join("");

interface Namespaced {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly deployments: Deployment[];
  readonly podLabels: Map<Deployment, Record<string, string>>;
}

/** Deployments of `pods` replicas in total (the last one trimmed to fit). */
function fillNamespace(ns: Namespaced, pods: number, ipam: Ipam, rng: Rng, apps?: { app: string; tier: Tier; labels: Record<string, string> }[]): void {
  let left = pods;
  for (let i = 0; left > 0; i++) {
    const fixed = apps?.[i % apps.length];
    const tier = fixed?.tier ?? rng.pick(TIERS);
    const app = fixed?.app ?? `${WORDS[i % WORDS.length]}-${tier}${i >= WORDS.length ? `-${i}` : ""}`;
    const replicas = Math.min(left, fixed ? Math.ceil(pods / apps!.length) : rng.pick(REPLICAS));
    left -= replicas;
    const d: Deployment = { namespace: ns.name, app, tier, hash: rng.chars(10), pods: [] };
    for (let r = 0; r < replicas; r++) {
      const { node, ip } = ipam.allocate(rng);
      d.pods.push({ name: `${app}-${d.hash}-${rng.chars(5)}`, ip, node: nodeName(node) });
    }
    ns.deployments.push(d);
    ns.podLabels.set(d, fixed?.labels ?? { app, tier, team: ns.labels.team ?? "" });
  }
}

export function generateCluster(size: SizeSpec, opts: { seed?: number; services?: boolean } = {}): Generated {
  const services = opts.services ?? size.services ?? false;
  const rng = new Rng(opts.seed ?? 1);
  const teamNamespaces = Math.max(1, Math.round((size.policies - 1) / POLICIES_PER_NAMESPACE));
  const system = Math.max(2, Math.ceil(size.nodes / 25));
  const perNs = Math.max(1, Math.floor((size.pods - 2 * system) / teamNamespaces));
  const blocks = Math.max(2, Math.ceil((size.pods / size.nodes) * 1.3 / BLOCK));
  const ipam = new Ipam(size.nodes, blocks);
  const mk = (name: string, labels: Record<string, string>): Namespaced => ({ name, labels, deployments: [], podLabels: new Map() });
  const kubeSystem = mk("kube-system", {});
  fillNamespace(kubeSystem, system, ipam, rng, [{ app: "coredns", tier: "backend", labels: { "k8s-app": "kube-dns" } }]);
  const monitoring = mk(MONITORING_NS, { purpose: "monitoring" });
  fillNamespace(monitoring, system, ipam, rng, [{ app: PROMETHEUS_APP, tier: "backend", labels: { app: PROMETHEUS_APP } }]);
  const teams: Namespaced[] = [];
  for (let i = 0; i < teamNamespaces; i++) {
    const team = TEAMS[i % TEAMS.length]! + (i >= TEAMS.length * ENVS.length ? `${Math.floor(i / (TEAMS.length * ENVS.length))}` : "");
    const env = ENVS[Math.floor(i / TEAMS.length) % ENVS.length]!;
    const ns = mk(`${team}-${env}`, { team, env });
    fillNamespace(ns, i === teamNamespaces - 1 ? size.pods - 2 * system - perNs * (teamNamespaces - 1) : perNs, ipam, rng);
    teams.push(ns);
  }
  const all = [kubeSystem, monitoring, ...teams];
  const files: GeneratedFile[] = [];
  files.push({
    path: "cluster/ippool.yaml",
    text: toYaml([{ apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: { name: "pods" }, spec: { cidr: "10.128.0.0/9", blockSize: 26, ipipMode: "Always", vxlanMode: "Never", natOutgoing: true, nodeSelector: "all()" } }]),
  });
  files.push({ path: "cluster/namespaces.yaml", text: toYaml(all.map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n.name, labels: { "kubernetes.io/metadata.name": n.name, ...n.labels } } }))) });
  files.push({ path: "cluster/nodes.yaml", text: toYaml(Array.from({ length: size.nodes }, (_, i) => nodeObject(i, ipam.tunnel(i)))) });
  let policyCount = 0;
  let serviceCount = 0;
  let podCount = 0;
  for (const ns of all) {
    const pods = ns.deployments.flatMap((d) => d.pods.map((p) => podObject(d, p, ns.podLabels.get(d)!)));
    files.push({ path: `pods/${ns.name}.yaml`, text: toYaml(pods) });
    podCount += pods.length;
    if (ns.labels.team !== undefined) {
      const policies = namespacePolicies(ns.name, ns.deployments, POLICIES_PER_NAMESPACE, rng);
      policyCount += policies.length;
      files.push({ path: `policies/${ns.name}.yaml`, text: toYaml(policies) });
    }
    if (services) {
      const objs = ns.deployments.flatMap((d) => {
        const i = serviceCount++;
        return serviceObjects(d, i, ipText(SERVICE_BASE + i));
      });
      files.push({ path: `services/${ns.name}.yaml`, text: toYaml(objs) });
    }
  }
  if (services) files.push({ path: "cluster/kube-proxy.yaml", text: toYaml([KUBE_PROXY_CONFIG]) });
  // One cluster-wide allow that every namespace's default-deny leaves room for: prometheus scrapes everything.
  files.push({ path: "policies/monitoring.yaml", text: toYaml([{ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "prometheus-scrape", namespace: MONITORING_NS }, spec: { podSelector: { matchLabels: { app: PROMETHEUS_APP } }, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "TCP", port: METRICS_PORT }] }] } }]) });
  policyCount++;
  const deployments = all.reduce((n, ns) => n + ns.deployments.length, 0);
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  return {
    files,
    summary: { namespaces: all.length, deployments, pods: podCount, nodes: size.nodes, blocksPerNode: blocks, policies: policyCount, services: serviceCount, files: files.length, bytes },
  };
}

export function writeCluster(dir: string, g: Generated): void {
  rmSync(dir, { recursive: true, force: true });
  for (const f of g.files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
}

function main(argv: string[]): void {
  const [size, out] = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--seed");
  const seedAt = argv.indexOf("--seed");
  if (!size || !out || !(size in SIZES)) {
    console.error(`usage: gen-cluster <${Object.keys(SIZES).join("|")}> <out-dir> [--seed N] [--services]`);
    process.exitCode = 2;
    return;
  }
  const g = generateCluster(SIZES[size as SizeName], { seed: seedAt >= 0 ? Number(argv[seedAt + 1]) : 1, services: argv.includes("--services") || undefined });
  writeCluster(out, g);
  console.log(`${size} → ${out}: ` + Object.entries(g.summary).map(([k, v]) => `${v} ${k}`).join(", "));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));

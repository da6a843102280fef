// NetworkPolicies and (optional) Services of the synthetic cluster
// (scripts/gen-cluster.ts): the policy mix a platform team typically rolls
// out per namespace, plus per-deployment allows.
//
// Named ports appear only where a peer selector bounds them (egress to a
// backend's `grpc`). An ingress rule with a named port and no destination
// selector makes Felix build its named-port set over `all()` (spec
// felix-format §7.2): every pod of the cluster exposing that port name, on
// every node that uses the policy — real Calico behaviour, but at 50k pods it
// would make the ipsets files, not the compiler, the figure being measured.
import type { Rng } from "./gen-cluster.js";

export interface Deployment {
  readonly namespace: string;
  readonly app: string;
  readonly tier: Tier;
  readonly hash: string;
  readonly pods: { readonly name: string; readonly ip: string; readonly node: string }[];
}

export type Tier = "frontend" | "backend" | "cache" | "worker";

type Obj = Record<string, unknown>;

/** Office and partner networks, some with carve-outs (documentation ranges, RFC 5737, plus private ones). */
const OFFICE_BLOCKS: readonly { cidr: string; except?: string[] }[] = [
  { cidr: "203.0.113.0/24" },
  { cidr: "198.51.100.0/24", except: ["198.51.100.128/25"] },
  { cidr: "192.0.2.0/24", except: ["192.0.2.64/26", "192.0.2.192/27"] },
  { cidr: "172.20.0.0/14", except: ["172.21.0.0/16"] },
  { cidr: "100.64.0.0/10" },
];

export const MONITORING_NS = "monitoring";
export const PROMETHEUS_APP = "prometheus";
export const METRICS_PORT = 9090;
export const HTTP_PORT = 8080;
export const GRPC_PORT = 50051;

function policy(namespace: string, name: string, spec: Obj): Obj {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

const appSelector = (app: string): Obj => ({ matchLabels: { app } });

/** The three namespace-wide policies every team namespace gets. */
function baseline(ns: string): Obj[] {
  return [
    policy(ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy(ns, "allow-from-monitoring", {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { purpose: "monitoring" } }, podSelector: appSelector(PROMETHEUS_APP) }],
          ports: [{ protocol: "TCP", port: METRICS_PORT }],
        },
      ],
    }),
    policy(ns, "allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    }),
  ];
}

function sameApp(d: Deployment): Obj {
  return policy(d.namespace, `allow-${d.app}-same-app`, {
    podSelector: appSelector(d.app),
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ podSelector: appSelector(d.app) }], ports: [{ protocol: "TCP", port: HTTP_PORT }] }],
  });
}

function officeEgress(d: Deployment, rng: Rng): Obj {
  const count = 2 + rng.int(OFFICE_BLOCKS.length - 1);
  const start = rng.int(OFFICE_BLOCKS.length);
  const blocks = Array.from({ length: count }, (_, i) => OFFICE_BLOCKS[(start + i) % OFFICE_BLOCKS.length]!);
  return policy(d.namespace, `allow-${d.app}-to-office`, {
    podSelector: { matchExpressions: [{ key: "app", operator: "In", values: [d.app] }, { key: "tier", operator: "Exists" }] },
    policyTypes: ["Egress"],
    egress: [{ to: blocks.map((b) => ({ ipBlock: b })), ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 8443, endPort: 8445 }] }],
  });
}

/** A caller → callee pair: egress from the caller on the callee's named port, ingress at the callee on its number. */
function callPair(from: Deployment, to: Deployment): Obj[] {
  return [
    policy(from.namespace, `allow-${from.app}-to-${to.app}`, {
      podSelector: appSelector(from.app),
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: appSelector(to.app) }], ports: [{ port: "grpc" }] }],
    }),
    policy(to.namespace, `allow-${to.app}-from-${from.tier}`, {
      podSelector: appSelector(to.app),
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: { tier: from.tier } } }], ports: [{ protocol: "TCP", port: GRPC_PORT }] }],
    }),
  ];
}

/**
 * `perNamespace` policies for one team namespace: the baseline, then
 * per-deployment allows in deployment order until the budget is spent.
 */
export function namespacePolicies(ns: string, deployments: readonly Deployment[], perNamespace: number, rng: Rng): Obj[] {
  const out = baseline(ns);
  const backends = deployments.filter((d) => d.tier === "backend");
  const candidates: Obj[] = [];
  deployments.forEach((d, i) => {
    candidates.push(sameApp(d));
    if (d.tier === "frontend" || d.tier === "worker") candidates.push(officeEgress(d, rng));
    const callee = backends[i % Math.max(1, backends.length)];
    if (d.tier === "frontend" && callee) candidates.push(...callPair(d, callee));
  });
  const names = new Set<string>();
  for (const c of candidates) {
    if (out.length >= perNamespace) break;
    const name = (c.metadata as { name: string }).name;
    if (names.has(name)) continue;
    names.add(name);
    out.push(c);
  }
  return out;
}

/**
 * The Service a deployment gets, decided by its index among all services (not
 * by the rng, so turning services on leaves every other file as it was): the
 * mix a platform team runs. Of every 20: one LoadBalancer (every other one
 * externalTrafficPolicy Local with a health-check node port, every third with
 * loadBalancerSourceRanges, one of which holds the node network, so Felix's
 * allow-from-node rule appears), four NodePorts (every third eTP Local), the
 * rest ClusterIP (one in twelve internalTrafficPolicy Local). One in 25 has
 * ClientIP affinity.
 */
interface ServiceShape {
  readonly type: "ClusterIP" | "NodePort" | "LoadBalancer";
  readonly etpLocal: boolean;
  readonly itpLocal: boolean;
  readonly sourceRanges: readonly string[];
  readonly affinity: boolean;
}

/** The node network of gen-cluster.ts (172.16.1.10 upwards): a source range holding it lets the nodes themselves in. */
const NODE_NETWORK = "172.16.0.0/16";

function serviceShape(index: number): ServiceShape {
  const lb = Math.floor(index / 20);
  const type = index % 20 === 9 ? "LoadBalancer" : index % 5 === 3 ? "NodePort" : "ClusterIP";
  const sourceRanges = type === "LoadBalancer" && lb % 3 === 1 ? ["203.0.113.0/24", ...(lb % 2 === 1 ? [NODE_NETWORK] : [])] : [];
  return {
    type,
    etpLocal: type === "LoadBalancer" ? lb % 2 === 0 : type === "NodePort" && index % 15 === 3,
    itpLocal: type === "ClusterIP" && index % 12 === 1,
    sourceRanges,
    affinity: index % 25 === 4,
  };
}

/**
 * Service number `index` for a deployment, and its EndpointSlice (ignored by
 * the calico backend): port http (80 → the pods' `http`), plus grpc on
 * backends. One deployment in ten is mid-rollout: its last pod is
 * terminating but still serving (kube-proxy's KEP-1669 fallback).
 */
export function serviceObjects(d: Deployment, index: number, clusterIP: string): Obj[] {
  const shape = serviceShape(index);
  const grpc = d.tier === "backend";
  const external = shape.type !== "ClusterIP";
  // API-server-allocated numbers in 30000–32767, unique while there are fewer than 1384 services.
  const nodePort = (i: number): Obj => (external ? { nodePort: 30000 + ((index * 2 + i) % 2768) } : {});
  const ports = [
    { name: "http", protocol: "TCP", port: 80, targetPort: "http", ...nodePort(0) },
    ...(grpc ? [{ name: "grpc", protocol: "TCP", port: GRPC_PORT, targetPort: "grpc", ...nodePort(1) }] : []),
  ];
  const lb = Math.floor(index / 20);
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: d.app, namespace: d.namespace, labels: { app: d.app } },
    spec: {
      type: shape.type,
      clusterIP,
      clusterIPs: [clusterIP],
      selector: { app: d.app },
      ports,
      ...(shape.etpLocal ? { externalTrafficPolicy: "Local" } : {}),
      ...(shape.itpLocal ? { internalTrafficPolicy: "Local" } : {}),
      ...(shape.etpLocal && shape.type === "LoadBalancer" ? { healthCheckNodePort: 32000 + (lb % 700) } : {}),
      ...(shape.sourceRanges.length ? { loadBalancerSourceRanges: shape.sourceRanges } : {}),
      ...(shape.affinity ? { sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } : {}),
    },
    ...(shape.type === "LoadBalancer" ? { status: { loadBalancer: { ingress: [{ ip: `198.18.${((lb + 1) >> 8) & 255}.${(lb + 1) & 255}` }] } } } : {}),
  };
  const rollout = index % 10 === 6 && d.pods.length > 1;
  const slice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${d.app}-${d.hash.slice(0, 5)}`, namespace: d.namespace, labels: { "kubernetes.io/service-name": d.app } },
    addressType: "IPv4",
    ports: [{ name: "http", protocol: "TCP", port: HTTP_PORT }, ...(grpc ? [{ name: "grpc", protocol: "TCP", port: GRPC_PORT }] : [])],
    endpoints: d.pods.map((p, i) => {
      const terminating = rollout && i === d.pods.length - 1;
      return {
        addresses: [p.ip],
        conditions: { ready: !terminating, serving: true, terminating },
        nodeName: p.node,
        targetRef: { kind: "Pod", name: p.name, namespace: d.namespace },
      };
    }),
  };
  return [service, slice];
}

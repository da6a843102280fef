// The collected objects → IR Cluster: implicit namespaces and service
// accounts, the automatic namespace label, Calico's default pool, and every
// list sorted so that input order never leaks into the model.
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { CalicoRelease, Cluster, IPPool, Namespace, Node, Pod, ServiceAccount } from "../../ir/cluster.js";
import type { IPAMObjects } from "../../ir/ipam.js";
import type { Labels } from "../../ir/selector.js";
import { assumedPools, resolveAddressing } from "../addressing/index.js";
import type { DeclaredNamespace, DeclaredServiceAccount } from "./simple.js";

/** Set on every namespace by the control plane, always equal to the name (spec netpol-semantics.md §4). */
export const NAME_LABEL = "kubernetes.io/metadata.name";

export interface ClusterInputs {
  readonly namespaces: readonly DeclaredNamespace[];
  readonly serviceAccounts: readonly DeclaredServiceAccount[];
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  readonly pools: readonly IPPool[];
  /** The snapshot's IPAM objects (src/frontend/ipam), null when it has none. */
  readonly ipam: IPAMObjects | null;
  /** Namespaces named by pods, service accounts and policies, in input order, with where. */
  readonly namespaceRefs: readonly { readonly name: string; readonly span: Span | null }[];
  /** The ClusterInformation's Calico release, if the snapshot has one. */
  readonly calicoRelease: CalicoRelease | null;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted for determinism: (namespace, name), byte order. */
export function byNamespaceName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): number {
  return cmp(a.namespace, b.namespace) || cmp(a.name, b.name);
}

export function buildCluster(input: ClusterInputs, diag: DiagnosticSink): Cluster {
  const namespaces = buildNamespaces(input, diag);
  const serviceAccounts = buildServiceAccounts(input);
  // Sorted for determinism.
  const pods = [...input.pods].sort(byNamespaceName);
  for (const p of pods) {
    if (p.ips.length === 0) diag.note("input/not-an-endpoint", p.span, `pod ${p.namespace}/${p.name} has no IP address; it is not a policy endpoint`);
    else if (!p.nodeName) diag.note("input/not-an-endpoint", p.span, `pod ${p.namespace}/${p.name} has no spec.nodeName; it is not a policy endpoint`);
  }
  const nodes = [...input.nodes].sort((a, b) => cmp(a.name, b.name));
  // Calico's default pool is per family: a snapshot that gives IPv6 pools only, while pods hold IPv4 addresses,
  // still has an IPv4 pool (calico-node creates default-ipv4-ippool unless one exists): assumed, with notes.
  const given = [...input.pools].sort((a, b) => cmp(a.name, b.name));
  const v4Missing = !given.some((p) => !p.cidr.includes(":")) && (given.length === 0 || pods.some((p) => p.ips.some((ip) => !ip.includes(":"))));
  const pools = v4Missing ? [...given, ...assumedPools(pods, diag)].sort((a, b) => cmp(a.name, b.name)) : given;
  const addressing = resolveAddressing({ pods, nodes, pools, ipam: input.ipam }, diag);
  return { namespaces, serviceAccounts, pods, nodes, pools, ipam: input.ipam, addressing, calicoRelease: input.calicoRelease };
}

function withNameLabel(name: string, labels: Labels): Labels {
  const all = new Map(labels);
  all.set(NAME_LABEL, name);
  return new Map([...all].sort(([a], [b]) => cmp(a, b)));
}

function buildNamespaces(input: ClusterInputs, diag: DiagnosticSink): Namespace[] {
  const out = new Map<string, Namespace>();
  for (const ns of input.namespaces) {
    const given = ns.labels.get(NAME_LABEL);
    if (given !== undefined && given !== ns.name) {
      diag.warning("namespace/name-label", ns.span, `namespace "${ns.name}" sets ${NAME_LABEL}=${given}; the control plane always sets it to the namespace name, so netpolc uses "${ns.name}"`);
    }
    out.set(ns.name, { name: ns.name, labels: withNameLabel(ns.name, ns.labels), span: ns.span });
  }
  for (const ref of input.namespaceRefs) {
    if (out.has(ref.name)) continue;
    diag.note("input/implicit-namespace", ref.span, `namespace "${ref.name}" is not declared; assuming it exists with only the label ${NAME_LABEL}=${ref.name}`);
    out.set(ref.name, { name: ref.name, labels: withNameLabel(ref.name, new Map()), span: null });
  }
  // Sorted for determinism.
  return [...out.values()].sort((a, b) => cmp(a.name, b.name));
}

/** Declared service accounts plus, without labels, every one a pod names but nobody declared. */
function buildServiceAccounts(input: ClusterInputs): ServiceAccount[] {
  const out = new Map<string, ServiceAccount>();
  for (const sa of input.serviceAccounts) out.set(`${sa.namespace}/${sa.name}`, { namespace: sa.namespace, name: sa.name, labels: sa.labels });
  for (const p of input.pods) {
    const key = `${p.namespace}/${p.serviceAccount}`;
    if (!out.has(key)) out.set(key, { namespace: p.namespace, name: p.serviceAccount, labels: new Map() });
  }
  // Sorted for determinism.
  return [...out.values()].sort(byNamespaceName);
}

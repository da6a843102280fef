// Workload endpoints as Felix sees them: Calico labels (pod labels plus the
// projectcalico.org/* labels and inherited profile labels, §7.3), profiles
// (§3.3, §5) and host-side interface names (§9.5).
import { isEndpoint, podIPv4, podIPv6 } from "../../ir/cluster.js";
import { memoTable, type Compilation } from "../../compilation.js";
import type { Cluster, Pod } from "../../ir/cluster.js";
import type { Labels } from "../../ir/selector.js";
import { byteCompare } from "../../rules/writer.js";
import { namespaceProfile, serviceAccountProfile, workloadInterfaceName } from "./names.js";
import { LABEL, ORCHESTRATOR_K8S } from "./selector.js";

/** A Calico profile (§5): kns.* allows everything; ksa.* has no rules. */
export interface Profile {
  readonly name: string;
  readonly allowAll: boolean;
}

export interface Workload {
  readonly pod: Pod;
  readonly ip: string;
  /** The pod's first IPv6 address (status.podIPs), or null: what the IPv6 tables, sets and routes use. */
  readonly ip6: string | null;
  readonly iface: string;
  /** Labels Calico selectors are evaluated against. */
  readonly labels: ReadonlyMap<string, string>;
  /** `kns.<ns>` then `ksa.<ns>.<sa>` (§3.3). */
  readonly profiles: readonly Profile[];
}

/** Calico drops the serviceaccount label when the name is too long for a label value (§7.3). */
const MAX_SA_LABEL_LENGTH = 63;

/** Namespace and service-account labels by name, so each pod's lookup is O(1) rather than a scan. */
interface LabelSources {
  readonly namespaces: ReadonlyMap<string, Labels>;
  readonly serviceAccounts: ReadonlyMap<string, Labels>;
}

const saKey = (namespace: string, name: string): string => `${namespace}\u0000${name}`;

function labelSources(cluster: Cluster): LabelSources {
  const namespaces = new Map<string, Labels>();
  for (const n of cluster.namespaces) if (!namespaces.has(n.name)) namespaces.set(n.name, n.labels);
  const serviceAccounts = new Map<string, Labels>();
  for (const s of cluster.serviceAccounts) {
    const k = saKey(s.namespace, s.name);
    if (!serviceAccounts.has(k)) serviceAccounts.set(k, s.labels);
  }
  return { namespaces, serviceAccounts };
}

/**
 * Profile labels are inherited and lose to the endpoint's own labels, and the
 * projectcalico.org/* labels are set last on the endpoint itself — so build
 * the map in that precedence order (later writes win).
 */
function calicoLabels(src: LabelSources, pod: Pod): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of src.namespaces.get(pod.namespace) ?? []) out.set(LABEL.namespacePrefix + k, v);
  out.set(LABEL.namespacePrefix + LABEL.name, pod.namespace);
  for (const [k, v] of src.serviceAccounts.get(saKey(pod.namespace, pod.serviceAccount)) ?? []) out.set(LABEL.serviceAccountPrefix + k, v);
  out.set(LABEL.serviceAccountPrefix + LABEL.name, pod.serviceAccount);
  for (const [k, v] of pod.labels) out.set(k, v);
  out.set(LABEL.namespace, pod.namespace);
  out.set(LABEL.orchestrator, ORCHESTRATOR_K8S);
  if (pod.serviceAccount.length < MAX_SA_LABEL_LENGTH) out.set(LABEL.serviceAccount, pod.serviceAccount);
  return out;
}

/** One Profile object per name, so chains built from a profile can be memoised per profile (endpoints.ts). */
function interned(profiles: Map<string, Profile>, name: string, allowAll: boolean): Profile {
  let p = profiles.get(name);
  if (!p) profiles.set(name, (p = { name, allowAll }));
  return p;
}

function toWorkload(src: LabelSources, pod: Pod, prefix: string, known: Map<string, Profile>, lists: Map<string, readonly Profile[]>): Workload {
  // One list per namespace and service account: endpoint chains are shared by it (endpoints.ts).
  const listKey = `${pod.namespace} ${pod.serviceAccount}`;
  let profiles = lists.get(listKey);
  if (!profiles) {
    const made = [interned(known, namespaceProfile(pod.namespace), true)];
    if (pod.serviceAccount) made.push(interned(known, serviceAccountProfile(pod.namespace, pod.serviceAccount), false));
    lists.set(listKey, (profiles = made));
  }
  return {
    pod,
    ip: podIPv4(pod) ?? "",
    ip6: podIPv6(pod),
    iface: workloadInterfaceName(pod.namespace, pod.name, prefix),
    labels: calicoLabels(src, pod),
    profiles,
  };
}

// Workloads are computed once per compilation and shared by every node
// rendered in it (they used to be rebuilt per node: a SHA-1 and a label map per
// pod, times the number of nodes). Keyed by the interface prefix.
const ALL_WORKLOADS = memoTable<string, readonly Workload[]>("calico/workloads");
const BY_NODE = memoTable<readonly Workload[], ReadonlyMap<string, readonly Workload[]>>("calico/workloads-by-node");

/** Every endpoint in the cluster (all nodes): IP-set members come from these. */
export function allWorkloads(comp: Compilation, prefix: string): readonly Workload[] {
  return comp.memo(ALL_WORKLOADS, prefix, () => {
    const { cluster } = comp.model;
    const src = labelSources(cluster);
    const profiles = new Map<string, Profile>();
    const lists = new Map<string, readonly Profile[]>();
    return cluster.pods.filter(isEndpoint).map((p) => toWorkload(src, p, prefix, profiles, lists));
  });
}

/** Endpoints on `nodeName`, sorted by interface name for determinism (§3.4). */
export function localWorkloads(comp: Compilation, all: readonly Workload[], nodeName: string): readonly Workload[] {
  return comp.memo(BY_NODE, all, () => byNode(all)).get(nodeName) ?? [];
}

function byNode(all: readonly Workload[]): Map<string, Workload[]> {
  const groups = new Map<string, Workload[]>();
  for (const w of all) {
    const node = w.pod.nodeName ?? "";
    let g = groups.get(node);
    if (!g) groups.set(node, (g = []));
    g.push(w);
  }
  for (const g of groups.values()) g.sort((a, b) => byteCompare(a.iface, b.iface));
  return groups;
}

// Workload endpoints as Felix sees them: Calico labels (pod labels plus the
// projectcalico.org/* labels and inherited profile labels, §7.3), profiles
// (§3.3, §5) and host-side interface names (§9.5).
import { isEndpoint, podIPv4 } from "../../ir/cluster.js";
import type { Cluster, Pod } from "../../ir/cluster.js";
import { byteCompare } from "../../ruleset/writer.js";
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
  readonly iface: string;
  /** Labels Calico selectors are evaluated against. */
  readonly labels: ReadonlyMap<string, string>;
  /** `kns.<ns>` then `ksa.<ns>.<sa>` (§3.3). */
  readonly profiles: readonly Profile[];
}

/** Calico drops the serviceaccount label when the name is too long for a label value (§7.3). */
const MAX_SA_LABEL_LENGTH = 63;

/**
 * Profile labels are inherited and lose to the endpoint's own labels, and the
 * projectcalico.org/* labels are set last on the endpoint itself — so build
 * the map in that precedence order (later writes win).
 */
function calicoLabels(cluster: Cluster, pod: Pod): Map<string, string> {
  const out = new Map<string, string>();
  const ns = cluster.namespaces.find((n) => n.name === pod.namespace);
  for (const [k, v] of ns?.labels ?? []) out.set(LABEL.namespacePrefix + k, v);
  out.set(LABEL.namespacePrefix + LABEL.name, pod.namespace);
  const sa = cluster.serviceAccounts.find((s) => s.namespace === pod.namespace && s.name === pod.serviceAccount);
  for (const [k, v] of sa?.labels ?? []) out.set(LABEL.serviceAccountPrefix + k, v);
  out.set(LABEL.serviceAccountPrefix + LABEL.name, pod.serviceAccount);
  for (const [k, v] of pod.labels) out.set(k, v);
  out.set(LABEL.namespace, pod.namespace);
  out.set(LABEL.orchestrator, ORCHESTRATOR_K8S);
  if (pod.serviceAccount.length < MAX_SA_LABEL_LENGTH) out.set(LABEL.serviceAccount, pod.serviceAccount);
  return out;
}

function toWorkload(cluster: Cluster, pod: Pod, prefix: string): Workload {
  const profiles: Profile[] = [{ name: namespaceProfile(pod.namespace), allowAll: true }];
  if (pod.serviceAccount) profiles.push({ name: serviceAccountProfile(pod.namespace, pod.serviceAccount), allowAll: false });
  return {
    pod,
    ip: podIPv4(pod) ?? "",
    iface: workloadInterfaceName(pod.namespace, pod.name, prefix),
    labels: calicoLabels(cluster, pod),
    profiles,
  };
}

/** Every endpoint in the cluster (all nodes): IP-set members come from these. */
export function allWorkloads(cluster: Cluster, prefix: string): Workload[] {
  return cluster.pods.filter(isEndpoint).map((p) => toWorkload(cluster, p, prefix));
}

/** Endpoints on `nodeName`, sorted by interface name for determinism (§3.4). */
export function localWorkloads(all: readonly Workload[], nodeName: string): Workload[] {
  return all.filter((w) => w.pod.nodeName === nodeName).sort((a, b) => byteCompare(a.iface, b.iface));
}

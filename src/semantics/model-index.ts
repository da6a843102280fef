// Per-model lookup tables for the evaluator, owned by one evaluator
// (evaluate.ts createEvaluator) and filled as it is asked.
//
// verify asks the evaluator ~10^5 times about one model, so everything that
// depends only on the model (namespace labels, node addresses, which policies
// select a pod, parsed ipBlock CIDRs) is computed on first use and kept for
// as long as the evaluator lives: the IR is immutable.
import { isEndpoint, type Pod } from "../ir/cluster.js";
import type { Model, NetworkPolicy } from "../ir/policy.js";
import { selectorMatches, type Labels } from "../ir/selector.js";
import { parseAddress, parseCidr, type Address, type Cidr } from "./ip.js";

export type Direction = "ingress" | "egress";

/** The label the control plane puts on every namespace (spec §4); also given to namespaces the snapshot lacks. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export interface ModelIndex {
  namespaceLabels(ns: string): Labels;
  /** Policies of the pod's namespace that select it and whose types include `direction` (spec §3). */
  applying(pod: Pod, direction: Direction): readonly NetworkPolicy[];
  /** Whether `ip` is an address of node `nodeName` (its IP or its tunnel address). */
  isNodeAddress(nodeName: string, ip: string): boolean;
  /** The IPv4 address of node `nodeName`, if the snapshot gives one. */
  nodeIP(nodeName: string): string | null;
  endpoints(): readonly Pod[];
  /** parseCidr, remembered: policies repeat their CIDRs. */
  cidr(text: string): Cidr | null;
  /** parseAddress, remembered: verify asks about the same endpoints' addresses for every flow. */
  address(text: string): Address | null;
}

/** Byte-order comparison of (namespace, name); never localeCompare (STYLE.md). */
export function comparePods(a: Pod, b: Pod): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

/** The endpoint pods of `model` (see isEndpoint), sorted by (namespace, name). */
export function sortedEndpoints(model: Model): readonly Pod[] {
  // Sorted for determinism, whatever order the snapshot listed them in.
  return model.cluster.pods.filter(isEndpoint).sort(comparePods);
}

function addressKey(ip: string): string | null {
  const a = parseAddress(ip);
  return a ? `${a.family}/${a.value}` : null;
}

/** A fresh index of `model`; its tables fill as it is asked and live as long as it does. */
export function indexModel(model: Model): ModelIndex {
  const nsLabels = new Map<string, Labels>();
  for (const ns of model.cluster.namespaces) nsLabels.set(ns.name, ns.labels);

  // Node addresses are compared parsed, so "::1" and "0::1" are the same host.
  const nodeAddrs = new Map<string, Set<string>>();
  const nodeIPs = new Map<string, string | null>();
  for (const node of model.cluster.nodes) {
    const keys = new Set<string>();
    for (const ip of [node.ip, node.tunnelAddress, node.ip6]) {
      const k = ip === null ? null : addressKey(ip);
      if (k !== null) keys.add(k);
    }
    nodeAddrs.set(node.name, keys);
    nodeIPs.set(node.name, node.ip);
  }

  const byNamespace = new Map<string, NetworkPolicy[]>();
  for (const p of model.policies) {
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.namespace, list);
  }

  // Keyed by pod object: callers may evaluate pods built outside model.cluster.pods.
  const applyingCache = new Map<Pod, Record<Direction, readonly NetworkPolicy[]>>();
  let endpoints: readonly Pod[] | null = null;
  const cidrs = new Map<string, Cidr | null>();
  const addresses = new Map<string, Address | null>();
  const address = (text: string): Address | null => {
    let a = addresses.get(text);
    if (a === undefined) addresses.set(text, (a = parseAddress(text)));
    return a;
  };

  return {
    namespaceLabels(ns) {
      let labels = nsLabels.get(ns);
      if (!labels) {
        labels = new Map([[NAMESPACE_NAME_LABEL, ns]]);
        nsLabels.set(ns, labels);
      }
      return labels;
    },
    applying(pod, direction) {
      let entry = applyingCache.get(pod);
      if (!entry) {
        // hostNetwork / IP-less / finished pods are never selected (spec §7, option (b)).
        const selecting = isEndpoint(pod)
          ? (byNamespace.get(pod.namespace) ?? []).filter((p) => selectorMatches(p.podSelector, pod.labels))
          : [];
        entry = {
          ingress: selecting.filter((p) => p.types.ingress),
          egress: selecting.filter((p) => p.types.egress),
        };
        applyingCache.set(pod, entry);
      }
      return entry[direction];
    },
    isNodeAddress(nodeName, ip) {
      const a = address(ip);
      const k = a ? `${a.family}/${a.value}` : null;
      return k !== null && (nodeAddrs.get(nodeName)?.has(k) ?? false);
    },
    nodeIP(nodeName) {
      return nodeIPs.get(nodeName) ?? null;
    },
    endpoints() {
      endpoints ??= sortedEndpoints(model);
      return endpoints;
    },
    address,
    cidr(text) {
      let c = cidrs.get(text);
      if (c === undefined) cidrs.set(text, (c = parseCidr(text)));
      return c;
    },
  };
}

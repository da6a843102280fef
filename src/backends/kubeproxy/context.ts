// What kube-proxy knows (spec kubeproxy-format §3.1, §3.3(g)(h), [LD]), in
// two parts: the proxier's, which is the same on every node (configuration,
// mark, local-traffic detector, version profile) and is built once per
// compilation; and the node's own (its name for "local" endpoints, its
// addresses), which is all that a node adds.
import { memoTable, type Compilation } from "../../compilation.js";
import type { Cluster, Node } from "../../ir/cluster.js";
import { DEFAULT_KUBE_PROXY_CONFIG, type KubeProxyConfig } from "../../ir/service.js";
import type { RulePart } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import { markText } from "./names.js";
import { profileOf, type KubeProxyOptions, type Profile } from "./options.js";
import { inIface, src } from "./parts.js";

/** The node-independent half: one per compilation and set of options. */
export interface ProxierContext {
  readonly opts: KubeProxyOptions;
  readonly profile: Profile;
  readonly config: KubeProxyConfig;
  /** Detector args: `! -s <cidr>` style "not local" and `-s <cidr>` style "is local"; null = no detector. */
  readonly detector: { readonly notLocal: RulePart[]; readonly isLocal: RulePart[] } | null;
  /** The first clusterCIDR of the family (legacy KUBE-FORWARD and XLB rules). */
  readonly clusterCIDR: string | null;
  /** The masquerade mark as kube-proxy writes it. */
  readonly mark: string;
  /** IPv4 and localhostNodePorts: KUBE-FIREWALL and localhost nodePorts (§3.1). */
  readonly localhostNodePorts: boolean;
  /** The snapshot's nodes by name. */
  readonly nodes: ReadonlyMap<string, Node>;
}

/** The proxier's context plus what one node adds. */
export interface NodeContext extends ProxierContext {
  /** The name endpoints must carry to be local (hostnameOverride, else the node's). */
  readonly localName: string;
  /** The node's own address of the proxier family (for the source-range allow-from-node rule). */
  readonly nodeIP: string | null;
  /** Local addresses in interface order (lo, the node address, the IPIP tunnel), for nodePortAddresses. */
  readonly nodeAddresses: readonly string[];
}

const isV6 = (a: string): boolean => a.includes(":");

const PROXIERS = memoTable<string, ProxierContext>("kubeproxy/proxier");

/**
 * The proxier context for these options, built once per compilation. Keyed
 * by the options' value (every field, sorted by name), so a caller may build
 * equal options anew for every node and still share the work.
 */
export function proxierContext(comp: Compilation, opts: KubeProxyOptions): ProxierContext {
  // Sorted for determinism: the key must not depend on the order the fields were written in.
  const key = JSON.stringify(Object.entries(opts).sort(([a], [b]) => byteCompare(a, b)));
  return comp.memo(PROXIERS, key, () => buildProxier(comp.model.cluster, opts));
}

function buildProxier(cluster: Cluster, opts: KubeProxyOptions): ProxierContext {
  const config = cluster.services?.kubeProxy ?? DEFAULT_KUBE_PROXY_CONFIG;
  const fam = (a: string): boolean => isV6(a) === (opts.family === 6);
  return {
    opts,
    profile: profileOf(opts.version),
    config,
    detector: detectorParts(config, fam),
    clusterCIDR: config.clusterCIDRs.find(fam) ?? null,
    mark: markText(config.masqueradeBit, opts.paddedMark),
    localhostNodePorts: opts.family === 4 && config.localhostNodePorts,
    nodes: new Map(cluster.nodes.map((n) => [n.name, n])),
  };
}

export function nodeContext(px: ProxierContext, nodeName: string): NodeContext {
  const fam = (a: string): boolean => isV6(a) === (px.opts.family === 6);
  const node = px.nodes.get(nodeName);
  const nodeIP = node?.ip && fam(node.ip) ? node.ip : null;
  const loopback = px.opts.family === 6 ? "::1" : "127.0.0.1";
  const nodeAddresses = [loopback, nodeIP, node?.tunnelAddress ?? null].filter((a): a is string => a !== null && fam(a));
  return { ...px, localName: px.config.hostnameOverride ?? nodeName, nodeIP, nodeAddresses: [...new Set(nodeAddresses)] };
}

/** [LD]: cluster CIDR `-s`, bridge `-i <bridge>`, interface prefix `-i <prefix>+`. */
function detectorParts(config: KubeProxyConfig, fam: (a: string) => boolean): ProxierContext["detector"] {
  const d = config.detectLocal;
  switch (d.kind) {
    case "none":
      return null;
    case "cidr": {
      const cidr = d.cidrs.find(fam);
      return cidr ? { notLocal: [src(cidr, true)], isLocal: [src(cidr)] } : null;
    }
    case "bridge":
      return { notLocal: [inIface(d.iface, true)], isLocal: [inIface(d.iface)] };
    case "interface-prefix":
      return { notLocal: [inIface(`${d.prefix}+`, true)], isLocal: [inIface(`${d.prefix}+`)] };
  }
}

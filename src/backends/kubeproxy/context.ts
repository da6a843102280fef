// What kube-proxy knows on one node: its name (for "local" endpoints), its
// addresses, the local-traffic detector, the mark and the switches of its
// configuration (spec kubeproxy-format §3.1, §3.3(g)(h), [LD]).
import type { Cluster } from "../../ir/cluster.js";
import { DEFAULT_KUBE_PROXY_CONFIG, type KubeProxyConfig } from "../../ir/service.js";
import type { RulePart } from "../../rules/types.js";
import { markText } from "./names.js";
import { profileOf, type KubeProxyOptions, type Profile } from "./options.js";
import { inIface, src } from "./parts.js";

export interface NodeContext {
  readonly opts: KubeProxyOptions;
  readonly profile: Profile;
  readonly config: KubeProxyConfig;
  /** The name endpoints must carry to be local (hostnameOverride, else the node's). */
  readonly localName: string;
  /** The node's own address of the proxier family (for the source-range allow-from-node rule). */
  readonly nodeIP: string | null;
  /** Local addresses in interface order (lo, the node address, the IPIP tunnel), for nodePortAddresses. */
  readonly nodeAddresses: readonly string[];
  /** Detector args: `! -s <cidr>` style "not local" and `-s <cidr>` style "is local"; null = no detector. */
  readonly detector: { readonly notLocal: RulePart[]; readonly isLocal: RulePart[] } | null;
  /** The first clusterCIDR of the family (legacy KUBE-FORWARD and XLB rules). */
  readonly clusterCIDR: string | null;
  /** The masquerade mark as kube-proxy writes it. */
  readonly mark: string;
  /** IPv4 and localhostNodePorts: KUBE-FIREWALL and localhost nodePorts (§3.1). */
  readonly localhostNodePorts: boolean;
}

const isV6 = (a: string): boolean => a.includes(":");

export function nodeContext(cluster: Cluster, nodeName: string, opts: KubeProxyOptions): NodeContext {
  const config = cluster.services?.kubeProxy ?? DEFAULT_KUBE_PROXY_CONFIG;
  const fam = (a: string): boolean => isV6(a) === (opts.family === 6);
  const node = cluster.nodes.find((n) => n.name === nodeName);
  const nodeIP = node?.ip && fam(node.ip) ? node.ip : null;
  const loopback = opts.family === 6 ? "::1" : "127.0.0.1";
  const nodeAddresses = [loopback, nodeIP, node?.tunnelAddress ?? null].filter((a): a is string => a !== null && fam(a));
  const clusterCIDR = config.clusterCIDRs.find(fam) ?? null;
  return {
    opts,
    profile: profileOf(opts.version),
    config,
    localName: config.hostnameOverride ?? nodeName,
    nodeIP,
    nodeAddresses: [...new Set(nodeAddresses)],
    detector: detectorParts(config, fam),
    clusterCIDR,
    mark: markText(config.masqueradeBit, opts.paddedMark),
    localhostNodePorts: opts.family === 4 && config.localhostNodePorts,
  };
}

/** [LD]: cluster CIDR `-s`, bridge `-i <bridge>`, interface prefix `-i <prefix>+`. */
function detectorParts(config: KubeProxyConfig, fam: (a: string) => boolean): NodeContext["detector"] {
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

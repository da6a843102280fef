// The backends as the rest of netpolc sees them. A backend turns one
// compilation (src/compilation.ts: the model plus every memo table) into what
// an agent programs on one node, in the rule model (src/rules/types.ts); the
// renderer of its output format turns that into text, and the same format's
// parser reads the text back into the form the simulator walks. Everything
// outside src/backends reaches a backend through this file — compile, verify,
// explain, diff, matrix, the views and the CLI — never through a file inside
// a backend's folder, so a backend's internals can change (or a new backend,
// such as nftables, arrive) without touching them.
import type { Compilation } from "../compilation.js";
import type { NetworkPolicy } from "../ir/policy.js";
import type { Rule, RuleSet } from "../rules/types.js";
import type { NftTable } from "../rules/nft/model.js";
import type { RenderOptions } from "../rules/writer.js";
import * as calico from "./calico/index.js";
import * as kubeProxy from "./kubeproxy/index.js";
import type { OptimizeOptions, Pass } from "./calico/optimize/index.js";
import type { NodeOutput } from "./types.js";

export type { NodeOutput } from "./types.js";
export type { CalicoOptions, RouteProgrammer } from "./calico/index.js";
export { CALICO_VERSIONS, NEWEST_CALICO_VERSION, profileHasFlowLogs, versionOfRelease, type CalicoVersion } from "./calico/profile.js";
import { CALICO_VERSIONS } from "./calico/profile.js";
export { DEFAULT_CALICO_OPTIONS, blockProgrammer, calicoHasNftables, nftNamePanics, type NftNamePanic } from "./calico/index.js";
/** How the iptables text of a compile under these Calico options names protocols (`--protocol-numbers`, Appendix A). */
export const renderOptionsOf = (opts: calico.CalicoOptions): RenderOptions => calico.renderOptionsOf(opts);
export type { KubeProxyOptions, KubeProxyVersion, KubeProxyForm } from "./kubeproxy/index.js";
export { DEFAULT_KUBE_PROXY_OPTIONS, KUBE_PROXY_VERSIONS } from "./kubeproxy/index.js";
export { PASS_NAMES, selectPasses, type OptLevel, type OptimizeOptions, DEFAULT_OPTIMIZE } from "./calico/optimize/index.js";

/** A node's routes and VXLAN forwarding entries. */
export type NodeRoutes = Pick<NodeOutput, "routes" | "fdb">;

/** A workload endpoint as the Calico backend programs it: where verify's topology puts a pod. */
export interface WorkloadPlace {
  readonly namespace: string;
  readonly pod: string;
  readonly node: string;
  /** The host-side interface (cali + hash, §9.5). */
  readonly iface: string;
  /** The pod's IPv4 address ("" when it has none) and IPv6 address (null when it has none). */
  readonly ip: string;
  readonly ip6: string | null;
}

/** The names verify, explain and the views read rules and routes by: what a backend's chains and devices mean. */
export interface BackendNames {
  /** A chain that enforces a policy or profile (Calico's cali-pi/po/pri/pro-). */
  isPolicyChain(chain: string): boolean;
  /** The chains that may enforce `policy` in `dir` (before -O2 shares it): its name in every supported Calico version. */
  policyChains(dir: "ingress" | "egress", policy: NetworkPolicy): string[];
  /** The mark bit a policy or profile chain sets to accept (Felix's accept mark, §4.2). */
  readonly acceptMark: number;
  /** The tunnel devices routes may name (calico-routes §2). */
  readonly devices: { readonly ipipTunnel: string; readonly vxlanTunnel: string };
  /** kube-proxy's KUBE-SEP chain of one endpoint of a service port (kubeproxy-format §2). */
  serviceEndpointChain(spn: string, protocol: string, endpoint: string): string;
  /**
   * The `-m recent` lists that pin a client to one endpoint (ClientIP affinity): the KUBE-SEP chain's name in
   * iptables mode, the endpoint's affinity set in nftables mode (lowered to a recent list, rules/nft/lower.ts).
   */
  serviceAffinityLists(spn: string, protocol: string, ip: string, port: number): string[];
  /** The host-side interface Felix gives a pod's endpoint (§9.5). */
  workloadInterface(namespace: string, pod: string, interfacePrefix: string): string;
}

export const NAMES: BackendNames = {
  isPolicyChain: calico.isPolicyChain,
  policyChains: (dir, p) => [...new Set(CALICO_VERSIONS.map((v) => calico.policyChainNameIn(v, dir, p.namespace, p.name)))],
  acceptMark: calico.MARK.accept,
  devices: calico.DEVICE,
  serviceEndpointChain: kubeProxy.serviceEndpointChain,
  serviceAffinityLists: (spn, protocol, ip, port) => [kubeProxy.serviceEndpointChain(spn, protocol, `${ip}:${port}`), kubeProxy.serviceAffinitySet(spn, protocol, ip, port)],
  workloadInterface: calico.workloadInterfaceName,
};

/** Which agents program the node: Calico's Felix, kube-proxy, or both (one iptables-restore input for the whole node). */
export type BackendChoice = "both" | "calico" | "kube-proxy";

/** How an agent programs the node's packet filter (kube-proxy's --proxy-mode; Felix's nftablesMode). */
export type Dataplane = "iptables" | "nftables";

export interface Dataplanes {
  readonly calico: Dataplane;
  readonly kubeProxy: Dataplane;
}

export const IPTABLES_DATAPLANES: Dataplanes = { calico: "iptables", kubeProxy: "iptables" };

export interface BackendOptions {
  readonly backend: BackendChoice;
  readonly calico: calico.CalicoOptions;
  readonly kubeProxy: kubeProxy.KubeProxyOptions;
  /** -O level and -O2 passes; -O1 is Felix's own layout. */
  readonly optimize: OptimizeOptions;
  /** With kube-proxy alone: its restore payload in kube-proxy's test-sorted layout (§4.2) instead of iptables-save's form. */
  readonly kubeProxyForm: kubeProxy.KubeProxyForm;
  /** Which agents run in nftables mode (absent: both in iptables mode). */
  readonly dataplane?: Dataplanes;
}

/**
 * The backends of one compilation under one set of options: what each node
 * gets, its routes alone, the workloads the Calico backend wires, and the
 * renderer options its text is printed with.
 */
export class NodePrograms {
  private readonly passes: readonly Pass[];

  constructor(readonly comp: Compilation, readonly opts: BackendOptions) {
    this.passes = calico.passesOf(opts.optimize);
  }

  /** Whether kube-proxy's chains are part of each node's output (a snapshot without Services models policy only). */
  private get withKubeProxy(): boolean {
    return this.opts.backend === "kube-proxy" || (this.opts.backend === "both" && this.comp.model.cluster.services !== undefined);
  }

  /** One node's output: Felix's (at the chosen -O level), kube-proxy's, or both merged as on a node. */
  render(node: string): NodeOutput {
    return this.renderWith(node, this.passes);
  }

  private renderWith(node: string, passes: readonly Pass[]): NodeOutput {
    const { comp, opts } = this;
    const dp = opts.dataplane ?? IPTABLES_DATAPLANES;
    const ipv6 = opts.calico.ipv6;
    // kube-proxy runs one proxier per family (kubeproxy-format: the IPv6 one writes ip6tables).
    // With `--ip-family 6` (kube-proxy alone) the node file is already the IPv6 proxier's.
    const dual = ipv6 && opts.kubeProxy.family === 4;
    const kube6 = (form: kubeProxy.KubeProxyForm): RuleSet | null =>
      dual ? kubeProxy.renderKubeProxyNode(comp, node, { ...opts.kubeProxy, family: 6 }, form) : null;
    // In nftables mode each proxier owns one table (`ip kube-proxy`, `ip6 kube-proxy`; nftables.md §A.2).
    const kubeNft = (): NftTable[] => {
      const v4 = kubeProxy.renderKubeProxyNft(comp, node, opts.kubeProxy);
      return dual ? [v4, kubeProxy.renderKubeProxyNft(comp, node, { ...opts.kubeProxy, family: 6 })] : [v4];
    };
    if (opts.backend === "kube-proxy") {
      if (dp.kubeProxy === "nftables") return { node, ruleset: EMPTY_RULESET, ruleset6: null, ipsets: [], routes: [], fdb: [], nft: { tables: kubeNft() } };
      const form = opts.kubeProxyForm;
      return { node, ruleset: kubeProxy.renderKubeProxyNode(comp, node, opts.kubeProxy, form), ruleset6: kube6(form), ipsets: [], routes: [], fdb: [] };
    }
    // -O2 optimises both families' tables (optimize/node.ts).
    const felix = calico.optimizeCalicoNode(comp, calico.renderCalicoNode(comp, node, opts.calico), opts.calico, passes);
    const withKube = this.withKubeProxy;
    if (dp.calico === "iptables" && (!withKube || dp.kubeProxy === "iptables")) {
      if (!withKube) return felix;
      const kube = kubeProxy.renderKubeProxyNode(comp, node, opts.kubeProxy, "saved");
      const k6 = kube6("saved");
      return {
        ...felix,
        ruleset: mergeNodeRuleSets(felix.ruleset, kube),
        ruleset6: felix.ruleset6 && k6 ? mergeNodeRuleSets(felix.ruleset6, k6) : felix.ruleset6,
      };
    }
    // At least one agent in nftables mode: kube-proxy's tables are created first (Felix 3.32's Auto mode looks for
    // them), then Felix's; an agent still in iptables mode keeps its tables in `ruleset`.
    const tables: NftTable[] = withKube && dp.kubeProxy === "nftables" ? kubeNft() : [];
    if (dp.calico === "nftables") {
      tables.push(calico.renderCalicoNft(comp, felix, opts.calico, 4));
      if (felix.ruleset6) tables.push(calico.renderCalicoNft(comp, felix, opts.calico, 6));
    }
    const iptables = (own: RuleSet | null, kube: RuleSet | null): RuleSet | null => {
      if (dp.calico === "iptables") return own && kube ? mergeNodeRuleSets(own, kube) : own;
      return kube ?? (own ? EMPTY_RULESET : null);
    };
    const kubeIpt = withKube && dp.kubeProxy === "iptables";
    return {
      ...felix,
      ruleset: iptables(felix.ruleset, kubeIpt ? kubeProxy.renderKubeProxyNode(comp, node, opts.kubeProxy, "saved") : null) ?? EMPTY_RULESET,
      ruleset6: iptables(felix.ruleset6, kubeIpt ? kube6("saved") : null),
      ipsets: dp.calico === "nftables" ? [] : felix.ipsets,
      nft: { tables },
    };
  }

  /** Only the node's routes (kube-proxy alone programs none). */
  routes(node: string): NodeRoutes {
    return this.opts.backend === "kube-proxy" ? { routes: [], fdb: [] } : calico.renderCalicoRoutes(this.comp, node, this.opts.calico);
  }

  /** Every workload endpoint Felix programs, in snapshot order. */
  workloads(): WorkloadPlace[] {
    return calico.workloadPlaces(this.comp, this.opts.calico.interfacePrefix);
  }

  /** The -O2 figures of one node (--stats): its -O1 output, then after each selected pass in turn. */
  statsTrail(node: string): { pass: string; stats: NodeStats }[] {
    const base = this.renderWith(node, []);
    const trail = [{ pass: "-O1", stats: statsOf(base) }];
    for (let i = 1; i <= this.passes.length; i++) {
      trail.push({ pass: this.passes[i - 1]!.name, stats: statsOf(calico.optimizeCalicoNode(this.comp, base, this.opts.calico, this.passes.slice(0, i))) });
    }
    return trail;
  }
}

/** Felix inserts its hooks (`-j cali-*`) at the top of built-in chains and keeps them there; the rest it appends (felix-format §2.2). */
function isFelixHook(r: Rule): boolean {
  return r.target?.kind === "jump" && r.target.name.startsWith("cali-");
}

const EMPTY_RULESET: RuleSet = { tables: [] };

function mergeNodeRuleSets(felix: RuleSet, kube: RuleSet): RuleSet {
  return kubeProxy.mergeNodeRuleSets(felix, kube, isFelixHook);
}

export interface NodeStats {
  readonly rules: number;
  readonly chains: number;
  readonly sets: number;
  readonly members: number;
}

export function statsOf(out: NodeOutput): NodeStats {
  const chains = out.ruleset.tables.flatMap((t) => t.chains);
  return {
    rules: chains.reduce((n, c) => n + c.rules.length, 0),
    chains: chains.length,
    sets: out.ipsets.length,
    members: out.ipsets.reduce((n, s) => n + s.members.length, 0),
  };
}

/** The stats table of one node, one line per step: `node step rules chains sets members`. */
export function statsText(node: string, trail: readonly { pass: string; stats: NodeStats }[]): string {
  const rows = trail.map(({ pass, stats }) => `${node}\t${pass}\t${stats.rules}\t${stats.chains}\t${stats.sets}\t${stats.members}`);
  return rows.join("\n") + "\n";
}

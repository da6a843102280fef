// Dispatches objects to their decoders and gathers the results: duplicate
// objects are refused, ignored kinds are counted for one warning each, and
// namespace references are remembered for implicit namespaces.
import type { DiagnosticSink, Span } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { IPPool, Node, Pod } from "../ir/cluster.js";
import type { NetworkPolicy } from "../ir/policy.js";
import { byNamespaceName, type ClusterInputs } from "./cluster/build.js";
import { decodeIPPool } from "./cluster/ippool.js";
import { decodeNode } from "./cluster/node.js";
import { decodePod } from "./cluster/pod.js";
import { decodeNamespace, decodeServiceAccount, type DeclaredNamespace, type DeclaredServiceAccount } from "./cluster/simple.js";
import { decodeNetworkPolicy } from "./netpol/index.js";
import { classify, noMatchMessage, type RawObject } from "./objects.js";
import { decodeEndpoints, decodeEndpointSlice, decodeKubeProxyConfiguration, decodeService, ServiceInputLists, type ServiceInputs } from "./services/index.js";

interface Ignored {
  readonly apiVersion: string;
  readonly kind: string;
  readonly first: Span;
  count: number;
}

export class Collector {
  private readonly namespaces: DeclaredNamespace[] = [];
  private readonly serviceAccounts: DeclaredServiceAccount[] = [];
  private readonly pods: Pod[] = [];
  private readonly nodes: Node[] = [];
  private readonly pools: IPPool[] = [];
  private readonly netpols: NetworkPolicy[] = [];
  private readonly namespaceRefs: { name: string; span: Span | null }[] = [];
  private readonly svc = new ServiceInputLists();
  /** First span of every (kind, namespace, name), to refuse duplicates. */
  private readonly seen = new Map<string, Span>();
  /** In order of first occurrence. */
  private readonly ignored = new Map<string, Ignored>();

  constructor(
    private readonly diag: DiagnosticSink,
    private readonly sources: SourceMap,
  ) {}

  add(o: RawObject): void {
    const c = classify(o.apiVersion, o.kind);
    if (c.kind === "accepted") return;
    if (c.kind === "no-match") {
      this.diag.error("input/no-matches-for-kind", o.root.span, noMatchMessage(o));
      return;
    }
    if (c.kind === "ignored") {
      this.countIgnored(o);
      return;
    }
    switch (c.name) {
      case "namespace":
        return this.keep(o, decodeNamespace(o, this.diag), (ns) => this.namespaces.push(ns), (ns) => ["", ns.name]);
      case "serviceaccount":
        return this.keep(o, decodeServiceAccount(o, this.diag), (sa) => this.serviceAccounts.push(sa), (sa) => [sa.namespace, sa.name], true);
      case "pod":
        return this.keep(o, decodePod(o, this.diag), (p) => this.pods.push(p), (p) => [p.namespace, p.name], true);
      case "node":
        return this.keep(o, decodeNode(o, this.diag), (n) => this.nodes.push(n), (n) => ["", n.name]);
      case "ippool":
        return this.keep(o, decodeIPPool(o, this.diag), (p) => this.pools.push(p), (p) => ["", p.name]);
      case "networkpolicy":
        return this.keep(o, decodeNetworkPolicy(o, this.diag), (p) => this.netpols.push(p), (p) => [p.namespace, p.name], true);
      case "service":
        return this.keep(o, decodeService(o, this.diag), (v) => this.svc.services.push(v), (v) => [v.namespace, v.name], true);
      case "endpointslice":
        return this.keep(o, decodeEndpointSlice(o, this.diag), (v) => this.svc.endpoints.push(v), (v) => [v.namespace, v.name], true);
      case "endpoints":
        return this.keep(o, decodeEndpoints(o, this.diag), (v) => this.svc.endpoints.push(v), (v) => [v.namespace, v.name], true);
      case "kubeproxyconfiguration":
        return this.keep(o, decodeKubeProxyConfiguration(o, this.diag), (v) => this.svc.configs.push(v), (v) => ["", v.name]);
    }
  }

  /** Keep a decoded object unless an object of the same kind, namespace and name came first. */
  private keep<T>(o: RawObject, value: T | null, push: (v: T) => void, id: (v: T) => [string, string], namespaced = false): void {
    if (value === null) return;
    const [ns, name] = id(value);
    const key = `${o.kind}\u0000${ns}\u0000${name}`;
    const first = this.seen.get(key);
    if (first) {
      const at = this.sources.position(first.file, first.start);
      const what = ns ? `${ns}/${name}` : name;
      this.diag.error("input/duplicate-object", o.root.span, `duplicate ${o.kind} "${what}": the same object is defined twice`, [
        `first defined at ${first.file}:${at.line}:${at.col}`,
      ]);
      return;
    }
    this.seen.set(key, o.root.span);
    if (namespaced) this.namespaceRefs.push({ name: ns, span: o.root.span });
    push(value);
  }

  private countIgnored(o: RawObject): void {
    const key = `${o.apiVersion}\u0000${o.kind}`;
    const entry = this.ignored.get(key);
    if (entry) entry.count++;
    else this.ignored.set(key, { apiVersion: o.apiVersion, kind: o.kind, first: o.root.span, count: 1 });
  }

  /** One warning per (apiVersion, kind), at its first occurrence. */
  reportIgnoredKinds(): void {
    for (const i of this.ignored.values()) {
      const objects = i.count === 1 ? "1 object" : `${i.count} objects`;
      this.diag.warning("input/ignored-kind", i.first, `ignoring ${objects} of kind "${i.kind}" in version "${i.apiVersion}": netpolc does not read this kind`);
    }
  }

  clusterInputs(): ClusterInputs {
    return {
      namespaces: this.namespaces,
      serviceAccounts: this.serviceAccounts,
      pods: this.pods,
      nodes: this.nodes,
      pools: this.pools,
      namespaceRefs: this.namespaceRefs,
    };
  }

  serviceInputs(): ServiceInputs {
    return this.svc;
  }

  /** Sorted for determinism: (namespace, name). */
  policies(): NetworkPolicy[] {
    return [...this.netpols].sort(byNamespaceName);
  }
}

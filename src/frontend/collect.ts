// Files → decoded objects → the collector's lists.
//
// decodeFile is pure and per file (parse, unwrap Lists, classify, decode):
// it records what it found as FileItems — diagnostics, ignored objects and
// decoded values, interleaved in the order they arose — so that it can run
// on another thread (./parallel.ts). The Collector then applies every file's
// items in file order: it refuses duplicate objects, counts ignored kinds for
// one warning each, and remembers namespace references for implicit
// namespaces. Replaying the items gives the same diagnostics, in the same
// order, as decoding in place.
import { DiagnosticSink, type Diagnostic, type Span } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { IPPool, Node, Pod } from "../ir/cluster.js";
import type { NetworkPolicy } from "../ir/policy.js";
import { byNamespaceName, type ClusterInputs } from "./cluster/build.js";
import { decodeIPPool } from "./cluster/ippool.js";
import { decodeNode } from "./cluster/node.js";
import { decodePod } from "./cluster/pod.js";
import { decodeNamespace, decodeServiceAccount, type DeclaredNamespace, type DeclaredServiceAccount } from "./cluster/simple.js";
import {
  assembleIPAM, decodeBlockAffinity, decodeIPAMBlock, decodeIPAMConfig, decodeIPAMHandle, IPAMInputLists,
  type DeclaredBlockAffinity, type DeclaredIPAMBlock, type DeclaredIPAMConfig, type DeclaredIPAMHandle,
} from "./ipam/index.js";
import { decodeNetworkPolicy } from "./netpol/index.js";
import { classify, collectObjects, identityKind, noMatchMessage, type KindName, type RawObject } from "./objects.js";
import {
  decodeEndpoints, decodeEndpointSlice, decodeKubeProxyConfiguration, decodeService, decodeServiceCIDR, ServiceInputLists,
  type DeclaredEndpoints, type DeclaredKubeProxyConfig, type DeclaredService, type DeclaredServiceCIDR, type ServiceInputs,
} from "./services/index.js";
import { Schemas } from "./schema.js";
import { decodeClusterInformation, type DeclaredClusterInformation } from "./cluster/clusterinformation.js";
import type { CalicoRelease } from "../ir/cluster.js";
import { parseYaml } from "./yaml/parse.js";

export interface InputFile {
  /** As the user gave it; used in diagnostics. */
  readonly path: string;
  readonly text: string;
}

/** A decoded object, tagged by what the collector does with it. */
export type Decoded =
  | { readonly name: "namespace"; readonly value: DeclaredNamespace }
  | { readonly name: "serviceaccount"; readonly value: DeclaredServiceAccount }
  | { readonly name: "pod"; readonly value: Pod }
  | { readonly name: "node"; readonly value: Node }
  | { readonly name: "ippool"; readonly value: IPPool }
  | { readonly name: "networkpolicy"; readonly value: NetworkPolicy }
  | { readonly name: "service"; readonly value: DeclaredService }
  | { readonly name: "endpoints"; readonly value: DeclaredEndpoints }
  | { readonly name: "kubeproxyconfiguration"; readonly value: DeclaredKubeProxyConfig }
  | { readonly name: "servicecidr"; readonly value: DeclaredServiceCIDR }
  | { readonly name: "ipamblock"; readonly value: DeclaredIPAMBlock }
  | { readonly name: "blockaffinity"; readonly value: DeclaredBlockAffinity }
  | { readonly name: "ipamhandle"; readonly value: DeclaredIPAMHandle }
  | { readonly name: "ipamconfig"; readonly value: DeclaredIPAMConfig }
  | { readonly name: "clusterinformation"; readonly value: DeclaredClusterInformation };

/** What decoding a file found, in order. Plain data: it crosses threads by structured clone. */
export type FileItem =
  | { readonly t: "diag"; readonly diag: Diagnostic }
  | { readonly t: "ignored"; readonly apiVersion: string; readonly kind: string; readonly span: Span }
  | { readonly t: "object"; readonly kind: string; readonly span: Span; readonly decoded: Decoded };

/** A sink that records each diagnostic as a FileItem, between the objects it concerns. */
class RecordingSink extends DiagnosticSink {
  constructor(private readonly out: FileItem[]) {
    super();
  }

  override report(d: Diagnostic): void {
    this.out.push({ t: "diag", diag: d });
  }
}

/**
 * Parse and decode one file. `sources` must already hold the file (duplicate-key notes need positions).
 * The file's decodes share one Schemas (schema navigation tables), dropped with the file.
 */
export function decodeFile(file: InputFile, sources: SourceMap): FileItem[] {
  const items: FileItem[] = [];
  const diag = new RecordingSink(items);
  const schemas = new Schemas();
  for (const o of collectObjects(parseYaml(file.path, file.text, diag, sources), diag)) decodeObject(o, diag, schemas, items);
  return items;
}

function decodeObject(o: RawObject, diag: DiagnosticSink, schemas: Schemas, out: FileItem[]): void {
  const c = classify(o.apiVersion, o.kind);
  if (c.kind === "accepted") return;
  if (c.kind === "no-match") {
    diag.error("input/no-matches-for-kind", o.root.span, noMatchMessage(o));
    return;
  }
  if (c.kind === "ignored") {
    out.push({ t: "ignored", apiVersion: o.apiVersion, kind: o.kind, span: o.root.span });
    return;
  }
  const decoded = decodeKind(c.name, o, diag, schemas);
  if (decoded) out.push({ t: "object", kind: o.kind, span: o.root.span, decoded });
}

function decodeKind(name: KindName, o: RawObject, diag: DiagnosticSink, schemas: Schemas): Decoded | null {
  const tag = <D extends Decoded>(n: D["name"], value: D["value"] | null): Decoded | null => (value === null ? null : ({ name: n, value } as Decoded));
  switch (name) {
    case "namespace": return tag("namespace", decodeNamespace(o, diag, schemas));
    case "serviceaccount": return tag("serviceaccount", decodeServiceAccount(o, diag, schemas));
    case "pod": return tag("pod", decodePod(o, diag, schemas));
    case "node": return tag("node", decodeNode(o, diag, schemas));
    case "ippool": return tag("ippool", decodeIPPool(o, diag, schemas));
    case "networkpolicy": return tag("networkpolicy", decodeNetworkPolicy(o, diag, schemas));
    case "service": return tag("service", decodeService(o, diag, schemas));
    case "endpointslice": return tag("endpoints", decodeEndpointSlice(o, diag, schemas));
    case "endpoints": return tag("endpoints", decodeEndpoints(o, diag, schemas));
    case "kubeproxyconfiguration": return tag("kubeproxyconfiguration", decodeKubeProxyConfiguration(o, diag, schemas));
    case "servicecidr": return tag("servicecidr", decodeServiceCIDR(o, diag, schemas));
    case "ipamblock": return tag("ipamblock", decodeIPAMBlock(o, diag, schemas));
    case "blockaffinity": return tag("blockaffinity", decodeBlockAffinity(o, diag, schemas));
    case "ipamhandle": return tag("ipamhandle", decodeIPAMHandle(o, diag, schemas));
    case "ipamconfig": return tag("ipamconfig", decodeIPAMConfig(o, diag, schemas));
    case "clusterinformation": return tag("clusterinformation", decodeClusterInformation(o, diag, schemas));
  }
}

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
  /** ClusterInformation releases (one object named "default"; a second is a duplicate, reported as such). */
  private readonly releases: CalicoRelease[] = [];

  private calicoRelease(): CalicoRelease | null {
    return this.releases[0] ?? null;
  }
  private readonly ipam = new IPAMInputLists();
  /** First span of every (kind, namespace, name), to refuse duplicates. */
  private readonly seen = new Map<string, Span>();
  /** In order of first occurrence. */
  private readonly ignored = new Map<string, Ignored>();

  constructor(
    private readonly diag: DiagnosticSink,
    private readonly sources: SourceMap,
  ) {}

  /** Apply one file's items, in their order. */
  apply(items: readonly FileItem[]): void {
    for (const it of items) {
      if (it.t === "diag") this.diag.report(it.diag);
      else if (it.t === "ignored") this.countIgnored(it);
      else this.keep(it.kind, it.span, it.decoded);
    }
  }

  /**
   * Keep a decoded object unless an object of the same kind, namespace and
   * name came first. The kind is the object's identity, not its spelling:
   * v1 IPAMConfig and v3 IPAMConfiguration "default" are one object.
   */
  private keep(kind: string, span: Span, d: Decoded): void {
    const [ns, name] = idOf(d);
    const key = `${identityKind(kind)}\u0000${ns}\u0000${name}`;
    const first = this.seen.get(key);
    if (first) {
      const at = this.sources.position(first.file, first.start);
      const what = ns ? `${ns}/${name}` : name;
      this.diag.error("input/duplicate-object", span, `duplicate ${kind} "${what}": the same object is defined twice`, [
        `first defined at ${first.file}:${at.line}:${at.col}`,
      ]);
      return;
    }
    this.seen.set(key, span);
    this.push(d);
    if (namespaced(d)) this.namespaceRefs.push({ name: ns, span });
  }

  private push(d: Decoded): void {
    switch (d.name) {
      case "namespace": return void this.namespaces.push(d.value);
      case "serviceaccount": return void this.serviceAccounts.push(d.value);
      case "pod": return void this.pods.push(d.value);
      case "node": return void this.nodes.push(d.value);
      case "ippool": return void this.pools.push(d.value);
      case "networkpolicy": return void this.netpols.push(d.value);
      case "service": return void this.svc.services.push(d.value);
      case "endpoints": return void this.svc.endpoints.push(d.value);
      case "kubeproxyconfiguration": return void this.svc.configs.push(d.value);
      case "servicecidr": return void this.svc.serviceCIDRs.push(d.value);
      case "ipamblock": return void this.ipam.blocks.push(d.value);
      case "blockaffinity": return void this.ipam.affinities.push(d.value);
      case "ipamhandle": return void this.ipam.handles.push(d.value);
      case "ipamconfig": return void this.ipam.configs.push(d.value);
      case "clusterinformation": return void (d.value.release && this.releases.push(d.value.release));
    }
  }

  private countIgnored(it: { apiVersion: string; kind: string; span: Span }): void {
    const key = `${it.apiVersion}\u0000${it.kind}`;
    const entry = this.ignored.get(key);
    if (entry) entry.count++;
    else this.ignored.set(key, { apiVersion: it.apiVersion, kind: it.kind, first: it.span, count: 1 });
  }

  /** One warning per (apiVersion, kind), at its first occurrence. */
  reportIgnoredKinds(): void {
    for (const i of this.ignored.values()) {
      const objects = i.count === 1 ? "1 object" : `${i.count} objects`;
      this.diag.warning("input/ignored-kind", i.first, `ignoring ${objects} of kind "${i.kind}" in version "${i.apiVersion}": netpolc does not read this kind`);
    }
  }

  /** Call once: assembling the IPAM objects reports what only the whole snapshot shows (two IPAM configurations). */
  clusterInputs(): ClusterInputs {
    return {
      namespaces: this.namespaces,
      serviceAccounts: this.serviceAccounts,
      pods: this.pods,
      nodes: this.nodes,
      pools: this.pools,
      ipam: assembleIPAM(this.ipam, this.diag),
      namespaceRefs: this.namespaceRefs,
      calicoRelease: this.calicoRelease(),
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

const CLUSTER_SCOPED: ReadonlySet<Decoded["name"]> = new Set([
  "namespace", "node", "ippool", "kubeproxyconfiguration", "servicecidr", "ipamblock", "blockaffinity", "ipamhandle", "ipamconfig", "clusterinformation",
] as const);

/** Objects that live in a namespace (and so declare it implicitly), by kind. */
function namespaced(d: Decoded): d is Extract<Decoded, { value: { namespace: string } }> {
  return !CLUSTER_SCOPED.has(d.name);
}

function idOf(d: Decoded): [namespace: string, name: string] {
  return namespaced(d) ? [d.value.namespace, d.value.name] : ["", d.value.name];
}

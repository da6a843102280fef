// Documents → Kubernetes objects: unwraps `kind: List` (what
// `kubectl get -o yaml` prints) and sorts objects into the kinds netpolc
// reads, the kinds it accepts and ignores for now, and everything else.
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { child, stringValue, type YDocument, type YMap, type YNode } from "./yaml/tree.js";

export type KindName =
  | "networkpolicy" | "pod" | "node" | "namespace" | "serviceaccount" | "ippool"
  | "service" | "endpointslice" | "endpoints" | "kubeproxyconfiguration" | "servicecidr"
  | "ipamblock" | "blockaffinity" | "ipamhandle" | "ipamconfig" | "clusterinformation";

export interface RawObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly root: YMap;
}

export type Classification =
  | { readonly kind: "read"; readonly name: KindName }
  /** Kinds a later stage will read, accepted without a warning (none at present). */
  | { readonly kind: "accepted" }
  | { readonly kind: "ignored" }
  | { readonly kind: "no-match" };

const READ: ReadonlyMap<string, KindName> = new Map<string, KindName>([
  ["v1 Namespace", "namespace"],
  ["v1 Pod", "pod"],
  ["v1 Node", "node"],
  ["v1 ServiceAccount", "serviceaccount"],
  ["networking.k8s.io/v1 NetworkPolicy", "networkpolicy"],
  ["projectcalico.org/v3 IPPool", "ippool"],
  // What `kubectl get ippools.crd.projectcalico.org -o yaml` prints on a cluster using the Kubernetes datastore.
  ["crd.projectcalico.org/v1 IPPool", "ippool"],
  // The kube-proxy backend's inputs (src/frontend/services).
  ["v1 Service", "service"],
  ["discovery.k8s.io/v1 EndpointSlice", "endpointslice"],
  ["v1 Endpoints", "endpoints"],
  ["kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration", "kubeproxyconfiguration"],
  // The cluster's service ranges (GA in 1.33, beta 1.31–1.32): kube-proxy's nftables cluster-ips-check drops the rest.
  ["networking.k8s.io/v1 ServiceCIDR", "servicecidr"],
  ["networking.k8s.io/v1beta1 ServiceCIDR", "servicecidr"],
  // Calico IPAM (src/frontend/ipam; spec calico-routes §1.1): the v1 CRDs every Kubernetes-datastore cluster has,
  // and the projectcalico.org/v3 CRDs a v3.32+ cluster may be installed with instead.
  ["crd.projectcalico.org/v1 IPAMBlock", "ipamblock"],
  ["projectcalico.org/v3 IPAMBlock", "ipamblock"],
  ["crd.projectcalico.org/v1 BlockAffinity", "blockaffinity"],
  ["projectcalico.org/v3 BlockAffinity", "blockaffinity"],
  ["crd.projectcalico.org/v1 IPAMHandle", "ipamhandle"],
  ["projectcalico.org/v3 IPAMHandle", "ipamhandle"],
  ["crd.projectcalico.org/v1 IPAMConfig", "ipamconfig"],
  ["projectcalico.org/v3 IPAMConfiguration", "ipamconfig"],
  // Which Calico release runs (spec.calicoVersion): picks the Felix profile without --calico-version.
  ["crd.projectcalico.org/v1 ClusterInformation", "clusterinformation"],
  ["projectcalico.org/v3 ClusterInformation", "clusterinformation"],
]);

const ACCEPTED: ReadonlySet<string> = new Set<string>();

/** Groups whose kinds we read: another version of one of our kinds there is an error, not something to skip. */
const OUR_GROUPS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["NetworkPolicy", ["networking.k8s.io", "extensions"]],
  ["Namespace", [""]],
  ["Pod", [""]],
  ["Node", [""]],
  ["ServiceAccount", [""]],
  ["IPPool", ["projectcalico.org", "crd.projectcalico.org"]],
  ["Service", [""]],
  ["EndpointSlice", ["discovery.k8s.io"]],
  ["Endpoints", [""]],
  ["KubeProxyConfiguration", ["kubeproxy.config.k8s.io"]],
  ["ServiceCIDR", ["networking.k8s.io"]],
  ["IPAMBlock", ["projectcalico.org", "crd.projectcalico.org"]],
  ["BlockAffinity", ["projectcalico.org", "crd.projectcalico.org"]],
  ["IPAMHandle", ["projectcalico.org", "crd.projectcalico.org"]],
  // IPAMConfig is the v1 spelling, IPAMConfiguration the v3 one; either spelling in the other group is no kind at all.
  ["IPAMConfig", ["projectcalico.org", "crd.projectcalico.org"]],
  ["IPAMConfiguration", ["projectcalico.org", "crd.projectcalico.org"]],
  ["ClusterInformation", ["projectcalico.org", "crd.projectcalico.org"]],
]);

/**
 * Kinds that name one object kind under two spellings: IPAMConfig
 * (crd.projectcalico.org/v1) and IPAMConfiguration (projectcalico.org/v3) are
 * the same object, so the same name under both is a duplicate. Kinds spelled
 * alike in two groups (IPPool, IPAMBlock, …) need no entry.
 */
const SAME_OBJECT_KIND: ReadonlyMap<string, string> = new Map<string, string>([["IPAMConfiguration", "IPAMConfig"]]);

/** The kind that identifies an object for duplicate detection. */
export function identityKind(kind: string): string {
  return SAME_OBJECT_KIND.get(kind) ?? kind;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

export function classify(apiVersion: string, kind: string): Classification {
  const key = `${apiVersion} ${kind}`;
  const read = READ.get(key);
  if (read) return { kind: "read", name: read };
  if (ACCEPTED.has(key)) return { kind: "accepted" };
  if (OUR_GROUPS.get(kind)?.includes(groupOf(apiVersion))) return { kind: "no-match" };
  return { kind: "ignored" };
}

/** Every object of the documents, List items unwrapped, in document order. */
export function collectObjects(docs: readonly YDocument[], diag: DiagnosticSink): RawObject[] {
  const out: RawObject[] = [];
  // A broken document was already reported; its objects are not decoded.
  for (const d of docs) if (!d.broken) addObject(d.root, diag, out, 0);
  return out;
}

function addObject(n: YNode, diag: DiagnosticSink, out: RawObject[], depth: number): void {
  if (n.kind !== "map") {
    diag.error("input/not-an-object", n.span, `expected a Kubernetes object (a mapping with apiVersion and kind), found a ${n.kind === "seq" ? "sequence" : "scalar"}`);
    return;
  }
  const apiVersion = stringValue(child(n, "apiVersion"));
  const kind = stringValue(child(n, "kind"));
  if (!apiVersion || !kind) {
    // kubectl's words: error validating data: [apiVersion not set, kind not set]
    const missing = [!apiVersion && "apiVersion not set", !kind && "kind not set"].filter(Boolean);
    diag.error("input/missing-type", n.span, `error validating data: ${missing.length > 1 ? `[${missing.join(", ")}]` : missing[0]}`);
    return;
  }
  if (kind === "List" || (kind.endsWith("List") && depth === 0 && child(n, "items") !== undefined)) {
    addListItems(n, diag, out, depth);
    return;
  }
  out.push({ apiVersion, kind, root: n });
}

function addListItems(n: YMap, diag: DiagnosticSink, out: RawObject[], depth: number): void {
  const items = child(n, "items");
  if (items === undefined || (items.kind === "scalar" && items.value === null)) return;
  if (items.kind !== "seq" || depth > 0) {
    const why = depth > 0 ? "a List inside a List is not supported" : "items must be a sequence of objects";
    diag.error("input/bad-list", items.span, why);
    return;
  }
  for (const it of items.items) addObject(it, diag, out, depth + 1);
}

/** kubectl's error for a removed or unknown version of a kind we read. */
export function noMatchMessage(o: RawObject): string {
  return `no matches for kind "${o.kind}" in version "${o.apiVersion}"`;
}

// What a generated case exercises, as tags: the coverage test demands that a
// fixed sample of cases hits every tag, so a generator change that silently
// stops producing (say) endPort ranges or NotIn on a missing key fails loudly
// instead of quietly weakening every property.
import type { GeneratedCase, YamlValue } from "./arbitraries.js";

type Obj = { readonly [k: string]: YamlValue };
const obj = (v: YamlValue | undefined): Obj | null => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : null);
const list = (v: YamlValue | undefined): readonly YamlValue[] | null => (Array.isArray(v) ? (v as readonly YamlValue[]) : null);

export const FEATURES = [
  "pod:hostNetwork", "pod:ip-less", "pod:succeeded", "pod:named-port-shared-name", "pool:explicit", "pool:default",
  "spec:absent", "podSelector:absent", "podSelector:{}",
  "policyTypes:absent", "policyTypes:[]", "policyTypes:Ingress", "policyTypes:Egress", "policyTypes:both", "policyTypes:duplicate",
  "ingress:absent", "ingress:[]", "ingress:[{}]", "egress:absent", "egress:[]", "egress:[{}]", "egress:[]-no-policyTypes",
  "peers:absent", "peers:[]", "peers:one", "peers:two(OR)",
  "peer:pod-only", "peer:ns-only", "peer:pod-and-ns(AND)", "peer:ns{}", "peer:ipBlock", "peer:ipBlock-v6",
  "ipBlock:except", "ipBlock:except-holds-pod-ip", "ipBlock:host-bits",
  "sel:matchLabels", "sel:In", "sel:NotIn", "sel:NotIn-missing-key", "sel:Exists", "sel:DoesNotExist", "sel:metadata.name",
  "ports:absent", "ports:[]", "port:{}", "port:protocol-only", "port:number", "port:endPort", "port:named",
  "port:named-protocol-mismatch", "ports:more-than-multiport-holds", "proto:TCP", "proto:UDP", "proto:SCTP", "name:long",
] as const;
export type Feature = (typeof FEATURES)[number];

function selectorFeatures(s: Obj, podKeys: ReadonlySet<string>, tag: (f: Feature) => void): void {
  if (obj(s["matchLabels"])) tag("sel:matchLabels");
  for (const e of list(s["matchExpressions"]) ?? []) {
    const x = obj(e);
    const op = x?.["operator"];
    const key = String(x?.["key"]);
    if (op === "In" || op === "NotIn" || op === "Exists" || op === "DoesNotExist") tag(`sel:${op}`);
    if (op === "NotIn" && !podKeys.has(key)) tag("sel:NotIn-missing-key");
    if (key === "kubernetes.io/metadata.name") tag("sel:metadata.name");
  }
}

function portFeatures(p: Obj, c: GeneratedCase, tag: (f: Feature) => void): void {
  const proto = typeof p["protocol"] === "string" ? p["protocol"] : "TCP";
  if (proto === "TCP" || proto === "UDP" || proto === "SCTP") tag(`proto:${proto}`);
  const port = p["port"];
  if (port === undefined) tag(p["protocol"] === undefined ? "port:{}" : "port:protocol-only");
  else if (typeof port === "number") tag(p["endPort"] !== undefined ? "port:endPort" : "port:number");
  else {
    tag("port:named");
    const all = c.cluster.pods.flatMap((q) => q.containers.flat());
    if (all.some((q) => q.name === port && q.protocol !== proto)) tag("port:named-protocol-mismatch");
  }
}

/** An IPv4 CIDR whose address is not its network address (valid; only warned about). */
function hasHostBits(cidr: string): boolean {
  const [ip, len] = cidr.split("/");
  if (!ip || ip.includes(":")) return false;
  const addr = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return addr % 2 ** (32 - Number(len)) !== 0;
}

function peerFeatures(peer: Obj, c: GeneratedCase, tag: (f: Feature) => void): void {
  const keys = new Set(c.cluster.pods.flatMap((p) => Object.keys(p.labels)));
  const block = obj(peer["ipBlock"]);
  if (block) {
    const cidr = String(block["cidr"]);
    tag(cidr.includes(":") ? "peer:ipBlock-v6" : "peer:ipBlock");
    const except = list(block["except"]) ?? [];
    if (except.length) tag("ipBlock:except");
    const podIps = c.cluster.pods.flatMap((p) => (p.ip ? [p.ip] : []));
    if (except.some((e) => podIps.some((ip) => String(e).startsWith(`${ip}/`)))) tag("ipBlock:except-holds-pod-ip");
    if (hasHostBits(cidr)) tag("ipBlock:host-bits");
    return;
  }
  const ps = obj(peer["podSelector"]);
  const ns = obj(peer["namespaceSelector"]);
  tag(ps && ns ? "peer:pod-and-ns(AND)" : ps ? "peer:pod-only" : "peer:ns-only");
  if (ns && Object.keys(ns).length === 0) tag("peer:ns{}");
  if (ps) selectorFeatures(ps, keys, tag);
  if (ns) selectorFeatures(ns, new Set(), tag);
}

function ruleFeatures(dir: "ingress" | "egress", spec: Obj, c: GeneratedCase, tag: (f: Feature) => void): void {
  const rules = list(spec[dir]);
  if (!rules) return tag(`${dir}:absent`);
  if (rules.length === 0) tag(`${dir}:[]`);
  for (const r of rules) {
    const rule = obj(r) ?? {};
    if (Object.keys(rule).length === 0) tag(`${dir}:[{}]`);
    const peers = list(rule[dir === "ingress" ? "from" : "to"]);
    tag(!peers ? "peers:absent" : peers.length === 0 ? "peers:[]" : peers.length === 1 ? "peers:one" : "peers:two(OR)");
    for (const p of peers ?? []) peerFeatures(obj(p) ?? {}, c, tag);
    const ports = list(rule["ports"]);
    if (!ports) tag("ports:absent");
    else if (ports.length === 0) tag("ports:[]");
    else if (ports.length > 15) tag("ports:more-than-multiport-holds");
    for (const p of ports ?? []) portFeatures(obj(p) ?? {}, c, tag);
  }
}

function policyTypeFeature(types: readonly YamlValue[] | null): Feature {
  if (!types) return "policyTypes:absent";
  if (types.length === 0) return "policyTypes:[]";
  if (types.length === 2) return types[0] === types[1] ? "policyTypes:duplicate" : "policyTypes:both";
  return types[0] === "Egress" ? "policyTypes:Egress" : "policyTypes:Ingress";
}

export function featuresOf(c: GeneratedCase): Set<Feature> {
  const found = new Set<Feature>();
  const tag = (f: Feature): void => void found.add(f);
  for (const p of c.cluster.pods) {
    if (p.kind === "hostNetwork") tag("pod:hostNetwork");
    if (p.kind === "pending") tag("pod:ip-less");
    if (p.kind === "succeeded") tag("pod:succeeded");
  }
  const byName = new Map<string, Set<string>>();
  for (const q of c.cluster.pods.flatMap((p) => p.containers.flat())) {
    if (q.name) byName.set(q.name, (byName.get(q.name) ?? new Set()).add(`${q.port}/${q.protocol}`));
  }
  if ([...byName.values()].some((s) => s.size > 1)) tag("pod:named-port-shared-name");
  tag(c.cluster.explicitPool ? "pool:explicit" : "pool:default");
  const podKeys = new Set(c.cluster.pods.flatMap((p) => Object.keys(p.labels)));
  for (const doc of c.policies) {
    if (String(obj(obj(doc)?.["metadata"])?.["name"]).length > 28) tag("name:long");
    const spec = obj(obj(doc)?.["spec"]);
    if (!spec) {
      tag("spec:absent");
      continue;
    }
    const sel = obj(spec["podSelector"]);
    if (!sel) tag("podSelector:absent");
    else if (Object.keys(sel).length === 0) tag("podSelector:{}");
    else selectorFeatures(sel, podKeys, tag);
    const types = list(spec["policyTypes"]);
    tag(policyTypeFeature(types));
    const egress = list(spec["egress"]);
    if (egress && egress.length === 0 && (!types || types.length === 0)) tag("egress:[]-no-policyTypes");
    ruleFeatures("ingress", spec, c, tag);
    ruleFeatures("egress", spec, c, tag);
  }
  return found;
}

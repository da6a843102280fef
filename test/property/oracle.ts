// An independent oracle for "is this flow allowed?", written straight from
// netpol-semantics §2–§8 over the generator's own YAML-shaped objects.
//
// Why a second evaluator: verify compares the compiled rules with
// src/semantics, but both read the same IR, so a frontend bug in decoding,
// defaulting or lowering (say `egress: []` without policyTypes turning on
// Egress isolation) would be invisible to it. This oracle never sees the IR:
// it reads what the generator wrote, so oracle == evaluator pins the frontend
// too. Deliberately naive: no indexes, no sharing with src/.
import type { ClusterShape, PodShape, Protocol } from "./cluster-arb.js";
import type { YamlValue } from "./yaml.js";

type Obj = { readonly [k: string]: YamlValue };
const obj = (v: YamlValue | undefined): Obj | null => (v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : null);
const list = (v: YamlValue | undefined): readonly YamlValue[] | null => (Array.isArray(v) ? (v as readonly YamlValue[]) : null);

export type OracleEndpoint = { readonly kind: "pod"; readonly pod: PodShape } | { readonly kind: "ip"; readonly ip: string };

export interface OracleFlow {
  readonly src: OracleEndpoint;
  readonly dst: OracleEndpoint;
  readonly protocol: Protocol;
  readonly port: number;
}

/** §6: matchLabels need the key with exactly that value; NotIn and DoesNotExist match a missing key. */
function selects(sel: Obj, labels: Readonly<Record<string, string>>): boolean {
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(labels, k);
  for (const [k, v] of Object.entries(obj(sel["matchLabels"]) ?? {})) if (!has(k) || labels[k] !== v) return false;
  for (const e of list(sel["matchExpressions"]) ?? []) {
    const x = obj(e) ?? {};
    const key = String(x["key"]);
    const values = (list(x["values"]) ?? []).map(String);
    const ok =
      x["operator"] === "In" ? has(key) && values.includes(labels[key]!) :
      x["operator"] === "NotIn" ? !has(key) || !values.includes(labels[key]!) :
      x["operator"] === "Exists" ? has(key) : !has(key);
    if (!ok) return false;
  }
  return true;
}

function ipv4(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  return parts.reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** §4: the masked network of `cidr` contains `ip`; IPv6 blocks never contain an IPv4 address. */
function inCidr(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split("/");
  const a = ipv4(ip);
  const n = ipv4(net ?? "");
  if (a === null || n === null) return false;
  const size = 2 ** (32 - Number(len));
  return Math.floor(a / size) === Math.floor(n / size);
}

const ipOf = (e: OracleEndpoint): string => (e.kind === "pod" ? (e.pod.ip ?? "") : e.ip);

function peerMatches(peer: Obj, policyNs: string, e: OracleEndpoint, cluster: ClusterShape): boolean {
  const block = obj(peer["ipBlock"]);
  if (block) {
    const ip = ipOf(e);
    return inCidr(ip, String(block["cidr"])) && !(list(block["except"]) ?? []).some((x) => inCidr(ip, String(x)));
  }
  if (e.kind !== "pod") return false;
  const nsSel = obj(peer["namespaceSelector"]);
  const ns = cluster.namespaces.find((n) => n.name === e.pod.namespace);
  // §4: the control plane labels every namespace with its name.
  const nsLabels = { ...(ns?.labels ?? {}), "kubernetes.io/metadata.name": e.pod.namespace };
  const nsOk = nsSel ? selects(nsSel, nsLabels) : e.pod.namespace === policyNs;
  const podSel = obj(peer["podSelector"]);
  return nsOk && (!podSel || selects(podSel, e.pod.labels));
}

function portMatches(entry: Obj, dst: OracleEndpoint, f: OracleFlow): boolean {
  // §2.2: protocol defaults to TCP per entry.
  const protocol = typeof entry["protocol"] === "string" ? entry["protocol"] : "TCP";
  if (protocol !== f.protocol) return false;
  const port = entry["port"];
  if (port === undefined) return true;
  if (typeof port === "number") {
    const end = typeof entry["endPort"] === "number" ? entry["endPort"] : port;
    return port <= f.port && f.port <= end;
  }
  // §5: named ports resolve on the destination pod, by name AND protocol.
  if (dst.kind !== "pod") return false;
  return dst.pod.containers.flat().some((c) => c.name === port && c.protocol === protocol && c.port === f.port);
}

function ruleMatches(rule: Obj, peersKey: "from" | "to", policyNs: string, remote: OracleEndpoint, f: OracleFlow, c: ClusterShape): boolean {
  const peers = list(rule[peersKey]) ?? [];
  const ports = list(rule["ports"]) ?? [];
  const peersOk = peers.length === 0 || peers.some((p) => peerMatches(obj(p) ?? {}, policyNs, remote, c));
  return peersOk && (ports.length === 0 || ports.some((p) => portMatches(obj(p) ?? {}, f.dst, f)));
}

interface Defaulted {
  readonly ns: string;
  readonly podSelector: Obj | null;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly spec: Obj;
}

/** §2.1: absent or empty policyTypes → [Ingress] plus Egress iff spec.egress has an element. */
function defaulted(doc: YamlValue): Defaulted {
  const d = obj(doc) ?? {};
  const ns = String(obj(d["metadata"])?.["namespace"]);
  const spec = obj(d["spec"]) ?? {};
  const given = list(spec["policyTypes"]) ?? [];
  const types = given.length ? given : ["Ingress", ...((list(spec["egress"]) ?? []).length ? ["Egress"] : [])];
  return { ns, podSelector: obj(spec["podSelector"]), ingress: types.includes("Ingress"), egress: types.includes("Egress"), spec };
}

/** §3/§8: one direction of a flow for the pod `subject`. */
function directionOk(dir: "ingress" | "egress", subject: PodShape, remote: OracleEndpoint, f: OracleFlow, c: ClusterShape, policies: readonly YamlValue[]): boolean {
  const applying = policies
    .map(defaulted)
    .filter((p) => p.ns === subject.namespace && p[dir] && (!p.podSelector || selects(p.podSelector, subject.labels)));
  if (applying.length === 0) return true;
  const key = dir === "ingress" ? "from" : "to";
  return applying.some((p) => (list(p.spec[dir]) ?? []).some((r) => ruleMatches(obj(r) ?? {}, key, p.ns, remote, f, c)));
}

const isEndpoint = (e: OracleEndpoint): e is { kind: "pod"; pod: PodShape } => e.kind === "pod" && e.pod.kind === "endpoint";

/** allowed(S, T) = egressOK(S, T) && ingressOK(T, S); ingress from T's own node is always allowed (§7). */
export function oracleAllows(c: ClusterShape, policies: readonly YamlValue[], f: OracleFlow): boolean {
  const egress = !isEndpoint(f.src) || directionOk("egress", f.src.pod, f.dst, f, c, policies);
  if (!isEndpoint(f.dst)) return egress;
  const ownNode = c.nodes.find((n) => n.name === (f.dst as { pod: PodShape }).pod.node);
  // The node's addresses: its IP and its tunnel address (what a host process on it may send from).
  const fromOwnNode = f.src.kind === "ip" && ownNode !== undefined && (f.src.ip === ownNode.ip || f.src.ip === ownNode.tunnel);
  return egress && (fromOwnNode || directionOk("ingress", f.dst.pod, f.src, f, c, policies));
}

// `netpolc check`'s lints over a validated model: each finding is a warning
// Diagnostic (data, STYLE.md) with a position and a one-line fix hint.
//
// Lints that need to know what exists (selects-no-pod, peer-selects-nothing,
// named-port-undefined) only run when the snapshot has pods: checking a
// policies-only repository must not call every selector dead.
import { DiagnosticSink, type Diagnostic, type Span } from "../diagnostics/diagnostic.js";
import { SourceMap } from "../diagnostics/sources.js";
import type { Pod, Protocol } from "../ir/cluster.js";
import type { Model, NetworkPolicy, Peer, PolicyRule, PortEntry } from "../ir/policy.js";
import { selectorMatches } from "../ir/selector.js";
import { cidrContains, parseAddress, parseCidr } from "../semantics/ip.js";
import { parseYaml } from "../frontend/yaml/parse.js";
import { child, entry, type YNode } from "../frontend/yaml/tree.js";
import { lintRule } from "./lint-rules.js";
import { ruleSubsumes } from "./subsume.js";

type Direction = "ingress" | "egress";

function finding(id: string, span: Span | null, message: string, extra: readonly string[] = []): Diagnostic {
  return { id, severity: "warning", message, span, notes: [...extra, `fix: ${lintRule(id).hint}`] };
}

const qname = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`;

function podsOf(model: Model, ns: string): Pod[] {
  return model.cluster.pods.filter((p) => p.namespace === ns && !p.hostNetwork);
}

function selectedPods(model: Model, p: NetworkPolicy): Pod[] {
  return podsOf(model, p.namespace).filter((pod) => selectorMatches(p.podSelector, pod.labels));
}

/** The namespaces a pods peer ranges over. */
function peerNamespaces(model: Model, policy: NetworkPolicy, peer: Extract<Peer, { kind: "pods" }>): string[] {
  if (peer.namespaces.kind === "policy-namespace") return [policy.namespace];
  const sel = peer.namespaces.selector;
  return model.cluster.namespaces.filter((n) => selectorMatches(sel, n.labels)).map((n) => n.name);
}

function peerPods(model: Model, policy: NetworkPolicy, peer: Extract<Peer, { kind: "pods" }>): Pod[] {
  return peerNamespaces(model, policy, peer).flatMap((ns) => podsOf(model, ns).filter((pod) => selectorMatches(peer.pods, pod.labels)));
}

const rulesOf = (p: NetworkPolicy, d: Direction): readonly PolicyRule[] => p[d];

/** The YAML node of each policy, found by its root span, to see what was written (policyTypes) before defaulting. */
function policyTrees(model: Model, sources: SourceMap): Map<NetworkPolicy, YNode> {
  const out = new Map<NetworkPolicy, YNode>();
  const files = new Set(model.policies.flatMap((p) => (p.span ? [p.span.file] : [])));
  for (const file of [...files].sort()) {
    const text = sources.text(file);
    if (text === undefined) continue;
    const nodes: YNode[] = [];
    const collect = (n: YNode): void => {
      nodes.push(n);
      if (n.kind === "map") for (const e of n.entries) if (e.key === "items") collect(e.value);
      if (n.kind === "seq") for (const i of n.items) collect(i);
    };
    // A throwaway sink: the frontend has reported this file's problems already.
    for (const doc of parseYaml(file, text, new DiagnosticSink(), new SourceMap())) collect(doc.root);
    for (const p of model.policies) {
      if (p.span?.file !== file) continue;
      const n = nodes.find((x) => x.span.start === p.span?.start);
      if (n) out.set(p, n);
    }
  }
  return out;
}

function selectsNoPod(model: Model, p: NetworkPolicy, tree: YNode | undefined): Diagnostic[] {
  if (selectedPods(model, p).length) return [];
  const spec = tree && child(tree, "spec");
  const span = (spec?.kind === "map" ? entry(spec, "podSelector")?.keySpan : undefined) ?? p.span;
  return [finding("lint/policy-selects-no-pod", span, `NetworkPolicy ${qname(p)}: podSelector selects no pod in namespace ${p.namespace}`)];
}

function peersSelectNothing(model: Model, p: NetworkPolicy): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of ["ingress", "egress"] as const) {
    for (const r of rulesOf(p, d)) {
      if (r.peers.kind === "any") continue;
      for (const [j, peer] of r.peers.peers.entries()) {
        if (peer.kind !== "pods") continue;
        const where = `${qname(p)} spec.${d}[${r.index}].${d === "ingress" ? "from" : "to"}[${j}]`;
        if (peerNamespaces(model, p, peer).length === 0) {
          out.push(finding("lint/peer-selects-nothing", peer.span, `${where}: namespaceSelector matches no namespace in the snapshot`));
        } else if (peerPods(model, p, peer).length === 0) {
          out.push(finding("lint/peer-selects-nothing", peer.span, `${where}: selects no pod in the snapshot`));
        }
      }
    }
  }
  return out;
}

function entryAllowsDns(e: PortEntry, model: Model): boolean {
  if (e.protocol !== "UDP") return false;
  const m = e.port;
  if (m.kind === "all") return true;
  if (m.kind === "number") return m.port <= 53 && 53 <= (m.endPort ?? m.port);
  // A named port counts when some pod (or, without pods, any pod that may come) defines it as UDP 53.
  const pods = model.cluster.pods;
  return pods.length === 0 || pods.some((pod) => pod.ports.some((cp) => cp.name === m.name && cp.protocol === "UDP" && cp.containerPort === 53));
}

function allowsDns(p: NetworkPolicy, model: Model): boolean {
  return p.egress.some((r) => r.ports.kind === "any" || r.ports.ports.some((e) => entryAllowsDns(e, model)));
}

/**
 * DNS is judged per pod over every egress policy selecting it (bookinfo
 * allows DNS in its own policy). Without pods, a policy is covered by a DNS
 * policy of its namespace with the same or an empty podSelector.
 */
function egressWithoutDns(model: Model, p: NetworkPolicy): Diagnostic[] {
  if (!p.types.egress || allowsDns(p, model)) return [];
  const egressPolicies = model.policies.filter((q) => q.types.egress && q.namespace === p.namespace);
  const pods = selectedPods(model, p);
  let uncovered: string[];
  if (model.cluster.pods.length) {
    uncovered = pods
      .filter((pod) => !egressPolicies.some((q) => selectorMatches(q.podSelector, pod.labels) && allowsDns(q, model)))
      .map((pod) => `${pod.namespace}/${pod.name}`);
    if (uncovered.length === 0) return [];
  } else {
    const same = (q: NetworkPolicy): boolean =>
      JSON.stringify(q.podSelector) === JSON.stringify(p.podSelector) || (q.podSelector.matchLabels.length === 0 && q.podSelector.matchExpressions.length === 0);
    if (egressPolicies.some((q) => same(q) && allowsDns(q, model))) return [];
    uncovered = [];
  }
  const notes = uncovered.length ? [`no DNS for: ${uncovered.slice(0, 5).join(", ")}${uncovered.length > 5 ? `, … (${uncovered.length})` : ""}`] : [];
  return [finding("lint/egress-without-dns", p.span, `NetworkPolicy ${qname(p)} isolates pods for egress but no egress rule allows UDP port 53 (DNS)`, notes)];
}

function ipBlocksCoveringPods(model: Model, p: NetworkPolicy): Diagnostic[] {
  const out: Diagnostic[] = [];
  const pools = model.cluster.pools.flatMap((pool) => (pool.disabled ? [] : [parseCidr(pool.cidr)])).filter((c) => c !== null);
  for (const d of ["ingress", "egress"] as const) {
    for (const r of rulesOf(p, d)) {
      if (r.peers.kind === "any") continue;
      for (const peer of r.peers.peers) {
        if (peer.kind !== "ipBlock") continue;
        const c = parseCidr(peer.cidr);
        if (!c) continue;
        // Only blocks no wider than a pool and inside it: they can only mean pods (0.0.0.0/0 minus a pool is fine).
        const pool = pools.find((pl) => pl.family === c.family && c.prefix >= pl.prefix && cidrContains(pl, { family: c.family, value: c.network }));
        if (!pool) continue;
        const covered = model.cluster.pods.filter((pod) => pod.ips.some((ip) => {
          const a = parseAddress(ip);
          return a !== null && cidrContains(c, a);
        }));
        const notes = covered.length ? [`covers ${covered.slice(0, 3).map((x) => `${x.namespace}/${x.name}`).join(", ")}${covered.length > 3 ? ", …" : ""}`] : [];
        // Dual-stack: an ipBlock is of one family, so the same pods' traffic of the other family is not allowed by it.
        const other = covered.filter((pod) => pod.ips.some((ip) => parseAddress(ip)?.family !== c.family));
        if (other.length) {
          const fam = c.family === 4 ? "IPv6" : "IPv4";
          notes.push(`${other.length === covered.length ? "these pods" : `${other.length} of these pods`} also have ${fam} addresses, which this IPv${c.family} block does not hold: their ${fam} traffic is not allowed by it`);
        }
        out.push(finding("lint/ipblock-covers-pod-ips", peer.span, `${qname(p)}: ipBlock ${peer.cidr} lies inside an IP pool, so it names pod addresses; pod IPs change when pods are rescheduled`, notes));
      }
    }
  }
  return out;
}

function definesPort(pod: Pod, name: string, protocol: Protocol): boolean {
  return pod.ports.some((cp) => cp.name === name && cp.protocol === protocol);
}

/** Named ports resolve on the destination: the selected pods for ingress, the peer pods for egress. */
function namedPortsUndefined(model: Model, p: NetworkPolicy): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of ["ingress", "egress"] as const) {
    for (const r of rulesOf(p, d)) {
      if (r.ports.kind === "any") continue;
      let targets: Pod[];
      if (d === "ingress") targets = selectedPods(model, p);
      else if (r.peers.kind === "any") targets = model.cluster.pods.filter((x) => !x.hostNetwork);
      else targets = r.peers.peers.flatMap((peer) => (peer.kind === "pods" ? peerPods(model, p, peer) : []));
      if (targets.length === 0) continue;
      for (const e of r.ports.ports) {
        if (e.port.kind !== "named" || targets.some((pod) => definesPort(pod, (e.port as { name: string }).name, e.protocol))) continue;
        const who = d === "ingress" ? "pod the policy selects" : "destination pod of the rule";
        out.push(finding("lint/named-port-undefined", e.span, `${qname(p)} spec.${d}[${r.index}]: no ${who} defines a ${e.protocol} port named "${e.port.name}"`));
      }
    }
  }
  return out;
}

function redundantRules(p: NetworkPolicy): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of ["ingress", "egress"] as const) {
    const rules = rulesOf(p, d);
    for (const a of rules) {
      // Of two identical rules the later one is redundant; otherwise the narrower one.
      const wider = rules.find((b) => b !== a && ruleSubsumes(b, a) && (!ruleSubsumes(a, b) || b.index < a.index));
      if (!wider) continue;
      out.push(finding("lint/redundant-rule", a.span, `${qname(p)} spec.${d}[${a.index}] is redundant: spec.${d}[${wider.index}] already allows all of its peers and ports`));
    }
  }
  return out;
}

function policyTypesMissing(p: NetworkPolicy, tree: YNode | undefined): Diagnostic[] {
  const spec = tree && child(tree, "spec");
  if (!spec || spec.kind !== "map" || entry(spec, "policyTypes")) return [];
  const eg = entry(spec, "egress");
  if (!eg || eg.value.kind !== "seq" || eg.value.items.length === 0) return [];
  return [finding("lint/policy-types-missing", eg.keySpan, `NetworkPolicy ${qname(p)} has egress rules but no policyTypes; it is defaulted to [${p.types.ingress ? "Ingress, " : ""}Egress]`)];
}

/**
 * Re-labels the frontend's duplicate-object error for NetworkPolicies as the
 * duplicate-policy lint (still an error: one of them is silently lost), so it
 * carries a fix hint and can be disabled like every lint.
 */
export function relabelDuplicates(ds: readonly Diagnostic[]): Diagnostic[] {
  return ds.map((d) =>
    d.id === "input/duplicate-object" && d.message.startsWith("duplicate NetworkPolicy ")
      ? { ...d, id: "lint/duplicate-policy", notes: [...(d.notes ?? []), `fix: ${lintRule("lint/duplicate-policy").hint}`] }
      : d,
  );
}

/** Every lint finding for a validated model, in policy order (policies are sorted by namespace/name). */
export function lintModel(model: Model, sources: SourceMap): Diagnostic[] {
  const trees = policyTrees(model, sources);
  const withPods = model.cluster.pods.length > 0;
  const out: Diagnostic[] = [];
  for (const p of model.policies) {
    if (withPods) out.push(...selectsNoPod(model, p, trees.get(p)), ...peersSelectNothing(model, p), ...namedPortsUndefined(model, p));
    out.push(...egressWithoutDns(model, p), ...ipBlocksCoveringPods(model, p), ...redundantRules(p), ...policyTypesMissing(p, trees.get(p)));
  }
  return out;
}

// The reference evaluator: "is this flow allowed by the NetworkPolicies?"
//
// A direct transcription of spec/netpol-semantics.md §8 over the policy IR,
// with no iptables knowledge, so that every backend can be checked against
// it. A flow is allowed iff the source's egress allows it AND the
// destination's ingress allows it; each side is judged on its own (§3).
//
// Order of the checks inside one direction, and why:
//   1. not a pod     - only endpoint pods are subject to policy (§3, §7);
//   2. same pod      - a pod can never block itself (§7);
//   3. from own node - ingress from the pod's node is always allowed so that
//                      kubelet probes work (§7; Felix: `cali-OUTPUT -o cali+
//                      -j RETURN`, felix-format §2.3). Egress to the own node
//                      is NOT exempt: Felix sends pod-to-host traffic through
//                      cali-wl-to-host -> cali-from-wl-dispatch, i.e. through
//                      the pod's egress policy;
//   4. not isolated  - no policy selects the pod for this direction;
//   5. the union of every rule of every isolating policy.
// isolatedBy is filled from step 2 on, so a UI can show which policies would
// have applied even when an exemption decided the verdict.
import { isEndpoint, type Pod } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import { familyOf, parseAddress, sameAddress, type Address, type Family } from "./ip.js";
import { peersMatch, portsMatch, type Remote } from "./match.js";
import { comparePods, indexModel, sortedEndpoints, type Direction, type ModelIndex } from "./model-index.js";
import { podSignatures } from "./signature.js";
import type { NetworkPolicy, PolicyRule } from "../ir/policy.js";
import type { DirectionVerdict, Flow, FlowEndpoint, RuleRef, Verdict } from "./types.js";

export { resolveNamedPort } from "./match.js";
export type { Direction } from "./model-index.js";

/**
 * The reference evaluator over one model, made per run (createEvaluator): it
 * owns the model's lookup tables (model-index.ts), so a caller that judges
 * many flows builds them once, and they go when the evaluator does.
 */
export interface Evaluator {
  readonly model: Model;
  evaluate(flow: Flow): Verdict;
  /**
   * `evaluate(flow).allowed` for the flow at each of `ports` (flow.port is not read): one answer per port, each
   * the same as evaluate's. The peers of every rule are matched once for all the ports (class verify asks per
   * port class of an endpoint pair).
   */
  allowedAt(flow: Flow, ports: readonly number[], sides?: FlowSides): boolean[];
  /**
   * Both sides of a flow apart from its protocol and port (flow.protocol and flow.port are not read), for allowedAt
   * on every protocol of an endpoint pair: the peers of every rule matched once.
   */
  sides(flow: Flow): FlowSides;
  /**
   * `sides` for many IPv4 flows between endpoint pods the caller has put into `groups` groups (numbered from 0),
   * every pod of a group with the same signature(), as class verify's pod classes are. Which policies select a pod,
   * and whether a rule's peers take in a pod, are then alike for every pod of its group: asked once per group (the
   * group's first pod, by the same code as sides), kept in a table per rule. A group of -1, a plain address, a
   * hostNetwork remote, another family: judged by sides itself. Same-pod is compared per flow.
   */
  sidesIn(groups: number): (flow: Flow, srcGroup: number, dstGroup: number) => FlowSides;
  /** `evaluate(flow)` from the flow's sides (`sides(flow)`, taken at any protocol and port): the matrix asks it per port. */
  verdictWith(flow: Flow, sides: FlowSides): Verdict;
  /** One direction of a flow: "egress" judges flow.src, "ingress" judges flow.dst. */
  directionVerdict(flow: Flow, direction: Direction): DirectionVerdict;
  /** The endpoint pods of the model (see isEndpoint), sorted by (namespace, name). */
  endpoints(): readonly Pod[];
  /**
   * The flow endpoint for an address: the endpoint pod that owns it, else a
   * plain IP. Flows built from packets (the ruleset simulator) need this; the
   * evaluator itself never guesses, it takes a `{kind: "ip"}` endpoint as non-pod.
   */
  endpointAt(ip: string): FlowEndpoint;
  /** Whether `rule` of `policy` takes in `remote` as its peer (the flow's other end; ports aside). */
  peersMatch(policy: NetworkPolicy, rule: PolicyRule, remote: FlowEndpoint): boolean;
  /** Policies that select `pod` for `direction` (empty: not isolated that way). */
  applying(pod: Pod, direction: Direction): readonly NetworkPolicy[];
  /**
   * Everything a verdict reads about an endpoint pod, as one string
   * (signature.ts): pods with equal signatures are interchangeable in every
   * verdict but the same-pod and own-node exemptions.
   */
  signature(pod: Pod): string;
}

const keyOf = (ip: string): string => {
  const a = parseAddress(ip);
  return a ? `${a.family}/${a.value}` : ip;
};

export function createEvaluator(model: Model): Evaluator {
  const idx = indexModel(model);
  let signatures: ReturnType<typeof podSignatures> | null = null;
  // Endpoint pods by address (parsed: "::1" and "0::1" are one), built on first use: service checks ask per backend.
  let byAddress: Map<string, Pod> | null = null;
  // And by an address's text as asked (first: each pod's own addresses): answered again without parsing.
  const byText = new Map<string, FlowEndpoint>();
  const endpointByAddress = (ip: string): FlowEndpoint => {
    if (!byAddress) {
      byAddress = new Map();
      for (const pod of idx.endpoints()) {
        for (const own of pod.ips) {
          const a = parseAddress(own);
          const k = a ? `${a.family}/${a.value}` : own;
          if (!byAddress.has(k)) byAddress.set(k, pod);
        }
      }
      for (const [k, pod] of byAddress) for (const own of pod.ips) if (!byText.has(own) && k === keyOf(own)) byText.set(own, { kind: "pod", pod });
    }
    const known = byText.get(ip);
    if (known) return known;
    const a = parseAddress(ip);
    const pod = a ? byAddress.get(`${a.family}/${a.value}`) : undefined;
    const e: FlowEndpoint = pod ? { kind: "pod", pod } : { kind: "ip", ip };
    // Kept for the next ask of this text (node addresses are asked once per service branch).
    byText.set(ip, e);
    return e;
  };
  return {
    model,
    evaluate: (flow) => verdictOf(idx, flow),
    allowedAt: (flow, ports, sides = sidesOf(idx, flow)) => ports.map((port) => sideAllows(sides.egress, flow, port) && sideAllows(sides.ingress, flow, port)),
    sides: (flow) => sidesOf(idx, flow),
    sidesIn: (groups) => groupedSides(idx, groups),
    verdictWith: (flow, sides) => {
      const egress = directionOfSide(sides.egress, flow);
      const ingress = directionOfSide(sides.ingress, flow);
      return { allowed: egress.allowed && ingress.allowed, egress, ingress };
    },
    directionVerdict: (flow, direction) => directionVerdictOf(idx, flow, direction),
    endpoints: () => idx.endpoints(),
    endpointAt: endpointByAddress,
    applying: (pod, direction) => idx.applying(pod, direction),
    peersMatch: (policy, rule, remote) => peersMatch(idx, rule.peers, policy.namespace, new LazyRemote(idx, remote, null)),
    signature: (pod) => (signatures ??= podSignatures(model, idx)).of(pod),
  };
}

/** One flow, judged once: nothing is kept (createEvaluator for many flows of one model). */
export function evaluate(model: Model, flow: Flow): Verdict {
  return verdictOf(indexModel(model), flow);
}

/** The endpoint pods of the model (see isEndpoint), sorted by (namespace, name); computed afresh. */
export function endpointsOf(model: Model): readonly Pod[] {
  return sortedEndpoints(model);
}

/** Evaluator.endpointAt, once: nothing is kept. */
export function endpointAt(model: Model, ip: string): FlowEndpoint {
  return endpointIn(endpointsOf(model), ip);
}

function endpointIn(endpoints: readonly Pod[], ip: string): FlowEndpoint {
  const pod = endpoints.find((p) => p.ips.some((own) => sameAddress(own, ip)));
  return pod ? { kind: "pod", pod } : { kind: "ip", ip };
}

function verdictOf(idx: ModelIndex, flow: Flow): Verdict {
  const egress = directionVerdictOf(idx, flow, "egress");
  const ingress = directionVerdictOf(idx, flow, "ingress");
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}

/**
 * One direction of a flow but for its port: allowed whatever the port (with why), or the rules whose peers take in
 * the remote end — the port decides among those alone (steps 1–5 of the header; step 5's port test is sideAllows').
 */
export type Side =
  | { readonly exempt: string; readonly isolatedBy: readonly NetworkPolicy[] }
  | { readonly exempt: null; readonly isolatedBy: readonly NetworkPolicy[]; readonly direction: Direction; readonly peered: ReadonlyArray<{ readonly policy: NetworkPolicy; readonly rule: PolicyRule }> };

/** A flow's egress side (its source) and ingress side (its destination), apart from its protocol and port. */
export interface FlowSides {
  readonly egress: Side;
  readonly ingress: Side;
}

const sidesOf = (idx: ModelIndex, flow: Flow): FlowSides => ({ egress: sideOf(idx, flow, "egress"), ingress: sideOf(idx, flow, "ingress") });

function sideOf(idx: ModelIndex, flow: Flow, direction: Direction): Side {
  const subject = direction === "egress" ? flow.src : flow.dst;
  const remoteEp = direction === "egress" ? flow.dst : flow.src;
  if (subject.kind !== "pod" || !isEndpoint(subject.pod)) return { exempt: "not a pod", isolatedBy: [] };
  const pod = subject.pod;
  const isolatedBy = idx.applying(pod, direction);
  if (isSamePod(idx, pod, remoteEp)) return { exempt: "same pod", isolatedBy };
  if (direction === "ingress" && isOwnNode(idx, pod, remoteEp)) return { exempt: "from own node", isolatedBy };
  if (isolatedBy.length === 0) return { exempt: "not isolated", isolatedBy };
  const remote: Remote = new LazyRemote(idx, remoteEp, flow);
  const peered: Array<{ policy: NetworkPolicy; rule: PolicyRule }> = [];
  for (const policy of isolatedBy) {
    for (const rule of policy[direction]) if (peersMatch(idx, rule.peers, policy.namespace, remote)) peered.push({ policy, rule });
  }
  return { exempt: null, isolatedBy, direction, peered };
}

/** A rule's peers per remote group (Evaluator.sidesIn): 0 not asked yet, 1 no, 2 yes. */
type PeerAnswers = Uint8Array;

/** What sidesIn keeps of one subject group in one direction: its isolating policies' rules, and its Sides by which rules peer. */
interface SubjectSides {
  readonly isolatedBy: readonly NetworkPolicy[];
  readonly rules: ReadonlyArray<{ readonly policy: NetworkPolicy; readonly rule: PolicyRule; readonly answers: PeerAnswers }>;
  /** By the bit mask of the rules whose peers take the remote in (bit i: rules[i]). */
  readonly sides: Map<number, Side>;
}

/** Above this many rules selecting one pod in one direction, a mask no longer fits: sideOf judges every flow. */
const MASK_RULES = 30;

function groupedSides(idx: ModelIndex, groups: number): (flow: Flow, srcGroup: number, dstGroup: number) => FlowSides {
  const answersOf = new Map<PolicyRule, PeerAnswers>();
  // Per direction (ingress, egress), per subject group.
  const subjects: Array<Array<SubjectSides | null | undefined>> = [new Array(groups), new Array(groups)];
  const subjectOf = (pod: Pod, group: number, direction: Direction): SubjectSides | null => {
    const byGroup = subjects[direction === "ingress" ? 0 : 1]!;
    let s = byGroup[group];
    if (s !== undefined) return s;
    const isolatedBy = idx.applying(pod, direction);
    const rules: Array<SubjectSides["rules"][number]> = [];
    for (const policy of isolatedBy) {
      for (const rule of policy[direction]) {
        let answers = answersOf.get(rule);
        if (answers === undefined) answersOf.set(rule, (answers = new Uint8Array(groups)));
        rules.push({ policy, rule, answers });
      }
    }
    byGroup[group] = s = rules.length > MASK_RULES ? null : { isolatedBy, rules, sides: new Map() };
    return s;
  };
  const side = (flow: Flow, direction: Direction, subjectGroup: number, remoteGroup: number): Side => {
    const subject = direction === "egress" ? flow.src : flow.dst;
    const remote = direction === "egress" ? flow.dst : flow.src;
    if (subjectGroup < 0 || remoteGroup < 0 || subject.kind !== "pod" || remote.kind !== "pod" || remote.pod.hostNetwork || !isEndpoint(subject.pod) || flowFamily(flow) !== 4) {
      return sideOf(idx, flow, direction);
    }
    const s = subjectOf(subject.pod, subjectGroup, direction);
    if (s === null) return sideOf(idx, flow, direction);
    // sideOf's checks, in its order: same pod; not own node (the remote is a pod on the network); not isolated; the rules.
    if (isSamePod(idx, subject.pod, remote)) return { exempt: "same pod", isolatedBy: s.isolatedBy };
    if (s.isolatedBy.length === 0) return { exempt: "not isolated", isolatedBy: s.isolatedBy };
    let mask = 0;
    let lazy: LazyRemote | null = null;
    for (let i = 0; i < s.rules.length; i++) {
      const { policy, rule, answers } = s.rules[i]!;
      let a = answers[remoteGroup]!;
      if (a === 0) answers[remoteGroup] = a = peersMatch(idx, rule.peers, policy.namespace, (lazy ??= new LazyRemote(idx, remote, flow))) ? 2 : 1;
      if (a === 2) mask |= 1 << i;
    }
    let got = s.sides.get(mask);
    if (got === undefined) {
      const peered = s.rules.filter((_, i) => (mask & (1 << i)) !== 0).map(({ policy, rule }) => ({ policy, rule }));
      s.sides.set(mask, (got = { exempt: null, isolatedBy: s.isolatedBy, direction, peered }));
    }
    return got;
  };
  return (flow, srcGroup, dstGroup) => ({ egress: side(flow, "egress", srcGroup, dstGroup), ingress: side(flow, "ingress", dstGroup, srcGroup) });
}

function sideAllows(side: Side, flow: Flow, port: number): boolean {
  if (side.exempt !== null) return true;
  for (const { rule } of side.peered) if (portsMatch(rule.ports, flow.dst, flow.protocol, port)) return true;
  return false;
}

function directionVerdictOf(idx: ModelIndex, flow: Flow, direction: Direction): DirectionVerdict {
  return directionOfSide(sideOf(idx, flow, direction), flow);
}

/** One direction's verdict at the flow's protocol and port, from its side. */
function directionOfSide(side: Side, flow: Flow): DirectionVerdict {
  if (side.exempt !== null) return { allowed: true, reason: side.exempt, isolatedBy: side.isolatedBy, allowedBy: [] };
  const allowedBy: RuleRef[] = [];
  const direction = side.direction;
  for (const { policy, rule } of side.peered) {
    if (portsMatch(rule.ports, flow.dst, flow.protocol, flow.port)) allowedBy.push({ policy, direction, ruleIndex: rule.index });
  }
  const allowed = allowedBy.length > 0;
  return { allowed, reason: allowed ? "allowed by rule" : "no rule matched", isolatedBy: side.isolatedBy, allowedBy };
}

/** The pod itself, named or by one of its own addresses (a Service hairpin, spec §7). */
function isSamePod(idx: ModelIndex, pod: Pod, remote: FlowEndpoint): boolean {
  if (remote.kind === "pod") return comparePods(remote.pod, pod) === 0;
  const r = idx.address(remote.ip);
  return r !== null && pod.ips.some((ip) => {
    const a = idx.address(ip);
    return a !== null && a.family === r.family && a.value === r.value;
  });
}

/**
 * Whether the remote end is the pod's own node: one of the node's addresses
 * (its IP or IPIP tunnel address; host-originated traffic may carry either),
 * or a hostNetwork pod on that node, whose traffic is the node's (spec §7).
 */
function isOwnNode(idx: ModelIndex, pod: Pod, remote: FlowEndpoint): boolean {
  const node = pod.nodeName;
  if (node === null) return false;
  if (remote.kind === "ip") return idx.isNodeAddress(node, remote.ip);
  if (remote.pod.hostNetwork) return remote.pod.nodeName === node;
  return false;
}

/**
 * The IP family of a flow: that of its plain-IP end when it has one, else the
 * one the flow names, else IPv4, the family every endpoint is guaranteed to
 * have (isEndpoint).
 */
function flowFamily(flow: Flow): Family {
  if (flow.src.kind === "ip") return familyOf(flow.src.ip);
  if (flow.dst.kind === "ip") return familyOf(flow.dst.ip);
  return flow.family ?? 4;
}

/**
 * The address ipBlocks see for an endpoint. A pod uses its IP of the flow's
 * family; a hostNetwork pod without one speaks with its node's IP (spec §7).
 */
/**
 * The remote end of a flow, its address looked up only if a peer asks for it (an ipBlock): most peers are pod
 * selectors, and class verify asks for millions of sides. `flow` gives the family (null: the end's own, IPv4 for a
 * pod).
 */
class LazyRemote implements Remote {
  private known: Address | null | undefined = undefined;

  constructor(
    private readonly idx: ModelIndex,
    readonly endpoint: FlowEndpoint,
    private readonly flow: Flow | null,
  ) {}

  get address(): Address | null {
    if (this.known === undefined) {
      const ep = this.endpoint;
      const family = this.flow !== null ? flowFamily(this.flow) : ep.kind === "ip" ? familyOf(ep.ip) : 4;
      this.known = addressOf(this.idx, ep, family);
    }
    return this.known;
  }
}

function addressOf(idx: ModelIndex, ep: FlowEndpoint, family: Family): Address | null {
  if (ep.kind === "ip") return idx.address(ep.ip);
  const own = ep.pod.ips.find((ip) => familyOf(ip) === family);
  if (own !== undefined) return idx.address(own);
  if (ep.pod.hostNetwork && ep.pod.nodeName !== null && family === 4) {
    const nodeIP = idx.nodeIP(ep.pod.nodeName);
    return nodeIP === null ? null : idx.address(nodeIP);
  }
  return null;
}

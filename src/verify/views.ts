// Checks → plain data for the reports: names instead of objects,
// `file:line:col` instead of spans (through the one SourceMap conversion),
// trace steps with their comment and rule text. Text and JSON renderers both
// start from these views, so they cannot disagree.
import { NAMES } from "../backends/index.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model, NetworkPolicy } from "../ir/policy.js";
import type { HookPath, SimOutcome, TraceStep } from "../simulate/types.js";
import type { Rule } from "../rules/types.js";
import { writeRule } from "../rules/writer.js";
import type { DirectionVerdict, Flow, FlowEndpoint, RuleRef, Verdict } from "../semantics/index.js";
import type { Check, FlowCheck, FlowStatus, HopResult, InvariantCheck, ReplyCheck, WalkResult } from "./check.js";
import type { RouteRef } from "./routing.js";
import type { InvariantId, InvariantProbe } from "./invariants.js";

export interface PolicyView {
  readonly policy: string;
  readonly at: string | null;
}
export interface RuleView {
  readonly policy: string;
  /** `ingress[0]` / `egress[1]`. */
  readonly rule: string;
  readonly at: string | null;
}
export interface DirectionView {
  readonly subject: string;
  readonly allowed: boolean;
  readonly reason: string;
  readonly isolatedBy: readonly PolicyView[];
  readonly allowedBy: readonly RuleView[];
}
export interface StepView {
  readonly node: string;
  readonly file: string | null;
  readonly table: string;
  readonly chain: string;
  readonly index: number;
  readonly line: number | null;
  readonly action: string;
  /** The rule's own comment (not the `cali:` hash), if any. */
  readonly comment: string | null;
  readonly rule: string | null;
}
export interface OutcomeView {
  readonly verdict: string;
  readonly probability: number;
  readonly unknown: string | null;
  readonly steps: readonly StepView[];
}
/** A route line: the command as written, where it is, and whether it rests on an inferred block owner. */
export interface RouteView {
  readonly at: string;
  readonly route: string;
  readonly inferred: boolean;
}
export interface HopView {
  readonly node: string;
  readonly path: string;
  readonly file: string | null;
  /** The route that chose the outgoing interface (null: the node's own address, or no route: the default). */
  readonly route: RouteView | null;
  readonly outcomes: readonly OutcomeView[];
}
export interface WalkView {
  readonly verdict: "allowed" | "denied" | "unknown";
  readonly unknown: string | null;
  readonly hops: readonly HopView[];
  /** The step that ended each outcome of the last hop walked (the deciding target). */
  readonly decidedBy: readonly StepView[];
  /** Policy/profile chain rules that set the accept mark (what allowed the packet). */
  readonly acceptedBy: readonly (StepView & { readonly policy: string | null })[];
  /** Dropped by routing after every rule accepted: where, why, and the route line (null when no route matched). */
  readonly routeDrop: { readonly node: string; readonly reason: string; readonly route: RouteView | null } | null;
}
export interface PolicySideView {
  readonly verdict: "allowed" | "denied";
  readonly egress: DirectionView;
  readonly ingress: DirectionView;
}
/** What every flow-like report row shows: the packet, both sides' verdicts. */
interface ProbeViewBase {
  readonly flow: string;
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly port: number;
  readonly status: FlowStatus;
  readonly policy: PolicySideView;
  readonly rules: WalkView;
  /**
   * Class verify: the class of flows this one stands for (`x/a and 3 pods like it → y/b every TCP port but 80,
   * 1,204 flows`); absent when every flow was enumerated.
   */
  readonly flowClass?: string;
}
/** A flow's first packet: rules against the reference evaluator. */
export interface FlowView extends ProbeViewBase {
  readonly kind: "flow";
  /** The reply's walk, when the flow is allowed and accepted (explain shows it; verify lists it only when it fails). */
  readonly reply: { readonly status: FlowStatus; readonly rules: WalkView } | null;
}
/**
 * The reply of an allowed flow: must be accepted (netpol-semantics §7).
 * `flow` reads `reply of <flow>`; src/dst are the reply's own ends; `policy`
 * is the flow's verdict, which allows the reply.
 */
export interface ReplyView extends ProbeViewBase {
  readonly kind: "reply";
}
/** A Felix invariant probe (not NetworkPolicy: invariants.ts). */
export interface InvariantView {
  readonly kind: "invariant";
  /** `INVALID a → b 9080/TCP (into b)`. */
  readonly flow: string;
  readonly invariant: InvariantId;
  readonly statement: string;
  readonly pod: string;
  readonly expected: "accepted" | "dropped";
  readonly status: FlowStatus;
  readonly rules: WalkView;
  /** Policy or profile chain steps the probe met (there must be none). */
  readonly consulted: readonly StepView[];
}
export type CheckView = FlowView | ReplyView | InvariantView;

export const endpointName = (e: FlowEndpoint): string => (e.kind === "pod" ? `${e.pod.namespace}/${e.pod.name}` : e.ip);
export const flowName = (f: Flow): string => `${endpointName(f.src)} → ${endpointName(f.dst)} ${f.port}/${f.protocol}`;

export function position(sources: SourceMap, span: Span | null): string | null {
  if (!span) return null;
  const { line, col } = sources.position(span.file, span.start);
  return `${span.file}:${line}:${col}`;
}

const policyName = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`;

function ruleView(sources: SourceMap, r: RuleRef): RuleView {
  const rule = r.policy[r.direction].find((x) => x.index === r.ruleIndex);
  return { policy: policyName(r.policy), rule: `${r.direction}[${r.ruleIndex}]`, at: position(sources, rule?.span ?? r.policy.span) };
}

function directionView(sources: SourceMap, subject: FlowEndpoint, v: DirectionVerdict): DirectionView {
  return {
    subject: endpointName(subject),
    allowed: v.allowed,
    reason: v.reason,
    isolatedBy: v.isolatedBy.map((p) => ({ policy: policyName(p), at: position(sources, p.span) })),
    allowedBy: v.allowedBy.map((r) => ruleView(sources, r)),
  };
}

export function pathName(p: HookPath): string {
  switch (p.kind) {
    case "forward":
      return `forward in=${p.inIface} out=${p.outIface}`;
    case "input":
      return `input in=${p.inIface}`;
    case "output":
      return p.postIface === undefined ? `output out=${p.outIface}` : `output out=${p.outIface} postrouting out=${p.postIface}`;
  }
}

/** The rule's own comments, without Felix's `cali:` hash. */
export function ruleComment(rule: Rule | null): string | null {
  if (!rule) return null;
  const texts: string[] = [];
  for (const part of rule.parts) {
    if (part.kind !== "match" || part.module !== "comment") continue;
    for (const o of part.options) if (o.name === "comment" && o.args[0] && !o.args[0].startsWith("cali:")) texts.push(o.args[0]);
  }
  return texts.length ? texts.join("; ") : null;
}

function stepView(hop: HopResult, s: TraceStep): StepView {
  // A rule read from `.nft` is shown as nft names and prints it, not as the rule model it was lowered to.
  const origin = s.rule?.origin;
  if (origin) {
    return { node: hop.node, file: hop.file, table: origin.table, chain: origin.chain, index: origin.index, line: s.line, action: s.action, comment: ruleComment(s.rule), rule: origin.text };
  }
  if (s.origin && s.index < 0) return { node: hop.node, file: hop.file, table: s.origin.table, chain: s.origin.chain, index: -1, line: s.line, action: s.action, comment: null, rule: null };
  return {
    node: hop.node,
    file: hop.file,
    table: s.table,
    chain: s.chain,
    index: s.index,
    line: s.line,
    action: s.action,
    comment: ruleComment(s.rule),
    rule: s.rule ? writeRule(s.chain, s.rule) : null,
  };
}

/** Whether a rule's MARK target sets Felix's accept bit (felix-format §3.1). */
export function setsAcceptMark(rule: Rule | null): boolean {
  const t = rule?.target;
  if (!t || t.kind !== "jump" || t.name !== "MARK") return false;
  const o = t.options.find((x) => x.name === "set-xmark" || x.name === "set-mark");
  const [value = "0", mask = "0xffffffff"] = (o?.args[0] ?? "").split("/");
  return (Number(value) & Number(mask) & NAMES.acceptMark) !== 0;
}

/** Policy chains by name, to say which NetworkPolicy an accept-mark rule belongs to. */
function policyChains(model: Model): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of model.policies) {
    for (const dir of ["ingress", "egress"] as const) for (const c of NAMES.policyChains(dir, p)) m.set(c, policyName(p));
  }
  return m;
}

function outcomeView(hop: HopResult, o: SimOutcome): OutcomeView {
  return { verdict: o.verdict, probability: o.probability, unknown: o.unknown, steps: o.trace.map((s) => stepView(hop, s)) };
}

export function walkView(model: Model, c: WalkResult): WalkView {
  const chains = policyChains(model);
  const hops = c.hops.map((h) => ({ node: h.node, path: pathName(h.path), file: h.file, route: routeView(h.route), outcomes: h.outcomes.map((o) => outcomeView(h, o)) }));
  const last = c.hops[c.hops.length - 1];
  const decidedBy = last ? last.outcomes.flatMap((o) => (o.trace.length ? [stepView(last, o.trace[o.trace.length - 1]!)] : [])) : [];
  const acceptedBy = c.hops.flatMap((h) =>
    h.outcomes.flatMap((o) =>
      o.trace.filter((s) => NAMES.isPolicyChain(s.chain) && setsAcceptMark(s.rule)).map((s) => ({ ...stepView(h, s), policy: chains.get(s.chain) ?? null })),
    ),
  );
  const verdict = c.actual === null ? "unknown" : c.actual ? "allowed" : "denied";
  const drop = c.routeDrop;
  const routeDrop = drop && { node: drop.node, reason: drop.reason, route: routeView(drop.route) };
  return { verdict, unknown: c.unknown, hops, decidedBy, acceptedBy, routeDrop };
}

function routeView(r: RouteRef | null): RouteView | null {
  return r && { at: `${r.file}:${r.line}`, route: r.text, inferred: r.inferred };
}

export function policySideView(sources: SourceMap, f: Flow, v: Verdict): PolicySideView {
  return {
    verdict: v.allowed ? "allowed" : "denied",
    egress: directionView(sources, f.src, v.egress),
    ingress: directionView(sources, f.dst, v.ingress),
  };
}

export function flowView(model: Model, sources: SourceMap, c: FlowCheck): FlowView {
  const f = c.flow;
  const base = { src: endpointName(f.src), dst: endpointName(f.dst), protocol: f.protocol, port: f.port, status: c.status };
  const reply = c.reply ? { status: c.reply.status, rules: walkView(model, c.reply) } : null;
  return { kind: "flow", flow: flowName(f), ...base, policy: policySideView(sources, f, c.expected), rules: walkView(model, c), reply };
}

function replyView(model: Model, sources: SourceMap, c: ReplyCheck): ReplyView {
  const f = c.flow;
  return {
    kind: "reply", flow: checkName(c), src: endpointName(f.dst), dst: endpointName(f.src), protocol: f.protocol, port: f.port,
    status: c.status, policy: policySideView(sources, f, c.expected), rules: walkView(model, c),
  };
}

/** `INVALID a → b 9080/TCP (into b)`; encapsulated probes name no port of the flow. */
export function probeName(p: InvariantProbe): string {
  const f = p.flow;
  const what = p.invariant.id === "ipip-from" ? "" : p.invariant.id === "vxlan-from" ? ` ${p.packet.dstPort}/UDP` : ` ${f.port}/${f.protocol}`;
  const side = p.invariant.direction === "to" ? "into" : "from";
  return `${p.invariant.label} ${endpointName(f.src)} → ${endpointName(f.dst)}${what} (${side} ${p.pod})`;
}

function invariantView(model: Model, c: InvariantCheck): InvariantView {
  const p = c.probe;
  const hop = c.hops[0];
  return {
    kind: "invariant", flow: probeName(p), invariant: p.invariant.id, statement: p.invariant.statement, pod: p.pod,
    expected: p.invariant.verdict === "ACCEPT" ? "accepted" : "dropped", status: c.status, rules: walkView(model, c),
    consulted: hop ? c.consulted.map((s) => stepView(hop, s)) : [],
  };
}

/** A check's one-line name: the flow, `reply of` the flow, or the invariant probe. */
export function checkName(c: Check): string {
  return c.kind === "flow" ? flowName(c.flow) : c.kind === "reply" ? `reply of ${flowName(c.flow)}` : probeName(c.probe);
}

/** Any check as plain data for the reports. */
export function checkView(model: Model, sources: SourceMap, c: Check): CheckView {
  switch (c.kind) {
    case "flow":
      return flowView(model, sources, c);
    case "reply":
      return replyView(model, sources, c);
    case "invariant":
      return invariantView(model, c);
  }
}

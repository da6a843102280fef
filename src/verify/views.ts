// FlowCheck → plain data for the reports: names instead of objects,
// `file:line:col` instead of spans (through the one SourceMap conversion),
// trace steps with their comment and rule text. Text and JSON renderers both
// start from these views, so they cannot disagree.
import { MARK, policyChainName } from "../backends/calico/names.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model, NetworkPolicy } from "../ir/policy.js";
import type { HookPath, SimOutcome, TraceStep } from "../ruleset/sim-types.js";
import type { Rule } from "../ruleset/types.js";
import { writeRule } from "../ruleset/writer.js";
import type { DirectionVerdict, Flow, FlowEndpoint, RuleRef } from "../semantics/index.js";
import type { FlowCheck, FlowStatus, HopResult } from "./check.js";

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
export interface HopView {
  readonly node: string;
  readonly path: string;
  readonly file: string | null;
  readonly outcomes: readonly OutcomeView[];
}
export interface FlowView {
  readonly flow: string;
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly port: number;
  readonly status: FlowStatus;
  readonly policy: { readonly verdict: "allowed" | "denied"; readonly egress: DirectionView; readonly ingress: DirectionView };
  readonly rules: {
    readonly verdict: "allowed" | "denied" | "unknown";
    readonly unknown: string | null;
    readonly hops: readonly HopView[];
    /** The step that ended each outcome of the last hop walked (the deciding target). */
    readonly decidedBy: readonly StepView[];
    /** Policy/profile chain rules that set the accept mark (what allowed the packet). */
    readonly acceptedBy: readonly (StepView & { readonly policy: string | null })[];
  };
}

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
      return `output out=${p.outIface}`;
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
  return (Number(value) & Number(mask) & MARK.accept) !== 0;
}

/** Policy chains by name, to say which NetworkPolicy an accept-mark rule belongs to. */
function policyChains(model: Model): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of model.policies) {
    for (const dir of ["ingress", "egress"] as const) m.set(policyChainName(dir, p.namespace, p.name), policyName(p));
  }
  return m;
}

function outcomeView(hop: HopResult, o: SimOutcome): OutcomeView {
  return { verdict: o.verdict, probability: o.probability, unknown: o.unknown, steps: o.trace.map((s) => stepView(hop, s)) };
}

function rulesView(model: Model, c: FlowCheck): FlowView["rules"] {
  const chains = policyChains(model);
  const hops = c.hops.map((h) => ({ node: h.node, path: pathName(h.path), file: h.file, outcomes: h.outcomes.map((o) => outcomeView(h, o)) }));
  const last = c.hops[c.hops.length - 1];
  const decidedBy = last ? last.outcomes.flatMap((o) => (o.trace.length ? [stepView(last, o.trace[o.trace.length - 1]!)] : [])) : [];
  const acceptedBy = c.hops.flatMap((h) =>
    h.outcomes.flatMap((o) =>
      o.trace
        .filter((s) => /^cali-pr?[io]-/.test(s.chain) && setsAcceptMark(s.rule))
        .map((s) => ({ ...stepView(h, s), policy: chains.get(s.chain) ?? null })),
    ),
  );
  const verdict = c.actual === null ? "unknown" : c.actual ? "allowed" : "denied";
  return { verdict, unknown: c.unknown, hops, decidedBy, acceptedBy };
}

export function flowView(model: Model, sources: SourceMap, c: FlowCheck): FlowView {
  const f = c.flow;
  return {
    flow: flowName(f),
    src: endpointName(f.src),
    dst: endpointName(f.dst),
    protocol: f.protocol,
    port: f.port,
    status: c.status,
    policy: {
      verdict: c.expected.allowed ? "allowed" : "denied",
      egress: directionView(sources, f.src, c.expected.egress),
      ingress: directionView(sources, f.dst, c.expected.ingress),
    },
    rules: rulesView(model, c),
  };
}

// Text and JSON for verify and explain, from the views only.
import type { CheckView, DirectionView, FlowView, HopView, InvariantView, PolicySideView, ReplyView, RouteView, StepView, WalkView } from "./views.js";
import { serviceText, type ServiceView } from "./service-report.js";

/** JSON with object keys sorted at every level, so machine output is stable whatever order fields were built in. */
export function stableJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v === null || typeof v !== "object") return v;
    // Sorted for determinism.
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, x]) => [k, sortKeys(x)]));
  };
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

const at = (where: string | null): string => (where ? ` (${where})` : "");

/**
 * `filter cali-tw-cali1234 rule 9 (ubuntu3.iptables:201)`. Rules are numbered
 * from 1, as `iptables -L --line-numbers` and the simulator's messages count.
 */
export function stepPlace(s: StepView): string {
  const rule = s.index < 0 ? "policy" : `rule ${s.index + 1}`;
  const line = s.line !== null && s.file ? ` (${s.file}:${s.line})` : s.line !== null ? ` (line ${s.line})` : "";
  return `${s.table} ${s.chain} ${rule}${line}`;
}

export function stepLine(s: StepView): string {
  if (s.index < 0) return stepPlace(s);
  return `${stepPlace(s)} ${s.action}${s.comment ? ` "${s.comment}"` : ""}`;
}

function directionLines(dir: "egress" | "ingress", v: DirectionView): string[] {
  const head = `${dir} of ${v.subject}: ${v.allowed ? "allowed" : "denied"} (${v.reason})`;
  const lines = [head];
  for (const r of v.allowedBy) lines.push(`  allowed by ${r.policy} ${r.rule}${at(r.at)}`);
  if (v.isolatedBy.length) {
    const verb = v.allowed ? "isolated by" : "isolated by (no rule allows it)";
    lines.push(`  ${verb} ${v.isolatedBy.map((p) => `${p.policy}${at(p.at)}`).join(", ")}`);
  }
  return lines;
}

export function policyLines(v: { readonly policy: PolicySideView }): string[] {
  return [
    `policy: ${v.policy.verdict}`,
    ...directionLines("egress", v.policy.egress).map((l) => `  ${l}`),
    ...directionLines("ingress", v.policy.ingress).map((l) => `  ${l}`),
  ];
}

/** Steps that end a walk; shown even in the short trace. */
const TERMINAL: ReadonlySet<string> = new Set(["accept", "drop", "reject", "unknown"]);

/**
 * One hop's outcomes. The short form (verify's mismatch list) keeps the
 * filter table, where policy is enforced, and any step that ended the walk
 * (an rpfilter DROP in raw, say); explain prints every step.
 */
/** Said wherever a route rests on a block owner netpolc guessed (calico-routes §5.2). */
const INFERRED = "give IPAMBlock/BlockAffinity objects for exact routes";

/** `route ubuntu1.routes:7 route replace … [block owner inferred …]` */
export function routeLine(r: RouteView): string {
  return `route ${r.at} ${r.route}${r.inferred ? ` [block owner inferred; ${INFERRED}]` : ""}`;
}

function hopLines(h: HopView, full: boolean): string[] {
  const lines: string[] = [];
  // Explain names every route taken, under the hop it chose the way out of; verify's short form only those that rest on a guess.
  const route = h.route && (full || h.route.inferred) ? [`  ${routeLine(h.route)}`] : [];
  for (const o of h.outcomes) {
    const p = o.probability < 1 ? ` (p=${o.probability})` : "";
    lines.push(`${h.node}: ${h.path} → ${o.verdict}${p}${o.unknown ? `: ${o.unknown}` : ""}`, ...route.splice(0));
    const steps = full ? o.steps : o.steps.filter((s) => s.table === "filter" || TERMINAL.has(s.action));
    for (const s of steps) lines.push(`  ${stepLine(s)}`);
  }
  return lines;
}

/** The rules' side: every hop, its outcome(s), and (full) the trace of matched rules; then a routing drop. */
export function rulesLines(w: WalkView, full: boolean, label = "rules"): string[] {
  const lines = [`${label}: ${w.verdict}${w.unknown ? ` (${w.unknown})` : ""}`];
  for (const h of w.hops) lines.push(...hopLines(h, full).map((l) => `  ${l}`));
  if (w.routeDrop) lines.push(`  ${routeDropText(w.routeDrop)}`);
  return lines;
}

function routeDropText(d: NonNullable<WalkView["routeDrop"]>): string {
  return `${d.node}: dropped by routing: ${d.reason}${d.route ? ` (${routeLine(d.route)})` : ""}`;
}

/** `dropped by ubuntu2 filter cali-tw-… rule 9 (…) drop "…"`, from the steps that ended a walk, or the route that dropped it. */
function droppedBy(w: WalkView): string {
  const s = w.decidedBy.find((x) => x.action !== "accept");
  if (s) return `dropped by ${s.node} ${stepLine(s)}`;
  return w.routeDrop ? routeDropText(w.routeDrop) : "dropped";
}

const indent = (lines: readonly string[]): string => lines.map((l, i) => (i === 0 ? l : `  ${l}`)).join("\n") + "\n";

/** Class verify: which flows the one shown stands for. */
const classLines = (v: FlowView | ReplyView): string[] => (v.flowClass ? [`class: ${v.flowClass}; the flow shown is one of them`] : []);

function flowMismatch(v: FlowView): string {
  const label = v.status === "unknown" ? "UNKNOWN" : "mismatch";
  return indent([`${label}: ${v.flow}`, ...classLines(v), ...policyLines(v), ...rulesLines(v.rules, false)]);
}

function replyMismatch(v: ReplyView): string {
  const head = v.status === "unknown" ? `UNKNOWN: ${v.flow}` : `mismatch: ${v.flow} ${droppedBy(v.rules)}`;
  const why = "reply traffic of an allowed connection is implicitly allowed (netpol-semantics §7)";
  return indent([head, ...classLines(v), ...policyLines(v), `  ${why}`, ...rulesLines(v.rules, false, `reply rules (${v.src} → ${v.dst}, ESTABLISHED)`)]);
}

function invariantMismatch(v: InvariantView): string {
  const got = v.rules.verdict === "allowed" ? "accepted" : droppedBy(v.rules);
  const what = v.consulted.length && got.startsWith(v.expected) ? `${got}, but only after a policy chain` : got;
  const head = v.status === "unknown" ? `UNKNOWN (invariant): ${v.flow}` : `mismatch (invariant): ${v.flow} ${what}`;
  const lines = [head, `Felix invariant (not NetworkPolicy): ${v.statement}`];
  for (const s of v.consulted.slice(0, 1)) {
    const into = /^-A \S+ .*-[jg] (\S+)/.exec(s.rule ?? "")?.[1];
    lines.push(`consulted: ${s.node} ${stepLine(s)}${into && into !== s.chain ? ` → ${into}` : ""}`);
  }
  return indent([...lines, ...rulesLines(v.rules, false)]);
}

export function mismatchText(v: CheckView): string {
  switch (v.kind) {
    case "flow":
      return flowMismatch(v);
    case "reply":
      return replyMismatch(v);
    case "invariant":
      return invariantMismatch(v);
  }
}

export interface VerifyReportData {
  /** Concrete flows checked: walked one by one, or (class verify) stood for by the classes walked. */
  readonly flows: number;
  /** Class verify: the flow classes walked, one representative each; absent when every flow was walked. */
  readonly classes?: number;
  /** Replies of allowed flows walked (ESTABLISHED, reverse hops). */
  readonly replies: number;
  /** Felix invariant probes walked (invariants.ts). */
  readonly invariants: number;
  /** Service probes walked through kube-proxy's DNAT (services-check.ts). */
  readonly services: number;
  readonly nodes: readonly string[];
  /** Failing checks of every kind: flows, replies, invariants, services. */
  readonly mismatches: number;
  readonly unknown: number;
  /** Flows routed over a block owner netpolc inferred (no IPAM objects given). */
  readonly inferredRoutes: number;
  readonly failures: readonly (CheckView | ServiceView)[];
}

/** 1904112 → `1,904,112` (fixed, whatever the locale). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function verifyText(r: VerifyReportData): string {
  const body = r.failures.map((f) => (f.kind === "service" ? serviceText(f) : mismatchText(f))).join("");
  const unknown = r.unknown ? `, ${r.unknown} unknown` : "";
  const services = r.services ? `, ${r.services} service probes` : "";
  const flows = r.classes === undefined ? `${r.flows} flows` : `${thousands(r.flows)} flows in ${thousands(r.classes)} classes`;
  const checked = `${flows}, ${r.replies} replies, ${r.invariants} Felix invariant probes${services}`;
  return `${body}verified: ${checked} on ${r.nodes.length} nodes, ${r.mismatches} mismatches${unknown}\n`;
}

/** A diagnostic line (stderr) when routes rest on inferred block owners; empty otherwise. */
export function inferredRoutesNote(r: Pick<VerifyReportData, "inferredRoutes">): string {
  return r.inferredRoutes ? `netpolc: note: ${thousands(r.inferredRoutes)} flows were routed over blocks whose owner netpolc inferred; ${INFERRED}\n` : "";
}

function verdictLines(v: FlowView): string[] {
  if (v.rules.verdict === "denied") {
    const lines = v.rules.decidedBy.filter((s) => s.action !== "accept").map((s) => `dropped by: ${s.node} ${stepLine(s)}`);
    if (v.rules.routeDrop) lines.push(`dropped by: ${routeDropText(v.rules.routeDrop)}`);
    const denying = [v.policy.egress, v.policy.ingress].filter((d) => !d.allowed);
    for (const d of denying) lines.push(`isolated by: ${d.isolatedBy.map((p) => `${p.policy}${at(p.at)}`).join(", ")}`);
    if (!denying.length) lines.push("isolated by: none (the policies allow this flow)");
    return lines;
  }
  if (v.rules.verdict !== "allowed") return [];
  const lines: string[] = [];
  for (const s of v.rules.acceptedBy) {
    lines.push(`allowed by: ${s.node} ${stepLine(s)}${s.policy ? ` [${s.policy}]` : ""}`);
    if (s.rule) lines.push(`  ${s.rule}`);
  }
  for (const d of [v.policy.egress, v.policy.ingress]) for (const r of d.allowedBy) lines.push(`k8s rule: ${r.policy} ${r.rule}${at(r.at)}`);
  return lines;
}

/** The reply's walk (explain): it must be accepted, netpol-semantics §7. */
function replyLines(v: FlowView): string[] {
  if (!v.reply) return [];
  const r = v.reply.rules;
  const label = `reply (${v.dst} → ${v.src}, ESTABLISHED)`;
  const lines = rulesLines(r, true, label);
  if (v.reply.status === "mismatch") lines.push(`reply ${droppedBy(r)} (reply traffic of an allowed connection is implicitly allowed, netpol-semantics §7)`);
  return lines;
}

/** Whether explain's flow and its reply both agree with the policies. */
export const explainAgrees = (v: FlowView): boolean => v.status === "ok" && (v.reply === null || v.reply.status === "ok");

/** `explain`: the verdict, who decided it on the policy side, the packet's walk through the chains, and its reply's. */
export function explainText(v: FlowView): string {
  const agree = v.status === "unknown" ? "rules UNKNOWN" : explainAgrees(v) ? "rules agree" : v.status === "ok" ? "reply DISAGREES" : "rules DISAGREE";
  const lines = [`${v.flow}: ${v.policy.verdict} (${agree})`, ...explainBody(v)];
  return lines.join("\n") + "\n";
}

/** explainText below its first line: both sides, the walk, who decided, the reply. */
export function explainBody(v: FlowView): string[] {
  return [...policyLines(v), ...rulesLines(v.rules, true), ...verdictLines(v), ...replyLines(v)];
}

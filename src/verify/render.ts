// Text and JSON for verify and explain, from the views only.
import type { DirectionView, FlowView, HopView, StepView } from "./views.js";

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

export function policyLines(v: FlowView): string[] {
  return [
    `policy: ${v.policy.verdict}`,
    ...directionLines("egress", v.policy.egress).map((l) => `  ${l}`),
    ...directionLines("ingress", v.policy.ingress).map((l) => `  ${l}`),
  ];
}

/** Steps that end a walk; shown even in the short trace. */
const TERMINAL = new Set(["accept", "drop", "reject", "unknown"]);

/**
 * One hop's outcomes. The short form (verify's mismatch list) keeps the
 * filter table, where policy is enforced, and any step that ended the walk
 * (an rpfilter DROP in raw, say); explain prints every step.
 */
function hopLines(h: HopView, full: boolean): string[] {
  const lines: string[] = [];
  for (const o of h.outcomes) {
    const p = o.probability < 1 ? ` (p=${o.probability})` : "";
    lines.push(`${h.node}: ${h.path} → ${o.verdict}${p}${o.unknown ? `: ${o.unknown}` : ""}`);
    const steps = full ? o.steps : o.steps.filter((s) => s.table === "filter" || TERMINAL.has(s.action));
    for (const s of steps) lines.push(`  ${stepLine(s)}`);
  }
  return lines;
}

/** The rules' side: every hop, its outcome(s), and (full) the trace of matched rules. */
export function rulesLines(v: FlowView, full: boolean): string[] {
  const lines = [`rules: ${v.rules.verdict}${v.rules.unknown ? ` (${v.rules.unknown})` : ""}`];
  for (const h of v.rules.hops) lines.push(...hopLines(h, full).map((l) => `  ${l}`));
  return lines;
}

export function mismatchText(v: FlowView): string {
  const label = v.status === "unknown" ? "UNKNOWN" : "mismatch";
  const lines = [`${label}: ${v.flow}`, ...policyLines(v), ...rulesLines(v, false)];
  return lines.map((l, i) => (i === 0 ? l : `  ${l}`)).join("\n") + "\n";
}

export interface VerifyReportData {
  readonly flows: number;
  readonly nodes: readonly string[];
  readonly mismatches: number;
  readonly unknown: number;
  readonly failures: readonly FlowView[];
}

export function verifyText(r: VerifyReportData): string {
  const body = r.failures.map(mismatchText).join("");
  const unknown = r.unknown ? `, ${r.unknown} unknown` : "";
  return `${body}verified: ${r.flows} flows on ${r.nodes.length} nodes, ${r.mismatches} mismatches${unknown}\n`;
}

/** `explain`: the verdict, who decided it on the policy side, and the packet's walk through the chains. */
export function explainText(v: FlowView): string {
  const agree = v.status === "ok" ? "rules agree" : v.status === "unknown" ? "rules UNKNOWN" : "rules DISAGREE";
  const lines = [`${v.flow}: ${v.policy.verdict} (${agree})`, ...policyLines(v), ...rulesLines(v, true)];
  if (v.rules.verdict === "denied") {
    for (const s of v.rules.decidedBy) if (s.action !== "accept") lines.push(`dropped by: ${s.node} ${stepLine(s)}`);
    const denying = [v.policy.egress, v.policy.ingress].filter((d) => !d.allowed);
    for (const d of denying) lines.push(`isolated by: ${d.isolatedBy.map((p) => `${p.policy}${at(p.at)}`).join(", ")}`);
    if (!denying.length) lines.push("isolated by: none (the policies allow this flow)");
  } else if (v.rules.verdict === "allowed") {
    for (const s of v.rules.acceptedBy) {
      lines.push(`allowed by: ${s.node} ${stepLine(s)}${s.policy ? ` [${s.policy}]` : ""}`);
      if (s.rule) lines.push(`  ${s.rule}`);
    }
    for (const d of [v.policy.egress, v.policy.ingress]) for (const r of d.allowedBy) lines.push(`k8s rule: ${r.policy} ${r.rule}${at(r.at)}`);
  }
  return lines.join("\n") + "\n";
}

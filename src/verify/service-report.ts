// Service checks → plain data and text for verify's report (kind "service"),
// beside the flow/reply/invariant views of views.ts.
import type { SimOutcome } from "../simulate/types.js";
import { writeRule } from "../rules/writer.js";
import type { FlowStatus, HopResult } from "./check.js";
import type { ServiceCheck } from "./services-check.js";
import { serviceProbeName } from "./services.js";
import { pathName, ruleComment } from "./views.js";

/** One hop's deciding step per outcome: enough to find the rule in `<node>.iptables`. */
export interface ServiceStepView {
  readonly node: string;
  readonly path: string;
  readonly file: string | null;
  readonly verdict: string;
  readonly probability: number;
  /** Which of its hop's outcomes (paths through the hop's rules) the step is on, from 0: a branch may be reached by several. */
  readonly outcome: number;
  /** `nat KUBE-SEP-… rule 2` (the DNAT) or the filter rule that decided; null when nothing matched. */
  readonly chain: string | null;
  readonly index: number;
  readonly line: number | null;
  readonly comment: string | null;
  readonly rule: string | null;
}

export interface ServiceBranchView {
  readonly backend: string | null;
  readonly probability: number;
  /** The policies' verdict for source → backend pod (null: not judged). */
  readonly expected: "allowed" | "denied" | null;
  readonly actual: "allowed" | "denied" | "unknown";
  readonly verdict: string;
  readonly steps: readonly ServiceStepView[];
}

/** What a Service probe's report says before its branches (verify's failures and explain alike). */
export interface ServiceViewHead {
  readonly kind: "service";
  /** `default/a → ClusterIP 10.96.0.10:53/UDP (default/dns:dns)`. */
  readonly flow: string;
  readonly service: string;
  readonly entry: string;
  readonly status: FlowStatus;
  /** Backends that must be reached (`ip:port`), or the verdict without any. */
  readonly expected: readonly string[] | string;
  /** What the Service's rules do wrong as a whole (a backend never reached, a skewed probability, …). */
  readonly problems: readonly string[];
  readonly unknown: string | null;
}

/** The head of a checked probe's view. */
export function serviceViewHead(c: ServiceCheck): ServiceViewHead {
  const p = c.probe;
  const want = p.pinned ? [p.pinned] : p.expected;
  return {
    kind: "service", flow: serviceProbeName(p), service: p.spn, entry: p.entry, status: c.status,
    expected: want.length ? want.map((e) => `${e.ip}:${e.port}`) : p.none, problems: c.problems, unknown: c.unknown,
  };
}

export interface ServiceView extends ServiceViewHead {
  readonly branches: readonly ServiceBranchView[];
}

/**
 * The rule that sent the outcome into the DNAT's chain (kube-proxy's `statistic` or `recent` jump from KUBE-SVC-…: the
 * rule that chose the backend), the DNAT (if any) and the step that ended the outcome.
 */
function stepViews(hop: HopResult, o: SimOutcome, outcome: number): ServiceStepView[] {
  const at = o.trace.findIndex((s) => s.action === "dnat");
  const dnat = at < 0 ? undefined : o.trace[at]!;
  let chose: (typeof o.trace)[number] | undefined;
  for (let i = at - 1; dnat && i >= 0 && chose === undefined; i--) {
    const t = o.trace[i]!.rule?.target;
    if ((t?.kind === "jump" || t?.kind === "goto") && t.name === dnat.chain) chose = o.trace[i];
  }
  const picked = [chose, dnat, o.decisive ?? o.trace[o.trace.length - 1]].filter((s) => s !== undefined && s !== null);
  const base = { node: hop.node, path: pathName(hop.path), file: hop.file, verdict: o.verdict, probability: o.probability, outcome };
  if (!picked.length) return [{ ...base, chain: null, index: -1, line: null, comment: o.unknown, rule: null }];
  return picked.map((s) => {
    // A rule read from `.nft` is named and printed as nft has it (rules/nft/lower.ts).
    const o = s.rule?.origin;
    if (o) return { ...base, chain: `${o.table} ${o.chain}`, index: o.index, line: s.line, comment: ruleComment(s.rule), rule: o.text };
    return { ...base, chain: `${s.table} ${s.chain}`, index: s.index, line: s.line, comment: ruleComment(s.rule), rule: s.rule ? writeRule(s.chain, s.rule) : null };
  });
}

export function serviceView(c: ServiceCheck): ServiceView {
  return {
    ...serviceViewHead(c),
    branches: c.branches.map((b) => ({
      backend: b.backend,
      probability: b.probability,
      expected: b.expected === null ? null : b.expected ? "allowed" : "denied",
      actual: b.actual === null ? "unknown" : b.actual ? "allowed" : "denied",
      verdict: b.verdict,
      steps: b.hops.flatMap((h) => h.outcomes.flatMap((o, i) => stepViews(h, o, i))),
    })),
  };
}

/** Below the branch's probability by more than rounding: the step is on one of several paths to the backend. */
const PATH_EPSILON = 1e-9;

const indent = (lines: readonly string[]): string => lines.map((l, i) => (i === 0 ? l : `  ${l}`)).join("\n") + "\n";

function stepLine(s: ServiceStepView): string {
  if (s.chain === null) return `${s.node} ${s.path}: ${s.verdict}${s.comment ? ` (${s.comment})` : ""}`;
  const at = s.file && s.line !== null ? ` (${s.file}:${s.line})` : "";
  return `${s.node} ${s.path}: ${s.chain} rule ${s.index + 1}${at}${s.comment ? ` "${s.comment}"` : ""} → ${s.verdict}`;
}

/** `mismatch (service): …`, the problems, then per branch where it went and which rule decided. */
export function serviceText(v: ServiceView): string {
  const head = v.status === "unknown" ? `UNKNOWN (service): ${v.flow}` : `mismatch (service): ${v.flow}`;
  const expected = typeof v.expected === "string" ? `expected: ${v.expected} (no usable endpoint)` : `expected backends: ${v.expected.join(", ")}`;
  const lines = [head, expected, ...v.problems.map((p) => `problem: ${p}`)];
  if (v.unknown) lines.push(`unknown: ${v.unknown}`);
  for (const b of v.branches) {
    const policy = b.expected ? `, policies: ${b.expected}` : "";
    lines.push(`branch ${b.backend ?? "(untranslated)"} p=${b.probability.toFixed(10)}: rules: ${b.actual} (${b.verdict})${policy}`);
    // A branch reached by several paths (statistic forks ending at one backend) shows each path's share where it starts.
    let last: ServiceStepView | null = null;
    for (const s of b.steps) {
      const starts = last === null || last.node !== s.node || last.outcome !== s.outcome;
      const part = starts && s.probability < b.probability - PATH_EPSILON ? ` (one path of the branch: p=${s.probability.toFixed(10)})` : "";
      lines.push(`  ${stepLine(s)}${part}`);
      last = s;
    }
  }
  return indent(lines);
}

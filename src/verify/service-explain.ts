// `explain` of a connection to a Service (a ClusterIP's port, or a node's address and a nodePort): kube-proxy's DNAT
// sends it to a backend per `statistic` branch, and the policies judge each branch on the backend pod
// (netpol-semantics §7), so the answer is per backend — the policy side, the walk on to the backend's node, and the
// rule that decided — after what the Service as a whole must do (services-check.ts judges the branches as verify
// does: which backends are reached, how likely each is, REJECT/DROP without endpoints).
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model } from "../ir/policy.js";
import type { Evaluator, Flow, FlowEndpoint, Verdict } from "../semantics/index.js";
import type { FlowStatus } from "./check.js";
import { explainBody, rulesLines } from "./render.js";
import type { ServiceCheck } from "./services-check.js";
import { serviceViewHead, type ServiceViewHead } from "./service-report.js";
import { endpointName, policySideView, walkView, type FlowView, type WalkView } from "./views.js";

/** One branch of the DNAT: where it went, both sides' verdicts (when judged), and its walk. */
export interface ServiceBranchExplain {
  /** `ip:port` it was translated to; null: the packet kept the service address. */
  readonly backend: string | null;
  /** The backend pod (`ns/name`), when the backend is one. */
  readonly pod: string | null;
  readonly probability: number;
  /** Source → backend as explain shows a flow (policy side, walk, deciding rules); null when not judged. */
  readonly flow: FlowView | null;
  /** Why the branch is not judged against the policies (untranslated, a pod reaching itself, no pod); null when judged. */
  readonly notJudged: string | null;
  /** The walk (also inside `flow` when judged). */
  readonly rules: WalkView;
}

export interface ServiceExplainView extends ServiceViewHead {
  readonly branches: readonly ServiceBranchExplain[];
}

/**
 * The view of one checked probe. A branch's policy verdict is egress of the client to the backend pod and ingress
 * of the backend pod from the address its node sees (the client's, or the masquerading node's), as the check judged it.
 */
export function serviceExplainView(model: Model, sources: SourceMap, evaluator: Evaluator, c: ServiceCheck): ServiceExplainView {
  const p = c.probe;
  const want = p.pinned ? [p.pinned] : p.expected;
  const branches = c.branches.map((b): ServiceBranchExplain => {
    const rules = walkView(model, { actual: b.actual, status: "ok", hops: b.hops, unknown: b.unknown, routeDrop: null });
    const dst = b.backend === null ? null : evaluator.endpointAt(b.backend.slice(0, b.backend.lastIndexOf(":")));
    const pod = dst?.kind === "pod" ? endpointName(dst) : null;
    const base = { backend: b.backend, pod, probability: b.probability, rules };
    if (b.backend === null) {
      const must = want.length === 0 ? `the Service has no usable endpoint, so the rules must ${p.none} it` : "the Service has endpoints, so every branch must be translated";
      return { ...base, flow: null, notJudged: `not translated to any backend: ${must}` };
    }
    if (dst === null || dst.kind !== "pod" || b.seen === null) return { ...base, flow: null, notJudged: b.unknown ?? `${b.backend} is not an endpoint pod` };
    if (b.expected === null) return { ...base, flow: null, notJudged: "a pod reaching itself through its Service: implementation-defined (netpol-semantics §7), not judged" };
    const port = Number(b.backend.slice(b.backend.lastIndexOf(":") + 1));
    const flow: Flow = { src: p.src, dst, protocol: p.protocol, port };
    const seen: FlowEndpoint = b.seen === p.srcIp ? p.src : evaluator.endpointAt(b.seen);
    const egress = evaluator.directionVerdict(flow, "egress");
    const ingress = evaluator.directionVerdict({ ...flow, src: seen }, "ingress");
    const verdict: Verdict = { allowed: egress.allowed && ingress.allowed, egress, ingress };
    const status: FlowStatus = b.actual === null ? "unknown" : b.actual === verdict.allowed ? "ok" : "mismatch";
    const name = `${endpointName(p.src)} → ${pod} ${port}/${p.protocol} (${b.backend} for ${p.vip}:${p.vport}, p=${b.probability})`;
    const view: FlowView = {
      kind: "flow", flow: name, src: endpointName(p.src), dst: pod!, protocol: p.protocol, port, status,
      policy: policySideView(sources, flow, verdict), rules, reply: null,
    };
    return { ...base, flow: view, notJudged: null };
  });
  return { ...serviceViewHead(c), branches };
}

/** Whether the rules do what the Service and the policies say, on every branch. */
export const serviceExplainAgrees = (v: ServiceExplainView): boolean => v.status === "ok" && v.branches.every((b) => b.flow === null || b.flow.status === "ok");

/** The connection's verdict in one line: what the policies say of the branches, and whether the rules agree. */
function headline(v: ServiceExplainView): string {
  const judged = v.branches.filter((b) => b.flow !== null);
  const allowed = judged.filter((b) => b.flow!.policy.verdict === "allowed").length;
  const policy =
    judged.length === 0 ? "no backend judged" : allowed === judged.length ? "allowed" : allowed === 0 ? "denied" : `allowed to ${allowed} of ${judged.length} backends`;
  const unknown = v.status === "unknown" || v.branches.some((b) => b.flow?.status === "unknown");
  const agree = unknown ? "rules UNKNOWN" : serviceExplainAgrees(v) ? "rules agree" : "rules DISAGREE";
  return `${v.flow}: ${policy} (${agree})`;
}

/** `explain` of a Service connection: the Service's expectation, then per DNAT branch what explain says of a flow. */
export function serviceExplainText(v: ServiceExplainView): string {
  const lines = [headline(v)];
  if (typeof v.expected === "string") lines.push(`expected: ${v.expected} (the Service has no usable endpoint)`);
  else lines.push(`expected backends: ${v.expected.join(", ")}, each with probability 1/${v.expected.length}`);
  for (const p of v.problems) lines.push(`problem: ${p}`);
  if (v.unknown) lines.push(`unknown: ${v.unknown}`);
  for (const b of v.branches) {
    const to = b.backend === null ? "untranslated" : `${b.backend}${b.pod ? ` (${b.pod})` : ""}`;
    if (b.flow) {
      const agree = b.flow.status === "unknown" ? "rules UNKNOWN" : b.flow.status === "ok" ? "rules agree" : "rules DISAGREE";
      lines.push(`branch ${to}, p=${b.probability}: ${b.flow.policy.verdict} (${agree})`, ...explainBody(b.flow).map((l) => `  ${l}`));
    } else {
      lines.push(`branch ${to}, p=${b.probability}: ${b.notJudged}`, ...rulesLines(b.rules, true).map((l) => `  ${l}`));
    }
  }
  lines.push("replies of Service connections are not walked (verify does not probe them either)");
  return lines.join("\n") + "\n";
}

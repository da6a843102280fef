// The reference evaluator's vocabulary: flows and verdicts, in Kubernetes terms.
import type { Pod, Protocol } from "../ir/cluster.js";
import type { NetworkPolicy } from "../ir/policy.js";

export type FlowEndpoint =
  | { readonly kind: "pod"; readonly pod: Pod }
  /** An address that is not a pod endpoint (external host, node, ...). */
  | { readonly kind: "ip"; readonly ip: string };

export interface Flow {
  readonly src: FlowEndpoint;
  readonly dst: FlowEndpoint;
  readonly protocol: Protocol;
  readonly port: number;
  /**
   * The flow's IP family when both ends are pods (each pod end then speaks with its address of that family);
   * absent: the family of a plain-IP end, else IPv4.
   */
  readonly family?: 4 | 6;
}

/** A policy rule that allowed the flow in one direction. */
export interface RuleRef {
  readonly policy: NetworkPolicy;
  readonly direction: "ingress" | "egress";
  readonly ruleIndex: number;
}

export interface DirectionVerdict {
  readonly allowed: boolean;
  /** Why, in one short phrase: "not isolated", "same pod", "from own node", "allowed by rule", "no rule matched", "not a pod". */
  readonly reason: string;
  /** Policies that select the pod for this direction (empty = not isolated). */
  readonly isolatedBy: readonly NetworkPolicy[];
  /** Every rule that matches the flow (empty when denied or not isolated). */
  readonly allowedBy: readonly RuleRef[];
}

export interface Verdict {
  readonly allowed: boolean;
  readonly egress: DirectionVerdict;
  readonly ingress: DirectionVerdict;
}

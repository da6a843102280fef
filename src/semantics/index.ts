// Public face of the reference evaluator (spec/netpol-semantics.md §8).
export { createEvaluator, evaluate, endpointsOf, endpointAt, resolveNamedPort } from "./evaluate.js";
export type { Direction, Evaluator, FlowSides, Side } from "./evaluate.js";
export type { DirectionVerdict, Flow, FlowEndpoint, RuleRef, Verdict } from "./types.js";

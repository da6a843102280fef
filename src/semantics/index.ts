// Public face of the reference evaluator (spec/netpol-semantics.md §8).
export { evaluate, directionVerdict, endpointsOf, endpointAt, resolveNamedPort } from "./evaluate.js";
export type { Direction } from "./evaluate.js";
export type { DirectionVerdict, Flow, FlowEndpoint, RuleRef, Verdict } from "./types.js";

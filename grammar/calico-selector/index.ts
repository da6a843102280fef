// The Calico selector grammar's public surface: tokens, the shared parser instance and the CST typings.
export * as tokens from "./tokens.js";
export { selectorLexer } from "./tokens.js";
export { calicoSelectorParser, CalicoSelectorParser } from "./parser.js";
export type * from "./cst.js";

// The ipset grammar's public surface: tokens, the shared parser instance and the CST typings.
export * as tokens from "./tokens.js";
export { ipsetLexer, Newline } from "./tokens.js";
export { ipsetParser, IpsetParser } from "./parser.js";
export type * from "./cst.js";

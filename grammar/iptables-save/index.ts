// The iptables-save grammar's public surface: tokens, the shared parser instance and the CST typings.
export * as tokens from "./tokens.js";
export { iptablesLexer, QuotedString, Newline } from "./tokens.js";
export { iptablesSaveParser, IptablesSaveParser } from "./parser.js";
export type * from "./cst.js";

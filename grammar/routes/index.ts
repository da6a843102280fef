// The routes grammar's public surface (ip -batch and bridge -batch lines): tokens, the shared parser instance and the CST typings.
export * as tokens from "./tokens.js";
export { routesLexer, Newline } from "./tokens.js";
export { routesParser, RoutesParser } from "./parser.js";
export type * from "./cst.js";

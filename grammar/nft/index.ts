// The nft grammar's public surface: tokens and the shared parser instance.
export * as tokens from "./tokens.js";
export { nftLexer } from "./tokens.js";
export { nftParser, NftParser } from "./parser.js";

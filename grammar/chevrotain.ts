// The one door to chevrotain at run time. Its package entry (lib/src/api.js)
// imports lodash-es function by function: some 600 modules that Node resolves
// and links at every start (0.6 s, most of a cold `netpolc --version`). The
// same release ships the same code as one file, lib/chevrotain.mjs, which
// loads in ~30 ms; it is found next to whatever entry Node resolves for the
// package, so a hoisted or nested install works alike. Types still come from
// the package's own declarations.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const entry = createRequire(import.meta.url).resolve("chevrotain");
const chevrotain = (await import(new URL("../chevrotain.mjs", pathToFileURL(entry)).href)) as typeof import("chevrotain");

export const { CstParser, EOF, Lexer, createToken, generateCstDts } = chevrotain;

/**
 * chevrotain's CST typings of a grammar (for grammar/*\/cst.ts), without the visitor interface and without the
 * `ICstVisitor` import that only the interface would use (generateCstDts writes it either way).
 */
export function cstTypings(productions: Parameters<typeof generateCstDts>[0]): string {
  return generateCstDts(productions, { includeVisitorInterface: false }).replace(/\bICstVisitor, /, "");
}

// Field paths and error bodies in the API server's words
// (apimachinery util/validation/field: path.go and errors.go; spec
// netpol-validation.md §1 "Rendering of one field error").
import type { Segment } from "./yaml/tree.js";

/** `spec.ingress[0].from[1]`: names joined by ".", indices in brackets. */
export function formatPath(segments: readonly Segment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? s : `.${s}`;
  }
  return out;
}

/**
 * An immutable field path, built like field.NewPath("spec").Child("ingress").Index(0).
 * `segments` locate the node in the YAML tree; the text is what messages show
 * (a map key renders as `[key]`, as field.Path.Key does).
 */
export class FieldPath {
  private constructor(
    readonly segments: readonly Segment[],
    private readonly text: string,
  ) {}

  static root(name: string): FieldPath {
    return new FieldPath([name], name);
  }

  child(name: string): FieldPath {
    return new FieldPath([...this.segments, name], `${this.text}.${name}`);
  }

  index(i: number): FieldPath {
    return new FieldPath([...this.segments, i], `${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath([...this.segments, k], `${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

/**
 * A bad value as field.Error prints it: numbers and booleans bare, strings
 * (named string types too) Go-quoted. `goSyntax` carries a preformatted Go
 * `%#v` rendering for the odd cases (T1's slice).
 */
export type BadValue = string | number | boolean | { readonly goSyntax: string };

export function formatValue(v: BadValue): string {
  if (typeof v === "string") return goQuote(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return v.goSyntax;
}

export function requiredBody(detail = ""): string {
  return detail ? `Required value: ${detail}` : "Required value";
}

export function forbiddenBody(detail: string): string {
  return `Forbidden: ${detail}`;
}

export function invalidBody(value: BadValue, detail: string): string {
  return `Invalid value: ${formatValue(value)}: ${detail}`;
}

export function notSupportedBody(value: BadValue, supported: readonly string[]): string {
  return `Unsupported value: ${formatValue(value)}: supported values: ${supported.map(goQuote).join(", ")}`;
}

export function duplicateBody(value: BadValue): string {
  return `Duplicate value: ${formatValue(value)}`;
}

export function tooLongBody(max: number): string {
  return `Too long: must have at most ${max} bytes`;
}

/** field.TooMany with the actual count known. */
export function tooManyBody(actual: number, max: number | bigint): string {
  return `Too many: ${actual}: must have at most ${max} items`;
}

/**
 * Go's %q (strconv.Quote): printable characters as they are, `"` and `\`
 * escaped, control characters as \n, \t, \x1b, \u2028 and so on. Hostile
 * names end up in terminal output; this keeps them on one line.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const named = NAMED_ESCAPES.get(ch);
    if (named) out += named;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (isUnprintable(c)) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, "0")}` : `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

const NAMED_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '\\"'],
  ["\\", "\\\\"],
  ["\x07", "\\a"],
  ["\b", "\\b"],
  ["\f", "\\f"],
  ["\n", "\\n"],
  ["\r", "\\r"],
  ["\t", "\\t"],
  ["\v", "\\v"],
]);

/** An approximation of !unicode.IsPrint for the characters that matter: C1 controls, non-ASCII spaces, bidi and format controls, lone surrogates. */
function isUnprintable(c: number): boolean {
  return (
    (c >= 0x80 && c <= 0xa0) ||
    c === 0xad ||
    c === 0x1680 ||
    c === 0x3000 ||
    (c >= 0x2000 && c <= 0x200f) ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x206f) ||
    (c >= 0xd800 && c <= 0xdfff) ||
    c === 0xfeff ||
    (c >= 0xfff9 && c <= 0xfffb)
  );
}

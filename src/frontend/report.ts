// Field errors of one object, positioned on its YAML tree. The message is
// "<field path>: <body>" exactly as the API server renders a field.Error; the
// span is the node at that path (its parent mapping when the field is
// missing), or an explicit span (a matchLabels key).
import type { DiagnosticSink, Span } from "../diagnostics/diagnostic.js";
import {
  duplicateBody,
  forbiddenBody,
  invalidBody,
  notSupportedBody,
  requiredBody,
  tooLongBody,
  tooManyBody,
  type BadValue,
  type FieldPath,
} from "./field-path.js";
import { keySpanAt, nodeAt, type YNode } from "./yaml/tree.js";

export class FieldReporter {
  private errors = 0;

  /** `category` prefixes every id: "netpol" gives netpol/invalid-value and so on. */
  constructor(
    private readonly diag: DiagnosticSink,
    readonly root: YNode,
    private readonly category: string,
  ) {}

  get errorCount(): number {
    return this.errors;
  }

  spanOf(path: FieldPath): Span {
    return nodeAt(this.root, path.segments).node.span;
  }

  /** The span of key `key` of the mapping at `path` (for errors about a map key). */
  keySpan(path: FieldPath, key: string): Span {
    return keySpanAt(this.root, path.segments, key);
  }

  required(path: FieldPath, detail = "", at?: Span): void {
    this.error("required-value", path, requiredBody(detail), at);
  }

  forbidden(path: FieldPath, detail: string, at?: Span): void {
    this.error("forbidden", path, forbiddenBody(detail), at);
  }

  invalid(path: FieldPath, value: BadValue, detail: string, at?: Span): void {
    this.error("invalid-value", path, invalidBody(value, detail), at);
  }

  /** One Invalid error per message, as the API server loops over validation helpers. */
  invalidEach(path: FieldPath, value: BadValue, details: readonly string[], at?: Span): void {
    for (const d of details) this.invalid(path, value, d, at);
  }

  notSupported(path: FieldPath, value: BadValue, supported: readonly string[], at?: Span): void {
    this.error("unsupported-value", path, notSupportedBody(value, supported), at);
  }

  duplicate(path: FieldPath, value: BadValue): void {
    this.error("duplicate-value", path, duplicateBody(value));
  }

  tooLong(path: FieldPath, max: number, at?: Span): void {
    this.error("too-long", path, tooLongBody(max), at);
  }

  tooMany(path: FieldPath, actual: number, max: number | bigint): void {
    this.error("too-many", path, tooManyBody(actual, max));
  }

  /** A warning whose message is given whole (the API server's warnings carry their own path). */
  warning(kebab: string, path: FieldPath, message: string): void {
    this.diag.warning(`${this.category}/${kebab}`, this.spanOf(path), message);
  }

  /** An error in netpolc's own words, for problems the API server has no text for. */
  other(id: string, path: FieldPath, message: string, notes?: readonly string[]): void {
    this.errors++;
    this.diag.error(id, this.spanOf(path), message, notes);
  }

  private error(kebab: string, path: FieldPath, body: string, at?: Span): void {
    this.errors++;
    this.diag.error(`${this.category}/${kebab}`, at ?? this.spanOf(path), `${path.toString()}: ${body}`);
  }
}

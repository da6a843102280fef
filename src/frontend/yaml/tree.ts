// A small YAML tree with a source span on every node and every mapping key.
// js-yaml's own AST (eventsToAst) drops offsets, so parse.ts builds this one
// from the event stream. Aliases are resolved while building: an alias to a
// scalar becomes a copy carrying the alias's span (errors point at `*name`),
// an alias to a collection shares the anchored node (errors inside it point
// at the text where it is written).
import type { Span } from "../../diagnostics/diagnostic.js";

export type ScalarValue = string | number | boolean | null;

export interface YScalar {
  readonly kind: "scalar";
  /** Resolved as kubectl resolves it (YAML 1.1, see scalars.ts). */
  readonly value: ScalarValue;
  /** The decoded text before type resolution. */
  readonly text: string;
  /** Quoted and block scalars are always strings; only plain ones are typed. */
  readonly plain: boolean;
  readonly span: Span;
}

export interface YSeq {
  readonly kind: "seq";
  readonly items: readonly YNode[];
  readonly span: Span;
}

export interface YEntry {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: YNode;
}

export interface YMap {
  readonly kind: "map";
  /** In document order; keys are unique (duplicates are reported and dropped). */
  readonly entries: readonly YEntry[];
  readonly span: Span;
}

export type YNode = YScalar | YSeq | YMap;

/** One top-level document of a file (null documents are not listed). */
export interface YDocument {
  readonly root: YNode;
  readonly index: number;
  /**
   * The document had a decode-level error (a duplicate key): kubectl refuses
   * such a document before looking at its objects, and so do we.
   */
  readonly broken: boolean;
}

export function entry(m: YMap, key: string): YEntry | undefined {
  return m.entries.find((e) => e.key === key);
}

export function child(n: YNode | undefined, key: string): YNode | undefined {
  return n?.kind === "map" ? entry(n, key)?.value : undefined;
}

export function isNull(n: YNode | undefined): boolean {
  return n === undefined || (n.kind === "scalar" && n.value === null);
}

/** The string value of a scalar, or undefined for anything else. */
export function stringValue(n: YNode | undefined): string | undefined {
  return n?.kind === "scalar" && typeof n.value === "string" ? n.value : undefined;
}

/** A path step: a mapping key or a sequence index. */
export type Segment = string | number;

/**
 * The node at `path`, or the deepest node on the way when the path leaves the
 * tree (a missing field is reported on its parent mapping).
 */
export function nodeAt(root: YNode, path: readonly Segment[]): { node: YNode; complete: boolean } {
  let node: YNode = root;
  for (const seg of path) {
    const next = step(node, seg);
    if (!next) return { node, complete: false };
    node = next;
  }
  return { node, complete: true };
}

function step(n: YNode, seg: Segment): YNode | undefined {
  if (typeof seg === "number") return n.kind === "seq" ? n.items[seg] : undefined;
  return n.kind === "map" ? entry(n, seg)?.value : undefined;
}

/** Span of the key `key` in the mapping at `path`, falling back to nodeAt. */
export function keySpanAt(root: YNode, path: readonly Segment[], key: string): Span {
  const { node, complete } = nodeAt(root, path);
  if (complete && node.kind === "map") {
    const e = entry(node, key);
    if (e) return e.keySpan;
  }
  return node.span;
}

// YAML text → YDocument[] with spans, from js-yaml 5's event stream.
//
// js-yaml gives scalar value ranges and collection start offsets but no
// collection ends; a collection's end is taken as the end of its last child
// (plus the closing bracket of a flow collection). Empty plain scalars
// (`key:` with no value) have no range; they get an empty span at the end of
// the previous token. Merge keys (`<<: *base`) are supported as go-yaml v2
// supports them: keys written in the mapping win over merged ones, earlier
// merge sources win over later ones, and merged keys never count as
// duplicates.
//
// js-yaml 5.5 ships its code twice, as an ES module (what `import` resolves
// to) and as CommonJS transpiled for older engines. The ES build creates its
// parser state with object spread (`{ ...DEFAULT_PARSER_OPTIONS, ...options,
// input, position, … }`), and on Node 20 it parses half as fast (medium
// bench input: 0.35 s against 0.17 s); the same code with that spread
// written as Object.assign, as the CommonJS build's helper does, is as fast
// as the CommonJS build. So the CommonJS build is required here: same
// version, same code, same results; only the types come from the ES build.
import { createRequire } from "node:module";
import type * as JsYaml from "js-yaml";
import type { Event, ScalarEvent } from "js-yaml";
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { SourceMap } from "../../diagnostics/sources.js";
import { formatPath } from "../field-path.js";
import { resolveNumber, resolvePlain } from "./scalars.js";
import type { ScalarValue, Segment, YDocument, YEntry, YNode, YScalar } from "./tree.js";

const { EVENT_ID, getScalarValue, parseEvents, YAMLException } = createRequire(import.meta.url)("js-yaml") as typeof JsYaml;

// Aliases share nodes, so a few lines of YAML can expand to billions of
// nodes ("billion laughs"); documents larger than this when expanded are refused.
const MAX_EXPANDED_NODES = 1_000_000;

interface PendingKey {
  readonly key: string;
  readonly span: Span;
  readonly merge: boolean;
}

type Frame =
  | { kind: "doc"; root: YNode | null; index: number; broken: boolean }
  // `seg`: where the collection sits in its parent (null at the top or under a complex key); a
  // field path is only needed for an error, so it is assembled from the stack then, not copied per node.
  | { kind: "map"; start: number; flow: boolean; anchor: string | null; seg: Segment | null; entries: YEntry[]; merges: YNode[]; key: PendingKey | "complex" | null }
  | { kind: "seq"; start: number; flow: boolean; anchor: string | null; seg: Segment | null; items: YNode[] };

/** Parse one file. Syntax errors are reported (id yaml/syntax) and yield no documents. */
export function parseYaml(file: string, text: string, diag: DiagnosticSink, sources: SourceMap): YDocument[] {
  let events: Event[];
  try {
    events = parseEvents(text, { filename: file });
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    const at = Math.min(e.mark?.position ?? 0, text.length);
    diag.error("yaml/syntax", { file, start: at, end: at }, `yaml: ${e.reason}`);
    return [];
  }
  return new TreeBuilder(file, text, diag, sources).build(events);
}

class TreeBuilder {
  private readonly stack: Frame[] = [];
  private readonly anchors = new Map<string, YNode>();
  /** Expanded size of each finished collection (scalars weigh 1); freed with the builder. */
  private readonly weight = new Map<YNode, number>();
  private readonly docs: YDocument[] = [];
  /** End of the last token seen: where an empty scalar is placed. */
  private cursor = 0;

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly diag: DiagnosticSink,
    private readonly sources: SourceMap,
  ) {}

  build(events: readonly Event[]): YDocument[] {
    let docIndex = 0;
    for (const ev of events) {
      switch (ev.type) {
        case EVENT_ID.DOCUMENT:
          this.anchors.clear();
          this.stack.push({ kind: "doc", root: null, index: docIndex++, broken: false });
          break;
        case EVENT_ID.MAPPING:
        case EVENT_ID.SEQUENCE:
          this.open(ev.type === EVENT_ID.MAPPING ? "map" : "seq", ev.start, ev.style === 2, this.anchorName(ev));
          this.checkTag(ev, ev.type === EVENT_ID.MAPPING ? "map" : "seq");
          break;
        case EVENT_ID.SCALAR:
          this.add(this.scalar(ev), this.anchorName(ev));
          break;
        case EVENT_ID.ALIAS:
          this.alias(ev.anchorStart, ev.anchorEnd);
          break;
        case EVENT_ID.POP:
          this.close();
          break;
      }
    }
    return this.docs;
  }

  private span(start: number, end: number): Span {
    return { file: this.file, start, end };
  }

  private anchorName(ev: { anchorStart: number; anchorEnd: number }): string | null {
    return ev.anchorStart >= 0 ? this.text.slice(ev.anchorStart, ev.anchorEnd) : null;
  }

  /** The segment a collection opened now would sit under. */
  private currentSeg(): Segment | null {
    const top = this.stack[this.stack.length - 1];
    if (!top || top.kind === "doc") return null;
    if (top.kind === "seq") return top.items.length;
    return top.key && top.key !== "complex" ? top.key.key : null;
  }

  /** Field path of the innermost open collection. */
  private openPath(): Segment[] {
    const path: Segment[] = [];
    for (const f of this.stack) if (f.kind !== "doc" && f.seg !== null) path.push(f.seg);
    return path;
  }

  private open(kind: "map" | "seq", start: number, flow: boolean, anchor: string | null): void {
    const seg = this.currentSeg();
    this.cursor = Math.max(this.cursor, start + 1);
    if (kind === "map") this.stack.push({ kind, start, flow, anchor, seg, entries: [], merges: [], key: null });
    else this.stack.push({ kind, start, flow, anchor, seg, items: [] });
  }

  private close(): void {
    const top = this.stack.pop();
    if (!top) return;
    if (top.kind === "doc") {
      if (top.root && !(top.root.kind === "scalar" && top.root.value === null)) this.finishDocument(top.root, top.index, top.broken);
      return;
    }
    // One pass over the children as written (merged keys are written elsewhere) for the end; this runs per collection.
    let end = top.start + 1;
    if (top.kind === "map") for (const e of top.entries) end = Math.max(end, e.value.span.end);
    else for (const c of top.items) end = Math.max(end, c.span.end);
    const span = this.span(top.start, this.collectionEnd(end, top.flow));
    let weight = 1;
    let node: YNode;
    if (top.kind === "map") {
      node = { kind: "map", entries: this.merged(top.entries, top.merges), span };
      for (const e of node.entries) weight += this.weight.get(e.value) ?? 1;
    } else {
      node = { kind: "seq", items: top.items, span };
      for (const c of node.items) weight += this.weight.get(c) ?? 1;
    }
    // Scalars and empty collections weigh 1, what a missing entry reads as.
    if (weight > 1) this.weight.set(node, weight);
    this.add(node, top.anchor);
  }

  private finishDocument(root: YNode, index: number, broken: boolean): void {
    if ((this.weight.get(root) ?? 1) > MAX_EXPANDED_NODES) {
      this.diag.error("yaml/alias-expansion", root.span, `yaml: document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases; refusing it`);
      return;
    }
    this.docs.push({ root, index, broken });
  }

  /** Flow collections end after their closing bracket; block ones after their last child (`end`). */
  private collectionEnd(end: number, flow: boolean): number {
    if (flow) {
      const close = /[\]}]/g;
      close.lastIndex = end;
      const m = close.exec(this.text);
      if (m) end = m.index + 1;
    }
    this.cursor = Math.max(this.cursor, end);
    return end;
  }

  private scalar(ev: ScalarEvent): YScalar {
    const text = getScalarValue(this.text, ev);
    let start = ev.valueStart;
    let end = ev.valueEnd;
    if (start < 0) {
      start = end = this.cursor;
    } else if (ev.style === 2 || ev.style === 3) {
      // Quoted: point at the opening quote, as an editor would.
      start -= 1;
      end += 1;
    }
    this.cursor = Math.max(this.cursor, end);
    const plain = ev.style === 1;
    const span = this.span(start, end);
    const value = this.typed(text, plain, ev, span);
    return { kind: "scalar", value, text, plain, span };
  }

  /** Explicit tags: the core ones are honoured, anything else is refused. */
  private typed(text: string, plain: boolean, ev: ScalarEvent, span: Span): ScalarValue {
    const tag = ev.tagStart >= 0 ? canonicalTag(this.text.slice(ev.tagStart, ev.tagEnd)) : null;
    if (tag === null) return plain ? resolvePlain(text) : text;
    if (tag === "str" || tag === "!" || tag === "binary" || tag === "timestamp") return text;
    if (!["int", "float", "bool", "null"].includes(tag)) {
      this.diag.error("yaml/tag", span, `yaml: unsupported tag ${this.text.slice(ev.tagStart, ev.tagEnd)} on a scalar`);
      return text;
    }
    const v = tag === "int" || tag === "float" ? resolveNumber(text) : tag === "bool" || tag === "null" ? resolvePlain(text) : undefined;
    const ok = v !== undefined && (tag === "bool" ? typeof v === "boolean" : tag === "null" ? v === null : typeof v === "number");
    if (!ok) {
      this.diag.error("yaml/tag", span, `yaml: cannot decode ${JSON.stringify(text)} as !!${tag}`);
      return text;
    }
    return v;
  }

  private checkTag(ev: { tagStart: number; tagEnd: number; start: number }, kind: "map" | "seq"): void {
    if (ev.tagStart < 0) return;
    const tag = canonicalTag(this.text.slice(ev.tagStart, ev.tagEnd));
    if (tag !== kind && tag !== "!") {
      this.diag.error("yaml/tag", this.span(ev.tagStart, ev.tagEnd), `yaml: unsupported tag ${this.text.slice(ev.tagStart, ev.tagEnd)} on a ${kind === "map" ? "mapping" : "sequence"}`);
    }
  }

  private alias(anchorStart: number, anchorEnd: number): void {
    const name = this.text.slice(anchorStart, anchorEnd);
    const span = this.span(Math.max(0, anchorStart - 1), anchorEnd);
    this.cursor = Math.max(this.cursor, anchorEnd);
    const target = this.anchors.get(name);
    if (!target) {
      this.diag.error("yaml/syntax", span, `yaml: unknown anchor "${name}" referenced`);
      this.add({ kind: "scalar", value: null, text: "", plain: true, span }, null);
      return;
    }
    this.add(target.kind === "scalar" ? { ...target, span } : target, null);
  }

  /** Attach a finished node to the open collection or document. */
  private add(node: YNode, anchor: string | null): void {
    if (anchor !== null) this.anchors.set(anchor, node);
    const top = this.stack[this.stack.length - 1];
    if (!top) return;
    if (top.kind === "doc") top.root = node;
    else if (top.kind === "seq") top.items.push(node);
    else if (top.key === null) this.addKey(top, node);
    else this.addValue(top, top.key, node);
  }

  private addKey(frame: Extract<Frame, { kind: "map" }>, node: YNode): void {
    if (node.kind !== "scalar") {
      this.diag.error("yaml/complex-key", node.span, "yaml: only scalar mapping keys are supported");
      frame.key = "complex";
      return;
    }
    // sigs.k8s.io/yaml turns non-string keys into their text form (true → "true").
    const key = node.plain ? (node.value === null ? "null" : String(node.value)) : node.text;
    frame.key = { key, span: node.span, merge: node.plain && node.text === "<<" };
  }

  private addValue(frame: Extract<Frame, { kind: "map" }>, key: PendingKey | "complex", value: YNode): void {
    frame.key = null;
    if (key === "complex") return;
    if (key.merge) {
      frame.merges.push(value);
      return;
    }
    const first = frame.entries.find((e) => e.key === key.key);
    if (first) {
      const at = this.sources.position(this.file, first.keySpan.start);
      const path = formatPath([...this.openPath(), key.key]);
      const doc = this.stack[0];
      if (doc?.kind === "doc") doc.broken = true;
      this.diag.error("schema/duplicate-key", key.span, `strict decoding error: duplicate field "${path}"`, [
        `first given at ${this.file}:${at.line}:${at.col}; kubectl refuses the object rather than pick one`,
      ]);
      return;
    }
    frame.entries.push({ key: key.key, keySpan: key.span, value });
  }

  private merged(entries: YEntry[], merges: readonly YNode[]): YEntry[] {
    if (merges.length === 0) return entries;
    const out = [...entries];
    const seen = new Set(entries.map((e) => e.key));
    const sources = merges.flatMap((m) => (m.kind === "seq" ? m.items : [m]));
    for (const src of sources) {
      if (src.kind !== "map") {
        this.diag.error("yaml/merge", src.span, "yaml: map merge requires a mapping or a list of mappings");
        continue;
      }
      for (const e of src.entries) {
        if (!seen.has(e.key)) {
          seen.add(e.key);
          out.push(e);
        }
      }
    }
    return out;
  }
}

/** "!!int", "!<tag:yaml.org,2002:int>" and "tag:yaml.org,2002:int" → "int"; "!" stays "!". */
function canonicalTag(raw: string): string {
  const t = raw.replace(/^!<(.*)>$/, "$1");
  if (t.startsWith("!!")) return t.slice(2);
  if (t.startsWith("tag:yaml.org,2002:")) return t.slice("tag:yaml.org,2002:".length);
  return t;
}

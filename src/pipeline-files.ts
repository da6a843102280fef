// The output files of a compile as a lazy map: a node is rendered and its
// text written only when one of its files is read, and only the last node's
// output is kept. Writing every node of a 500-node cluster through an eager
// Map held every node's RuleSet and text at once (2.6 GiB peak RSS for the
// 50k-pod synthetic cluster); iterating this map holds one node at a time.
import type { NodeOutput } from "./backends/types.js";
import { ByteSink } from "./rules/writer.js";

export interface NodeFileSource {
  /** Nodes in output order (sorted by name). */
  readonly nodes: readonly string[];
  /** File kinds per node, in order (`iptables`, `ipsets`, `routes`). */
  readonly kinds: readonly string[];
  render(node: string): NodeOutput;
  text(out: NodeOutput, kind: string): string;
  /** The same file's UTF-8 bytes, appended to `sink`. */
  bytes(out: NodeOutput, kind: string, sink: ByteSink): void;
}

/** Output files that can hand each file's bytes straight to the writer (src/cli/write.ts). */
export interface ByteFiles {
  /** Calls `fn` with every file's name and bytes, in order; the bytes are only valid during the call. */
  eachBytes(fn: (name: string, bytes: Uint8Array) => void): void;
}

export function hasBytes(files: object): files is ByteFiles {
  return typeof (files as Partial<ByteFiles>).eachBytes === "function";
}

export class NodeFiles implements ReadonlyMap<string, string>, ByteFiles {
  private readonly index = new Map<string, { node: string; kind: string }>();
  private last: NodeOutput | null = null;

  constructor(private readonly src: NodeFileSource) {
    for (const node of src.nodes) for (const kind of src.kinds) this.index.set(`${node}.${kind}`, { node, kind });
  }

  get size(): number {
    return this.index.size;
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  get(name: string): string | undefined {
    const at = this.index.get(name);
    if (!at) return undefined;
    if (this.last?.node !== at.node) this.last = this.src.render(at.node);
    return this.src.text(this.last, at.kind);
  }

  eachBytes(fn: (name: string, bytes: Uint8Array) => void): void {
    const sink = new ByteSink();
    try {
      for (const [name, at] of this.index) {
        if (this.last?.node !== at.node) this.last = this.src.render(at.node);
        sink.reset();
        this.src.bytes(this.last, at.kind, sink);
        fn(name, sink.bytes());
      }
    } finally {
      this.last = null;
    }
  }

  keys(): MapIterator<string> {
    return this.index.keys();
  }

  *entries(): MapIterator<[string, string]> {
    for (const name of this.index.keys()) yield [name, this.get(name)!];
    this.last = null;
  }

  *values(): MapIterator<string> {
    for (const [, text] of this.entries()) yield text;
  }

  forEach(fn: (value: string, key: string, map: ReadonlyMap<string, string>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }
}

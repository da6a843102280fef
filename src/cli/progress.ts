// Progress for long compiles: one self-overwriting line on stderr, only when
// stderr is a terminal and the compile renders more than 50 nodes. Never in
// pipes or files (STYLE.md: quiet on success; results stay byte-identical),
// so CI logs and `2> file` get nothing.
import type { Model } from "../ir/policy.js";
import type { CompileOptions } from "../pipeline.js";

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

/** Fewer nodes than this compile in well under a second: a progress line would only flicker. */
export const PROGRESS_MIN_NODES = 51;

/** `\r` back to column 0, then erase to the end of the line (ECMA-48 EL). */
const CLEAR = "\r\x1b[K";

/**
 * A node callback that redraws `compiling: 37/120 nodes (30%) node-037` when
 * the percentage changes, and clears the line after the last node. `wanted` is
 * the number of --node flags (0 = every node of the model).
 */
export function nodeProgress(stream: ProgressStream, wanted: number): (model: Model, node: string) => void {
  let done = 0;
  let shown = -1;
  return (model, node) => {
    const total = wanted || model.cluster.nodes.length;
    if (total < PROGRESS_MIN_NODES || done >= total) return;
    done++;
    const pct = Math.floor((done * 100) / total);
    if (pct !== shown) stream.write(`${CLEAR}compiling: ${done}/${total} nodes (${pct}%) ${node}`);
    shown = pct;
    if (done === total) stream.write(CLEAR);
  };
}

/** The options with a progress callback when `stream` is a terminal; unchanged otherwise. */
export function withProgress(opts: CompileOptions, stream: ProgressStream = process.stderr): CompileOptions {
  return stream.isTTY ? { ...opts, onNode: nodeProgress(stream, opts.nodes.length) } : opts;
}

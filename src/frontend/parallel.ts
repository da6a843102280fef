// Decoding files on more than one thread (the queue: ./threads.ts).
//
// Parsing and decoding are per file and most of the frontend's time (js-yaml
// alone is about half of a large compile), so a large input is decoded by
// this thread and worker threads (./worker.ts) together, largest files first.
// Each file's items come back by structured clone; the caller applies every
// file's items in file order exactly as if they were decoded here, so the
// Model and the diagnostics cannot depend on threads. Files a worker did not
// deliver are decoded here.
import type { SourceMap } from "../diagnostics/sources.js";
import { autoThreads, runQueue, type Threads } from "./threads.js";
import { decodeFile, type FileItem, type InputFile } from "./collect.js";

export type FrontendThreads = Threads;

/** With "auto", each thread gets at least this much text: below it, starting a worker (module load, ajv compile) and cloning results costs more than it saves. */
const AUTO_CHARS_PER_THREAD = 4 << 20;

/** What the worker receives. */
export interface DecodeData {
  /** Indices into `files`, in the order the queue hands them out. */
  readonly order: readonly number[];
  readonly files: readonly InputFile[];
}

// Workers need the compiled module next to this one; from TypeScript sources (vitest) there is none, and decoding stays on this thread.
const WORKER_URL = import.meta.url.endsWith(".js") ? new URL("./worker.js", import.meta.url) : null;

export function threadCount(files: readonly InputFile[], threads: FrontendThreads): number {
  if (WORKER_URL === null) return 1;
  return autoThreads(threads, files.reduce((n, f) => n + f.text.length, 0), AUTO_CHARS_PER_THREAD, files.length);
}

export interface DecodedFiles {
  /** Every file's items, in the order of the files. */
  readonly items: FileItem[][];
  /** How many files workers decoded (the rest were decoded on this thread). */
  readonly byWorkers: number;
}

/**
 * Decode every file. `sources` must already hold every file. With
 * `workersOnly` (for tests) this thread takes no files from the queue, so
 * workers decode all of them unless they fail.
 */
export function decodeFiles(files: readonly InputFile[], sources: SourceMap, threads: FrontendThreads, workersOnly = false): DecodedFiles {
  const n = threadCount(files, threads);
  if (n <= 1 || WORKER_URL === null) return { items: files.map((f) => decodeFile(f, sources)), byWorkers: 0 };
  const out = new Array<FileItem[] | undefined>(files.length).fill(undefined);
  // Largest first, so that no thread is left with a big file at the end.
  const order = files.map((f, i) => ({ i, size: f.text.length })).sort((a, b) => b.size - a.size || a.i - b.i).map((q) => q.i);
  let byWorkers = 0;
  const data: DecodeData = { order, files };
  runQueue<FileItem[]>({
    length: files.length,
    url: WORKER_URL,
    workers: n - 1,
    data,
    local: workersOnly ? null : (q) => (out[order[q]!] = decodeFile(files[order[q]!]!, sources)),
    take: (q, items) => {
      out[order[q]!] = items;
      byWorkers++;
    },
  });
  return { items: out.map((items, i) => items ?? decodeFile(files[i]!, sources)), byWorkers };
}

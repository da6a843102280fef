// Decoding files on more than one thread.
//
// Parsing and decoding are per file and most of the frontend's time (js-yaml
// alone is about half of a large compile), so a large input is decoded by
// this thread and worker threads (./worker.ts) together. They share one
// queue, an index into the files (largest first) advanced with Atomics.add,
// so every thread stays busy until the queue is empty whatever its speed.
// A worker posts each file's items as soon as it has them; this thread takes
// them in between its own files and applies nothing itself: the caller gets
// every file's items in file order and applies them exactly as if they were
// decoded here, so the Model and the diagnostics cannot depend on threads.
//
// Waiting is synchronous (Atomics.wait on a counter the workers raise after
// each post), so loadModel stays a plain function. A worker that fails or
// stops answering costs time, not correctness: whatever it did not deliver
// is decoded here.
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { SourceMap } from "../diagnostics/sources.js";
import { decodeFile, type FileItem, type InputFile } from "./collect.js";

/** A thread count, or "auto": up to one per core (at most 4), for inputs large enough to pay for them. */
export type FrontendThreads = "auto" | number;

/** With "auto", each thread gets at least this much text: below it, starting a worker (module load, ajv compile) and cloning results costs more than it saves. */
const AUTO_CHARS_PER_THREAD = 4 << 20;
const AUTO_MAX_THREADS = 4;
/** How long to wait for a worker's last file once the queue is empty; a file takes well under a second. */
const PATIENCE_MS = 30_000;

/** Control words shared by all threads of one decode. */
export const NEXT = 0; // next queue position to take
export const POSTED = 1; // replies posted so far, by all workers

/** A worker's reply: one file's items, or why it stopped. */
export type WorkerReply = { readonly file: number; readonly items: FileItem[] } | { readonly error: string };

export interface WorkerRequest {
  readonly port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [NEXT, POSTED]. */
  readonly control: Int32Array;
  /** Indices into `files`, the order in which the queue hands them out. */
  readonly queue: readonly number[];
  readonly files: readonly InputFile[];
}

// Workers need the compiled module next to this one; from TypeScript sources (vitest) there is none, and decoding stays on this thread.
const WORKER_URL = import.meta.url.endsWith(".js") ? new URL("./worker.js", import.meta.url) : null;

export function threadCount(files: readonly InputFile[], threads: FrontendThreads): number {
  if (WORKER_URL === null || files.length < 2) return 1;
  if (threads !== "auto") return Math.max(1, Math.min(Math.floor(threads), files.length));
  const chars = files.reduce((n, f) => n + f.text.length, 0);
  return Math.max(1, Math.min(availableParallelism(), AUTO_MAX_THREADS, Math.floor(chars / AUTO_CHARS_PER_THREAD)));
}

export interface Decoded {
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
export function decodeFiles(files: readonly InputFile[], sources: SourceMap, threads: FrontendThreads, workersOnly = false): Decoded {
  const n = threadCount(files, threads);
  if (n <= 1 || WORKER_URL === null) return { items: files.map((f) => decodeFile(f, sources)), byWorkers: 0 };
  const out: (FileItem[] | undefined)[] = new Array<FileItem[] | undefined>(files.length).fill(undefined);
  const control = new Int32Array(new SharedArrayBuffer(8));
  // Largest first, so that no thread is left with a big file at the end.
  const queue = files.map((f, i) => ({ i, size: f.text.length })).sort((a, b) => b.size - a.size || a.i - b.i).map((q) => q.i);
  const workers = Array.from({ length: n - 1 }, () => startWorker(WORKER_URL, { control, queue, files }));
  let byWorkers = 0;
  const take = (reply: WorkerReply): void => {
    if ("file" in reply && out[reply.file] === undefined) {
      out[reply.file] = reply.items;
      byWorkers++;
    }
  };
  try {
    for (let q = workersOnly ? queue.length : Atomics.add(control, NEXT, 1); q < queue.length; q = Atomics.add(control, NEXT, 1)) {
      const i = queue[q]!;
      out[i] = decodeFile(files[i]!, sources);
      for (const w of workers) w.drain(take);
    }
    awaitReplies(workers, control, out, take);
  } finally {
    for (const w of workers) w.stop();
  }
  // Whatever a worker did not deliver (it failed, or ran out of patience) is decoded here.
  return { items: out.map((items, i) => items ?? decodeFile(files[i]!, sources)), byWorkers };
}

function awaitReplies(workers: readonly WorkerHandle[], control: Int32Array, out: readonly (FileItem[] | undefined)[], take: (r: WorkerReply) => void): void {
  let deadline = performance.now() + PATIENCE_MS;
  for (;;) {
    const posted = Atomics.load(control, POSTED);
    const before = out.filter((x) => x === undefined).length;
    for (const w of workers) w.drain(take);
    const missing = out.filter((x) => x === undefined).length;
    if (missing === 0 || workers.every((w) => w.failed)) return;
    if (missing < before) deadline = performance.now() + PATIENCE_MS;
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.wait(control, POSTED, posted, Math.min(left, 1000));
  }
}

interface WorkerHandle {
  /** Hand every reply received so far to `take`. */
  drain(take: (r: WorkerReply) => void): void;
  /** It reported an error: nothing more will come from it. */
  readonly failed: boolean;
  stop(): void;
}

function startWorker(url: URL, shared: Omit<WorkerRequest, "port">): WorkerHandle {
  const { port1, port2 } = new MessageChannel();
  const request: WorkerRequest = { ...shared, port: port2 };
  const worker = new Worker(url, { workerData: request, transferList: [port2] });
  // Never keeps the process alive: once stopped or finished it has nothing more to say.
  worker.unref();
  let failed = false;
  return {
    drain(take) {
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
        const reply = m.message as WorkerReply;
        if ("error" in reply) failed = true;
        else take(reply);
      }
    },
    get failed() {
      return failed;
    },
    stop() {
      port1.close();
      void worker.terminate();
    },
  };
}

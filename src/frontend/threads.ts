// One queue of numbered jobs shared by this thread and worker threads, for
// work that splits into independent, deterministic pieces (decoding input
// files: ./parallel.ts). Every thread takes the next position from one
// counter in shared memory (Atomics.add), so all stay busy until the queue is
// empty whatever their speed; a worker posts each job's result as soon as it
// has it and raises a shared counter this thread waits on (Atomics.wait), so
// callers stay synchronous. Results are keyed by position, never by arrival,
// and whatever a worker did not deliver (it failed or stopped answering) is
// left to the caller to do itself: threads cost time, never correctness.
import { workerExecArgv } from "../worker-options.js";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { MessageChannel, receiveMessageOnPort, Worker, workerData, type MessagePort } from "node:worker_threads";

/** A thread count, or "auto": up to one per core (at most 4), for work large enough to pay for them. */
export type Threads = "auto" | number;

const AUTO_MAX_THREADS = 4;

/** Threads for `items` jobs of `work` in all: as asked (at most one per job), or with "auto" one per core when each gets `perThread` or more. */
export function autoThreads(threads: Threads, work: number, perThread: number, items: number): number {
  if (items < 2) return 1;
  if (threads !== "auto") return Math.max(1, Math.min(Math.floor(threads), items));
  return Math.max(1, Math.min(availableParallelism(), AUTO_MAX_THREADS, items, Math.floor(work / perThread)));
}

/** Control words, an Int32Array over a SharedArrayBuffer shared by every thread of one run. */
const NEXT = 0; // next queue position to take
const POSTED = 1; // replies posted so far, by all workers

/** How long to wait for a worker's next reply once this thread has nothing left to take; one job takes well under a second. */
const PATIENCE_MS = 30_000;

type Reply<R> = { readonly position: number; readonly result: R } | { readonly error: string };

/** What a worker script receives (its own fields under `data`). */
interface QueueRequest<D> {
  readonly port: MessagePort;
  readonly control: Int32Array;
  readonly length: number;
  readonly data: D;
}

export interface QueueRun<R> {
  /** Takes every queue position; results from workers go to `take`, this thread's own work to `local`. */
  readonly length: number;
  /** The worker script; it calls `serveQueue`. */
  readonly url: URL;
  readonly workers: number;
  /** Cloned into every worker (structured clone, at start). */
  readonly data: unknown;
  /** This thread's work on one position; null: leave every position to the workers (tests). */
  readonly local: ((position: number) => void) | null;
  readonly take: (position: number, result: R) => void;
}

/** Run the queue; returns which positions were done (here or by a worker). The caller does the rest. */
export function runQueue<R>(run: QueueRun<R>): boolean[] {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const done = new Array<boolean>(run.length).fill(false);
  const workers: WorkerHandle<R>[] = [];
  for (let i = 0; i < run.workers; i++) {
    // A worker that cannot even start (thread limits, a sandbox) leaves its share to this thread.
    try {
      workers.push(startWorker<R>(run.url, { control, length: run.length, data: run.data }));
    } catch {
      break;
    }
  }
  const take = (position: number, result: R): void => {
    if (done[position]) return;
    done[position] = true;
    run.take(position, result);
  };
  try {
    if (run.local) {
      for (let q = Atomics.add(control, NEXT, 1); q < run.length; q = Atomics.add(control, NEXT, 1)) {
        run.local(q);
        done[q] = true;
        for (const w of workers) w.drain(take);
      }
    }
    awaitWorkers(workers, control, done, take);
  } finally {
    for (const w of workers) w.stop();
  }
  return done;
}

function awaitWorkers<R>(workers: readonly WorkerHandle<R>[], control: Int32Array, done: readonly boolean[], take: (p: number, r: R) => void): void {
  let deadline = performance.now() + PATIENCE_MS;
  for (;;) {
    const posted = Atomics.load(control, POSTED);
    const before = done.filter(Boolean).length;
    for (const w of workers) w.drain(take);
    const now = done.filter(Boolean).length;
    if (now === done.length || workers.every((w) => w.failed)) return;
    if (now > before) deadline = performance.now() + PATIENCE_MS;
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.wait(control, POSTED, posted, Math.min(left, 1000));
  }
}

interface WorkerHandle<R> {
  drain(take: (position: number, result: R) => void): void;
  /** It reported an error: nothing more will come from it. */
  readonly failed: boolean;
  stop(): void;
}

function startWorker<R>(url: URL, shared: Omit<QueueRequest<unknown>, "port">): WorkerHandle<R> {
  const { port1, port2 } = new MessageChannel();
  const request: QueueRequest<unknown> = { ...shared, port: port2 };
  const worker = new Worker(url, { workerData: request, transferList: [port2], execArgv: workerExecArgv() });
  // Never keeps the process alive: once stopped or finished it has nothing more to say.
  worker.unref();
  let failed = false;
  // An exception outside serveQueue (a module that fails to load) arrives as an event once this
  // thread is idle again; without a listener it would end the process. Its work is redone here.
  worker.on("error", () => (failed = true));
  return {
    drain(take) {
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
        const reply = m.message as Reply<R>;
        if ("error" in reply) failed = true;
        else take(reply.position, reply.result);
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

/** In a worker script: the data the queue's owner passed. */
export function queueData<D>(): D {
  return (workerData as QueueRequest<D>).data;
}

/** In a worker script: take positions until the queue is empty, posting each result; an exception is posted as an error and ends the worker's part. */
export function serveQueue<R>(work: (position: number) => R): void {
  const { control, length } = workerData as QueueRequest<unknown>;
  try {
    for (let q = Atomics.add(control, NEXT, 1); q < length; q = Atomics.add(control, NEXT, 1)) post({ position: q, result: work(q) });
  } catch (e) {
    failQueue(e);
  }
}

/** In a worker script that cannot serve (say, a module failed to load): tell the owner at once instead of leaving it to wait. */
export function failQueue(e: unknown): void {
  post({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}

function post<R>(reply: Reply<R>): void {
  const { port, control } = workerData as QueueRequest<unknown>;
  port.postMessage(reply);
  Atomics.add(control, POSTED, 1);
  Atomics.notify(control, POSTED);
}

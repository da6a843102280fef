// Files written by a helper thread (./file-writer-worker.ts) while this
// thread renders the next node, once a compile's output is large.
//
// A compile of at most DIRECT_FILES files writes them from this thread: the
// page cache takes a 20-node compile's 60 files (18 MB) in ~10 ms, less than
// a thread costs to start on 2 cores. A larger one hands every file to the
// thread, as creating a file costs this thread 1.5–7 ms on the VM's disk once
// much is written (a 500-node compile's first 64 MiB written here cost ~1.1 s
// in a profile; all 385 MB, 2.3–3 s): each file's bytes are copied into one of
// MAX_PENDING slots of shared memory, reused from file to file, and the
// writer is told the slot and length (no buffer allocated, zeroed and
// transferred per file). At most MAX_PENDING files wait at a time, so memory
// stays bounded when the disk is slower than rendering. `finish` waits until
// every file is on disk and throws the writer's error, if any, so
// writeOutputs still renames nothing unless everything was written. A writer
// that has not started within START_MS (its module failed to load) is given
// up, and this thread writes every file instead: threads cost time, never
// the output.
import { workerExecArgv } from "../worker-options.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { receiveMessageOnPort, Worker, MessageChannel, type MessagePort } from "node:worker_threads";

/** Control words over a SharedArrayBuffer. */
export const WRITTEN = 0; // files written so far
export const FAILED = 1; // 1 once the writer has failed
export const STATE = 2; // NOT_STARTED, STARTED (the writer took the files), or ABANDONED (this thread writes them)
export const NOT_STARTED = 0;
export const STARTED = 1;
export const ABANDONED = 2;

const MAX_PENDING = 16;
/** No file takes this long to write; a writer silent for longer has died. */
const STALL_MS = 120_000;
/**
 * A writer thread starts in well under a second; one that has not within this, never will (its module failed to
 * load: its `error` event cannot reach this thread, which waits in Atomics.wait). This thread then writes the files.
 */
const START_MS = 10_000;

export interface WriterRequest {
  readonly dir: string;
  readonly control: Int32Array;
  readonly port: MessagePort;
}

/**
 * What the writer is sent: one file, the first `length` bytes of slot `slot`
 * (with `memory` when the slot's shared memory is new: the writer keeps it
 * for the slot's next files), or the end.
 */
export type WriterMessage =
  | { readonly name: string; readonly slot: number; readonly length: number; readonly memory?: SharedArrayBuffer }
  | { readonly done: true };

/** A slot's memory is at least this large, and grows by a quarter more than the file that did not fit. */
const MIN_SLOT_BYTES = 1 << 20;

const WORKER_URL = import.meta.url.endsWith(".js") ? new URL("./file-writer-worker.js", import.meta.url) : null;

export interface FileSink {
  write(name: string, bytes: Uint8Array): void;
  /** Every file is on disk once this returns; throws if one could not be written. */
  finish(): void;
}

/** Writes on this thread (no worker available, or few files). */
export function directWriter(dir: string): FileSink {
  return { write: (name, bytes) => writeFileSync(join(dir, name), bytes), finish: () => {} };
}

/** A compile of at most this many files writes them on this thread (a 30-node compile: 90 files). */
export const DIRECT_FILES = 90;

/**
 * Writes on this thread until `directBytes` have been written (by default: all of at most DIRECT_FILES files, none
 * of more), then on a helper thread when one can be started for the rest (`threaded`, compiled code, at least
 * MAX_PENDING files expected); else directly throughout.
 */
export function fileWriter(
  dir: string, files: number, threaded: boolean, directBytes: number = files <= DIRECT_FILES ? Infinity : 0, worker: WorkerChoice = DEFAULT_WORKER,
): FileSink {
  const direct = directWriter(dir);
  if (!threaded || worker.url === null || files < 2 * MAX_PENDING) return direct;
  let written = 0;
  let through: FileSink | null = null;
  return {
    write(name, bytes) {
      if (through === null && written >= directBytes) through = threadWriter(dir, worker) ?? direct;
      if (through !== null) return through.write(name, bytes);
      direct.write(name, bytes);
      written += bytes.byteLength;
    },
    finish: () => through?.finish(),
  };
}

/** The writer thread's script, and how long to wait for it to start (tests start one that cannot). */
export interface WorkerChoice {
  readonly url: URL | null;
  readonly startMs: number;
}
const DEFAULT_WORKER: WorkerChoice = { url: WORKER_URL, startMs: START_MS };

/** A writer thread for `dir`, or null when none can be started. */
function threadWriter(dir: string, choice: WorkerChoice): FileSink | null {
  if (choice.url === null) return null;
  const control = new Int32Array(new SharedArrayBuffer(12));
  const { port1, port2 } = new MessageChannel();
  const request: WriterRequest = { dir, control, port: port2 };
  let worker: Worker;
  try {
    worker = new Worker(choice.url, { workerData: request, transferList: [port2], execArgv: workerExecArgv() });
  } catch {
    // No thread to be had (limits, a sandbox): write here.
    port1.close();
    return null;
  }
  const startedAt = Date.now();
  worker.unref();
  // A writer that cannot start (or dies) is noticed below as not started, FAILED or a stall; its event must not end the process.
  worker.on("error", () => Atomics.store(control, FAILED, 1));
  let posted = 0;
  // File k goes through slot k % MAX_PENDING: drainTo(MAX_PENDING - 1) before it means file k - MAX_PENDING is on disk.
  const slots: Uint8Array[] = [];
  // The files posted before the writer started (at most MAX_PENDING: each still in its slot), by number.
  const early: { readonly name: string; readonly length: number }[] = [];
  let here = false;
  const failure = (): Error => {
    const m = receiveMessageOnPort(port1)?.message as { error?: string } | undefined;
    return new Error(`writing ${dir} failed: ${m?.error ?? "the writer thread stopped"}`);
  };
  /**
   * A writer that has not started within its time is abandoned (whichever of the two marks the state first decides,
   * so no file is written by both): the files it was sent are written here from their slots, and every later one.
   */
  const abandoned = (): boolean => {
    if (Atomics.load(control, STATE) !== NOT_STARTED || Date.now() - startedAt < choice.startMs) return false;
    if (Atomics.compareExchange(control, STATE, NOT_STARTED, ABANDONED) !== NOT_STARTED) return false;
    early.forEach((f, k) => writeFileSync(join(dir, f.name), slots[k]!.subarray(0, f.length)));
    here = true;
    port1.close();
    void worker.terminate();
    return true;
  };
  /** Wait until at most `pending` files are still to be written. */
  const drainTo = (pending: number): void => {
    let last = Atomics.load(control, WRITTEN);
    let since = Date.now();
    while (posted - last > pending) {
      if (Atomics.load(control, FAILED)) throw failure();
      if (abandoned()) return;
      const waiting = Atomics.load(control, STATE) === NOT_STARTED ? Math.max(1, choice.startMs - (Date.now() - startedAt)) : 1000;
      Atomics.wait(control, WRITTEN, last, Math.min(1000, waiting));
      const now = Atomics.load(control, WRITTEN);
      if (now !== last) [last, since] = [now, Date.now()];
      else if (Date.now() - since > STALL_MS) throw failure();
    }
    if (Atomics.load(control, FAILED)) throw failure();
  };
  return {
    write(name, bytes) {
      if (here) return writeFileSync(join(dir, name), bytes);
      drainTo(MAX_PENDING - 1);
      if (here) return writeFileSync(join(dir, name), bytes);
      if (posted < MAX_PENDING) early.push({ name, length: bytes.byteLength });
      const slot = posted % MAX_PENDING;
      let mem = slots[slot];
      let memory: SharedArrayBuffer | undefined;
      if (mem === undefined || mem.byteLength < bytes.byteLength) {
        memory = new SharedArrayBuffer(Math.max(MIN_SLOT_BYTES, bytes.byteLength + (bytes.byteLength >> 2)));
        slots[slot] = mem = new Uint8Array(memory);
      }
      mem.set(bytes);
      port1.postMessage({ name, slot, length: bytes.byteLength, ...(memory ? { memory } : {}) } satisfies WriterMessage);
      posted++;
    },
    finish() {
      if (here) return;
      try {
        drainTo(0);
      } finally {
        if (!here) {
          port1.postMessage({ done: true } satisfies WriterMessage);
          port1.close();
        }
      }
    },
  };
}

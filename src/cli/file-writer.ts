// Files written by a helper thread (./file-writer-worker.ts) while this
// thread renders the next node.
//
// Creating a file costs about a millisecond here (open(2) on the VM's disk),
// 1.5 s of a 500-node compile's 1500 files, all of it time this thread would
// otherwise spend rendering. Each file's bytes are copied into a fresh
// ArrayBuffer and transferred (not cloned) to the writer; at most
// MAX_PENDING files wait at a time, so memory stays bounded when the disk is
// slower than rendering. `finish` waits until every file is on disk and
// throws the writer's error, if any, so writeOutputs still renames nothing
// unless everything was written.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { receiveMessageOnPort, Worker, MessageChannel, type MessagePort } from "node:worker_threads";

/** Control words over a SharedArrayBuffer. */
export const WRITTEN = 0; // files written so far
export const FAILED = 1; // 1 once the writer has failed

const MAX_PENDING = 16;
/** No file takes this long to write; a writer silent for longer has died. */
const STALL_MS = 120_000;

export interface WriterRequest {
  readonly dir: string;
  readonly control: Int32Array;
  readonly port: MessagePort;
}

/** What the writer is sent: one file, or the end. */
export type WriterMessage = { readonly name: string; readonly data: ArrayBuffer } | { readonly done: true };

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

/** Writes on a helper thread when one can be started for `files` files; else directly. */
export function fileWriter(dir: string, files: number, threaded: boolean): FileSink {
  if (!threaded || WORKER_URL === null || files < 2 * MAX_PENDING) return directWriter(dir);
  const control = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const request: WriterRequest = { dir, control, port: port2 };
  let worker: Worker;
  try {
    worker = new Worker(WORKER_URL, { workerData: request, transferList: [port2] });
  } catch {
    // No thread to be had (limits, a sandbox): write here.
    port1.close();
    return directWriter(dir);
  }
  worker.unref();
  // A writer that cannot start (or dies) is noticed below as FAILED or a stall; its event must not end the process.
  worker.on("error", () => Atomics.store(control, FAILED, 1));
  let posted = 0;
  const failure = (): Error => {
    const m = receiveMessageOnPort(port1)?.message as { error?: string } | undefined;
    return new Error(`writing ${dir} failed: ${m?.error ?? "the writer thread stopped"}`);
  };
  /** Wait until at most `pending` files are still to be written. */
  const drainTo = (pending: number): void => {
    let last = Atomics.load(control, WRITTEN);
    let since = Date.now();
    while (posted - last > pending) {
      if (Atomics.load(control, FAILED)) throw failure();
      Atomics.wait(control, WRITTEN, last, 1000);
      const now = Atomics.load(control, WRITTEN);
      if (now !== last) [last, since] = [now, Date.now()];
      else if (Date.now() - since > STALL_MS) throw failure();
    }
    if (Atomics.load(control, FAILED)) throw failure();
  };
  return {
    write(name, bytes) {
      drainTo(MAX_PENDING - 1);
      const data = new ArrayBuffer(bytes.byteLength);
      new Uint8Array(data).set(bytes);
      port1.postMessage({ name, data } satisfies WriterMessage, [data]);
      posted++;
    },
    finish() {
      try {
        drainTo(0);
      } finally {
        port1.postMessage({ done: true } satisfies WriterMessage);
        port1.close();
      }
    },
  };
}

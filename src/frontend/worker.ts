// A frontend worker thread (./parallel.ts): takes files from the shared queue
// until it is empty, posting each file's items as soon as they are decoded and
// raising the shared POSTED counter the main thread waits on. A failure is
// posted as an error reply; the main thread then decodes what is missing.
import { workerData } from "node:worker_threads";
import { SourceMap } from "../diagnostics/sources.js";
import { decodeFile } from "./collect.js";
import { NEXT, POSTED, type WorkerReply, type WorkerRequest } from "./parallel.js";

const { port, control, queue, files } = workerData as WorkerRequest;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
  Atomics.add(control, POSTED, 1);
  Atomics.notify(control, POSTED);
}

try {
  const sources = new SourceMap();
  for (let q = Atomics.add(control, NEXT, 1); q < queue.length; q = Atomics.add(control, NEXT, 1)) {
    const i = queue[q]!;
    const f = files[i]!;
    sources.add(f.path, f.text);
    post({ file: i, items: decodeFile(f, sources) });
  }
} catch (e) {
  post({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}

// The file writer thread of ./file-writer.ts: writes each file it is sent,
// counting them in shared memory; on the first failure it reports the error
// and stops.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { workerData } from "node:worker_threads";
import { FAILED, WRITTEN, type WriterMessage, type WriterRequest } from "./file-writer.js";

const { dir, control, port } = workerData as WriterRequest;

port.on("message", (m: WriterMessage) => {
  if ("done" in m || Atomics.load(control, FAILED)) {
    if ("done" in m) port.close();
    return;
  }
  try {
    writeFileSync(join(dir, m.name), new Uint8Array(m.data));
    Atomics.add(control, WRITTEN, 1);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    Atomics.store(control, FAILED, 1);
  }
  Atomics.notify(control, WRITTEN);
});

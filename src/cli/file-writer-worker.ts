// The file writer thread of ./file-writer.ts: writes each file it is sent
// (its bytes in a shared-memory slot), counting them in shared memory; on the first failure it reports the error
// and stops.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { workerData } from "node:worker_threads";
import { FAILED, NOT_STARTED, STARTED, STATE, WRITTEN, type WriterMessage, type WriterRequest } from "./file-writer.js";

const { dir, control, port } = workerData as WriterRequest;
/** Each slot's shared memory, as last sent. */
const slots: Uint8Array[] = [];

// Started too late: the owner has given up on this thread and writes the files itself (file-writer.ts).
if (Atomics.compareExchange(control, STATE, NOT_STARTED, STARTED) !== NOT_STARTED) port.close();
else port.on("message", (m: WriterMessage) => {
  if ("done" in m || Atomics.load(control, FAILED)) {
    if ("done" in m) port.close();
    return;
  }
  try {
    if (m.memory) slots[m.slot] = new Uint8Array(m.memory);
    writeFileSync(join(dir, m.name), slots[m.slot]!.subarray(0, m.length));
    Atomics.add(control, WRITTEN, 1);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    Atomics.store(control, FAILED, 1);
  }
  Atomics.notify(control, WRITTEN);
});

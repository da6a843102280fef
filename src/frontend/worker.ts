// A frontend worker thread (./parallel.ts): decodes files from the shared
// queue until it is empty, posting each file's items as soon as it has them.
// The decoders are imported here, inside the try, so that a module that fails
// to load is reported at once rather than waited for.
import { failQueue, queueData, serveQueue } from "./threads.js";
import type { FileItem } from "./collect.js";
import type { DecodeData } from "./parallel.js";

try {
  const [{ SourceMap }, { decodeFile }] = await Promise.all([import("../diagnostics/sources.js"), import("./collect.js")]);
  const { order, files } = queueData<DecodeData>();
  const sources = new SourceMap();
  serveQueue<FileItem[]>((q) => {
    const f = files[order[q]!]!;
    sources.add(f.path, f.text);
    return decodeFile(f, sources);
  });
} catch (e) {
  failQueue(e);
}

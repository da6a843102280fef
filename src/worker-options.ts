// Options for netpolc's worker threads (frontend decoding, the file writer).
//
// A worker inherits its parent's node options, and some are only valid for
// the main script: `node --input-type=module -e '…import netpolc…'` gave
// every worker "--input-type can only be used with string input", so a
// compile embedded that way failed ("the writer thread stopped").

/** The parent's node options without those a worker started from a file rejects. */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith("--input-type"));
}

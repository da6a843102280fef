// Writing outputs all-or-nothing: every file goes to a temporary directory
// beside the target first and is renamed into place only when all succeeded
// (a target that does not exist yet is that directory, renamed once).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { hasBytes } from "../pipeline-files.js";
import { OUTPUT_FILE } from "../pipeline.js";
import { fileWriter } from "./file-writer.js";
import { UsageError } from "./args.js";


/**
 * A new empty directory `<prefix><random>`, with the mode mkdir gives (the
 * umask's, unlike mkdtemp's 0700: it may become the output directory itself).
 */
function freshDir(prefix: string): string {
  for (;;) {
    const dir = prefix + randomBytes(6).toString("hex");
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

// Node names are validated DNS-1123 subdomains; re-check before they become paths.
const SAFE_NAME = new RegExp(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?${OUTPUT_FILE.source}`);

export function writeOutputs(dir: string, files: ReadonlyMap<string, string>, pruneStale: boolean, threaded = true): void {
  for (const name of files.keys()) {
    if (!SAFE_NAME.test(name) || name.includes("..")) throw new Error(`refusing to write unsafe file name ${JSON.stringify(name)}`);
  }
  const target = resolve(dir);
  // Said before any file is made: a path that cannot be the output directory is the user's to fix, not an internal error.
  const blocker = nonDirectoryOn(target);
  if (blocker !== null) throw new UsageError(blocker === target ? `-o ${dir}: not a directory` : `-o ${dir}: ${blocker} is not a directory`);
  try {
    mkdirSync(dirname(target), { recursive: true });
  } catch (e) {
    throw new UsageError(`-o ${dir}: ${(e as Error).message}`);
  }
  const tmp = freshDir(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    // A compile's lazy files hand over each file's bytes (one reused buffer) rather than a joined string;
    // a helper thread creates the files meanwhile once the output is large (./file-writer.ts).
    if (hasBytes(files)) {
      const sink = fileWriter(tmp, files.size, threaded);
      files.eachBytes((name, bytes) => sink.write(name, bytes));
      sink.finish();
    } else {
      for (const [name, text] of files) writeFileSync(join(tmp, name), text);
    }
    // One rename instead of one per file (1500 files: ~0.9 s on this VM's disk); should the target appear
    // meanwhile, rename(2) fails (or replaces it only if empty) and the files are moved one by one below.
    if (!existsSync(target) && renamed(tmp, target)) return;
    mkdirSync(target, { recursive: true });
    if (pruneStale) {
      for (const old of readdirSync(target)) {
        if (OUTPUT_FILE.test(old) && !files.has(old)) rmSync(join(target, old));
      }
    }
    for (const name of files.keys()) renameSync(join(tmp, name), join(target, name));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The first of `path` and its ancestors that exists and is not a directory (a file in the way), or null. */
function nonDirectoryOn(path: string): string | null {
  for (let p = path; ; p = dirname(p)) {
    if (existsSync(p)) return statSync(p).isDirectory() ? null : p;
    if (dirname(p) === p) return null;
  }
}

function renamed(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch {
    return false;
  }
}

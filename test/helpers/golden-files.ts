// The files under every golden case's expected/ whose names end in one of `suffixes`, in a fixed order (case, then
// file name), with their text: what the parser tests read back.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const GOLDEN = join(import.meta.dirname, "../../golden");

export function goldenExpectedFiles(suffixes: readonly string[]): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const c of readdirSync(GOLDEN).sort()) {
    let files: string[];
    try {
      files = readdirSync(join(GOLDEN, c, "expected")).sort();
    } catch {
      continue;
    }
    for (const f of files) if (suffixes.some((s) => f.endsWith(s))) out.push({ path: join(c, f), text: readFileSync(join(GOLDEN, c, "expected", f), "utf8") });
  }
  return out;
}

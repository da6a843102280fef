// Gathering input files: the only place that walks directories.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { byteCompare } from "../rules/writer.js";
import type { InputFile } from "../frontend/index.js";
import { InputError, UsageError } from "./args.js";

const INPUT_EXT = /\.(ya?ml|json)$/;

function walk(dir: string, out: string[]): void {
  // Sorted for determinism: directory listing order is filesystem-dependent.
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byteCompare(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue; // .git, editor files
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (INPUT_EXT.test(e.name)) out.push(p);
  }
}

/** Files, directories (recursive *.yaml, *.yml, *.json) and `-` for stdin, de-duplicated and sorted. */
export function gatherInputs(paths: readonly string[], readStdin: () => string): InputFile[] {
  const files: string[] = [];
  let stdin: InputFile | null = null;
  for (const p of paths) {
    if (p === "-") {
      stdin ??= { path: "<stdin>", text: readStdin() };
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`cannot read '${p}': no such file or directory`);
    }
    if (st.isDirectory()) {
      const before = files.length;
      walk(p, files);
      if (files.length === before) throw new InputError(`${p}: a directory without any *.yaml, *.yml or *.json file (searched recursively)`);
    } else files.push(p);
  }
  // Sorted for determinism: the same inputs in any order give the same output.
  const unique = [...new Set(files)].sort(byteCompare);
  const result: InputFile[] = unique.map((path) => ({ path, text: readFileSync(path, "utf8") }));
  if (stdin) result.push(stdin);
  return result;
}

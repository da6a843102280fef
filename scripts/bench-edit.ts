// "A one-policy edit changes only what that policy feeds": compile a cluster,
// edit one NetworkPolicy, compile again, and list which output files, chains
// and IP sets differ. Used by scripts/bench.ts (10k) and
// test/scale/one-edit.test.ts (small), which asserts the exact answer.
import { dump, load } from "js-yaml";
import { parseArgs } from "../src/cli/args.js";
import { runCompile } from "../src/cli/compile.js";
import { COMPILE_FLAGS } from "../src/cli/flags.js";
import type { InputFile } from "../src/frontend/index.js";

export interface OutputDiff {
  /** Output files whose text differs (or exists on one side only), sorted. */
  readonly files: string[];
  /** `table/chain` whose declaration or rules differ on some node, sorted. */
  readonly chains: string[];
  /** IP sets whose header or members differ on some node, sorted. */
  readonly sets: string[];
}

/** Every output file (`<node>.iptables|ipsets|routes`) of compiling `files` for all nodes. */
export function compileAll(files: readonly InputFile[]): ReadonlyMap<string, string> {
  const res = runCompile(files, parseArgs(["-o", "unused"], COMPILE_FLAGS));
  if (res.exitCode !== 0) throw new Error(`compile failed:\n${res.stderr}`);
  return res.files;
}

type Spec = Record<string, unknown>;

/**
 * `files` with NetworkPolicy `namespace/name` passed through `edit` (on its
 * decoded spec). Only that document is re-dumped; every other byte stays.
 */
export function editPolicy(files: readonly InputFile[], namespace: string, name: string, edit: (spec: Spec) => void): InputFile[] {
  let found = 0;
  const out = files.map((f) => {
    if (!f.text.includes(`name: ${name}\n`)) return f;
    const docs = f.text.split(/^---\n/m);
    const edited = docs.map((d) => {
      if (d.trim() === "") return d;
      const obj = load(d) as { kind?: string; metadata?: { name?: string; namespace?: string }; spec: Spec } | null;
      if (obj?.kind !== "NetworkPolicy" || obj.metadata?.name !== name || obj.metadata.namespace !== namespace) return d;
      found++;
      edit(obj.spec);
      return dump(obj, { noRefs: true });
    });
    return { path: f.path, text: edited.join("---\n") };
  });
  if (found !== 1) throw new Error(`policy ${namespace}/${name} found ${found} times`);
  return out;
}

/** `key → lines` of one iptables-save text: `table/chain` → declaration and rules. */
function chainsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith(":")) out.set(`${table}/${line.slice(1, line.indexOf(" "))}`, line + "\n");
    else if (line.startsWith("-A ")) {
      const end = line.indexOf(" ", 3);
      const key = `${table}/${end < 0 ? line.slice(3) : line.slice(3, end)}`;
      out.set(key, (out.get(key) ?? "") + line + "\n");
    }
  }
  return out;
}

/** `set → lines` of one ipset restore text. */
function setsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const name = line.split(" ")[1];
    if (name !== undefined) out.set(name, (out.get(name) ?? "") + line + "\n");
  }
  return out;
}

function changedKeys(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>, into: Set<string>): void {
  for (const [k, v] of a) if (b.get(k) !== v) into.add(k);
  for (const k of b.keys()) if (!a.has(k)) into.add(k);
}

// Sorted for determinism (report and test order).
const sorted = (s: Iterable<string>): string[] => [...s].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

export function diffOutputs(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): OutputDiff {
  const files = new Set<string>();
  changedKeys(before, after, files);
  const chains = new Set<string>();
  const sets = new Set<string>();
  for (const f of files) {
    const [a, b] = [before.get(f) ?? "", after.get(f) ?? ""];
    if (f.endsWith(".iptables")) changedKeys(chainsOf(a), chainsOf(b), chains);
    else if (f.endsWith(".ipsets")) changedKeys(setsOf(a), setsOf(b), sets);
  }
  return { files: sorted(files), chains: sorted(chains), sets: sorted(sets) };
}

/** The bench's edit: one more TCP port on the first ingress rule of the policy. */
export function addPort(port: number): (spec: Spec) => void {
  return (spec) => {
    const rule = (spec.ingress as { ports?: unknown[] }[] | undefined)?.[0];
    if (!rule) throw new Error("policy has no ingress rule");
    rule.ports = [...(rule.ports ?? []), { protocol: "TCP", port }];
  };
}

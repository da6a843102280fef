// Diff of two sets of compiled output files (`<node>.iptables`, `.ip6tables`,
// `.ipsets`, `.routes`, `.nft`): iptables and ip6tables files chain by chain (rule-diff.ts), `.nft`
// files chain by chain and set by set (nft-diff.ts), the others as
// plain unified text. Files are keyed by name; both sides are in memory, the
// CLI reads them (a directory, a git revision, one node's iptables-save dump).
import { formatParseDiagnostic, parseRuleSet, RuleLineCache } from "../rules/parser.js";
import { byteCompare } from "../rules/writer.js";
import { diffNftTexts, type NftChainChange } from "./nft-diff.js";
import { diffRuleSets, textHunks, type ChainChange } from "./rule-diff.js";

export interface OutputTree {
  /** File name (`ubuntu1.iptables`) → text. */
  readonly files: ReadonlyMap<string, string>;
  /** Where each file was read from, for parse messages (defaults to the name). */
  readonly paths?: ReadonlyMap<string, string>;
}

export type FileStatus = "changed" | "added" | "removed";

export interface FileDiff {
  readonly file: string;
  readonly status: FileStatus;
  /** For iptables and nft files that parsed on both sides: the changed chains (and sets and maps of an nft file). */
  readonly chains: readonly (ChainChange | NftChainChange)[] | null;
  /** Unified diff lines of the file (chain hunks for iptables). */
  readonly lines: readonly string[];
}

export interface OutputDiff {
  readonly changed: boolean;
  readonly files: readonly FileDiff[];
  /** Parse errors (`file:line:col: error: …`); the file was then compared as text. */
  readonly problems: readonly string[];
  /** The human form: `--- a/F`/`+++ b/F` headers and hunks, file by file. */
  readonly text: string;
}

const EMPTY_RULESET = { tables: [] };

function parsed(text: string, path: string, problems: string[], lines: RuleLineCache): ReturnType<typeof parseRuleSet> | null {
  const r = parseRuleSet(text, { file: path, lines });
  const errs = r.diagnostics.filter((d) => d.severity === "error");
  if (!errs.length) return r;
  problems.push(...errs.map(formatParseDiagnostic));
  return null;
}

function diffFile(name: string, a: string | undefined, b: string | undefined, paths: [string, string], problems: string[], lines: RuleLineCache): FileDiff | null {
  if (a === b) return null;
  const status: FileStatus = a === undefined ? "added" : b === undefined ? "removed" : "changed";
  if (name.endsWith(".iptables") || name.endsWith(".ip6tables")) {
    const ra = a === undefined ? { ruleset: EMPTY_RULESET } : parsed(a, paths[0], problems, lines);
    const rb = b === undefined ? { ruleset: EMPTY_RULESET } : parsed(b, paths[1], problems, lines);
    if (ra && rb) {
      const chains = diffRuleSets(ra.ruleset, rb.ruleset);
      // Only hash comments (or nothing semantic) changed: not a difference worth reporting.
      if (chains.length === 0) return null;
      const lines = chains.flatMap((c) => chainHeader(c));
      return { file: name, status, chains, lines };
    }
  }
  if (name.endsWith(".nft")) {
    const chains = diffNftTexts(a, b, paths, problems);
    // As for iptables: hash comments only (or nothing nft would list differently) is no difference.
    if (chains?.length === 0) return null;
    if (chains) return { file: name, status, chains, lines: chains.flatMap((c) => chainHeader(c)) };
  }
  return { file: name, status, chains: null, lines: textHunks(a ?? "", b ?? "") };
}

/** A chain's hunks, preceded by a line for the kinds a hunk cannot show (a pure rename). */
function chainHeader(c: ChainChange | NftChainChange): string[] {
  if (c.kind !== "renamed") return [...c.lines];
  const note = `@@ ${c.table} ${c.chain} renamed to ${c.newChain}${c.lines.length ? "" : " (same rules)"} @@`;
  return [note, ...c.lines];
}

export function diffOutputDirs(oldT: OutputTree, newT: OutputTree, labels: { oldLabel: string; newLabel: string }): OutputDiff {
  // Sorted for determinism.
  const names = [...new Set([...oldT.files.keys(), ...newT.files.keys()])].sort(byteCompare);
  const problems: string[] = [];
  const files: FileDiff[] = [];
  // One line cache for every file of both sides: most `-A` lines are the same on every node and on both sides, and
  // a line seen before is applied without lexing it again, with the same diagnostics (src/rules/parser.ts).
  const lines = new RuleLineCache();
  for (const n of names) {
    const paths: [string, string] = [oldT.paths?.get(n) ?? `${labels.oldLabel}/${n}`, newT.paths?.get(n) ?? `${labels.newLabel}/${n}`];
    const d = diffFile(n, oldT.files.get(n), newT.files.get(n), paths, problems, lines);
    if (d) files.push(d);
  }
  const text = files
    .map((f) => {
      const from = f.status === "added" ? "/dev/null" : `${labels.oldLabel}/${f.file}`;
      const to = f.status === "removed" ? "/dev/null" : `${labels.newLabel}/${f.file}`;
      return [`--- ${from}`, `+++ ${to}`, ...f.lines].join("\n") + "\n";
    })
    .join("");
  return { changed: files.length > 0, files, problems, text };
}

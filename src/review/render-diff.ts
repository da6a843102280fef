// `netpolc diff` reports: text (terminal, unified hunks), JSON (stable keys)
// and Markdown (a pull-request comment: summary, flow table, rule hunks in
// collapsed ```diff blocks).
import type { FlowChange, FlowDiff } from "./flow-diff.js";
import type { OutputDiff } from "./output-diff.js";

export interface DiffReport {
  readonly rules: OutputDiff;
  /** Null when a side is compiled output or a dump: no model to evaluate. */
  readonly flows: FlowDiff | null;
}

export const reportChanged = (r: DiffReport): boolean => r.rules.changed || (r.flows?.changes.length ?? 0) > 0;

/** ` over IPv6` when the diff is dual-stack (each family judged on its own), nothing otherwise. */
const over = (c: FlowChange): string => (c.family === null ? "" : ` over IPv${c.family}`);
const arrow = (c: FlowChange): string => `${c.kind} ${c.src} → ${c.dst} ${c.portText}${over(c)}`;

function chainCount(r: OutputDiff): number {
  return r.files.reduce((n, f) => n + (f.chains?.length ?? (f.lines.length ? 1 : 0)), 0);
}

function summary(r: DiffReport): string {
  const rules = `${chainCount(r.rules)} chain(s) changed in ${r.rules.files.length} file(s)`;
  if (!r.flows) return `rules: ${rules}`;
  const opens = r.flows.changes.filter((c) => c.kind === "opens").length;
  return `rules: ${rules}; flows: ${opens} opened, ${r.flows.changes.length - opens} closed (of ${r.flows.flows.toLocaleString("en-US")} flows in ${r.flows.classes.toLocaleString("en-US")} classes compared)`;
}

function byPolicy(changes: readonly FlowChange[]): Map<string, FlowChange[]> {
  const m = new Map<string, FlowChange[]>();
  for (const c of changes) m.set(c.policy, [...(m.get(c.policy) ?? []), c]);
  return m;
}

export function diffText(r: DiffReport): string {
  if (!reportChanged(r)) return "";
  const out: string[] = [summary(r)];
  if (r.flows && r.flows.changes.length) {
    for (const [policy, cs] of byPolicy(r.flows.changes)) {
      out.push(`policy ${policy}:`);
      for (const c of cs) out.push(`  ${arrow(c)}`, `    before: ${c.before}`, `    after:  ${c.after}`);
    }
  }
  return out.join("\n") + "\n" + r.rules.text;
}

const mdCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function diffMarkdown(r: DiffReport): string {
  if (!reportChanged(r)) return "### netpolc diff\n\nNo change in rules or flows.\n";
  const out: string[] = ["### netpolc diff", "", summary(r), ""];
  if (r.flows && r.flows.changes.length) {
    out.push("#### Flows", "", "| change | from | to | ports | policy | before | after |", "|---|---|---|---|---|---|---|");
    for (const c of r.flows.changes) {
      const icon = c.kind === "opens" ? "🟢 opens" : "🔴 closes";
      out.push(`| ${icon} | \`${c.src}\` | \`${c.dst}\` | ${mdCell(c.portText + over(c))} | \`${c.policy}\` | ${mdCell(c.before)} | ${mdCell(c.after)} |`);
    }
    out.push("");
  }
  if (r.rules.files.length) {
    out.push("#### Rules", "");
    for (const f of r.rules.files) {
      // Four backticks: a rule comment could contain three.
      out.push(`<details><summary><code>${f.file}</code> (${f.status}${f.chains ? `, ${f.chains.length} chain(s)` : ""})</summary>`, "", "````diff", ...f.lines, "````", "", "</details>", "");
    }
  }
  return out.join("\n");
}

export function diffJson(r: DiffReport): string {
  const data = {
    changed: reportChanged(r),
    rules: {
      files: r.rules.files.map((f) => ({
        file: f.file,
        status: f.status,
        chains: f.chains?.map((c) => ({ table: c.table, kind: c.kind, chain: c.chain, newChain: c.newChain, lines: c.lines })) ?? null,
        lines: f.lines,
      })),
    },
    flows: r.flows ? { compared: r.flows.flows, classes: r.flows.classes, changes: r.flows.changes } : null,
  };
  return JSON.stringify(data, null, 2) + "\n";
}

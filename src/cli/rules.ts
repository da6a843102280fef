// `netpolc rules`: one node's rules as `iptables [-t T] -S [CHAIN]` lists
// them. The lines come from compile's own --list-rules printer
// (writeListRules through emitText); --chain only selects among them.
// With an agent in nftables mode, its tables as `nft list table`/`nft list
// chain` print them (rules-nft.ts, which also says what --table names).
import { compile, emitText, type CompileOptions } from "../pipeline.js";
import { renderAll } from "../diagnostics/render.js";
import type { TableName } from "../rules/types.js";
import type { InputFile } from "../frontend/index.js";
import { compileOptionsFrom } from "./compile.js";
import { flag, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { RULES_FLAGS } from "./flags.js";
import { listsNftByDefault, nftRules, nftTableArg } from "./rules-nft.js";
import { gatherInputs } from "./inputs.js";
import type { TextResult } from "./verify.js";


/** `-P C …`, `-N C` and `-A C …` lines of chain `c` (iptables -S CHAIN prints exactly these, in this order). */
function chainLines(text: string, c: string): string[] {
  return text.split("\n").filter((l) => l === `-N ${c}` || l.startsWith(`-P ${c} `) || l.startsWith(`-A ${c} `));
}

const IPV6_OFF = "--family 6: IPv6 is off for these inputs (no IPv6 pool or pod address; --ipv6 on turns it on)";

export function runRules(files: readonly InputFile[], args: ParsedArgs): TextResult {
  const node = flag(args, "node");
  if (node === undefined) throw new UsageError("rules needs --node NAME");
  const given = flag(args, "table");
  const nftTable = nftTableArg(given, flag(args, "family"));
  const v6 = nftTable ? nftTable.family === "ip6" : flag(args, "family") === "6";
  const table = (nftTable === null ? (given ?? "filter") : "filter") as TableName;
  const opts: CompileOptions = { ...compileOptionsFrom(args), listRules: table };
  const res = compile(files, opts);
  const stderr = renderAll(res.diag.all.filter((d) => d.severity !== "note"), res.sources, "text");
  const out = res.outputs[0];
  if (res.diag.hasErrors() || !out) return { exitCode: 1, stdout: "", stderr };
  const family = v6 ? "ip6" : "ip";
  const hasIptables = (v6 ? out.ruleset6 : out.ruleset)?.tables.some((t) => t.chains.length > 0) ?? false;
  const nft = out.nft ?? null;
  if (nftTable !== null || (given === undefined && listsNftByDefault(nft, family, hasIptables))) {
    if (v6 && !out.ruleset6 && !nft?.tables.some((t) => t.family === "ip6")) throw new UsageError(IPV6_OFF);
    const r = nftRules(nft, family, nftTable, flag(args, "chain"));
    return { ...r, stderr: stderr + r.stderr };
  }
  if (!hasIptables && nft?.tables.some((t) => t.family === family)) {
    const names = nft.tables.filter((t) => t.family === family).map((t) => t.name).join(", ");
    throw new UsageError(`--table ${table}: ${node}'s agents program nftables, not ${v6 ? "ip6tables" : "iptables"}: name one of its nft tables (${names}) or leave --table out`);
  }
  if (v6 && !out.ruleset6) throw new UsageError(IPV6_OFF);
  const text = emitText(out, v6 ? "ip6tables" : "iptables", opts, res.renderer);
  const chain = flag(args, "chain");
  if (chain === undefined) return { exitCode: 0, stdout: text, stderr };
  const lines = chainLines(text, chain);
  // iptables' own words and exit status for a chain that does not exist.
  if (lines.length === 0) return { exitCode: 1, stdout: "", stderr: stderr + `${v6 ? "ip6tables" : "iptables"}: No chain/target/match by that name (${table} table of ${node}: ${chain}).\n` };
  return { exitCode: 0, stdout: lines.join("\n") + "\n", stderr };
}

export function rulesCommand(rest: readonly string[], io: { stdout: (s: string) => void; stderr: (s: string) => void; readStdin: () => string }): number {
  const args = parseArgs(rest, RULES_FLAGS);
  if (args.positionals.length === 0) throw new UsageError("rules needs at least one input file or directory");
  const res = runRules(gatherInputs(args.positionals, io.readStdin), args);
  if (res.stderr) io.stderr(res.stderr);
  if (res.stdout) io.stdout(res.stdout);
  return res.exitCode;
}

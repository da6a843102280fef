// Help text, printed from the command table (commands.ts): the overview
// (`netpolc --help`), the short list a bare `netpolc` prints, and one command's
// usage, options and examples (`netpolc CMD --help`, `netpolc help CMD`).
import { formatFlags, UsageError, wrapWords, type FlagSpec } from "./args.js";
import { COMMAND_NAMES, COMMANDS, findCommand, type CommandSpec } from "./commands.js";
import type { Io } from "./io.js";
import { didYouMean } from "./suggest.js";

const TITLE = "netpolc: compile Kubernetes NetworkPolicy and a cluster snapshot into the exact iptables, ipset and route input Calico Felix, BIRD and kube-proxy program on each node";

const INPUTS =
  "Inputs are files, directories (searched recursively for *.yaml, *.yml, *.json) or - for stdin, as written or as\n" +
  "`kubectl get -o yaml` prints them: Namespaces, Pods, Nodes, ServiceAccounts, NetworkPolicies, Calico IPPools and IPAM\n" +
  "objects (IPAMBlock, BlockAffinity, ...), and for kube-proxy Services, EndpointSlices and a KubeProxyConfiguration.";

function commandList(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n");
}

/** `netpolc --help`: what netpolc is, its commands, and where to go next. */
export function overview(): string {
  return `${TITLE}.

Usage: netpolc <command> [options] <inputs...>

Commands:
${commandList()}

${INPUTS}

Examples:
  netpolc compile examples/bookinfo -o out/
  netpolc verify examples/bookinfo
  netpolc explain examples/bookinfo --from default/details-v1-68c7c8666d-x57tf --to default/ratings-v1-8558d4458d-86mtm --port 9080/TCP

Run 'netpolc <command> --help' for a command's options and examples; 'netpolc --version' prints the version.
`;
}

/** What a bare `netpolc` prints (on stderr, exit 2): just enough to find the next step. */
export function shortList(): string {
  return `Usage: netpolc <command> [options] <inputs...>\n\nCommands: ${COMMAND_NAMES.join(", ")}\nRun 'netpolc --help' for more.\n`;
}

function optionLines(flags: readonly FlagSpec[]): string {
  return formatFlags(flags);
}

/** One command's help: synopsis, what it does, options, examples, exit status. */
export function commandHelp(c: CommandSpec): string {
  const examples = c.examples.map((e) => `  ${e.command}\n      ${e.what}`).join("\n");
  return `Usage: netpolc ${c.synopsis}

${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.
${wrap(c.about, 100)}
${c.operands === "inputs" ? `\n${INPUTS}\n` : ""}
Options:
${optionLines(c.flags)}

Examples:
${examples}

Exit status: ${c.exit}
`;
}

export const wrap = (text: string, width: number): string => wrapWords(text, width).join("\n");

/** The help of a command by name; an unknown name is a usage error with the nearest spelling. */
export function helpFor(name: string): string {
  const c = findCommand(name);
  if (!c) throw new UsageError(`unknown command '${name}'${didYouMean(name, COMMAND_NAMES)}`);
  return commandHelp(c);
}

/** `netpolc help [command]`. */
export function helpCommand(rest: readonly string[], io: Io): number {
  const [name, ...extra] = rest;
  if (extra.length) throw new UsageError(`help takes one command name, not ${rest.length}`);
  io.stdout(name === undefined ? overview() : helpFor(name));
  return 0;
}

// man/netpolc.1, printed from the command and option tables (commands.ts,
// flags.ts) — the same ones --help prints — so the manual cannot drift from
// the program: test/cli/man.test.ts demands the committed page equal this
// output, and `npm run man` (scripts/gen-man.ts) rewrites it. No date in the
// header: the page must be byte-identical for the same program.
import type { FlagSpec } from "./args.js";
import { COMMANDS, type CommandSpec } from "./commands.js";
import { VERSION } from "./version.js";

/** roff text: backslashes as \e, hyphens as \-, and a leading . or ' kept literal. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .split("\n")
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join("\n");
}

function optionItem(f: FlagSpec): string {
  const names = [...(f.short ? [`\\fB\\-${f.short}\\fR`] : []), `\\fB\\-\\-${roff(f.name)}\\fR`].join(", ");
  const value = f.value ? ` \\fI${roff(f.value)}\\fR` : "";
  const choices = f.choices ? ` (${f.choices.map(roff).join("|")})` : "";
  return `.TP\n${names}${value}\n${roff(f.help)}${choices}`;
}

function commandSection(c: CommandSpec): string {
  const examples = c.examples.map((e) => `.TP\n.B ${roff(e.command)}\n${roff(e.what)}`).join("\n");
  return [
    `.SS ${c.name}`,
    `\\fBnetpolc ${roff(c.synopsis)}\\fR`,
    ".PP",
    roff(`${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}. ${c.about}`),
    ".PP",
    "Options:",
    ...c.flags.map(optionItem),
    ".PP",
    "Examples:",
    examples,
    ".PP",
    `Exit status: ${roff(c.exit)}`,
  ].join("\n");
}

export function manPage(): string {
  return `.TH NETPOLC 1 "" "netpolc ${VERSION}" "User Commands"
.SH NAME
netpolc \\- compile Kubernetes NetworkPolicy and a cluster snapshot into the exact iptables, ipset and route input Calico and kube\\-proxy program on each node
.SH SYNOPSIS
.B netpolc
.I command
[\\fIoptions\\fR] \\fIinputs\\fR...
.br
.B netpolc \\-\\-help
| \\fB\\-\\-version\\fR
.SH DESCRIPTION
${roff("netpolc reads Kubernetes NetworkPolicies and a snapshot of the cluster (Namespaces, Pods, Nodes, ServiceAccounts, Calico IPPools and IPAM objects; Services, EndpointSlices and a KubeProxyConfiguration for kube-proxy) and writes, for every node, the iptables-restore, ipset restore, ip -batch and bridge -batch input that Calico's Felix, BIRD and kube-proxy would program. verify proves the output does what the policies say; explain shows why a flow is allowed or denied; check, diff and the views serve review in Git.")}
.PP
${roff("Inputs are files, directories (searched recursively for *.yaml, *.yml and *.json) or - for stdin, as written or as kubectl get -o yaml prints them. A path that does not exist is a usage error (exit 2); inputs that hold no Kubernetes object are an error (exit 1).")}
.SH COMMANDS
${COMMANDS.map(commandSection).join("\n")}
.SH ENVIRONMENT
.TP
.B NO_COLOR
${roff("when set, no progress line is drawn (as with TERM=dumb and in CI).")}
.TP
.B CI
${roff("when set, no progress line is drawn; UPDATE_GOLDEN is refused by the test suite.")}
.SH EXIT STATUS
${roff("0 success; 1 invalid input, findings or differences (per command, above); 2 usage or internal error; 141 when the reader of standard output closed it first (netpolc … | head), as for a command killed by SIGPIPE.")}
.SH SEE ALSO
.BR iptables\\-restore (8),
.BR ipset (8),
.BR ip (8),
.BR bridge (8),
.BR calicoctl (1)
`;
}

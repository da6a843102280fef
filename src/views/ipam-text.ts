// `netpolc ipam` as text: calicoctl's `ipam show --show-blocks` table with an
// OWNER column, its `--show-borrowed` table, with `-o wide` more block columns
// and a node table, then a few lines on whose view the owners are and whether
// the plan is exact. Every table goes through boxTable (one escaping place).
import type { RouteProgrammer } from "../backends/index.js";
import type { OwnerSource, TunnelAddress } from "../ir/ipam.js";
import { boxTable, countWithPercent, goCount } from "./box-table.js";
import type { BlockUse, IpamView, NodeRow, PoolUse } from "./ipam.js";

const USE_HEAD = ["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"];
const WIDE_HEAD = ["POOL", "ENCAPSULATION", "OWNER", "DECIDED BY", "FELIX OWNER", "BIRD AFFINITIES", "TUNNEL ADDRESSES"];
const BORROWED_HEAD = ["IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"];
const NODE_HEAD = ["NODE", "IP", "IPIP TUNNEL ADDRESS", "VXLAN TUNNEL ADDRESS", "VXLAN MAC"];

type Inferred = Exclude<OwnerSource, "ipam" | "claimed">;
const INFERRED: Readonly<Record<Inferred, { short: string; rule: string }>> = {
  "tunnel-address": { short: "tunnel address", rule: "its tunnel address (rule a)" },
  "most-pods": { short: "most pods", rule: "most of the pods (rule b)" },
  "lowest-address": { short: "lowest address", rule: "the lowest address (rule c)" },
  "node-name": { short: "node name", rule: "first name of the tied (rule d)" },
};
const isInferred = (s: OwnerSource): s is Inferred => s !== "ipam" && s !== "claimed";

const usage = (kind: string, cidr: string, total: number, inUse: number): string[] => [kind, cidr, goCount(total), countWithPercent(inUse, total), countWithPercent(total - inUse, total)];

/** The plain OWNER cell: the owner, and in parentheses anything soft about it. */
function ownerCell(b: BlockUse, exact: boolean): string {
  const notes = [
    isInferred(b.source) ? `inferred: ${INFERRED[b.source].short}` : b.source === "claimed" ? "claimed" : "",
    b.ownerState === "pendingDeletion" ? "pendingDeletion" : "",
    exact && !b.ipamBlock ? "no IPAMBlock" : "",
  ].filter((n) => n);
  const owner = b.owner ?? "<none>";
  return notes.length ? `${owner} (${notes.join(", ")})` : owner;
}

const PROGRAMMER: Readonly<Record<RouteProgrammer, string>> = { bird: "BIRD", felix: "Felix" };

function decidedBy(b: BlockUse, affinitiesGiven: boolean): string {
  if (isInferred(b.source)) return `inferred: ${INFERRED[b.source].rule}`;
  if (b.source === "claimed") return "claimed for its inferred tunnel address";
  if (!b.ipamBlock) return b.owner ? "BlockAffinity without an IPAMBlock" : "no IPAMBlock holds these addresses";
  const who = `${PROGRAMMER[b.routesBy]}: `;
  if (b.routesBy === "felix") return who + (b.owner ? "IPAMBlock affinity" : "no affinity");
  if (affinitiesGiven) return who + (b.owner ? `BlockAffinity ${b.ownerState ?? "confirmed"}` : "no BlockAffinity");
  return who + (b.owner ? "IPAMBlock affinity (no BlockAffinity given)" : "no affinity");
}

function tunnelsCell(b: BlockUse): string {
  return b.addresses
    .filter((x) => x.use === "ipip-tunnel" || x.use === "vxlan-tunnel")
    .map((x) => `${x.address} (${x.node ?? x.allocationNode ?? "?"}, ${x.use === "ipip-tunnel" ? "IPIP" : "VXLAN"})`)
    .join(", ");
}

function poolRow(p: PoolUse, wide: boolean): string[] {
  const flags = [p.disabled ? "disabled" : "", p.assumed ? "assumed" : ""].filter((f) => f);
  const name = flags.length ? `${p.name} (${flags.join(", ")})` : p.name;
  return [...usage("IP Pool", p.cidr, p.total, p.inUse), ...(wide ? [name, p.encapsulation, "", "", "", "", ""] : [""])];
}

function blockRow(b: BlockUse, wide: boolean, v: IpamView): string[] {
  const head = usage("Block", b.cidr, b.total, b.inUse);
  if (!wide) return [...head, ownerCell(b, v.exact)];
  const bird = b.birdAffinities.map((a) => `${a.node} ${a.state}`).join(", ");
  return [...head, b.pool ?? "<none>", b.encapsulation, b.owner ?? "<none>", decidedBy(b, v.objects.affinities > 0), b.felixOwner ?? "", bird, tunnelsCell(b)];
}

const tunnel = (t: TunnelAddress | null): string => (t ? `${t.address} (${t.source})` : "");

function nodeRow(n: NodeRow): string[] {
  const ip = n.ip === null ? "" : n.ipPrefix === null ? n.ip : `${n.ip}/${n.ipPrefix}`;
  return [n.name, ip, tunnel(n.ipipTunnel), tunnel(n.vxlanTunnel), n.vxlanMac ? `${n.vxlanMac.mac} (${n.vxlanMac.source})` : ""];
}

const RULE: Readonly<Record<RouteProgrammer, string>> = {
  bird: "a block belongs to the node of its confirmed BlockAffinity, an address to the node it lives on",
  felix: "a block belongs to the node of its IPAMBlock affinity, an address to the node of its allocation",
};
const DEFAULT_SINCE: Readonly<Record<RouteProgrammer, string>> = { bird: "Calico's default up to 3.32", felix: "Calico's default from 3.33" };
const OTHER: Readonly<Record<RouteProgrammer, RouteProgrammer>> = { bird: "felix", felix: "bird" };

/** Whose view the owners are (per block: blockProgrammer), and how to see the other one. */
function ownerParagraphs(v: IpamView): string[] {
  return v.routesBy.map((p) => {
    if (p === v.routeProgrammer) {
      const other = OTHER[p];
      return `Owners follow ${PROGRAMMER[p]}, which programs these routes (--route-programmer ${p}, ${DEFAULT_SINCE[p]}): ${RULE[p]}. --route-programmer ${other} shows ${PROGRAMMER[other]}'s view.`;
    }
    return p === "felix"
      ? `VXLAN blocks follow Felix, which always programs VXLAN routes: ${RULE.felix}.`
      : `Blocks of unencapsulated pools or outside every pool follow BIRD, which keeps programming them: ${RULE.bird}.`;
  });
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function planParagraphs(v: IpamView): string[] {
  const out = [
    v.exact
      ? `Address plan: exact, from the snapshot's IPAM objects (${plural(v.objects.blocks, "IPAMBlock", "IPAMBlocks")}, ${plural(v.objects.affinities, "BlockAffinity", "BlockAffinities")}).`
      : "Address plan: inferred. No IPAMBlock or BlockAffinity objects were given, so owners marked inferred or claimed " +
        "are netpolc's guess from where pods and tunnel addresses are, not Calico's. For the exact plan, add the " +
        "cluster's IPAM objects to the inputs:",
  ];
  if (!v.exact) out.push(`${COMMAND_INDENT}kubectl get ipamblocks.crd.projectcalico.org,blockaffinities.crd.projectcalico.org -o yaml > ipam.yaml`);
  if (v.groups.some((g) => g.pool?.assumed)) {
    out.push("No IPPool given, so the pools are assumed: Calico's manifest default 192.168.0.0/16 (IPIP Always, /26 blocks), and a /16 with the same settings around pod addresses outside it.");
  }
  return out;
}

const COMMAND_INDENT = "  ";

/** Greedy word wrap at `width` columns (the paragraphs hold fixed words and counts); an indented command is kept whole. */
function wrap(paragraph: string, width = 110): string[] {
  if (paragraph.startsWith(COMMAND_INDENT)) return [paragraph];
  const lines: string[] = [];
  let line = "";
  for (const word of paragraph.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

export function ipamText(v: IpamView, opts: { wide: boolean }): string {
  const rows = v.groups.flatMap((g) => [...(g.pool ? [poolRow(g.pool, opts.wide)] : []), ...g.blocks.map((b) => blockRow(b, opts.wide, v))]);
  const parts = [boxTable([...USE_HEAD, ...(opts.wide ? WIDE_HEAD : ["OWNER"])], rows)];
  const borrowed = v.borrowed.map((b) => [b.ip, b.borrowingNode, b.block, b.blockOwner, b.type, b.allocatedTo]);
  let borrowedText = boxTable(BORROWED_HEAD, borrowed);
  if (v.unclassified) {
    // calicoctl's own footnote.
    borrowedText += `\nNote: found ${v.unclassified} IP allocations without an explicit node association. Unable to determine if they are borrowed.\n`;
  }
  parts.push(borrowedText);
  if (opts.wide) parts.push(boxTable(NODE_HEAD, v.nodes.map(nodeRow)));
  parts.push([...ownerParagraphs(v), ...planParagraphs(v)].flatMap((p) => wrap(p)).join("\n") + "\n");
  return parts.join("\n");
}

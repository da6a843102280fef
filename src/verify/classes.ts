// Class verify: the flows verify checks, partitioned into classes that
// neither the NetworkPolicies nor the rules being verified can tell apart,
// one representative walked per class (ARCHITECTURE.md "Class verify" has
// the soundness argument; flows.ts keeps the exhaustive enumeration).
//
// An endpoint pod's class is the pair of what the reference evaluator reads
// about it (semantics/signature.ts) and what the rules and routes can read:
//   - its address: membership in every ipset (by content) and every -s/-d
//     CIDR of every node's rules;
//   - its node's rules as its packets meet them (NodeView below): the node's
//     rules apart from per-workload dispatch, with rules no verified flow can
//     match left out, and what the dispatch chains do for its interface, by
//     content — so two pods whose endpoint chains jump to the same policies
//     are alike, wherever they run;
//   - where every node's routes send its address (routing.ts routeSignature).
// Outside addresses are cut by every CIDR of the policies, the rules, the
// sets and the routes; ports, per pair of classes, at every port the
// policies that apply to either end and the rules those ends meet mention.
import type { Pod, Protocol } from "../ir/cluster.js";
import { podIPv4 } from "../ir/cluster.js";
import type { Model, PolicyRule } from "../ir/policy.js";
import type { IpSet } from "../rules/ipset.js";
import type { Chain, Rule, RulePart } from "../rules/types.js";
import { BUILTIN_CHAINS, isBuiltinChain } from "../rules/types.js";
import { byteCompare, writeRuleBody } from "../rules/writer.js";
import { digest64 } from "../rules/digest.js";
import { addressCover, compileSet, plainRanges, setTest, type CompiledSet } from "../simulate/ipset.js";
import { ipv4 } from "../simulate/ip.js";
import type { Evaluator, Flow, FlowEndpoint, FlowSides, Side } from "../semantics/index.js";
import { resolveNamedPort } from "../semantics/index.js";
import { addressClassText, blockCidrs, MAX_PORT, MIN_PORT, portSetText, type PortRange } from "../semantics/classes.js";
import { parseCidr, type Cidr } from "../semantics/ip.js";
import { FELIX_VXLAN_PORT } from "./invariants.js";
import { firstAtLeast, pieceFinder } from "../semantics/pieces.js";
import { hopsFor, hostSource, routeOutsOf, routeSignature, type Hop, type Routed } from "./routing.js";
import type { CtState, HookPath, HostContext, Packet } from "../simulate/types.js";
import { HOST_IFACE, hostContext, podKey, PROBE_SOURCE_PORT, probePacket, replyPacket, where, type NodeInfo, type NodeRules, type Place, type Topology } from "./topology.js";
import type { Simulate } from "./check.js";
import { NAMES } from "../backends/index.js";

/** A pair's end as class verify hands it on: the endpoint, its address, and a pod's place once found (undefined: not looked up). */
interface End {
  readonly ep: FlowEndpoint;
  readonly ip: string;
  readonly place?: Place | null;
  /** A pod end's interface as class verify's hop keys read it (planClasses' IfaceKeys; null: not known), found when first asked. */
  iface?: unknown;
}

/**
 * The union of two ascending lists of distinct numbers, ascending and distinct: one of them when it holds the other
 * (a node's rules cut at hundreds of ports, an interface's view at a few, mostly the same).
 */
export function mergeSorted(a: readonly number[], b: readonly number[]): readonly number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) {
      out.push(x);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  for (; i < a.length; i++) out.push(a[i]!);
  for (; j < b.length; j++) out.push(b[j]!);
  if (out.length === a.length) return a;
  if (out.length === b.length) return b;
  return out;
}

/** Routes that leave the flow unjudged are the concrete walk's to report. */
const routable = (r: Routed | null): r is Routed => r !== null && r.fate.kind !== "unknown";

/** One class of flows: the representative walked, and what it stands for. */
export interface FlowClass {
  readonly flow: Flow;
  /** Concrete flows the class stands for (pod pairs × ports; an outside address class counts as one address). */
  count: number;
  /** Pairs of endpoint classes whose flows the class holds. */
  pairs: number;
  /** The classes of the two ends and the port set, as text (`x/web-1 and 11 pods like it`, `every TCP port but 80`). */
  readonly src: string;
  readonly dst: string;
  /** The two end classes as numbers below ClassPlan.ends: equal numbers exactly when the texts are equal. */
  readonly srcEnd: number;
  readonly dstEnd: number;
  ports(): string;
  /**
   * "ok": decided from hop results (each hop walked once per hop key) and agreeing with the evaluator, reply
   * included; "walk": the caller walks the representative for real (it failed, or NAT made the hops not
   * decidable alone, or no simulator was given).
   */
  status: "ok" | "walk";
  /** Whether an ok class's reply was walked. */
  replied: boolean;
  /** The nodes the flow crosses, and whether its route rests on a block owner netpolc inferred. */
  readonly nodes: readonly string[];
  readonly inferred: boolean;
  /**
   * Where the class's pair of endpoint classes stands in source-class-major order (pod pairs by source class, then
   * destination class; then the outside and host pairs): flows() hands pod pairs over in tiles, and a report sorts
   * by this to list failures as that order would.
   */
  readonly order: number;
}

/**
 * A port class of a pair: a range but the ports left out of it (`out`, sorted): the single ports in it, each a class
 * of its own, and the ports no class holds (`skip`, sorted: NodePorts of a host end, which the service probes check,
 * and Felix's VXLAN port from a pod, an invariant). `port`: the first port of the class, the one walked.
 */
interface PortClass {
  readonly r: PortRange;
  readonly out: readonly number[];
  readonly skip: readonly number[];
  readonly size: number;
  readonly port: number;
}

/** What every port class of one pair of endpoints shares (a pair makes a few; 66M classes at 50k pods). */
interface PairOfEnds {
  readonly from: FlowEndpoint;
  readonly to: FlowEndpoint;
  readonly src: string;
  readonly dst: string;
  readonly srcEnd: number;
  readonly dstEnd: number;
  readonly fromPod: boolean;
  readonly nodes: readonly string[];
  readonly inferred: boolean;
  readonly order: number;
}

/** A port class of one pair of endpoints: its ports' text made only when asked (a report, a test), from its range. */
class PortFlowClass implements FlowClass {
  pairs = 1;
  status: "ok" | "walk" = "walk";
  replied = false;
  private made: Flow | null = null;
  constructor(
    private readonly pair: PairOfEnds,
    private readonly protocol: Protocol,
    /** The port walked: the destination port of the flow, the source port of its reply. */
    readonly port: number,
    public count: number,
    /** The range and the ports left out of it. */
    private readonly range: PortClass,
  ) {}

  get src(): string {
    return this.pair.src;
  }
  get dst(): string {
    return this.pair.dst;
  }
  get srcEnd(): number {
    return this.pair.srcEnd;
  }
  get dstEnd(): number {
    return this.pair.dstEnd;
  }
  get nodes(): readonly string[] {
    return this.pair.nodes;
  }
  get inferred(): boolean {
    return this.pair.inferred;
  }
  get order(): number {
    return this.pair.order;
  }

  /** The flow walked for the class, made when first asked (most classes are decided from hop results alone). */
  get flow(): Flow {
    return (this.made ??= { src: this.pair.from, dst: this.pair.to, protocol: this.protocol, port: this.port });
  }

  /** The packet a hop of the flow (`reply`: of its reply) is walked with: probePacket, replyPacket. */
  packet(reply: boolean): Packet {
    return reply ? replyPacket(this.flow) : probePacket(this.flow);
  }

  ports(): string {
    const { r, out, skip } = this.range;
    const protocol = this.protocol;
    const services = skip.filter((p) => p !== FELIX_VXLAN_PORT || protocol !== "UDP" || !this.pair.fromPod);
    if (services.length <= 3) return portSetText(protocol, rangesBut(r, out));
    // Many NodePorts left out (the service probes check them): counted, not listed; every other port left out named.
    const nodePorts = new Set(services);
    const listed = portSetText(protocol, rangesBut(r, out.filter((p) => !nodePorts.has(p))));
    return `${listed}${listed.includes(" but ") ? "," : " but"} ${services.length} NodePorts (service probes)`;
  }
}

/** `r` but the ports of `out` (sorted), as ranges. */
function rangesBut(r: PortRange, out: readonly number[]): PortRange[] {
  const ranges: PortRange[] = [];
  let from = r.from;
  for (const p of out) {
    if (p > from) ranges.push({ from, to: p - 1 });
    from = p + 1;
  }
  if (from <= r.to) ranges.push({ from, to: r.to });
  return ranges;
}

/** The ports of `points` (unsorted, repeats) that are no port of `skipped` (sorted) and lie in [MIN_PORT, MAX_PORT]: sorted, each once. */
function pointsOutside(points: number[], skipped: readonly number[]): readonly number[] {
  if (points.length === 0) return NO_PORTS;
  sortInPlace(points);
  const out: number[] = [];
  let j = 0;
  for (const p of points) {
    if (p < MIN_PORT || p > MAX_PORT || p === out[out.length - 1]) continue;
    while (j < skipped.length && skipped[j]! < p) j++;
    if (skipped[j] !== p) out.push(p);
  }
  return out;
}

/** A pair's cuts on one protocol: range starts and ends + 1 (`at`), and single ports (`points`, Cut.point). */
interface PairCuts {
  readonly at: number[];
  readonly points: number[];
}

/**
 * Progress of a long verify, in stages of counted units (the CLI's Progress has this shape; verify calls nothing
 * else of it, and what it reports never changes a result).
 */
export interface Steps {
  stage(name: string, total: number, unit: string): void;
  tick(n?: number): void;
}

export const NO_STEPS: Steps = { stage: () => {}, tick: () => {} };

/** Why class verify cannot be trusted on these rules: the caller enumerates every flow instead. */
export interface ClassFallback {
  readonly reason: string;
}

const PROTOCOL_OF: Readonly<Record<string, Protocol>> = { tcp: "TCP", udp: "UDP", sctp: "SCTP", "6": "TCP", "17": "UDP", "132": "SCTP" };
const ALL_PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];
/** A set tested on every dimension at once (class verify asks whether an address is a member at all). */
const ALL_DIRS: readonly boolean[] = [true, true, true];
const CT_STATES: readonly CtState[] = ["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"];
/** Tables whose port matches cut port classes. nat's (NodePorts, service ports) are the service probes' (services-check.ts). */
const PORT_TABLES: ReadonlySet<string> = new Set(["raw", "mangle", "filter"]);

/** Port cut points, `TCP:80` (`*:80`: any protocol): a class starts at each. */
type Cuts = ReadonlySet<string>;
const NO_CUTS: ReadonlySet<string> = new Set();
const NO_PORTS: readonly number[] = [];
/** Characters of a SHA-1 digest in base64url without padding (what digest64 gives for 20 bytes). */
const ANSWER_DIGEST_LENGTH = 27;
/** A pod's projection on a hop's content, as text, starts with this (projectPodText); a full projection never does. */
const POD_TEXT = "p";
/** A pod's projection is a number of up to 13 codes in base 16 (52 bits: exact in a double); code 15 means "over". */
const POD_CODES_MAX = 13;
const POD_CODE_OVER = 15;
const CHAR_0 = 0x30; // "0"
const CHAR_1 = 0x31; // "1"
/** Per-address answers class verify keeps before it empties its per-address memos (planClasses `spend`). */
const MEMO_BUDGET = 4_000_000;
/** Pod pairs are made in tiles of this many source classes by this many destination classes (podPairs). */
const PAIR_TILE_SOURCES = 128;
const PAIR_TILE_DESTINATIONS = 128;

function union(...sets: readonly Cuts[]): Cuts {
  const nonEmpty = sets.filter((s) => s.size > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? NO_CUTS;
  const out = new Set<string>();
  for (const s of nonEmpty) for (const c of s) out.add(c);
  return out;
}

class Unstructured extends Error {}

const matchesIface = (pattern: string, iface: string): boolean =>
  pattern.endsWith("+") ? iface.startsWith(pattern.slice(0, -1)) : iface === pattern;

/**
 * `80`, `8000:8080`, `80,443,8000:8080` → the cuts' port texts: a range's start and end + 1 (`8000`, `8081`), a
 * single port as one point (`80p`: it cuts at 80 and 81, and not at all where port 80 is left out of every class,
 * portClassesOf).
 */
function portCutsOf(spec: string): string[] {
  const out: string[] = [];
  for (const item of spec.split(",")) {
    const [a = "", b] = item.split(":");
    const lo = a === "" ? MIN_PORT : Number(a);
    const hi = b === undefined ? lo : b === "" ? MAX_PORT : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    if (b === undefined) out.push(`${lo}p`);
    else out.push(String(lo), String(hi + 1));
  }
  return out;
}

interface Canon {
  readonly text: string;
  /**
   * `D:TCP:8000`: a destination port cut, `S:…`: a source port cut, `N:…`: a nat destination port (a Service's);
   * `D:TCP:80p`: a single port's match, a cut at 80 and at 81 (portCutsOf).
   */
  readonly cuts: Cuts;
  /** The address tests met: `c:10.0.0.0/8` (a -s/-d CIDR), `s:<set>` (a set as the flows see it, setId). */
  readonly preds: ReadonlySet<string>;
}

/** A workload interface as its node's dispatch chains read it: packets from it (in), to it (out). */
interface PodView {
  readonly in: Canon;
  readonly out: Canon;
}

const EMPTY: Canon = { text: "", cuts: new Set(), preds: new Set() };

/**
 * One node's rules as class verify reads them. Interfaces of the node's
 * workloads are matched in two ways: by patterns every workload interface
 * of the cluster matches (`cali+`: the same for every pod, kept as written),
 * and by "distinguishing" patterns (an exact name, `cali1+`), which only
 * dispatch chains may hold. Such a chain is read per interface: resolve(D, w)
 * keeps the rules whose pattern matches w and follows their targets, so a
 * pod's view names the content of its endpoint chains, not their names.
 */
class NodeView {
  private readonly tables = new Map<string, Map<string, Chain>>();
  private readonly dispatchDir = new Map<Chain, "in" | "out" | null>();
  private readonly memo = [new Map<Chain, Canon>(), new Map<Chain, Canon>()];
  private readonly entries = new Map<string, { table: string; chain: Chain; dir: "in" | "out" }>();
  private readonly busy = new Set<Chain>();
  /** Every -s/-d CIDR of the rules read (the addresses they tell apart). */
  readonly cidrs = new Set<string>();
  /** A feature whose reading class verify does not capture (the caller falls back to every flow); null if none. */
  unsupported: string | null = null;

  constructor(
    readonly node: string,
    private readonly rules: NodeRules,
    private readonly workloads: readonly string[],
    /** Whether a `+` pattern matches every workload interface of the cluster (asked per pattern, the same on every node). */
    private readonly coversAll: (pattern: string) => boolean,
    private readonly vips: ReadonlySet<string>,
    private readonly setId: (node: string, set: IpSet) => string,
    /** A rule part's text (writeRuleBody), kept per part object for the run: most parts are one object on every node (the read-back's line cache). */
    private readonly partText: (p: RulePart) => string,
  ) {
    for (const t of rules.ruleset.tables) {
      const m = new Map<string, Chain>();
      for (const c of t.chains) if (!m.has(c.name)) m.set(c.name, c);
      this.tables.set(t.name, m);
    }
  }

  private readonly distinguishes = new Map<string, boolean>();

  /** A pattern that matches some but not every workload interface of the cluster, and one of this node's (asked per rule read: kept per pattern). */
  private distinguishing(pattern: string): boolean {
    let d = this.distinguishes.get(pattern);
    if (d === undefined) {
      d = !(pattern.endsWith("+") && this.coversAll(pattern)) && this.workloads.some((w) => matchesIface(pattern, w));
      this.distinguishes.set(pattern, d);
    }
    return d;
  }

  private dirOf(chain: Chain): "in" | "out" | null {
    let d = this.dispatchDir.get(chain);
    if (d === undefined) {
      d = null;
      for (const r of chain.rules) {
        for (const p of r.parts) {
          if ((p.kind === "in-interface" || p.kind === "out-interface") && this.distinguishing(p.value)) {
            const dir = p.kind === "in-interface" ? "in" : "out";
            if (d !== null && d !== dir) throw new Unstructured(`${chain.name} tells workloads apart by both -i and -o`);
            d = dir;
          }
        }
      }
      this.dispatchDir.set(chain, d);
    }
    return d;
  }

  /**
   * A rule's text as classes read it, and the port cuts it makes; null when no
   * verified flow can match it (a Service VIP, a local address with `prune`).
   */
  private rule(table: string, r: Rule, prune: boolean, res: { iface: string; dir: "in" | "out" } | null, cuts: Set<string>, preds: Set<string>): string | null {
    let s = "";
    const proto = r.parts.find((p) => p.kind === "protocol");
    const protoName = proto && proto.kind === "protocol" && !proto.negated ? (PROTOCOL_OF[proto.value.toLowerCase()] ?? proto.value) : "*";
    // Cuts and CIDRs are the rule's only if no part rules it out: collected here, then added.
    const own: string[] = [];
    const seen: string[] = [];
    const sets: string[] = [];
    // The rule's address tests: a port it reads matters only to packets that pass them (cutsFor).
    const conds: string[] = [];
    const cut = (side: "D" | "S", spec: string): void => {
      if (PORT_TABLES.has(table)) for (const n of portCutsOf(spec)) own.push(`${side}:${protoName}:${n}`);
      // nat's destination ports (NodePorts, Service ports): kept apart, see portClassesOf.
      else if (table === "nat" && side === "D") for (const n of portCutsOf(spec)) own.push(`N:${protoName}:${n}`);
    };
    for (const p of r.parts) {
      switch (p.kind) {
        case "in-interface":
        case "out-interface": {
          const dir = p.kind === "in-interface" ? "in" : "out";
          if (!this.distinguishing(p.value)) break;
          if (!res || res.dir !== dir) throw new Unstructured(`a rule of ${this.node} tells workloads apart outside a dispatch chain`);
          if (matchesIface(p.value, res.iface) === p.negated) return null;
          s += `@${dir} `;
          continue;
        }
        case "source":
        case "destination":
          if (this.vips.has(p.value.replace(/\/32$/, ""))) {
            if (!p.negated) return null;
            continue;
          }
          seen.push(p.value);
          conds.push(`${p.negated ? "!" : ""}c:${p.kind === "source" ? "s" : "d"}:${p.value}`);
          break;
        case "match":
          if (p.module === "comment") continue;
          if (p.module === "set") {
            s += this.setPart(p, own, sets, conds, table) + " ";
            continue;
          }
          if (prune && p.module === "addrtype" && p.options.length === 1) {
            const o = p.options[0]!;
            if ((o.name === "dst-type" || o.name === "src-type") && o.args.length === 1 && o.args[0] === "LOCAL") {
              if (!o.negated) return null;
              continue;
            }
          }
          for (const o of p.options) {
            if (o.name === "dport" || o.name === "destination-port" || o.name === "dports" || o.name === "destination-ports") cut("D", o.args[0] ?? "");
            // Source ports: a reply's source port is the flow's port.
            if (o.name === "sport" || o.name === "source-port" || o.name === "sports" || o.name === "source-ports") cut("S", o.args[0] ?? "");
            if (o.name === "ports") cut("D", o.args[0] ?? ""), cut("S", o.args[0] ?? "");
          }
          break;
      }
      s += this.partText(p) + " ";
    }
    const when = conds.length ? `|${conds.join(";")}` : "";
    for (const x of own) cuts.add(x + when);
    for (const x of seen) {
      this.cidrs.add(x);
      preds.add(`c:${x}`);
    }
    for (const x of sets) preds.add(`s:${x}`);
    const t = r.target;
    // nat rules on a destination port lead to a Service's DNAT: the service probes walk those, flows to a node's
    // own address leave its nat ports out (portFlows), so the chains behind them are not a flow's.
    const service = table === "nat" && own.some((x) => x.startsWith("N:"));
    if (service && t && (t.kind === "goto" || t.kind === "jump") && this.tables.get(table)?.has(t.name)) {
      s += `${t.kind} service`;
    } else if (t && (t.kind === "goto" || (t.kind === "jump" && t.options.length === 0)) && this.tables.get(table)?.has(t.name) && !isBuiltinChain(t.name)) {
      const target = this.tables.get(table)!.get(t.name)!;
      const c = res && this.dirOf(target) === res.dir ? this.resolve(table, target, res.iface, res.dir, prune) : this.chain(table, target, prune);
      // A jump's tests hold for every rule behind it.
      for (const x of c.cuts) cuts.add(when ? (x.includes("|") ? `${x};${conds.join(";")}` : x + when) : x);
      for (const x of c.preds) preds.add(x);
      s += `${t.kind} ${c.text}`;
    } else if (t) {
      s += writeRuleBody({ parts: [], target: t });
    }
    return s;
  }

  private setPart(p: Extract<RulePart, { kind: "match" }>, cuts: string[], sets: string[], conds: string[], table: string): string {
    let s = "-m set";
    for (const o of p.options) {
      if (o.name !== "match-set" || o.args.length < 1) {
        s += ` ${o.negated ? "! " : ""}--${o.name} ${o.args.join(" ")}`;
        continue;
      }
      const set = this.rules.ipsets.get(o.args[0]!);
      const id = set ? this.setId(this.node, set) : `missing:${o.args[0]}`;
      sets.push(id);
      // A set keyed on a port as well is not an address test alone: no condition.
      if (set && !set.type.includes(",port")) conds.push(`${o.negated ? "!" : ""}s:${(o.args[1] ?? "").startsWith("src") ? "s" : "d"}:${id}`);
      if (set && set.type === "hash:ip,port,ip") this.unsupported ??= `ipset ${set.name} (${set.type}) matches a pair of addresses (${this.node})`;
      if (set && set.type.includes(",port") && PORT_TABLES.has(table)) {
        for (const m of set.members) {
          const hit = /,(?:(tcp|udp|sctp):)?(\d+)/.exec(m.value);
          if (hit) for (const side of ["D", "S"]) cuts.push(`${side}:${hit[1] ? PROTOCOL_OF[hit[1]] : "TCP"}:${Number(hit[2])}p`);
        }
      }
      s += ` ${o.negated ? "! " : ""}--match-set ${id} ${o.args.slice(1).join(" ")}`;
    }
    return s;
  }

  /** A chain by content (its targets by theirs); a dispatch chain is a placeholder, read per interface (resolve). */
  private chain(table: string, c: Chain, prune: boolean): Canon {
    const dir = this.dirOf(c);
    if (dir !== null) {
      this.entries.set(`${table} ${c.name}`, { table, chain: c, dir });
      return { text: `@dispatch-${dir}:${table}:${c.name}`, cuts: NO_CUTS, preds: EMPTY.preds };
    }
    const memo = this.memo[prune ? 1 : 0]!;
    let got = memo.get(c);
    if (!got) memo.set(c, (got = this.read(table, c, prune, null)));
    return got;
  }

  /** A dispatch chain for one interface: the rules its pattern keeps, their targets by content. */
  private resolve(table: string, c: Chain, iface: string, dir: "in" | "out", prune: boolean): Canon {
    return this.read(table, c, prune, { iface, dir });
  }

  /** A chain's rules as classes read them (rule()), hashed, with the cuts and address tests met on the way. */
  private read(table: string, c: Chain, prune: boolean, res: { iface: string; dir: "in" | "out" } | null): Canon {
    if (this.busy.has(c)) throw new Unstructured(`chain ${c.name} of ${this.node} jumps back into itself`);
    this.busy.add(c);
    const cuts = new Set<string>();
    const preds = new Set<string>();
    let text = "";
    for (const r of c.rules) {
      const t = this.rule(table, r, prune, res, cuts, preds);
      if (t !== null) text += t + "\n";
    }
    this.busy.delete(c);
    return { text: digest64("sha1", text), cuts, preds };
  }

  /**
   * The node's rules apart from per-workload dispatch: with `prune`, for packets neither address of which is
   * this node's own (rules on a local address left out, so nodes alike but for their own addresses are one);
   * without, as they are. `forward`: the cuts of the chains a packet crossing the node meets (not INPUT, OUTPUT).
   */
  common(otherIfaces: readonly string[], prune: boolean): Canon & { readonly forward: Cuts; readonly input: Cuts; readonly output: Cuts } {
    let text = prune ? "" : `node ${this.node}\n`;
    const cuts: Cuts[] = [];
    const forward: Cuts[] = [];
    const input: Cuts[] = [];
    const output: Cuts[] = [];
    const preds: ReadonlySet<string>[] = [];
    for (const t of this.rules.ruleset.tables) {
      for (const name of BUILTIN_CHAINS[t.name] ?? []) {
        const c = this.tables.get(t.name)?.get(name);
        if (!c) continue;
        const canon = this.chain(t.name, c, prune);
        text += `${t.name} ${name} ${c.policy ?? "ACCEPT"} ${canon.text}\n`;
        cuts.push(canon.cuts);
        if (name !== "INPUT" && name !== "OUTPUT") forward.push(canon.cuts);
        // The host's own packets: received (PREROUTING, INPUT), sent (OUTPUT, POSTROUTING).
        if (name === "PREROUTING" || name === "INPUT") input.push(canon.cuts);
        if (name === "OUTPUT" || name === "POSTROUTING") output.push(canon.cuts);
        preds.push(canon.preds);
      }
    }
    // Packets of other interfaces (the uplink, tunnels, lo) through every dispatch chain found, now or by a pod's view.
    for (const key of [...this.entries.keys()].sort(byteCompare)) {
      const e = this.entries.get(key)!;
      for (const x of otherIfaces) {
        const r = this.resolve(e.table, e.chain, x, e.dir, prune);
        text += `${key} ${x} ${r.text}\n`;
        cuts.push(r.cuts);
        forward.push(r.cuts);
        input.push(r.cuts);
        output.push(r.cuts);
        preds.push(r.preds);
      }
    }
    return {
      text: digest64("sha1", text), cuts: union(...cuts), forward: union(...forward), input: union(...input), output: union(...output),
      preds: new Set(preds.flatMap((p) => [...p])),
    };
  }

  /** A workload interface as the dispatch chains found so far read it. */
  view(iface: string): PodView {
    const parts: Record<"in" | "out", { text: string; cuts: Cuts[]; preds: string[] }> = { in: { text: "", cuts: [], preds: [] }, out: { text: "", cuts: [], preds: [] } };
    for (const key of [...this.entries.keys()].sort(byteCompare)) {
      const e = this.entries.get(key)!;
      const r = this.resolve(e.table, e.chain, iface, e.dir, false);
      const part = parts[e.dir];
      part.text += `${key} ${r.text}\n`;
      part.cuts.push(r.cuts);
      part.preds.push(...r.preds);
    }
    const canon = (d: "in" | "out"): Canon => ({ text: digest64("sha1", `${d}\n${parts[d].text}`), cuts: union(...parts[d].cuts), preds: new Set(parts[d].preds) });
    return { in: canon("in"), out: canon("out") };
  }

  entryCount(): number {
    return this.entries.size;
  }
}

/** An endpoint pod's class. */
interface PodClass {
  readonly id: number;
  readonly pods: Pod[];
  readonly byNode: Map<string, Pod[]>;
  /** Port cuts of the rules its packets meet: sent (its -i dispatch), received (its -o dispatch); its node's common rules in both. */
  readonly inCuts: Cuts;
  readonly outCuts: Cuts;
}

/**
 * A pod class's pods on one node, as podPairs reads them: the node's number (-1: not listed), the pods, and the first
 * two as pair ends once asked (podPairs endAt).
 */
type ClassEntry = readonly [number, Pod[], Array<End | undefined>];

/** A class of addresses outside the cluster. */
interface OutsideClass {
  readonly ip: string;
  readonly text: string;
}

const ipText = (v: number): string => [24, 16, 8, 0].map((s) => String((v >>> s) & 255)).join(".");

function cidrRange(c: Cidr): [number, number] {
  const lo = Number(c.network);
  return [lo, lo + 2 ** (32 - c.prefix) - 1];
}

export interface ClassPlan {
  readonly fallback: ClassFallback | null;
  /** Classes of endpoint pods. */
  readonly podClasses: number;
  /** End classes (pod classes, outside address classes, nodes): FlowClass.srcEnd and dstEnd are below it. */
  readonly ends: number;
  /** Pairs of endpoint classes (pod, outside address, node) that flows() goes through: the progress total. */
  readonly pairs: number;
  /**
   * Each flow class, handed to `emit` as it is decided (from hop results, or left to be walked: status "walk"):
   * a callback, not a generator, so that half a million classes do not each resume a chain of generators.
   * `onPair` after each pair of endpoint classes.
   */
  flows(emit: (fc: FlowClass) => void, onPair?: () => void): void;
  /**
   * The class key of one hop of any packet: packets with equal keys are walked alike through that hop (the premise
   * flows() rests on). `scope` and `code` together are the key; null when the hop is not read by classes or the
   * packet carries what keys do not hold (a mark, ICMP, another protocol), and it must be walked for real.
   */
  hopKey(node: string, path: HookPath, packet: Packet): HopKey | null;
}

/** A hop's class key (ClassPlan.hopKey): a scope object (content, addresses' answers, rpfilter) and a number in it. */
export interface HopKey {
  readonly scope: object;
  readonly code: number;
}

/** The verify protocol of a packet's protocol name, for the protocols class keys hold. */
const KEYED_PROTOCOL: Readonly<Record<string, Protocol>> = { tcp: "TCP", udp: "UDP", sctp: "SCTP" };

interface Ctx {
  readonly model: Model;
  readonly evaluator: Evaluator;
}

/** What one node's rules look like to class verify. */
interface NodeData {
  /** Rules apart from dispatch, for packets with no address of this node (pruned), and as they are (full). */
  readonly pruned: Canon & { readonly forward: Cuts };
  readonly full: Canon & { readonly input: Cuts; readonly output: Cuts };
  readonly views: ReadonlyMap<string, PodView>;
}


/**
 * The flow classes of `rules` over `topo` (every node's rules must be there:
 * a class spans nodes). `onlyNodes`: classes of flows crossing those nodes.
 * `planning`: the wiring with the compiled routes, which picks the address a
 * host probes from (as the exhaustive walk's plan does). `limits` (tests): the
 * per-address answers kept before those memos are emptied, the tests a pod's
 * projection may read and still be a number (projectPod).
 */
/** Limits of the memos of planClasses; tests set them low to check that the results do not depend on them. */
export interface PlanLimits {
  readonly memoBudget?: number;
  /** At most POD_CODES_MAX. */
  readonly podCodes?: number;
  /** Pod pairs' tiles: source classes by destination classes (PAIR_TILE_SOURCES, PAIR_TILE_DESTINATIONS). */
  readonly tile?: readonly [number, number];
}

export function planClasses(
  ctx: Ctx, topo: Topology, rules: ReadonlyMap<string, NodeRules>, onlyNodes: ReadonlySet<string> | null, simulate: Simulate | null = null,
  planning: Topology = topo, limits: PlanLimits = {}, steps: Steps = NO_STEPS,
): ClassPlan {
  const { memoBudget = MEMO_BUDGET, podCodes = POD_CODES_MAX, tile: [tileSources, tileDestinations] = [PAIR_TILE_SOURCES, PAIR_TILE_DESTINATIONS] } = limits;
  const { model, evaluator } = ctx;
  const pods = evaluator.endpoints().filter((p) => podIPv4(p) !== null && topo.pods.has(podKey(p.namespace, p.name)));
  const placeOf = (p: Pod) => topo.pods.get(podKey(p.namespace, p.name))!;

  // Service addresses: flows are never addressed to them (the service probes are), so a rule on one is never met.
  const vips = new Set<string>();
  for (const s of model.cluster.services?.services ?? []) {
    if (s.clusterIPs.kind === "ips") for (const ip of s.clusterIPs.ips) vips.add(ip);
    for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) vips.add(ip);
  }
  for (const p of pods) for (const ip of p.ips) vips.delete(ip);
  for (const n of model.cluster.nodes) for (const ip of [n.ip, n.tunnelAddress, n.vxlanTunnelAddress]) if (ip) vips.delete(ip);

  // Every set of every node by content: one object per distinct content.
  const contentOf = new Map<IpSet, string>();
  const byContent = new Map<string, IpSet>();
  for (const r of rules.values()) {
    for (const set of r.ipsets.values()) {
      // Sorted natively: the default sort compares UTF-16 code units, byteCompare's order, without a call per comparison.
      const members = set.members.map((m) => m.value + (m.nomatch ? " nomatch" : "")).sort();
      const id = digest64("sha1", [set.type, ...set.options, ...members].join("\n"));
      contentOf.set(set, id);
      if (!byContent.has(id)) byContent.set(id, set);
    }
  }

  // Every CIDR the rules, the sets, the policies and the routes name: they cut the addresses outside the cluster.
  const ruleCidrs = new Map<string, Cidr>();
  for (const r of rules.values()) {
    for (const t of r.ruleset.tables) {
      for (const c of t.chains) {
        for (const rule of c.rules) {
          for (const p of rule.parts) {
            if ((p.kind === "source" || p.kind === "destination") && !vips.has(p.value.replace(/\/32$/, ""))) {
              const cidr = parseCidr(p.value.includes("/") ? p.value : `${p.value}/32`);
              if (cidr && cidr.family === 4) ruleCidrs.set(`${cidr.network}/${cidr.prefix}`, cidr);
            }
          }
        }
      }
    }
  }
  const outside = outsideClasses(model, [...ruleCidrs.values(), ...setCidrs(byContent), ...routeCidrs(topo)], vips);

  // A set as the verified flows can see it: which pod addresses and outside classes it holds, and which node
  // addresses (its own node's as SELF, so "this host" is one set on every node). Sets alike so are one.
  const nodeAddrs = model.cluster.nodes.map((n) => ({ name: n.name, ips: [n.ip, n.tunnelAddress, n.vxlanTunnelAddress].map((ip) => (ip === null ? null : ipv4(ip))) }));
  const compiledOf = new Map<string, CompiledSet>();
  const portsOf = new Map<string, Array<[number, number]>>();
  const memberPorts = (set: IpSet): Array<[number, number]> | null => {
    if (!set.type.includes(",port")) return null;
    const ports = new Map<string, [number, number]>();
    for (const m of set.members) {
      const hit = /,(?:(tcp|udp|sctp):)?(\d+)/.exec(m.value);
      if (hit) ports.set(`${hit[1] ?? "tcp"}:${hit[2]}`, [hit[1] === "udp" ? 17 : hit[1] === "sctp" ? 132 : 6, Number(hit[2])]);
    }
    // Sorted for determinism.
    return [...ports.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  };
  // One key view, refilled per ask (a set's lookup reads it and keeps nothing): asked sets × pods times.
  const view = { src: 0, dst: 0, proto: 6, srcPort: 0, dstPort: 0, icmp: null };
  /** Membership of one address: `1`/`0` (`?` undecidable), per member port for a port set. */
  const holds = (content: string, n: number): string => holdsIn(compiledOf.get(content)!, portsOf.get(content), n);
  const holdsIn = (c: CompiledSet, ports: ReadonlyArray<readonly [number, number]> | undefined, n: number): string => {
    view.src = view.dst = n;
    if (!ports) {
      view.proto = 6;
      view.srcPort = view.dstPort = 0;
      const hit = setTest(c, ALL_DIRS, view);
      return hit === null ? "?" : hit ? "1" : "0";
    }
    let out = "[";
    for (const [proto, port] of ports) {
      view.proto = proto;
      view.srcPort = view.dstPort = port;
      const hit = setTest(c, ALL_DIRS, view);
      out += hit === null ? "?" : hit ? "1" : "0";
    }
    return out + "]";
  };
  const seenBy = new Map<string, string>();
  /**
   * Per set content, the answer every endpoint pod gives it, or null when pods differ. A hop's projection of a pod
   * skips the tests every pod answers alike.
   */
  const podConstant = new Map<string, string | null>();
  const constantColumn = (col: Uint8Array): string | null => (col.length > 0 && col.every((x) => x === col[0]) ? String.fromCharCode(col[0]!) : null);
  /** The one answer in `parts` from `from` on (a pod's each), or null. */
  const constantAnswer = (parts: readonly string[], from: number): string | null => {
    if (parts.length <= from) return null;
    for (let i = from + 1; i < parts.length; i++) if (parts[i] !== parts[from]) return null;
    return parts[from]!;
  };
  const podNumbers = pods.map((p) => ipv4(podIPv4(p)!)!);
  const outsideNumbers = outside.map((x) => ipv4(x.ip)!);
  // Pod addresses in numeric order, with their places in `pods`: a plain set (plainRanges) marks the pods its
  // members hold, range by range, instead of every pod being looked up in it (at 50k pods: 2,762 sets × 50,000
  // pods, here and again in addressSignature). Its column holds a character code per pod, "0" or "1", as holdsIn
  // answers; emptied once the classes are made.
  const podOrder = podNumbers.map((_, i) => i).sort((a, b) => podNumbers[a]! - podNumbers[b]! || a - b);
  const sortedPods = podOrder.map((i) => podNumbers[i]!);
  const podColumns = new Map<string, Uint8Array>();
  /** Each pod whose address is in [lo, hi]: its place in `pods`, and its address. */
  const podsIn = (lo: number, hi: number, visit: (at: number, n: number) => void): void => {
    for (let k = firstAtLeast(sortedPods, lo); k < sortedPods.length && sortedPods[k]! <= hi; k++) visit(podOrder[k]!, sortedPods[k]!);
  };
  const columnOf = (set: IpSet): Uint8Array | null => {
    const ranges = plainRanges(set);
    if (ranges === null) return null;
    const col = new Uint8Array(podNumbers.length).fill(CHAR_0);
    for (const [lo, hi] of ranges) podsIn(lo, hi, (at) => (col[at] = CHAR_1));
    return col;
  };
  /**
   * Any other set whose members' addresses are known (addressCover) answers every pod outside them alike: it is
   * asked about the pods inside them only (port sets: Calico's named ports, at 50k pods most of the lookups).
   */
  const sparseAnswers = new Map<string, { readonly inside: ReadonlyMap<number, string>; readonly outside: string }>();
  const sparseOf = (set: IpSet, c: CompiledSet, ports: ReadonlyArray<readonly [number, number]> | undefined): { inside: Map<number, string>; outside: string } | null => {
    const cover = addressCover(set);
    if (cover === null) return null;
    // An address no member holds (the answer every such address gets): the lowest one outside every range.
    const sorted = [...cover].sort((a, b) => a[0] - b[0]);
    let free = 0;
    for (const [lo, hi] of sorted) if (lo <= free && free <= hi) free = hi + 1;
    if (free > 0xffffffff) return null;
    const inside = new Map<number, string>();
    for (const [lo, hi] of cover) podsIn(lo, hi, (at, n) => void (inside.has(at) || inside.set(at, holdsIn(c, ports, n))));
    return { inside, outside: holdsIn(c, ports, free) };
  };
  steps.stage("planning: sets", byContent.size, "sets");
  for (const [content, set] of byContent) {
    steps.tick();
    compiledOf.set(content, compileSet(set));
    const ports = memberPorts(set);
    if (ports) portsOf.set(content, ports);
    const parts = [`${set.type} ${ports?.map(([a, b]) => `${a}:${b}`).join(",") ?? ""}|`];
    const c = compiledOf.get(content)!;
    const col = columnOf(set);
    const sparse = col === null ? sparseOf(set, c, ports ?? undefined) : null;
    if (col !== null) {
      podColumns.set(content, col);
      parts.push(Buffer.from(col.buffer, col.byteOffset, col.length).toString("latin1"));
    } else if (sparse !== null) {
      sparseAnswers.set(content, sparse);
      for (let i = 0; i < podNumbers.length; i++) parts.push(sparse.inside.get(i) ?? sparse.outside);
    } else for (const n of podNumbers) parts.push(holdsIn(c, ports ?? undefined, n));
    podConstant.set(content, col !== null ? constantColumn(col) : constantAnswer(parts, 1));
    parts.push("|");
    for (const n of outsideNumbers) parts.push(holdsIn(c, ports ?? undefined, n));
    // Kept as its digest: the text is a character per pod of the cluster, for every distinct set.
    seenBy.set(content, digest64("sha1", parts.join("")));
  }
  const projected = new Map<string, string>();
  /** Projected set id → its content (any one: sets with one id hold the same verified addresses). */
  const contentById = new Map<string, string>();
  /**
   * Per set content, each node's addresses' answers (in nodeAddrs' order) and how many nodes give each answer: the
   * same for every node that holds the set (at 50k pods, 500 nodes' addresses for each of 16,000 node and set pairs).
   */
  const answersByNode = new Map<string, { readonly per: readonly string[]; readonly counts: ReadonlyMap<string, number> }>();
  const nodeIndex = new Map<string, number>();
  nodeAddrs.forEach((x, i) => nodeIndex.has(x.name) || nodeIndex.set(x.name, i));
  const setId = (node: string, set: IpSet): string => {
    const content = contentOf.get(set)!;
    const key = `${node} ${content}`;
    let id = projected.get(key);
    if (id === undefined) {
      let answers = answersByNode.get(content);
      if (answers === undefined) {
        const per = nodeAddrs.map((x) => x.ips.map((n) => (n === null ? "-" : holds(content, n))).join(""));
        const counts = new Map<string, number>();
        for (const a of per) counts.set(a, (counts.get(a) ?? 0) + 1);
        answersByNode.set(content, (answers = { per, counts }));
      }
      const { per, counts } = answers;
      const at = nodeIndex.get(node) ?? -1;
      const self = at >= 0 ? per[at]! : "";
      // The other nodes answer alike when one answer is left once this node's own is taken out.
      const others = per.length - (at >= 0 ? 1 : 0);
      const distinct = counts.size - (at >= 0 && counts.get(self) === 1 ? 1 : 0);
      const uniform = others === 0 || distinct === 1;
      const first = others === 0 ? "" : per[at === 0 ? 1 : 0]!;
      const nodesText = uniform ? `all:${first}` : nodeAddrs.map((x, i) => (x.name === node ? "" : `${x.name}=${per[i]}`)).join(",");
      id = "set:" + digest64("sha1", `${seenBy.get(content)}|self:${self}|others:${nodesText}`);
      projected.set(key, id);
      if (!contentById.has(id)) contentById.set(id, content);
    }
    return id;
  };

  const allWorkloads = [...topo.pods.values()].map((p) => p.iface);
  const coversAllMemo = new Map<string, boolean>();
  const coversAll = (pattern: string): boolean => {
    let all = coversAllMemo.get(pattern);
    if (all === undefined) coversAllMemo.set(pattern, (all = allWorkloads.every((w) => matchesIface(pattern, w))));
    return all;
  };
  const partTexts = new Map<RulePart, string>();
  const partText = (p: RulePart): string => {
    let t = partTexts.get(p);
    if (t === undefined) partTexts.set(p, (t = writeRuleBody({ parts: [p], target: null })));
    return t;
  };
  const otherIfaces = [...new Set([HOST_IFACE, NAMES.devices.ipipTunnel, NAMES.devices.vxlanTunnel, "lo"])];
  const nodeData = new Map<string, NodeData>();
  const cidrsRead = new Set<string>();
  let unsupported: string | null = null;
  // Sorted for determinism.
  const nodeNames = [...topo.nodes.keys()].sort(byteCompare);
  steps.stage("planning: nodes", nodeNames.length, "nodes");
  for (const name of nodeNames) {
    steps.tick();
    const r = rules.get(name);
    if (!r) continue;
    const info = topo.nodes.get(name)!;
    const v = new NodeView(name, r, [...info.localIfaces.keys()], coversAll, vips, setId, partText);
    try {
      // Pods' views may find dispatch chains the builtin chains do not lead to: read them until none is new.
      v.common(otherIfaces, true);
      let found = -1;
      let views: Array<[string, PodView]> = [];
      while (v.entryCount() !== found) {
        found = v.entryCount();
        views = [...info.localIfaces.keys()].map((w) => [w, v.view(w)]);
      }
      nodeData.set(name, { pruned: v.common(otherIfaces, true), full: v.common(otherIfaces, false), views: new Map(views) });
    } catch (e) {
      if (!(e instanceof Unstructured)) throw e;
      // Not read by classes: every flow through this node is its own (node-specific, concrete) key.
    }
    for (const c of v.cidrs) cidrsRead.add(c);
    unsupported ??= v.unsupported;
  }
  if (unsupported !== null) return { fallback: { reason: unsupported }, podClasses: 0, ends: 0, pairs: 0, flows: function* () {}, hopKey: () => null };

  // The CIDRs the rules read (not those behind a Service's DNAT or on its address).
  const readCidrs = new Map<string, Cidr>();
  for (const text of cidrsRead) {
    const cidr = parseCidr(text.includes("/") ? text : `${text}/32`);
    if (cidr && cidr.family === 4) readCidrs.set(`${cidr.network}/${cidr.prefix}`, cidr);
  }
  // Sorted for determinism.
  const cidrList = [...readCidrs.keys()].sort(byteCompare).map((k) => readCidrs.get(k)!);
  /** The address range of a CIDR the rules read, by its text as a test names it (undefined: not one read), parsed once. */
  const readRanges = new Map<string, readonly [number, number] | undefined>();
  const readRange = (text: string): readonly [number, number] | undefined => {
    if (readRanges.has(text)) return readRanges.get(text);
    const cidr = readCidrs.get(cidrKey(text));
    const range = cidr === undefined ? undefined : cidrRange(cidr);
    readRanges.set(text, range);
    return range;
  };
  // One column per distinct set as the flows see it (its pod-address part is node-independent).
  const setColumns = new Map<string, string>();
  for (const content of contentOf.values()) setColumns.set(seenBy.get(content)!, content);
  const setIdList = [...setColumns.keys()].sort(byteCompare).map((k) => setColumns.get(k)!);
  /** An address's membership in every set and CIDR the rules name. */
  // The ranges and compiled sets it reads, resolved once (it is asked per pod).
  const cidrRanges = cidrList.map(cidrRange);
  const signatureSets = setIdList.map((content) => [compiledOf.get(content)!, portsOf.get(content), podColumns.get(content) ?? null, sparseAnswers.get(content) ?? null] as const);
  /** The address of pod number `at` (in `pods`): its answers in the plain and sparse sets are read from what planning found. */
  const addressSignature = (ip: string, at: number): string => {
    const n = ipv4(ip);
    if (n === null) return "?";
    const parts: string[] = [];
    for (const [lo, hi] of cidrRanges) parts.push(n >= lo && n <= hi ? "1" : "0");
    parts.push("|");
    for (const [c, ports, col, sparse] of signatureSets) {
      if (col !== null) parts.push(col[at] === CHAR_1 ? "1" : "0");
      else if (sparse !== null) parts.push(sparse.inside.get(at) ?? sparse.outside);
      else parts.push(holdsIn(c, ports, n));
    }
    return parts.join("");
  };

  /**
   * Every pod's address signature (addressSignature) as a group key, without building it: pods with one key answer
   * every CIDR and set the rules read alike. Column by column (a CIDR, a set), each pod's answer is mixed into two
   * 32-bit hashes held in typed arrays; pods are grouped by hash, then every pod is compared with its group's first
   * pod answer by answer, and one whose answers differ (two hashes met by chance) is keyed by its signature itself,
   * so the keys are exact. At 50k pods the signatures were ~3,000 characters a pod, built and dropped: seconds of
   * string building and garbage collection.
   */
  const addressKeys = (): string[] => {
    const n = pods.length;
    const code = new Int32Array(n);
    /** Column `j`'s answers as small numbers, into `code`; false for a set asked pod by pod (its answers interned per column). */
    const columnCount = cidrRanges.length + signatureSets.length;
    const fill = (j: number): void => {
      if (j < cidrRanges.length) {
        const [lo, hi] = cidrRanges[j]!;
        for (let i = 0; i < n; i++) code[i] = podNumbers[i]! >= lo && podNumbers[i]! <= hi ? 1 : 0;
        return;
      }
      const [c, ports, col, sparse] = signatureSets[j - cidrRanges.length]!;
      if (col !== null) {
        for (let i = 0; i < n; i++) code[i] = col[i]!;
        return;
      }
      const codes = new Map<string, number>();
      const codeOf = (answer: string): number => {
        let k = codes.get(answer);
        if (k === undefined) codes.set(answer, (k = codes.size));
        return k;
      };
      if (sparse !== null) {
        code.fill(codeOf(sparse.outside));
        for (const [i, answer] of sparse.inside) code[i] = codeOf(answer);
        return;
      }
      for (let i = 0; i < n; i++) code[i] = codeOf(holdsIn(c, ports, podNumbers[i]!));
    };
    const { rep, differs } = columnGroups(n, columnCount, (j) => (fill(j), code));
    return Array.from(rep, (r, i) => (differs[i] ? `x${addressSignature(podIPv4(pods[i]!)!, i)}` : `a${r}`));
  };

  const nodeOf = (p: Pod): string => placeOf(p).node;
  // Other nodes route a pod's address by the longest of their prefixes holding it. Between consecutive edges of
  // every node's prefixes but single addresses, every address is held by the same prefixes on every node, so every
  // other node picks the same route for it: the other nodes' words are those of any pod there with the same own node.
  // An address some other node names on its own (a /32 route, its local address, a neighbour, a node's address:
  // the steps routing.ts decides per destination) is routed on its own.
  const edges = new Set<number>([0]);
  const named = new Map<number, Set<string>>();
  const nameOn = (n: number, node: string): void => {
    let on = named.get(n);
    if (!on) named.set(n, (on = new Set()));
    on.add(node);
  };
  // (A node's prefix routes are its IPv4 ones: topology.ts keeps no other.)
  for (const [node, info] of topo.nodes) {
    for (const r of info.prefixRoutes) {
      const [lo, hi] = cidrRange(r.net);
      if (lo === hi) nameOn(lo, node);
      else edges.add(lo).add(hi + 1);
    }
    for (const a of [...info.localAddresses, ...info.neighbours.keys()]) {
      const n = ipv4(a);
      if (n !== null) nameOn(n, node);
    }
  }
  for (const a of topo.nodeByIp.keys()) {
    const n = ipv4(a);
    if (n !== null) for (const node of nodeNames) nameOn(n, node);
  }
  const pieceOf = pieceFinder(edges);
  const othersByPiece = new Map<string, string>();
  /** Where every node's routes send the pod's address, its own node and interface as SELF/OWNER. */
  const routesOf = (p: Pod): string => {
    const at = placeOf(p);
    const ip = podIPv4(p)!;
    const own = routeSignature(topo, at.node, ip, at);
    const n = ipv4(ip);
    const alone = n === null || [...(named.get(n) ?? [])].some((node) => node !== at.node);
    const piece = alone ? null : `${pieceOf(n)} ${at.node}`;
    const known = piece === null ? undefined : othersByPiece.get(piece);
    if (known !== undefined) return `own=${own};${known}`;
    const others = othersOf(at, ip);
    if (piece !== null) othersByPiece.set(piece, others);
    return `own=${own};${others}`;
  };
  const othersOf = (at: { readonly node: string; readonly iface: string }, ip: string): string => {
    const sigs: string[] = [];
    const names: string[] = [];
    let uniform = true;
    for (const n of nodeNames) {
      if (n === at.node) continue;
      const s = routeSignature(topo, n, ip, at);
      if (sigs.length > 0 && s !== sigs[0]) uniform = false;
      sigs.push(s);
      names.push(n);
    }
    if (uniform) return `others=${sigs[0] ?? ""}`;
    // Grouped by signature, in the order each is first met.
    const others = new Map<string, string[]>();
    sigs.forEach((s, i) => {
      const list = others.get(s) ?? [];
      list.push(names[i]!);
      others.set(s, list);
    });
    return [...others].map(([s, ns]) => `${ns.join(",")}=${s}`).join(";");
  };

  // Each rule text read (a Canon's), as a number: a class's or a content's key names its texts by these, not by the
  // texts (a node's pruned text is long, and a string key is hashed and compared whole).
  const textIds = new Map<string, number>();
  const canonIds = new Map<Canon, number>();
  const canonId = (c: Canon): number => {
    let id = canonIds.get(c);
    if (id === undefined) {
      id = textIds.get(c.text);
      if (id === undefined) textIds.set(c.text, (id = textIds.size));
      canonIds.set(c, id);
    }
    return id;
  };
  // The classes of endpoint pods, in the order of their first pod (namespace, name).
  const classes: PodClass[] = [];
  const classOf = new Map<Pod, PodClass>();
  const byKey = new Map<string, PodClass>();
  steps.stage("planning: pods", pods.length, "pods");
  const addressKey = addressKeys();
  for (let at = 0; at < pods.length; at++) {
    steps.tick();
    const p = pods[at]!;
    const node = nodeOf(p);
    const nd = nodeData.get(node);
    const view = nd?.views.get(placeOf(p).iface);
    const viewKey = nd && view ? `${canonId(nd.pruned)}:${canonId(view.in)}:${canonId(view.out)}` : `alone:${node}:${p.namespace}/${p.name}`;
    const only = onlyNodes === null ? "" : onlyNodes.has(node) ? "only" : "other";
    const key = [evaluator.signature(p), addressKey[at]!, viewKey, routesOf(p), only].join("\u0000");
    let c = byKey.get(key);
    if (!c) {
      const common = nd?.pruned.forward ?? NO_CUTS;
      c = { id: classes.length, pods: [], byNode: new Map(), inCuts: union(view?.in.cuts ?? NO_CUTS, common), outCuts: union(view?.out.cuts ?? NO_CUTS, common) };
      classes.push(c);
      byKey.set(key, c);
    }
    c.pods.push(p);
    const list = c.byNode.get(node) ?? [];
    list.push(p);
    c.byNode.set(node, list);
    classOf.set(p, c);
  }
  // The pod columns are done with (this function's closures live as long as the plan).
  podColumns.clear();
  sparseAnswers.clear();
  signatureSets.length = 0;

  // Protocols: TCP, and any a policy or a rule names.
  const used = new Set<Protocol>(["TCP"]);
  for (const pol of model.policies) {
    for (const rule of [...pol.ingress, ...pol.egress]) if (rule.ports.kind === "ports") for (const e of rule.ports.ports) used.add(e.protocol);
  }
  const commonCuts = union(...[...nodeData.values()].map((d) => d.pruned.forward));
  for (const cuts of [commonCuts, ...classes.flatMap((c) => [c.inCuts, c.outCuts])]) {
    for (const c of cuts) {
      const proto = c.split(":")[1]!;
      if (proto !== "*") used.add(proto as Protocol);
    }
  }
  const protocols = ALL_PROTOCOLS.filter((p) => used.has(p));

  // Port cuts: `side:proto:port`, then `|` and the address tests of the rule (and of the jumps to it) they hold under.
  interface Cond {
    readonly neg: boolean;
    /** Whether the test reads the packet's source address (else its destination). */
    readonly src: boolean;
    /** The test's answers (shared by every cut that names the same test); null: not an address test. */
    readonly answers: CondAnswers | null;
    readonly kind: string;
    readonly id: string;
  }
  /**
   * A test's answers: per pod class (0 not asked yet, 1 false, 2 true; every pod of a class answers every CIDR and
   * set the rules read alike, which is what makes it a class), and per address for ends that are not pods.
   */
  interface CondAnswers {
    readonly byIp: Map<string, boolean>;
    byClass: Uint8Array | null;
    /** The test itself (predTest), found when first asked. */
    test: PredTest | null;
  }
  interface Cut {
    readonly side: string;
    readonly proto: string;
    readonly n: number;
    /** A single port's match: it cuts at n and n + 1, and not at all for a pair whose classes leave n out (portClassesOf). */
    readonly point: boolean;
    readonly conds: readonly Cond[];
  }
  // By test, then address: asked for every pair's cuts.
  const condMemo = new Map<string, CondAnswers>();
  const parsedCuts = new Map<string, Cut>();
  const parseCut = (text: string): Cut => {
    let c = parsedCuts.get(text);
    if (!c) {
      const [head = "", tail] = text.split("|");
      const [side = "", proto = "", n = ""] = head.split(":");
      const conds = (tail ? tail.split(";") : []).map((x): Cond => {
        const neg = x.startsWith("!");
        const body = neg ? x.slice(1) : x;
        const i = body.indexOf(":");
        const j = body.indexOf(":", i + 1);
        const kind = body.slice(0, i);
        const id = body.slice(j + 1);
        let answers: CondAnswers | null = null;
        if (kind === "c" || kind === "s") {
          answers = condMemo.get(kind + id) ?? null;
          if (answers === null) condMemo.set(kind + id, (answers = { byIp: new Map(), byClass: null, test: null }));
        }
        return { neg, src: body.slice(i + 1, j) === "s", answers, kind, id };
      });
      const point = n.endsWith("p");
      parsedCuts.set(text, (c = { side, proto, n: Number(point ? n.slice(0, -1) : n), point, conds }));
    }
    return c;
  };
  /**
   * The per-address memos (an address test's answers, a content's projections) grow with contents × addresses: at
   * 50k pods, past the heap. They are pure, so once they hold MEMO_BUDGET answers they are emptied and refilled as
   * asked (a medium cluster never reaches it). Answers per pod class are bounded by tests × classes and kept.
   */
  let memoSpent = 0;
  const spend = (): void => {
    if (++memoSpent < memoBudget) return;
    memoSpent = 0;
    for (const m of condMemo.values()) m.byIp.clear();
    projections.clear();
    classProjections.clear();
  };
  const condHolds = (c: Cond, ip: string): boolean => {
    const n = ipv4(ip);
    if (n === null) return true;
    const t = (c.answers!.test ??= predTest(`${c.kind}:${c.id}`));
    if ("range" in t) return n >= t.range[0] && n <= t.range[1];
    // An unknown set or an undecidable member (or a CIDR the rules do not read): the cut is kept.
    return "set" in t ? holds(t.set, n) !== "0" : true;
  };
  /**
   * The test's answer for an end: `at`, the end's pod class (-1: not a pod), else its address. Asked for every cut
   * of every pair: an array read per class, where a map keyed by address grew to millions of entries at 50k pods
   * and each lookup missed the processor's caches.
   */
  const holdsAddress = (c: Cond, ip: string, at: number): boolean => {
    const a = c.answers!;
    if (at >= 0) {
      const by = (a.byClass ??= new Uint8Array(classes.length));
      const known = by[at]!;
      if (known !== 0) return known === 2;
      const v = condHolds(c, ip);
      by[at] = v ? 2 : 1;
      return v;
    }
    let v = a.byIp.get(ip);
    if (v === undefined) {
      spend();
      a.byIp.set(ip, (v = condHolds(c, ip)));
    }
    return v;
  };
  /** A cut set parsed once (a class's cuts are read for every pair it is in). */
  const parsedSets = new Map<Cuts, readonly Cut[]>();
  const parsedOf = (cuts: Cuts): readonly Cut[] => {
    let got = parsedSets.get(cuts);
    if (!got) parsedSets.set(cuts, (got = [...cuts].map(parseCut)));
    return got;
  };
  /** A cut set's cuts on one protocol, by side: read for every pair its class is in, so split once. */
  interface SideLists {
    readonly D: readonly Cut[];
    readonly S: readonly Cut[];
    readonly N: readonly Cut[];
  }
  // By cut set, then protocol (its place in ALL_PROTOCOLS).
  const sideLists = new Map<Cuts, Array<SideLists | undefined>>();
  const sidesOf = (cuts: Cuts, protocol: Protocol): SideLists => {
    let byProto = sideLists.get(cuts);
    if (!byProto) sideLists.set(cuts, (byProto = []));
    const i = ALL_PROTOCOLS.indexOf(protocol);
    let got = byProto[i];
    if (!got) {
      const on = parsedOf(cuts).filter((c) => c.proto === "*" || c.proto === protocol);
      byProto[i] = got = { D: on.filter((c) => c.side === "D"), S: on.filter((c) => c.side === "S"), N: on.filter((c) => c.side === "N") };
    }
    return got;
  };
  /** Whether a packet of the flow (src → dst; the reply for source-port cuts) can pass the cut's rule's address tests. */
  const applies = (cut: Cut, src: string, dst: string, srcAt: number, dstAt: number): boolean => {
    const reply = cut.side === "S";
    for (const c of cut.conds) {
      if (c.answers === null) continue;
      const hit = c.src !== reply ? holdsAddress(c, src, srcAt) : holdsAddress(c, dst, dstAt);
      if (hit === c.neg) return false;
    }
    return true;
  };

  /**
   * The ports the pair's policy rules name, per protocol: cut at each port of a policy rule whose peers take in the
   * other end (named ports resolved on the destination). Once per pair, for all its protocols; a side the evaluator
   * judged by its rules (`sides`: not exempt) gives them, matched already.
   */
  const policyPortsOf = (src: FlowEndpoint, dst: FlowEndpoint, sides: FlowSides): Map<Protocol, PairCuts> => {
    const out = new Map<Protocol, PairCuts>();
    // A single port is a point (Cut.point), a range its start and end + 1.
    const put = (protocol: Protocol, from: number, next: number): void => {
      let got = out.get(protocol);
      if (!got) out.set(protocol, (got = { at: [], points: [] }));
      if (next === from + 1) got.points.push(from);
      else got.at.push(from, next);
    };
    const srcPod = src.kind === "pod" ? src.pod : null;
    const dstPod = dst.kind === "pod" ? dst.pod : null;
    const ports = (rule: PolicyRule): void => {
      if (rule.ports.kind !== "ports") return;
      for (const e of rule.ports.ports) {
        if (e.port.kind === "number") put(e.protocol, e.port.port, (e.port.endPort ?? e.port.port) + 1);
        else if (e.port.kind === "named" && dstPod) for (const p of resolveNamedPort(dstPod, e.port.name, e.protocol)) put(e.protocol, p, p + 1);
      }
    };
    const side = (pod: Pod | null, dir: "egress" | "ingress", remote: FlowEndpoint, judged: Side): void => {
      if (!pod) return;
      if (judged.exempt === null) {
        for (const { rule } of judged.peered) ports(rule);
        return;
      }
      for (const pol of evaluator.applying(pod, dir)) for (const rule of pol[dir]) if (rule.ports.kind === "ports" && evaluator.peersMatch(pol, rule, remote)) ports(rule);
    };
    side(srcPod, "egress", dst, sides.egress);
    side(dstPod, "ingress", src, sides.ingress);
    return out;
  };

  /**
   * A pod class's cuts in one role (the flow's source or its destination) on one protocol, its own end's address
   * tests answered (every pod of a class answers them alike): the ports cut whatever the other end (`fixed`), and the
   * cuts that still hang on the other end's address (`open`, with only those tests left). As the source, the class
   * also takes the common cuts (the nodes' forward rules), their source tests answered the same way.
   */
  interface RoleCuts {
    readonly fixed: readonly number[];
    /** Single ports cut whatever the other end (Cut.point): each cuts at it and after it unless the pair leaves it out. */
    readonly fixedPoints: readonly number[];
    /** Grouped by their tests: a port match cuts at its port and after it, and a rule's ports share its address tests. */
    readonly open: ReadonlyArray<{ readonly ns: readonly number[]; readonly points: readonly number[]; readonly other: readonly Cond[] }>;
  }
  // By class id, then protocol and role (ALL_PROTOCOLS index × 2, + 1 as the destination).
  const roleCuts: Array<Array<RoleCuts | undefined> | undefined> = [];
  const roleCutsOf = (c: PodClass, protocol: Protocol, asSource: boolean): RoleCuts => {
    const byKey = (roleCuts[c.id] ??= []);
    const k = ALL_PROTOCOLS.indexOf(protocol) * 2 + (asSource ? 0 : 1);
    let got = byKey[k];
    if (got !== undefined) return got;
    const own = sidesOf(asSource ? c.inCuts : c.outCuts, protocol);
    const reply = sidesOf(asSource ? c.outCuts : c.inCuts, protocol);
    // What take() reads for the role: the rules the flow meets (-i rules for the source, -o for the destination) on
    // the destination port and nat's, the reply's on its source port; and as the source, the common cuts whole.
    const lists: Array<readonly Cut[]> = [own.D, own.N, reply.S];
    if (asSource && commonCuts.size > 0) {
      const common = sidesOf(commonCuts, protocol);
      lists.push(common.D, common.S, common.N);
    }
    const ip = podIPv4(c.pods[0]!)!;
    const fixed: number[] = [];
    const fixedPoints: number[] = [];
    const open: Array<{ readonly ns: number[]; readonly points: number[]; readonly other: readonly Cond[] }> = [];
    const openBy = new Map<string, { readonly ns: number[]; readonly points: number[]; readonly other: readonly Cond[] }>();
    for (const list of lists) {
      for (const cut of list) {
        const replyCut = cut.side === "S";
        const other: Cond[] = [];
        let holds = true;
        for (const cond of cut.conds) {
          if (cond.answers === null) continue;
          // applies(): a test reads the packet's source when `src` differs from `reply`; the flow's source is this class's own end as the source.
          const readsFlowSource = cond.src !== replyCut;
          if (readsFlowSource !== asSource) other.push(cond);
          else if (holdsAddress(cond, ip, c.id) === cond.neg) {
            holds = false;
            break;
          }
        }
        if (!holds) continue;
        if (other.length === 0) {
          (cut.point ? fixedPoints : fixed).push(cut.n);
          continue;
        }
        // Every test left reads the other end, and answers by what it tests (its answers are shared: condMemo).
        const key = other.map((x) => `${x.neg ? "!" : ""}${x.kind}:${x.id}`).join(";");
        let group = openBy.get(key);
        if (!group) {
          group = { ns: [], points: [], other };
          openBy.set(key, group);
          open.push(group);
        }
        (cut.point ? group.points : group.ns).push(cut.n);
      }
    }
    byKey[k] = got = { fixed, fixedPoints, open };
    return got;
  };
  /** Adds the role's cuts that hold for the other end (`ip`, its class `at`) to `to`, its single ports to `points`. */
  const addRole = (role: RoleCuts, ip: string, at: number, to: number[], points: number[]): void => {
    for (const n of role.fixed) to.push(n);
    for (const n of role.fixedPoints) points.push(n);
    for (const o of role.open) {
      let holds = true;
      for (const cond of o.other) {
        if (holdsAddress(cond, ip, at) === cond.neg) {
          holds = false;
          break;
        }
      }
      if (holds) {
        for (const n of o.ns) to.push(n);
        for (const n of o.points) points.push(n);
      }
    }
  };

  /**
   * The port cuts of a pair of endpoints, per protocol: at each port a rule reads that packets of the pair can reach
   * (cuts the rule's address tests rule out for this pair are left out), and at the ports of the pair's policy rules
   * (policyPortsOf). Ranges cut at their starts and ends (`ranges`: the ranges between those cuts); single ports
   * (`points`: sorted, each once) are each a class of its own, and the rest of the range they are in is one class
   * (pairPorts): a single port's rule tells that port from every other and no other port from another. A single port
   * the pair's classes leave out (`skipped`: sorted; a NodePort of a host end, Felix's VXLAN port from a pod) is no
   * class at all.
   */
  const portClassesOf = (
    sip: string, dip: string, srcClass: PodClass | null, dstClass: PodClass | null, hostCuts: Cuts, protocol: Protocol, policyPorts: PairCuts | undefined,
    skipped: readonly number[],
  ): { readonly ranges: readonly PortRange[]; readonly points: readonly number[] } => {
    const srcAt = srcClass?.id ?? -1;
    const dstAt = dstClass?.id ?? -1;
    const at: number[] = policyPorts ? policyPorts.at.slice() : [];
    const points: number[] = policyPorts ? policyPorts.points.slice() : [];
    const add = (list: readonly Cut[]): void => {
      for (const cut of list) if (cut.conds.length === 0 || applies(cut, sip, dip, srcAt, dstAt)) (cut.point ? points : at).push(cut.n);
    };
    /** Cuts of `side` (D: the flow's destination port, nat's too; S: the reply's source port; null: both). */
    const take = (cuts: Cuts, side: "D" | "S" | null, nat: boolean): void => {
      if (cuts.size === 0) return;
      const l = sidesOf(cuts, protocol);
      if (side !== "S") add(l.D);
      if (side !== "D") add(l.S);
      if (nat && side !== "S") add(l.N);
    };
    // A pod end's cuts come per class, its own address tests answered once (roleCutsOf); the source's carry the common ones.
    if (srcClass !== null) addRole(roleCutsOf(srcClass, protocol, true), dip, dstAt, at, points);
    else take(commonCuts, null, true);
    // A node's own rules: its nat ports are the Services' (NodePorts), which the service probes check; they do not cut.
    take(hostCuts, null, false);
    // The flow reaches dst (its -o rules read the destination port); the reply leaves it (its -i rules, the source port).
    if (dstClass !== null) addRole(roleCutsOf(dstClass, protocol, false), sip, srcAt, at, points);
    return { ranges: rangesBetween(at), points: pointsOutside(points, skipped) };
  };

  // ---- Flow keys: what decides a flow, hop by hop, so that flows of different endpoint classes share a walk.
  //
  // A hop's outcome is decided by the rules it meets — its node's rules apart from dispatch (pruned when neither
  // address is the node's own), and the dispatch views of its in and out interfaces — and by what those rules
  // can read of the packet: its addresses' answers to the address tests met, its ports' places among the port
  // cuts met, protocol, state, and whether its source owns its in-interface (rpfilter). Two flows whose every
  // hop, forward and reply, agrees so, and on which the evaluator agrees, are decided alike: one walk for both.
  /** An address test of a hop, resolved once: a CIDR's range, a set's content, or no answer (`?`, `-`). */
  type PredTest = ({ readonly range: readonly [number, number] } | { readonly set: string } | { readonly none: "?" | "-" }) & {
    /** Per pod class, its answer's code (podCode; 0: not asked yet), and the answers' codes: one object per test text. */
    podCodes?: Uint8Array;
    answerCodes?: Map<string, number>;
    /** Whether endpoint pods answer it differently (podVarying), found once per test. */
    varies?: boolean;
  };
  const predTests = new Map<string, PredTest>();
  const predTest = (pred: string): PredTest => {
    let t = predTests.get(pred);
    if (t === undefined) {
      if (pred.startsWith("c:")) {
        const range = readRange(pred.slice(2));
        t = range ? { range } : { none: "?" };
      } else {
        const set = contentById.get(pred.slice(2));
        t = set === undefined ? { none: "-" } : { set };
      }
      predTests.set(pred, t);
    }
    return t;
  };
  interface HopContent {
    readonly key: string;
    readonly preds: readonly string[];
    readonly tests: readonly PredTest[];
    /** The tests endpoint pods do not all answer alike (by place in `tests`): a pod's projection reads these only. */
    readonly podVarying: readonly number[];
    readonly cuts: ReadonlyMap<string, readonly number[]>;
    /**
     * Its prefixes' walks, by the two addresses' answers (interned strings or numbers), then rpfilter's view (none,
     * own, other): kept on the content, which a hop's key reads anyway (a map by content was one more lookup per hop
     * of every pair).
     */
    readonly prefixes: Map<string | number, Map<string | number, [Results?, Results?, Results?]>>;
  }
  const contents = new Map<string, HopContent>();
  // Asked per hop of every pair of endpoint classes, found by what makes a content (buildContent's key) as numbers:
  // its node's rules (canon ids, pruned and full), the path's kind, and per interface the canon id of its dispatch
  // view, or, with no view, an id of its name (negative). Keyed by interface names instead, a same-node pair's
  // hop was a new entry per pair (millions at 50k pods) for one of a few thousand contents.
  interface NodeKeys {
    readonly data: NodeData;
    readonly pruned: number;
    readonly full: number;
    /** Per interface: its in and out views' ids. */
    readonly ifaces: Map<string, readonly [number, number]>;
  }
  const nodeKeys = new Map<string, NodeKeys | null>();
  const ifaceNames = new Map<string, number>();
  const nameId = (iface: string): number => {
    let id = ifaceNames.get(iface);
    if (id === undefined) ifaceNames.set(iface, (id = -1 - ifaceNames.size));
    return id;
  };
  const viewIds = (nd: NodeData, keys: NodeKeys, iface: string): readonly [number, number] => {
    let ids = keys.ifaces.get(iface);
    if (ids === undefined) {
      const v = nd.views.get(iface);
      keys.ifaces.set(iface, (ids = [v?.in ? canonId(v.in) : nameId(iface), v?.out ? canonId(v.out) : nameId(iface)]));
    }
    return ids;
  };
  const PATH_KINDS: readonly HookPath["kind"][] = ["input", "forward", "output"];
  const hopContents = new Map<number, Map<number, Map<number, HopContent | null>>>();
  const keysOf = (node: string): NodeKeys | null => {
    let keys = nodeKeys.get(node);
    if (keys === undefined) {
      const d = nodeData.get(node);
      nodeKeys.set(node, (keys = d ? { data: d, pruned: canonId(d.pruned), full: canonId(d.full), ifaces: new Map() } : null));
    }
    return keys;
  };
  const contentOfHop = (node: string, path: HookPath, local: boolean): HopContent | null => {
    const keys = keysOf(node);
    if (keys === null) return null;
    const nd = keys.data;
    const inId = path.kind === "output" ? 0 : viewIds(nd, keys, path.inIface)[0];
    const outId = path.kind === "input" ? 0 : viewIds(nd, keys, path.outIface)[1];
    return contentWith(keys, node, path, local, inId, outId);
  };
  /** contentOfHop with the node's keys and the interfaces' view ids found. */
  const contentWith = (keys: NodeKeys, node: string, path: HookPath, local: boolean, inId: number, outId: number): HopContent | null => {
    const first = (local ? keys.full : keys.pruned) * PATH_KINDS.length + PATH_KINDS.indexOf(path.kind);
    let byIn = hopContents.get(first);
    if (!byIn) hopContents.set(first, (byIn = new Map()));
    let byOut = byIn.get(inId);
    if (!byOut) byIn.set(inId, (byOut = new Map()));
    let got = byOut.get(outId);
    if (got === undefined) byOut.set(outId, (got = buildContent(node, path, local)));
    return got;
  };
  /** A canon's cut ports per protocol (sorted, unique; a cut of every protocol in each), found once per canon. */
  const canonPorts = new Map<Canon, ReadonlyMap<string, readonly number[]>>();
  const portsOfCanon = (c: Canon): ReadonlyMap<string, readonly number[]> => {
    let got = canonPorts.get(c);
    if (got === undefined) {
      const byProto = new Map<string, number[]>();
      for (const cut of c.cuts) {
        const { proto, n, point } = parseCut(cut);
        for (const p of proto === "*" ? ALL_PROTOCOLS : [proto]) {
          let list = byProto.get(p);
          if (!list) byProto.set(p, (list = []));
          list.push(n);
          if (point) list.push(n + 1);
        }
      }
      const sorted = new Map<string, readonly number[]>();
      for (const [p, list] of byProto) sorted.set(p, [...new Set(list)].sort((a, b) => a - b));
      canonPorts.set(c, (got = sorted));
    }
    return got;
  };
  const buildContent = (node: string, path: HookPath, local: boolean): HopContent | null => {
    const nd = nodeData.get(node);
    if (!nd) return null;
    const inIface = path.kind === "output" ? null : path.inIface;
    const outIface = path.kind === "input" ? null : path.outIface;
    const inView = inIface === null ? null : nd.views.get(inIface)?.in ?? null;
    const outView = outIface === null ? null : nd.views.get(outIface)?.out ?? null;
    const base = local ? nd.full : nd.pruned;
    const key = `${canonId(base)}|${path.kind}|${inView ? canonId(inView) : `if:${inIface}`}|${outView ? canonId(outView) : `if:${outIface}`}`;
    let c = contents.get(key);
    if (!c) {
      const preds = new Set<string>([...base.preds, ...(inView?.preds ?? []), ...(outView?.preds ?? [])]);
      // Every cut, whatever its rule's address tests: a hop's key places the port among all its rules read. A node's
      // rules are the base of many contents (one per pair of views met): each canon's ports are found once.
      const cuts = new Map<string, readonly number[]>();
      const parts = [portsOfCanon(base), inView ? portsOfCanon(inView) : null, outView ? portsOfCanon(outView) : null];
      for (const p of ALL_PROTOCOLS) {
        const lists: Array<readonly number[]> = [];
        for (const x of parts) {
          const l = x?.get(p);
          if (l !== undefined) lists.push(l);
        }
        if (lists.length > 0) cuts.set(p, lists.reduce(mergeSorted));
      }
      // Sorted for determinism.
      const sorted = [...preds].sort(byteCompare);
      const tests = sorted.map(predTest);
      const podVarying: number[] = [];
      // A test's answer per pod is its own (a range's pods are visited, thousands per test): found once per test.
      tests.forEach((t, i) => {
        if ((t.varies ??= "range" in t ? !podsAlike(t.range[0], t.range[1]) : "set" in t && (podConstant.get(t.set) ?? null) === null)) podVarying.push(i);
      });
      c = { key: digest64("sha1", key), preds: sorted, tests, podVarying, cuts, prefixes: new Map() };
      contents.set(key, c);
    }
    return c;
  };
  /** Whether every endpoint pod's address is in [lo, hi], or none is. */
  const podsAlike = (lo: number, hi: number): boolean => {
    let inside = 0;
    podsIn(lo, hi, () => void inside++);
    return inside === 0 || inside === pods.length;
  };
  const projections = new Map<HopContent, Map<string, string>>();
  /** A pod's projections, by its class: pods of a class answer every test alike (see projectPod). */
  const classProjections = new Map<HopContent, Map<number, string>>();
  // One string per distinct answer, kept as its digest: an answer has a character per test of its content (thousands
  // at scale), and contents × addresses answers are kept. An answer shorter than a digest (27 characters, so never
  // equal to one) is kept as it is: most contents hold a few tests, and a SHA-1 per answer cost more than the answer.
  const answers = new Map<string, string>();
  const project = (content: HopContent, ip: string): string => {
    let byIp = projections.get(content);
    if (!byIp) projections.set(content, (byIp = new Map()));
    let bits = byIp.get(ip);
    if (bits === undefined) {
      spend();
      const n = ipv4(ip);
      // Joined, not appended char by char: a `+=` chain is a tree of one cons cell per character until it is flattened.
      const parts: string[] = [];
      for (const t of content.tests) {
        if (n === null) parts.push("?");
        else if ("range" in t) parts.push(n >= t.range[0] && n <= t.range[1] ? "1" : "0");
        else if ("set" in t) parts.push(holds(t.set, n));
        else parts.push(t.none);
      }
      bits = internAnswer(parts.join(""));
      byIp.set(ip, bits);
    }
    return bits;
  };
  const internAnswer = (joined: string): string => {
    const text = joined.length < ANSWER_DIGEST_LENGTH ? joined : digest64("sha1", joined);
    let bits = answers.get(text);
    if (bits === undefined) answers.set(text, (bits = text));
    return bits;
  };
  /**
   * A pod's answer to a test as a code from 1 to 15 (its class's: pods of a class answer every test alike), or -1
   * when the test has given more distinct answers than a code holds.
   */
  const podCode = (t: PredTest, at: number, ip: string): number => {
    const by = (t.podCodes ??= new Uint8Array(classes.length));
    const known = by[at]!;
    if (known !== 0) return known === POD_CODE_OVER ? -1 : known;
    const n = ipv4(ip)!;
    let code: number;
    if ("range" in t) code = n >= t.range[0] && n <= t.range[1] ? 2 : 1;
    else if ("set" in t) {
      const answer = holds(t.set, n);
      const codes = (t.answerCodes ??= new Map());
      code = codes.get(answer) ?? codes.size + 1;
      if (code >= POD_CODE_OVER) code = POD_CODE_OVER;
      else codes.set(answer, code);
    } else code = 1;
    by[at] = code;
    return code === POD_CODE_OVER ? -1 : code;
  };
  /**
   * The projection of a pod of class `at`: its answers to the tests pods do not answer alike (the others are the
   * same for every pod). A number, the answers' codes in base 16, when there are at most 13 such tests; else a
   * text after a `p`, which no full projection (project) starts with. Two pods get one projection only if all
   * their answers are equal, as a key must; a content whose every test pods answer alike gives every pod 0.
   */
  const projectPod = (content: HopContent, ip: string, at: number): string | number => {
    const varying = content.podVarying;
    if (varying.length <= podCodes) {
      let key = 0;
      for (let j = 0; j < varying.length; j++) {
        const code = podCode(content.tests[varying[j]!]!, at, ip);
        if (code < 0) return projectPodText(content, ip, at);
        key = key * 16 + code;
      }
      return key;
    }
    return projectPodText(content, ip, at);
  };
  const projectPodText = (content: HopContent, ip: string, at: number): string => {
    let byClass = classProjections.get(content);
    if (!byClass) classProjections.set(content, (byClass = new Map()));
    let bits = byClass.get(at);
    if (bits === undefined) {
      spend();
      const n = ipv4(ip)!;
      const parts: string[] = [POD_TEXT];
      for (const i of content.podVarying) {
        const t = content.tests[i]!;
        parts.push("range" in t ? (n >= t.range[0] && n <= t.range[1] ? "1" : "0") : "set" in t ? holds(t.set, n) : t.none);
      }
      bits = internAnswer(parts.join(""));
      byClass.set(at, bits);
    }
    return bits;
  };
  const placeIn = (list: readonly number[] | undefined, port: number): number => {
    if (!list) return 0;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! <= port) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** A hop's key but for the ports (computed once per pair of endpoints), and the port cuts its rules make. */
  /** What a hop's walk gave, by the rest of its key (protocol, port places, state, NAT flags: hopCode). */
  type Results = Map<number, HopResult>;
  interface HopPrefix {
    readonly hop: Hop;
    /** The walks of this prefix; a concrete hop (no content read) keeps its own, by its exact ports. */
    readonly results: Results;
    readonly cuts: ReadonlyMap<string, readonly number[]> | null;
  }
  // Prefixes are interned per content (HopContent.prefixes), by the two addresses' answers, then rpfilter's view: hop
  // results are looked up per port class with them. A local hop's content is its node's own (its full rules name the
  // node), so the node needs no place in the key.
  const concrete = new Map<string, Results>();
  /**
   * What a hop's key reads of the hop alone: its node, the content of its rules and views (by whether an end is one
   * of the node's own addresses) and the address that owns its in-interface (rpfilter). A pod end's own hop (the first
   * of a pod source, the last of a pod destination) towards or from a tunnel or an uplink is the same hop for every
   * pair the pod stands for, so it is found once per pod and interface and matched by its node and interfaces (each
   * lookup of the node, its interfaces and its content missed the processor's caches at 50k pods); a hop between two
   * workloads is one per pair and found afresh.
   */
  interface HopStatic {
    readonly node: string;
    readonly kind: HookPath["kind"];
    readonly inIface: string;
    readonly outIface: string;
    readonly info: NodeInfo | undefined;
    readonly rp: string | undefined;
    /** contentOfHop without and with a local end, found when first asked (null: no content). */
    readonly contents: [HopContent | null | undefined, HopContent | null | undefined];
  }
  const END_HOPS_MAX = 8;
  const endHops = new Map<Pod, HopStatic[]>();
  const hopStatic = (hop: Hop, end: Pod | null): HopStatic => {
    const p = hop.path;
    const inIface = p.kind === "output" ? "" : p.inIface;
    const outIface = p.kind === "input" ? "" : p.outIface;
    let list = end === null ? undefined : endHops.get(end);
    if (list !== undefined) for (const s of list) if (s.outIface === outIface && s.inIface === inIface && s.kind === p.kind && s.node === hop.node) return s;
    const info = topo.nodes.get(hop.node);
    const s: HopStatic = { node: hop.node, kind: p.kind, inIface, outIface, info, rp: info?.localIfaces.get(inIface), contents: [undefined, undefined] };
    if (end !== null && !(info !== undefined && info.localIfaces.has(inIface) && info.localIfaces.has(outIface))) {
      if (list === undefined) endHops.set(end, (list = []));
      if (list.length < END_HOPS_MAX) list.push(s);
    }
    return s;
  };
  /**
   * Per pod class: 1 when no pod of it has an address that is some node's own (then no hop is local for it), 2 when
   * one has (0: not yet known). A hop is local when an end's address is its node's own.
   */
  let nodeOwn: ReadonlySet<string> | null = null;
  let ownByClass: Uint8Array | null = null;
  const neverOwn = (at: number): boolean => {
    if (at < 0) return false;
    ownByClass ??= new Uint8Array(classes.length);
    let v = ownByClass[at]!;
    if (v === 0) {
      nodeOwn ??= new Set([...topo.nodes.values()].flatMap((i) => [...i.localAddresses]));
      const own = nodeOwn;
      v = ownByClass[at] = classes[at]!.pods.some((q) => own.has(podIPv4(q)!)) ? 2 : 1;
    }
    return v === 1;
  };
  /** `end`: the pod whose own hop this is (hopStatic), if any. */
  const hopPrefix = (hop: Hop, src: string, dst: string, srcAt = -1, dstAt = -1, end: Pod | null = null): HopPrefix => {
    const st = hopStatic(hop, end);
    const info = st.info;
    const local = info !== undefined && !(neverOwn(srcAt) && neverOwn(dstAt)) && (info.localAddresses.has(src) || info.localAddresses.has(dst));
    let content = st.contents[local ? 1 : 0];
    if (content === undefined) content = st.contents[local ? 1 : 0] = contentOfHop(hop.node, hop.path, local);
    if (!content) {
      const k = `${hop.node} ${JSON.stringify(hop.path)} ${src} ${dst}`;
      let results = concrete.get(k);
      if (!results) concrete.set(k, (results = new Map()));
      return { hop, results, cuts: null };
    }
    return prefixIn(hop, content, st.rp, src, dst, srcAt, dstAt);
  };
  /** hopPrefix with the hop's content and the address owning its in-interface (rpfilter) found. */
  const prefixIn = (hop: Hop, content: HopContent, rp: string | undefined, src: string, dst: string, srcAt: number, dstAt: number): HopPrefix => {
    const rpf = rp === undefined ? 0 : rp === src ? 1 : 2;
    const bySrc = content.prefixes;
    const ps = srcAt >= 0 ? projectPod(content, src, srcAt) : project(content, src);
    let byDst = bySrc.get(ps);
    if (!byDst) bySrc.set(ps, (byDst = new Map()));
    const pd = dstAt >= 0 ? projectPod(content, dst, dstAt) : project(content, dst);
    let slots = byDst.get(pd);
    if (!slots) byDst.set(pd, (slots = []));
    let results = slots[rpf];
    if (results === undefined) slots[rpf] = results = new Map();
    return { hop, results, cuts: content.cuts };
  };
  /**
   * The rest of a hop's key as one number: protocol, the ports' places among the hop's cuts (a concrete hop: the
   * ports themselves), conntrack state and the NAT flags the packet enters with. Every part is below its factor
   * (places and ports ≤ 65,536), so two keys are one number only if they agree on every part.
   */
  const hopCode = (h: HopPrefix, protocol: Protocol, sport: number, dport: number, state: CtState, dnat: boolean, snat: boolean): number => {
    const cuts = h.cuts?.get(protocol);
    const d = h.cuts === null ? dport : placeIn(cuts, dport);
    const sp = h.cuts === null ? sport : placeIn(cuts, sport);
    return ((((ALL_PROTOCOLS.indexOf(protocol) * 65537 + d) * 65537 + sp) * CT_STATES.length + CT_STATES.indexOf(state)) * 2 + (dnat ? 1 : 0)) * 2 + (snat ? 1 : 0);
  };

  // Hop results by key: what one walk of a hop gave, for every packet of that key.
  interface HopResult {
    readonly outcomes: ReadonlyArray<{ readonly verdict: string; readonly unknown: boolean; readonly dnat: boolean; readonly snat: boolean }>;
    /** An accepted packet left with other addresses or ports (NAT): the next hop is not this key's to decide. */
    readonly rewrites: boolean;
  }
  // Hop results by what they say: a few distinct ones (an ACCEPT, a DROP, …) stand for every hop key walked, of
  // which a 50k-pod cluster keeps millions; each key holds the shared object, not a copy.
  const resultTexts = new Map<string, HopResult>();
  const internResult = (outcomes: HopResult["outcomes"], rewrites: boolean): HopResult => {
    let text = rewrites ? "r" : "-";
    for (const o of outcomes) text += `|${o.verdict} ${o.unknown ? 1 : 0}${o.dnat ? 1 : 0}${o.snat ? 1 : 0}`;
    let r = resultTexts.get(text);
    if (r === undefined) resultTexts.set(text, (r = { outcomes, rewrites }));
    return r;
  };
  const hosts = new Map<string, HostContext>();
  const runHop = (hop: Hop, results: Results, key: number, of: PortFlowClass, reply: boolean, flags: { dnat: boolean; snat: boolean }, simulate: Simulate): HopResult => {
    let r = results.get(key);
    if (!r) {
      // The packet is made only here: most keys were walked before.
      const packet: Packet = { ...of.packet(reply), ...flags };
      const nr = rules.get(hop.node);
      const info = topo.nodes.get(hop.node);
      if (!nr || !info) r = { outcomes: [{ verdict: "UNKNOWN", unknown: true, dnat: false, snat: false }], rewrites: false };
      else {
        let host = hosts.get(hop.node);
        if (!host) hosts.set(hop.node, (host = hostContext(info, nr)));
        // Only verdicts and packets are kept here (a failing class is walked again, traced, for its report).
        const outs = simulate(nr.ruleset, hop.path, packet, host, undefined, false);
        const same = (q: Packet): boolean =>
          q.src === packet.src && q.dst === packet.dst && q.srcPort === packet.srcPort && q.dstPort === packet.dstPort && q.protocol === packet.protocol;
        r = internResult(
          outs.map((o) => ({ verdict: o.verdict, unknown: o.verdict === "UNKNOWN" || o.unknown !== null, dnat: o.packet.dnat, snat: o.packet.snat })),
          outs.some((o) => o.verdict === "ACCEPT" && !same(o.packet)),
        );
      }
      results.set(key, r);
    }
    return r;
  };
  /**
   * check.ts's walk over hop results: true = every hop's every outcome accepted; false = dropped; null = unknown;
   * "concrete" when a hop rewrote the packet (the walk must be done for real). `nat`: per node, the conntrack
   * NAT status the forward walk left there (a reply enters with it).
   */
  type NatFlags = { readonly dnat: boolean; readonly snat: boolean };
  const NO_NAT: NatFlags = { dnat: false, snat: false };
  // What the last compose left on each node (the reply's `nat`): kept here, not in an object per flow class.
  let composedNat: Map<string, NatFlags> | null = null;
  const compose = (
    routed: Routed, prefixes: readonly HopPrefix[], of: PortFlowClass, reply: boolean, protocol: Protocol, simulate: Simulate, nat: ReadonlyMap<string, NatFlags> | null,
  ): boolean | null | "concrete" => {
    // probePacket's ports and state, or replyPacket's.
    const srcPort = reply ? of.port : PROBE_SOURCE_PORT;
    const dstPort = reply ? PROBE_SOURCE_PORT : of.port;
    const state: CtState = reply ? "ESTABLISHED" : "NEW";
    // Only a node whose accepted packet left with a NAT flag is kept (absent: none), so most flows make no map.
    let left: Map<string, NatFlags> | null = null;
    let walked = 0;
    let unknown = false;
    let allAccepted = true;
    let any = false;
    for (const h of prefixes) {
      const flags = nat?.get(h.hop.node) ?? NO_NAT;
      const key = hopCode(h, protocol, srcPort, dstPort, state, flags.dnat, flags.snat);
      const r = runHop(h.hop, h.results, key, of, reply, flags, simulate);
      if (r.rewrites) {
        composedNat = left;
        return "concrete";
      }
      walked++;
      let stop = false;
      let acc: HopResult["outcomes"][number] | null = null;
      for (const o of r.outcomes) {
        any = true;
        if (o.unknown) unknown = true;
        if (o.verdict !== "ACCEPT") {
          allAccepted = false;
          stop = true;
        } else acc ??= o;
      }
      if (acc && (acc.dnat || acc.snat)) (left ??= new Map()).set(h.hop.node, { dnat: acc.dnat, snat: acc.snat });
      else if (acc) left?.delete(h.hop.node);
      if (stop) break;
    }
    composedNat = left;
    if (unknown) return null;
    if (routed.fate.kind === "dropped") return false;
    if (!any) return null;
    return walked === prefixes.length && allAccepted;
  };


  // One text per class (the classes are complete here): a pair's flow classes share it, and verify keys by it.
  const podTexts: Array<string | undefined> = [];
  const podText = (c: PodClass): string => {
    let text = podTexts[c.id];
    if (text === undefined) {
      const p = c.pods[0]!;
      const name = `${p.namespace}/${p.name}`;
      text = c.pods.length === 1 ? name : `${name} and ${c.pods.length - 1} pod${c.pods.length === 2 ? "" : "s"} like it`;
      podTexts[c.id] = text;
    }
    return text;
  };
  const inOnly = (node: string): boolean => onlyNodes === null || onlyNodes.has(node);

  /**
   * The flows of one pair of endpoints standing for `pairs` pairs, per protocol and port class: each keyed by
   * its hops and its verdict, walked when its key is new, else decided from the walk of that key; each emitted.
   * `hostCuts`: the cuts of the node whose own address is an end; with `toHost`, that node's nat ports
   * (its NodePorts) are left out of every class: the service probes check them.
   */
  const natSkips = new Map<Cuts, Map<string, number[]>>();
  // The ports left out of every class, sorted, by what decides them: a pod source (Felix's VXLAN port), the host's nat
  // ports, the protocol. Asked per pair, built once.
  const skipLists = new Map<Cuts | null, Map<string, readonly number[]>>();
  // The lists without a host's nat ports (every pair but those towards a host), by source kind and protocol number.
  const skipsOfNoHost: Array<readonly number[] | undefined> = [];
  const skippedOf = (fromPod: boolean, protocol: Protocol, hostCuts: Cuts | null): readonly number[] => {
    if (hostCuts === null) {
      const at = ALL_PROTOCOLS.indexOf(protocol) * 2 + (fromPod ? 1 : 0);
      return (skipsOfNoHost[at] ??= skipped(fromPod, protocol, null));
    }
    return skipped(fromPod, protocol, hostCuts);
  };
  const skipped = (fromPod: boolean, protocol: Protocol, hostCuts: Cuts | null): readonly number[] => {
    let byKey = skipLists.get(hostCuts);
    if (!byKey) skipLists.set(hostCuts, (byKey = new Map()));
    const k = `${fromPod ? "pod" : "ip"}:${protocol}`;
    let got = byKey.get(k);
    if (got === undefined) {
      const skip = new Set<number>();
      // Felix drops UDP 4789 from every workload whatever the policy: a Felix invariant (invariants.ts), not a flow.
      if (fromPod && protocol === "UDP") skip.add(FELIX_VXLAN_PORT);
      if (hostCuts !== null) {
        // A nat port match cuts at the port and after it: the port itself is the Service's (a range: its ports).
        let byProto = natSkips.get(hostCuts);
        if (!byProto) natSkips.set(hostCuts, (byProto = new Map()));
        let ports = byProto.get(protocol);
        if (!ports) byProto.set(protocol, (ports = natPorts(parsedOf(hostCuts).filter((c) => c.side === "N" && (c.proto === "*" || c.proto === protocol)))));
        for (const n of ports) skip.add(n);
      }
      byKey.set(k, (got = skip.size === 0 ? NO_PORTS : Array.from(Float64Array.from([...skip]).sort())));
    }
    return got;
  };

  /** A pair's port classes on one protocol, and the policies' verdict at each (computed on first use). */
  interface ProtocolPorts {
    readonly protocol: Protocol;
    /** The pair's sides as the evaluator judges them (the same for every protocol). */
    readonly sides: FlowSides;
    readonly classes: readonly PortClass[];
    allowed: readonly boolean[] | null;
  }
  /**
   * The port classes of a pair of endpoints, per protocol. They follow from what the policies and the rules can tell
   * of the two ends (their classes), not from where the ends are: the same-node and the cross-node pair of two pod
   * classes share them.
   */
  const sidesIn = evaluator.sidesIn(classes.length);
  /** An end with its address, its place left to the route walk to find (the pairs of a class with an address or a host). */
  /**
   * The end of a pod or an address that outside and host pairs speak through, with its place (where()), made once:
   * each is asked for every class and host, and a known place spares hopsFor its lookups per pair.
   */
  const placedEnds = new Map<Pod | string, End>();
  const placedPod = (pod: Pod): End => {
    let e = placedEnds.get(pod);
    if (e === undefined) placedEnds.set(pod, (e = podEnd(pod)));
    return e;
  };
  const placedIp = (ip: string): End => {
    let e = placedEnds.get(ip);
    if (e === undefined) {
      const ep: FlowEndpoint = { kind: "ip", ip };
      placedEnds.set(ip, (e = { ep, ip, place: where(topo, ep) }));
    }
    return e;
  };
  /** A pod end: its endpoint, address and place, found once for every pair it speaks for (podPairs keeps it). */
  const podEnd = (pod: Pod): End => {
    const ep: FlowEndpoint = { kind: "pod", pod };
    return { ep, ip: podIPv4(pod)!, place: where(topo, ep) };
  };
  const pairPorts = (srcEnd: End, dstEnd: End, srcAt: number, dstAt: number, hostCuts: Cuts, toHost: boolean): ProtocolPorts[] => {
    // The ends' addresses and classes (`srcAt`, `dstAt`: a pod end's class id, -1 for an address), found once for every protocol.
    const src = srcEnd.ep;
    const dst = dstEnd.ep;
    const sip = srcEnd.ip;
    const dip = dstEnd.ip;
    const srcClass = srcAt >= 0 ? classes[srcAt]! : null;
    const dstClass = dstAt >= 0 ? classes[dstAt]! : null;
    // A class's key holds its pods' signature: the evaluator asks a rule's peers once per class (Evaluator.sidesIn).
    const sides = sidesIn({ src, dst, protocol: "TCP", port: 0 }, srcClass?.id ?? -1, dstClass?.id ?? -1);
    const policyPorts = policyPortsOf(src, dst, sides);
    const out: ProtocolPorts[] = [];
    // Indexed loops: the pair loop's hottest allocations were iterator results.
    for (let k = 0; k < protocols.length; k++) {
      const protocol = protocols[k]!;
      const skipped = skippedOf(src.kind === "pod", protocol, toHost ? hostCuts : null);
      const classes: Array<ProtocolPorts["classes"][number]> = [];
      const { ranges, points } = portClassesOf(sip, dip, srcClass, dstClass, hostCuts, protocol, policyPorts.get(protocol), skipped);
      let pi = 0;
      for (let ri = 0; ri < ranges.length; ri++) {
        const r = ranges[ri]!;
        const lo = placeIn(skipped, r.from - 1);
        const hi = placeIn(skipped, r.to);
        const first = pi;
        while (pi < points.length && points[pi]! <= r.to) pi++;
        // The range but its single ports (each a class, after it) and the ports left out: sorted, each once (a point is never skipped).
        const skip = hi === lo ? NO_PORTS : skipped.slice(lo, hi);
        const out = first === pi ? skip : mergeSorted(skip, points.slice(first, pi));
        const size = r.to - r.from + 1 - out.length;
        if (size > 0) {
          // The first port of the range that is not left out (`out` is sorted).
          let port = r.from;
          for (let i = 0; i < out.length; i++) if (out[i] === port) port++;
          classes.push({ r, out, skip, size, port });
        }
        for (let i = first; i < pi; i++) classes.push({ r: { from: points[i]!, to: points[i]! }, out: NO_PORTS, skip: NO_PORTS, size: 1, port: points[i]! });
      }
      out.push({ protocol, sides, classes, allowed: null });
    }
    return out;
  };

  /** The hop prefixes of a route: its first hop is the source pod's own, its last the destination pod's (hopStatic). */
  /**
   * A pod end's interface as its node's keys read it (NodeKeys, its in and out views' ids, the address rpfilter owns
   * it by), found once per end: a pair of pods on one node walks one hop between their two interfaces, which is
   * new for every pair, and finding its content from the node and interface names took a dozen map lookups a pair.
   */
  interface IfaceKeys {
    readonly keys: NodeKeys;
    readonly info: NodeInfo;
    readonly inId: number;
    readonly outId: number;
    readonly rp: string | undefined;
  }
  const ifaceKeysOf = (e: End): IfaceKeys | null => {
    let k = e.iface as IfaceKeys | null | undefined;
    if (k === undefined) {
      const place = e.place;
      const keys = place?.kind === "pod" ? keysOf(place.node) : null;
      const info = place?.kind === "pod" ? place.info : undefined;
      if (keys === null || info === undefined || place?.kind !== "pod") k = null;
      else {
        const [inId, outId] = viewIds(keys.data, keys, place.iface);
        k = { keys, info, inId, outId, rp: info.localIfaces.get(place.iface) };
      }
      e.iface = k;
    }
    return k;
  };
  /**
   * The prefixes of a route between two pods on one node (one hop, forward from the source's interface to the
   * destination's: hopsFor delivers it so only), from the two ends' IfaceKeys; null for any other route.
   */
  const sameNodePrefixes = (routed: Routed, from: End, to: End, srcAt: number, dstAt: number): HopPrefix[] | null => {
    if (routed.fate.kind !== "delivered" || routed.hops.length !== 1) return null;
    const hop = routed.hops[0]!;
    if (hop.path.kind !== "forward") return null;
    const a = ifaceKeysOf(from);
    const b = a === null ? null : ifaceKeysOf(to);
    if (a === null || b === null || a.info !== b.info || a.keys !== b.keys) return null;
    const src = from.ip;
    const dst = to.ip;
    const local = !(neverOwn(srcAt) && neverOwn(dstAt)) && (a.info.localAddresses.has(src) || a.info.localAddresses.has(dst));
    const content = contentWith(a.keys, hop.node, hop.path, local, a.inId, b.outId);
    if (content === null) return null;
    return [prefixIn(hop, content, a.rp, src, dst, srcAt, dstAt)];
  };
  const prefixesOf = (routed: Routed, src: string, dst: string, srcAt: number, dstAt: number, first: Pod | null, last: Pod | null): HopPrefix[] => {
    const hops = routed.hops;
    const out: HopPrefix[] = new Array<HopPrefix>(hops.length);
    for (let i = 0; i < hops.length; i++) out[i] = hopPrefix(hops[i]!, src, dst, srcAt, dstAt, i === 0 ? first : i === hops.length - 1 ? last : null);
    return out;
  };

  function portFlows(
    emit: Emit, from: End, to: End, pairs: number, srcText: string, dstText: string, srcEnd: number, dstEnd: number, hostCuts: Cuts, toHost = false,
    plan?: readonly ProtocolPorts[],
  ): void {
    const src = from.ep;
    const dst = to.ep;
    const sip = from.ip;
    const dip = to.ip;
    const srcPod = src.kind === "pod" ? src.pod : null;
    const probe: Flow = { src, dst, protocol: "TCP", port: 1 };
    // Both places known (two pod ends of podPairs): no lookup of either.
    const known = from.place !== undefined && to.place !== undefined;
    const routed = hopsFor(topo, probe, known ? { src: from.place!, dst: to.place!, dstIp: dip } : undefined);
    // A pod end's number is its class's id (ClassPlan.ends).
    const sat = src.kind === "pod" ? srcEnd : -1;
    const dat = dst.kind === "pod" ? dstEnd : -1;
    const dstPod = dst.kind === "pod" ? dst.pod : null;
    // Two pods on one node (class ids, known places): their hop's content from the ends' interfaces (sameNodePrefixes).
    const pods = known && sat >= 0 && dat >= 0;
    const fwdHops = routable(routed) ? ((pods ? sameNodePrefixes(routed, from, to, sat, dat) : null) ?? prefixesOf(routed, sip, dip, sat, dat, srcPod, dstPod)) : null;
    const nodes = (routed?.hops ?? []).map((h) => h.node);
    const inferred = routed?.inferred === true;
    const pair: PairOfEnds = { from: src, to: dst, src: srcText, dst: dstText, srcEnd, dstEnd, fromPod: srcPod !== null, nodes, inferred, order: pairOrder };
    // The reply's route and hops, found when a class first needs them: only an allowed flow's reply is walked (a few
    // in a hundred pairs), and routing it and keying its hops was a fifth of the pairs' time.
    let back: { readonly reply: Routed; readonly hops: readonly HopPrefix[] } | null | undefined;
    const backOf = (): { readonly reply: Routed; readonly hops: readonly HopPrefix[] } | null => {
      if (back === undefined) {
        const reply = hopsFor(topo, { src: dst, dst: src, protocol: "TCP", port: 1 }, known ? { src: to.place!, dst: from.place!, dstIp: sip } : undefined);
        back = routable(reply) ? { reply, hops: (pods ? sameNodePrefixes(reply, to, from, dat, sat) : null) ?? prefixesOf(reply, dip, sip, dat, sat, dstPod, srcPod) } : null;
      }
      return back;
    };
    for (const pp of plan ?? pairPorts(from, to, sat, dat, hostCuts, toHost)) {
      const { protocol, classes } = pp;
      const judged = simulate !== null && fwdHops !== null && routable(routed);
      // The policies' verdict at each class's port, the pair's peers matched once (and once for every pair sharing the plan).
      const allowed = judged ? (pp.allowed ??= evaluator.allowedAt({ src, dst, protocol, port: 0 }, classes.map((c) => c.port), pp.sides)) : [];
      for (let i = 0; i < classes.length; i++) {
        const c = classes[i]!;
        const rec = new PortFlowClass(pair, protocol, c.port, pairs * c.size, c);
        if (judged) {
          // Decided from hop results; a class that fails (or that NAT rewrites) is walked for real for its report.
          const expected = allowed[i]!;
          const actual = compose(routed, fwdHops, rec, false, protocol, simulate, null);
          if (actual !== "concrete" && actual === expected) {
            if (!(expected && actual === true)) rec.status = "ok";
            else {
              const nat = composedNat;
              const bk = backOf();
              const b = bk === null ? null : compose(bk.reply, bk.hops, rec, true, protocol, simulate, nat);
              if (b === true) {
                rec.status = "ok";
                rec.replied = true;
              }
            }
          }
        }
        emit(rec);
      }
    }
  }

  /** Where a flow class goes once decided (ClassPlan.flows): handed over as made, never collected. */
  type Emit = (fc: FlowClass) => void;
  let tick: () => void = () => {};
  /** The pair being made (FlowClass.order): a pod pair's place in source-major order, then one more per outside or host pair. */
  let pairOrder = 0;
  function podPairs(emit: Emit): void {
    // Per class, its nodes as entries in byNode's order and its pods by node number: a pair of classes is counted
    // through arrays, not through a loop over every pair of their nodes (a class may span hundreds).
    const nodeNo = new Map(nodeNames.map((n, i) => [n, i] as const));
    // By class id (classes[i].id === i): read per pair of classes.
    const entries: Array<ReadonlyArray<ClassEntry>> = [];
    const atNode: Array<ReadonlyArray<ClassEntry | undefined>> = [];
    // And its nodes as a bit set: most pairs of classes share no node, which two sets tell word by word.
    const words = Math.ceil(nodeNames.length / 32);
    const nodeBits = new Uint32Array(classes.length * words);
    for (const c of classes) {
      const list = [...c.byNode].map(([node, ps]): ClassEntry => [nodeNo.get(node) ?? -1, ps, []]);
      entries.push(list);
      const at: Array<ClassEntry | undefined> = new Array(nodeNames.length).fill(undefined);
      for (const e of list) {
        const i = e[0];
        if (i < 0) continue;
        at[i] = e;
        nodeBits[c.id * words + (i >>> 5)]! |= 1 << (i & 31);
      }
      atNode.push(at);
    }
    /** The `j`th pod of an entry as a pair's end (the first speaks for its pairs; the second for a class with itself). */
    const endAt = (e: ClassEntry, j: number): End => (e[2][j] ??= podEnd(e[1][j]!));
    // The source class's entries by node number, set for each source class in turn: only its own nodes are read.
    const entryAt = new Int32Array(nodeNames.length).fill(-1);
    /** The pairs of source class `a` and destination classes [b0, bEnd), one per node pairing. */
    const podPairsOf = (a: PodClass, from: number, to: number): void => {
      const aEntries = entries[a.id]!;
      const placed = onlyNodes === null && aEntries.every(([i]) => i >= 0);
      if (placed) aEntries.forEach(([i], at) => (entryAt[i] = at));
      for (let bi = from; bi < to; bi++) {
        const b = classes[bi]!;
        pairOrder = a.id * classes.length + b.id;
        let same = 0;
        let sameRep: readonly [End, End] | null = null;
        let diff = 0;
        let diffRep: readonly [End, End] | null = null;
        if (placed) {
          // Same node: a node holding both (two different pods when a is b), found word by word in the two node
          // sets (most pairs of classes share none, the rest one or two); the first in a's byNode order speaks for them.
          const bAt = atNode[b.id]!;
          let common = 0;
          let first = -1;
          for (let w = 0, x = a.id * words, y = b.id * words; w < words; w++) {
            let both = nodeBits[x + w]! & nodeBits[y + w]!;
            while (both !== 0) {
              const low = both & -both;
              both ^= low;
              const i = (w << 5) + 31 - Math.clz32(low);
              const at = entryAt[i]!;
              const ps = aEntries[at]![1];
              const qs = bAt[i]![1];
              common += ps.length * qs.length;
              const n = a === b ? ps.length * (ps.length - 1) : ps.length * qs.length;
              if (n === 0) continue;
              same += n;
              if (first < 0 || at < first) first = at;
            }
          }
          if (first >= 0) {
            const e = aEntries[first]!;
            sameRep = [endAt(e, 0), a === b ? endAt(e, 1) : endAt(bAt[e[0]]!, 0)];
          }
          // Different nodes: every pair of the two but those on one node; the first such pair in byNode order speaks for them.
          diff = a.pods.length * b.pods.length - common;
          const bEntries = entries[b.id]!;
          const [a0, a1] = aEntries;
          const [b0, b1] = bEntries;
          if (a0 && b0) {
            const other = b0[0] !== a0[0] ? b0 : b1;
            if (other) diffRep = [endAt(a0, 0), endAt(other, 0)];
            else if (a1) diffRep = [endAt(a1, 0), endAt(b0, 0)];
          }
        } else {
          for (const [node, ps] of a.byNode) {
            const qs = b.byNode.get(node);
            if (!qs || !inOnly(node)) continue;
            const n = a === b ? ps.length * (ps.length - 1) : ps.length * qs.length;
            if (n === 0) continue;
            same += n;
            sameRep ??= [podEnd(ps[0]!), podEnd(a === b ? ps[1]! : qs[0]!)];
          }
          for (const [node, ps] of a.byNode) {
            for (const [other, qs] of b.byNode) {
              if (other === node || (!inOnly(node) && !inOnly(other))) continue;
              diff += ps.length * qs.length;
              diffRep ??= [podEnd(ps[0]!), podEnd(qs[0]!)];
            }
          }
        }
        // The two pairs share their port classes (pairPorts). Written out: a list of the two made three arrays per pair.
        let plan: ProtocolPorts[] | undefined;
        if (same !== 0 && sameRep !== null) {
          plan = pairPorts(sameRep[0], sameRep[1], a.id, b.id, NO_CUTS, false);
          portFlows(emit, sameRep[0], sameRep[1], same, podText(a), podText(b), a.id, b.id, NO_CUTS, false, plan);
        }
        if (diff !== 0 && diffRep !== null) {
          plan ??= pairPorts(diffRep[0], diffRep[1], a.id, b.id, NO_CUTS, false);
          portFlows(emit, diffRep[0], diffRep[1], diff, podText(a), podText(b), a.id, b.id, NO_CUTS, false, plan);
        }
        tick();
      }
    };
    // In tiles of source and destination classes: what the pairs read of a destination class (its cuts, its
    // answers, its hop contents and their results) is read by a tile's sources one after another, while it is still
    // in the processor's caches. Source-major order (one source, every destination) fetched it afresh from memory for
    // every source once the classes' data outgrew the caches (at 50k pods, ~3,750 classes: the loop waits on memory).
    // A source's flows, and a destination's, still come in the same order: only how the two interleave differs.
    for (let a0 = 0; a0 < classes.length; a0 += tileSources) {
      const aEnd = Math.min(classes.length, a0 + tileSources);
      for (let b0 = 0; b0 < classes.length; b0 += tileDestinations) {
        const bEnd = Math.min(classes.length, b0 + tileDestinations);
        for (let ai = a0; ai < aEnd; ai++) podPairsOf(classes[ai]!, b0, bEnd);
      }
    }
    pairOrder = classes.length * classes.length;
  }

  /** The class's pods grouped by `key` of their node (one pod per group speaks for it), on the nodes verified. */
  const groupsBy = (c: PodClass, key: (node: string) => string, keep: (node: string) => boolean = inOnly): Array<{ rep: Pod; count: number }> => {
    const groups = new Map<string, { rep: Pod; count: number }>();
    for (const [node, ps] of c.byNode) {
      if (!keep(node)) continue;
      const k = key(node);
      const g = groups.get(k);
      if (g) g.count += ps.length;
      else groups.set(k, { rep: ps[0]!, count: ps.length });
    }
    return [...groups.values()];
  };

  function outsidePairs(emit: Emit): void {
    for (const [xi, x] of outside.entries()) {
      const ext = placedIp(x.ip);
      for (const c of classes) {
        // A class's groups differ in routes only: they share their port classes (pairPorts), each way.
        let out: ProtocolPorts[] | undefined;
        for (const g of groupsBy(c, (node) => routeSignature(topo, node, x.ip, null))) {
          const src = placedPod(g.rep);
          out ??= pairPorts(src, ext, c.id, -1, NO_CUTS, false);
          portFlows(emit, src, ext, g.count, podText(c), x.text, c.id, outsideEnd[xi]!, NO_CUTS, false, out);
        }
        // The reply leaves the pod's node by that node's route to the address: grouped by it too.
        let back: ProtocolPorts[] | undefined;
        for (const g of groupsBy(c, (node) => routeSignature(topo, node, x.ip, null))) {
          const dst = placedPod(g.rep);
          back ??= pairPorts(ext, dst, -1, c.id, NO_CUTS, false);
          portFlows(emit, ext, dst, g.count, x.text, podText(c), outsideEnd[xi]!, c.id, NO_CUTS, false, back);
        }
        pairOrder++;
        tick();
      }
    }
  }

  /** A host's pods of one class that its pairs stand for: alike in how their nodes route to the host and in the address the host sends from. */
  interface HostGroup {
    readonly rep: Pod;
    count: number;
    readonly src: string | null;
    /** The group's key: its pods' routes to the host (routesIdOf), and the host's source address (its number in `sent`). */
    readonly routes: number;
    readonly code: number;
  }
  function hostPairs(emit: Emit): void {
    // Per host, what its pairs with every class share; the hosts are visited in tiles, each class against a tile's
    // hosts one after another (what the pairs read of a class is still in the processor's caches; see podPairs).
    const hosts: Array<{ readonly pairsWith: (c: PodClass) => void; readonly done: () => void }> = [];
    const base = pairOrder;
    // The pods by address, for routeOutsOf: each host's outgoing interface towards every pod, found per route.
    const byAddress = pods.map((p) => ({ p, ip: podIPv4(p)!, n: ipv4(podIPv4(p)!)! })).sort((x, y) => x.n - y.n);
    const rank = new Map(byAddress.map((x, i) => [x.p, i] as const));
    const sortedNums = Float64Array.from(byAddress, (x) => x.n);
    const sortedIps = byAddress.map((x) => x.ip);
    // Per class, its nodes (by number in nodeNames; -1: not listed) with their pods' ranks: every host reads them.
    const nodeNo = new Map(nodeNames.map((x, i) => [x, i] as const));
    const placesOf = classes.map((c) => [...c.byNode].map(([node, ps]) => ({ node, at: nodeNo.get(node) ?? -1, pods: ps, ranks: Int32Array.from(ps, (p) => rank.get(p)!) })));
    for (const n of model.cluster.nodes.map((x) => x.name).sort(byteCompare)) {
      const info = topo.nodes.get(n);
      if (!info?.ip) continue;
      const hostAt = hosts.length;
      const nodeIp = info.ip;
      const full = nodeData.get(n)?.full;
      const hostText = `node ${n}`;
      const hostEnd = firstHostEnd + hostAt;
      // Sorted for determinism.
      const hostAddrs = [...new Set([nodeIp, ...info.localAddresses])].sort(byteCompare);
      // How a node routes to this host, and the address this host sends from by the interface its compiled route to a
      // pod leaves by: the same for every class, so found once per node and per interface (every class × every pod
      // node asked it again, and every pod of the cluster made a key string, for each of the 500 nodes at 50k pods).
      // By node number (nodeNames), and by name for a node not listed there.
      // As a number per distinct signature: pods are grouped by it for every class.
      const routesByNo: Array<number | undefined> = [];
      const routesFrom = new Map<string, number>();
      const routeIds = new Map<string, number>();
      const routesIdOf = (node: string, at: number): number => {
        let r = at >= 0 ? routesByNo[at] : routesFrom.get(node);
        if (r === undefined) {
          const text = node === n ? "own" : hostAddrs.map((a) => routeSignature(topo, node, a, { node: n, iface: "" })).join(";");
          r = routeIds.get(text);
          if (r === undefined) routeIds.set(text, (r = routeIds.size));
          if (at >= 0) routesByNo[at] = r;
          else routesFrom.set(node, r);
        }
        return r;
      };
      // Per pod (by its rank in address order) the address this host sends from to it, by the interface its route to
      // the pod leaves by (routeOutsOf: per route, not per pod), as its number in `sent`; made when the host's tile
      // begins, dropped when it ends.
      const sent: Array<string | null> = [];
      let sources: Int32Array | null = null;
      const sourcesOf = (): Int32Array => {
        if (sources === null) {
          const byOut = new Map<string | null, number>();
          const outs = routeOutsOf(planning, n, sortedNums, sortedIps);
          sources = new Int32Array(outs.length);
          for (let at = 0; at < outs.length; at++) {
            const out = outs[at]!;
            let code = byOut.get(out);
            if (code === undefined) {
              const src = hostSource(planning, n, sortedIps[at]!);
              code = sent.indexOf(src);
              if (code < 0) code = sent.push(src) - 1;
              byOut.set(out, code);
            }
            sources[at] = code;
          }
        }
        return sources;
      };
      const pairsWith = (c: PodClass): void => {
        pairOrder = base + hostAt * classes.length + c.id;
        // The node's own pods, and the others grouped by how their node routes to the node.
        // Every address of the node a flow may carry (its IP, and its tunnel addresses: a host sends from the address
        // of the device its route leaves by), as each pod's node routes to it: the reply of a host flow goes there.
        // The host sends from the address its compiled routes give (as --exhaustive plans it: the address its
        // kubelet would use, whatever the rules being checked route), so pods are grouped by that address too.
        // By routes, then source address; in the order each group is first met. A class makes a few groups, so they
        // are searched in a list (maps made per host and class cost more than the search).
        const groups: HostGroup[] = [];
        const srcs = sourcesOf();
        for (const { node, at, pods: ps, ranks } of placesOf[c.id]!) {
          if (!(inOnly(n) || inOnly(node))) continue;
          const routes = routesIdOf(node, at);
          // Most of a node's pods give one address: the last group is tried first.
          let last: HostGroup | null = null;
          for (let i = 0; i < ps.length; i++) {
            const code = srcs[ranks[i]!]!;
            let g: HostGroup | null = last !== null && last.code === code && last.routes === routes ? last : null;
            if (g === null) {
              for (const x of groups) {
                if (x.code === code && x.routes === routes) {
                  g = x;
                  break;
                }
              }
            }
            if (g !== null) g.count++;
            else {
              g = { rep: ps[i]!, count: 1, src: sent[code] ?? null, routes, code };
              groups.push(g);
            }
            last = g;
          }
        }
        // Groups differ in routes (and the host's source address): the class's port classes are shared (pairPorts),
        // towards the host once, from the host once per source address.
        const fromHost = new Map<string, ProtocolPorts[]>();
        let toHost: ProtocolPorts[] | undefined;
        for (const g of groups) {
          const pod = placedPod(g.rep);
          if (g.src !== null) {
            const src = placedIp(g.src);
            const cuts = full?.output ?? NO_CUTS;
            let plan = fromHost.get(g.src);
            if (!plan) fromHost.set(g.src, (plan = pairPorts(src, pod, -1, c.id, cuts, false)));
            portFlows(emit, src, pod, g.count, hostText, podText(c), hostEnd, c.id, cuts, false, plan);
          }
          const host = placedIp(nodeIp);
          const cuts = full?.input ?? NO_CUTS;
          toHost ??= pairPorts(pod, host, c.id, -1, cuts, true);
          portFlows(emit, pod, host, g.count, podText(c), hostText, c.id, hostEnd, cuts, true, toHost);
        }
        tick();
      };
      hosts.push({ pairsWith, done: () => void (sources = null) });
    }
    for (let h0 = 0; h0 < hosts.length; h0 += tileSources) {
      const tile = hosts.slice(h0, h0 + tileSources);
      for (const c of classes) for (const h of tile) h.pairsWith(c);
      for (const h of tile) h.done();
    }
    pairOrder = base + hosts.length * classes.length;
  }

  // End classes by number (FlowClass.srcEnd): pod classes by id, then outside classes by text, then hosts.
  const outsideTexts = new Map<string, number>();
  const outsideEnd = outside.map((x) => {
    let n = outsideTexts.get(x.text);
    if (n === undefined) outsideTexts.set(x.text, (n = classes.length + outsideTexts.size));
    return n;
  });
  const firstHostEnd = classes.length + outsideTexts.size;
  const hostNodes = model.cluster.nodes.filter((n) => topo.nodes.get(n.name)?.ip).length;
  return {
    fallback: null,
    podClasses: classes.length,
    ends: firstHostEnd + hostNodes,
    pairs: classes.length * (classes.length + outside.length + hostNodes),
    flows(emit, onPair) {
      tick = onPair ?? (() => {});
      podPairs(emit);
      outsidePairs(emit);
      hostPairs(emit);
    },
    hopKey(node, path, packet) {
      const protocol = KEYED_PROTOCOL[packet.protocol];
      if (protocol === undefined || packet.mark !== 0 || packet.icmpType !== undefined || packet.icmpCode !== undefined) return null;
      const h = hopPrefix({ node, path, route: null }, packet.src, packet.dst);
      if (h.cuts === null) return null;
      return { scope: h.results, code: hopCode(h, protocol, packet.srcPort, packet.dstPort, packet.ctstate, packet.dnat, packet.snat) };
    },
  };
}

/** Two 32-bit hashes of a row's answers, updated one column at a time. */
export interface RowHash {
  mix(h1: number, h2: number, code: number, column: number): [number, number];
}

const ROW_HASH: RowHash = {
  mix(h1, h2, code, column) {
    let a = Math.imul(h1 ^ code, 0x01000193);
    a ^= a >>> 15;
    let b = Math.imul(h2 + code + column, 0x85ebca6b);
    b ^= b >>> 13;
    return [a, b];
  },
};

/**
 * Rows (pods) grouped by their answers in `columns` columns, each column's answers given as small numbers by
 * `fill(j)` (a shared array, read before the next call). Each row's answers are hashed as they come (`hash`), rows
 * are grouped by hash, then every row is compared with its group's first row answer by answer: `rep[i]` is that
 * first row, and `differs[i]` is 1 when row i's answers are not its — a hash collision, which the caller keys
 * exactly. Rows with equal answers always share `rep` (equal answers hash alike).
 */
export function columnGroups(n: number, columns: number, fill: (j: number) => Int32Array, hash: RowHash = ROW_HASH): { rep: Int32Array; differs: Uint8Array } {
  const h1 = new Int32Array(n).fill(0x811c9dc5 | 0);
  const h2 = new Int32Array(n).fill(0x27d4eb2f);
  for (let j = 0; j < columns; j++) {
    const code = fill(j);
    if (hash === ROW_HASH) {
      // The default mix, inlined: this loop runs columns × rows times (150 M at 50k pods).
      for (let i = 0; i < n; i++) {
        let a = Math.imul(h1[i]! ^ code[i]!, 0x01000193);
        a ^= a >>> 15;
        h1[i] = a;
        let b = Math.imul(h2[i]! + code[i]! + j, 0x85ebca6b);
        b ^= b >>> 13;
        h2[i] = b;
      }
    } else {
      for (let i = 0; i < n; i++) [h1[i], h2[i]] = hash.mix(h1[i]!, h2[i]!, code[i]!, j);
    }
  }
  const firstOf = new Map<string, number>();
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = `${h1[i]},${h2[i]}`;
    const f = firstOf.get(k);
    if (f === undefined) firstOf.set(k, i);
    rep[i] = f ?? i;
  }
  const differs = new Uint8Array(n);
  for (let j = 0; j < columns; j++) {
    const code = fill(j);
    for (let i = 0; i < n; i++) if (code[i] !== code[rep[i]!]) differs[i] = 1;
  }
  return { rep, differs };
}

/**
 * The single ports nat's cuts name: each point (kube-proxy's NodePorts), and of the range cuts (start, end + 1), each
 * pair of neighbours (a one-port range `N:N`).
 */
function natPorts(cuts: ReadonlyArray<{ readonly n: number; readonly point: boolean }>): number[] {
  const out = new Set<number>();
  const sorted = [...new Set(cuts.filter((c) => !c.point).map((c) => c.n))].sort((a, b) => a - b);
  // Starts and ends alternate only where ranges are disjoint; a point whose successor is also a point is a one-port range.
  for (let i = 0; i + 1 < sorted.length; i++) if (sorted[i + 1] === sorted[i]! + 1) out.add(sorted[i]!);
  for (const c of cuts) if (c.point) out.add(c.n);
  return [...out];
}

const cidrKey = (text: string): string => {
  const c = parseCidr(text.includes("/") ? text : `${text}/32`);
  return c ? `${c.network}/${c.prefix}` : text;
};

/** hash:net / hash:ip members as CIDRs. */
function setCidrs(sets: ReadonlyMap<string, IpSet>): Cidr[] {
  const out: Cidr[] = [];
  for (const set of sets.values()) {
    for (const m of set.members) {
      const addr = m.value.split(",")[0] ?? "";
      const c = parseCidr(addr.includes("/") ? addr : `${addr}/32`);
      if (c && c.family === 4) out.push(c);
    }
  }
  return out;
}

function routeCidrs(topo: Topology): Cidr[] {
  return [...topo.nodes.values()].flatMap((n) => n.prefixRoutes.map((r) => r.net));
}

/**
 * The addresses outside the cluster, cut at every edge of `cidrs` and of the
 * policies' ipBlocks; pieces every CIDR treats alike are one class. Pools,
 * node and pod addresses and Service addresses are not outside.
 */
function outsideClasses(model: Model, ruleCidrs: readonly Cidr[], vips: ReadonlySet<string>): OutsideClass[] {
  const blocks = blockCidrs(model);
  const inside: Array<[number, number]> = [];
  for (const pool of model.cluster.pools) {
    const c = parseCidr(pool.cidr);
    if (c && c.family === 4) inside.push(cidrRange(c));
  }
  const pools = [...inside];
  // A CIDR inside a pool cuts nothing outside the cluster (pod addresses, blocks, per-pod set members).
  const outsideToo = (c: Cidr): boolean => {
    const [lo, hi] = cidrRange(c);
    return !pools.some(([a, b]) => lo >= a && hi <= b);
  };
  const all = dedupe([...blocks, ...ruleCidrs].filter((c) => c.family === 4 && outsideToo(c)));
  const single = (ip: string | null): void => {
    const n = ip === null ? null : ipv4(ip);
    if (n !== null) inside.push([n, n]);
  };
  for (const n of model.cluster.nodes) for (const ip of [n.ip, n.tunnelAddress, n.vxlanTunnelAddress]) single(ip);
  for (const p of model.cluster.pods) for (const ip of p.ips) single(ip);
  for (const ip of vips) single(ip);
  // Elementary pieces: between consecutive edges every CIDR and every inside range holds all or none.
  const edges = new Set<number>([0, 2 ** 32]);
  const ranges = all.map(cidrRange);
  for (const [lo, hi] of [...ranges, ...inside]) edges.add(lo).add(hi + 1);
  const sorted = [...edges].sort((a, b) => a - b);
  // Inside ranges merged and in order, met by one sweep along the edges (a search of every range per edge was
  // quadratic in the pods: ~2.5e9 tests at 50k).
  const merged: Array<[number, number]> = [];
  for (const [a, b] of [...inside].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  let m = 0;
  const classes = new Map<string, number>();
  for (let i = 0; i + 1 < sorted.length; i++) {
    const lo = sorted[i]!;
    while (m < merged.length && merged[m]![1] < lo) m++;
    if (m < merged.length && merged[m]![0] <= lo) continue;
    const key = ranges.map(([a, b]) => (lo >= a && lo <= b ? "1" : "0")).join("");
    // The first address of the class (RFC 5737's documentation ranges preferred for "outside everything": never a real peer).
    if (!classes.has(key)) classes.set(key, lo);
  }
  const text = all.filter((c) => c.prefix > 0);
  const out: OutsideClass[] = [];
  for (const lo of [...classes.values()].sort((a, b) => a - b)) {
    const ip = ipText(preferDocumentation(lo, classes, ranges, inside));
    out.push({ ip, text: addressClassText(dedupe(text), ip) });
  }
  return out;
}

const DOC = [0xcb007100, 0xc6336400, 0xc0000200]; // 203.0.113.0, 198.51.100.0, 192.0.2.0 (RFC 5737)

/** For the class `lo` starts, an address of a documentation range when one lies in the same class. */
function preferDocumentation(lo: number, classes: ReadonlyMap<string, number>, ranges: ReadonlyArray<[number, number]>, inside: ReadonlyArray<[number, number]>): number {
  const keyOf = (v: number): string => ranges.map(([a, b]) => (v >= a && v <= b ? "1" : "0")).join("");
  const key = keyOf(lo);
  if (classes.get(key) !== lo) return lo;
  for (const d of DOC) {
    for (let v = d + 1; v < d + 255; v++) {
      if (inside.some(([a, b]) => v >= a && v <= b)) continue;
      if (keyOf(v) === key) return v;
      break;
    }
  }
  return lo;
}

/** The whole port range, one class: a pair whose rules and policies cut nowhere (most pairs on most protocols). */
const ALL_PORTS: readonly PortRange[] = [{ from: MIN_PORT, to: MAX_PORT }];

/**
 * The port ranges that cut points `at` (any order, repeats and points outside the ports allowed) split the port range
 * into: a range starts at each point. `at` is sorted in place; it is mostly empty or a few points, so a small
 * insertion sort, not a typed array made per pair.
 */
export function rangesBetween(at: number[]): readonly PortRange[] {
  if (at.length === 0) return ALL_PORTS;
  sortInPlace(at);
  const out: PortRange[] = [];
  let from = MIN_PORT;
  for (const p of at) {
    if (p <= from || p > MAX_PORT) continue;
    out.push({ from, to: p - 1 });
    from = p;
  }
  out.push({ from, to: MAX_PORT });
  return out;
}

/** Sorts a pair's few port numbers ascending in place: by insertion when short (most are), else through a typed array. */
function sortInPlace(at: number[]): void {
  if (at.length <= 32) {
    for (let i = 1; i < at.length; i++) {
      const v = at[i]!;
      let j = i - 1;
      for (; j >= 0 && at[j]! > v; j--) at[j + 1] = at[j]!;
      at[j + 1] = v;
    }
  } else {
    const sorted = Float64Array.from(at).sort();
    for (let i = 0; i < at.length; i++) at[i] = sorted[i]!;
  }
}

function dedupe(cidrs: readonly Cidr[]): Cidr[] {
  const seen = new Map<string, Cidr>();
  for (const c of cidrs) seen.set(`${c.network}/${c.prefix}`, c);
  return [...seen.values()].sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefix - b.prefix));
}

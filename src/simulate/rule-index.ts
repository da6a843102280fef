// A RuleSet precompiled for the simulator: per table, chain name → chain with
// each rule's tests (match.ts) and effect (target.ts). Nothing here depends on
// the packet or the host, so a simulator (index.ts createSimulator) compiles
// each RuleSet it meets once: verify walks the same RuleSet 10^4–10^5 times.
import type { Chain, Rule, RuleSet, TableName, Target } from "../rules/types.js";
import type { Test, Walk } from "./state.js";
import { compileTests } from "./match.js";
import { compileTarget } from "./target.js";
import type { Effect } from "./target.js";
import { parseCidr, protocolNumber } from "./ip.js";

export interface CompiledRule {
  readonly rule: Rule;
  /** 0-based position in its chain (TraceStep.index). */
  readonly index: number;
  readonly tests: readonly Test[];
  readonly effect: Effect;
  /** The chain a jump or goto leads to, in the same table: resolved when a walk first takes it (null until then). */
  target: CompiledChain | null;
}

export interface CompiledChain {
  readonly table: TableName;
  readonly name: string;
  /** ACCEPT/DROP for built-in chains, null for user chains. */
  readonly policy: string | null;
  readonly rules: readonly CompiledRule[];
  /** Where a lowered chain came from (Chain.origin): a policy step names it. */
  readonly origin?: { readonly table: string; readonly chain: string };
  /** Long chains of rules that each match one value of a packet field (KUBE-SERVICES, KUBE-NODEPORTS, Felix's dispatch chains): nextRule. */
  readonly keyed: KeyIndex | null;
  /** The table the chain is in: where its jumps' targets are found. */
  readonly of: CompiledTable;
}

/**
 * The fields a chain's rules can be keyed by: the destination address (`-d
 * a.b.c.d/32`), the input or output interface (`-i`/`-o` without `+`), its
 * first characters (`-i cali1+`, Felix's dispatch trees: the prefix length
 * most of the chain's rules use), or the protocol and destination port
 * (`-p tcp … -m tcp --dport N`).
 */
type KeyKind = "dst" | "in" | "out" | "inPrefix" | "outPrefix" | "dport";

/**
 * The rules of a chain keyed by the one value of a field they can match. The
 * kernel tests a rule's head fields (`-s`, `-d`, `-i`, `-o`, `-p`) before its
 * match modules, then the modules in order, and stops at the first test that
 * fails (ip_packet_match; match.ts compiles them in that order). A rule is
 * keyed only when every head field is modelled and, for a port key, only
 * `-m comment` comes before `--dport`: so for a packet with another value the
 * rule fails at that test having consulted nothing that could be UNKNOWN or
 * branch, and skipping it is exactly what walking it would have done.
 */
interface KeyIndex {
  readonly kind: KeyKind;
  /** For a prefix key: how many characters of the interface name the rules' prefixes have. */
  readonly length: number;
  /** Per position (and one past the end): the first position at or after it whose rule is not keyed. */
  readonly nextUnkeyed: Int32Array;
  /** Key → the ascending positions of the rules keyed by it. */
  readonly positions: ReadonlyMap<number | string, readonly number[]>;
}

/** Below this many keyed rules a chain is walked rule by rule: an index would not pay for itself. */
const MIN_KEYED = 8;

type RuleKeys = Partial<Record<KeyKind, number | string>>;

/** A port key: protocol and port in one number (a packet of another protocol never has a rule's key). */
const portKey = (proto: number, port: number): number => proto * 65536 + port;

function keysOf(rule: Rule): RuleKeys | null {
  const keys: RuleKeys = {};
  let proto: number | null = null;
  for (const p of rule.parts) {
    if (p.kind === "match") continue;
    if (p.kind === "source" || p.kind === "destination") {
      const c = parseCidr(p.value);
      if (c === null) return null;
      if (p.kind === "destination" && !p.negated && c.len === 32) keys.dst = c.net;
    } else if (p.kind === "protocol") {
      const n = protocolNumber(p.value);
      if (n === null) return null;
      if (!p.negated) proto = n;
    } else if (!p.negated) {
      const dir = p.kind === "in-interface" ? "in" : "out";
      // `+` makes the name a prefix (ifaceTest, match.ts): the rule matches only interfaces starting with it.
      if (p.value.endsWith("+")) keys[dir === "in" ? "inPrefix" : "outPrefix"] = p.value.slice(0, -1);
      else keys[dir] = p.value;
    }
  }
  for (const p of rule.parts) {
    if (p.kind !== "match") continue;
    if (p.module === "comment") continue;
    const o = p.options.length === 1 ? p.options[0]! : null;
    const port = o && !o.negated && (o.name === "dport" || o.name === "destination-port") && o.args.length === 1 && /^\d{1,5}$/.test(o.args[0]!) ? Number(o.args[0]) : null;
    if (port !== null && port <= 65535 && proto !== null && protocolNumber(p.module) === proto) keys.dport = portKey(proto, port);
    break;
  }
  return keys;
}

const KINDS: readonly KeyKind[] = ["dst", "in", "out", "inPrefix", "outPrefix", "dport"];

const isPrefix = (k: KeyKind): boolean => k === "inPrefix" || k === "outPrefix";

/** The prefix length most rules keyed by `kind` use (ties: the shortest). */
function commonLength(keys: readonly (RuleKeys | null)[], kind: KeyKind): number {
  const counts = new Map<number, number>();
  for (const r of keys) {
    const k = r?.[kind];
    if (typeof k === "string") counts.set(k.length, (counts.get(k.length) ?? 0) + 1);
  }
  let length = 0;
  let most = 0;
  for (const [len, n] of counts) if (n > most || (n === most && len < length)) [length, most] = [len, n];
  return length;
}

function indexOf(rules: readonly Rule[]): KeyIndex | null {
  if (rules.length < MIN_KEYED) return null;
  const keys = rules.map(keysOf);
  // The kind that keys the most rules (ties: the first in KINDS); a prefix kind keys the rules of its common length.
  let choice: { kind: KeyKind; length: number } | null = null;
  let best = MIN_KEYED - 1;
  for (const kind of KINDS) {
    const length = isPrefix(kind) ? commonLength(keys, kind) : 0;
    const n = keys.filter((r) => keyIn(r, kind, length) !== undefined).length;
    if (n > best) [choice, best] = [{ kind, length }, n];
  }
  if (choice === null) return null;
  const { kind, length } = choice;
  const nextUnkeyed = new Int32Array(rules.length + 1);
  nextUnkeyed[rules.length] = rules.length;
  for (let i = rules.length - 1; i >= 0; i--) nextUnkeyed[i] = keyIn(keys[i]!, kind, length) === undefined ? i : nextUnkeyed[i + 1]!;
  const positions = new Map<number | string, number[]>();
  keys.forEach((r, i) => {
    const k = keyIn(r, kind, length);
    if (k === undefined) return;
    const list = positions.get(k);
    if (list) list.push(i);
    else positions.set(k, [i]);
  });
  return { kind, length, nextUnkeyed, positions };
}

/** A rule's key of `kind`: for a prefix kind, only a prefix of `length` characters. */
function keyIn(r: RuleKeys | null, kind: KeyKind, length: number): number | string | undefined {
  const k = r?.[kind];
  return isPrefix(kind) && typeof k === "string" && k.length !== length ? undefined : k;
}

function walkKey(kind: KeyKind, length: number, w: Walk): number | string {
  switch (kind) {
    case "inPrefix":
      return w.inIface.slice(0, length);
    case "outPrefix":
      return w.outIface.slice(0, length);
    case "dst":
      return w.dst;
    case "in":
      return w.inIface;
    case "out":
      return w.outIface;
    case "dport":
      return portKey(w.proto, w.dstPort);
  }
}

/** The position of the first rule at or after `i` that the packet can match (`chain.rules.length` when none can). */
export function nextRule(chain: CompiledChain, i: number, w: Walk): number {
  const x = chain.keyed;
  if (x === null) return i;
  let next = x.nextUnkeyed[i]!;
  const list = x.positions.get(walkKey(x.kind, x.length, w));
  if (list) {
    for (const j of list) {
      if (j >= i) {
        if (j < next) next = j;
        break;
      }
    }
  }
  return next;
}

/**
 * One table of a RuleSet, its chains compiled when a walk first reaches them: a walk meets a few of a node's
 * thousands of chains (class verify walks one pod of each class, and a pod's chains are its own), so compiling
 * all of them up front was most of the simulator's first touch of a node. What a chain compiles to depends on
 * the table's chain names and its own rules only, so when it is compiled does not change what it is.
 */
export class CompiledTable {
  /** By name, the chain the table maps it to (the last of a name, as iptables-restore keeps). */
  private readonly source = new Map<string, Chain>();
  private readonly compiled = new Map<string, CompiledChain>();
  private readonly names: ReadonlySet<string>;

  constructor(
    readonly name: TableName,
    chains: readonly Chain[],
    private readonly opts: CompileOptions,
  ) {
    for (const c of chains) this.source.set(c.name, c);
    this.names = new Set(this.source.keys());
  }

  /** The compiled chain of that name; undefined when the table has none. */
  get(chain: string): CompiledChain | undefined {
    let out = this.compiled.get(chain);
    if (out !== undefined) return out;
    const c = this.source.get(chain);
    if (c === undefined) return undefined;
    const { opts, name, names } = this;
    const rules = c.rules.map((rule, index): CompiledRule => ({ rule, index, tests: opts.testsOf(rule), effect: opts.effectOf(rule.target, name, names), target: null }));
    out = { table: name, name: c.name, policy: c.policy, rules, keyed: opts.keyIndex ? indexOf(c.rules) : null, of: this, ...(c.origin ? { origin: c.origin } : {}) };
    this.compiled.set(chain, out);
    return out;
  }
}

export interface SimIndex {
  readonly tables: ReadonlyMap<TableName, CompiledTable>;
}

/** How a simulator compiles RuleSets: with the key index or not, and each rule's tests (shared between rules with one `parts` array). */
export interface CompileOptions {
  readonly keyIndex: boolean;
  readonly testsOf: (rule: Rule) => readonly Test[];
  /** A rule's effect in `table`, where `chains` are the table's chains (shared between rules with one target object). */
  readonly effectOf: (target: Target | null, table: TableName, chains: ReadonlySet<string>) => Effect;
}

const DEFAULT_COMPILE: CompileOptions = { keyIndex: true, testsOf: compileTests, effectOf: compileTarget };

export function compileIndex(rs: RuleSet, opts: CompileOptions = DEFAULT_COMPILE): SimIndex {
  return { tables: new Map(rs.tables.map((t) => [t.name, new CompiledTable(t.name, t.chains, opts)])) };
}

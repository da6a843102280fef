// The packet simulator: walks one packet through the netfilter hooks of one
// host, table by table, the way the kernel's ip_tables does (ipt_do_table),
// and reports the verdict with every rule that matched.
//
// Pass order (rule-index.ts; a simulator compiles each RuleSet it meets once, each chain when a walk first reaches it):
//   RuleSet ─compileIndex─▶ chains of compiled rules ─walk(path)─▶ SimOutcome[]
//
// A simulator is a value made per run (createSimulator): it owns what it
// compiles — rule indexes, ipsets, host address sets — keyed weakly by the
// RuleSet, IpSet and HostContext objects it was given, so nothing outlives
// it and two runs share nothing.
//
// Chain semantics (ipt_do_table): rules in order; `-j CHAIN` pushes a return
// point, `-g CHAIN` does not (so a RETURN from a goto'd chain goes back to the
// caller of the chain that did the goto); RETURN pops; falling off a user
// chain is a RETURN; RETURN or falling off with nothing pushed applies the
// built-in chain's policy. ACCEPT ends this table's hook and the packet goes
// on to the next hook; DROP and REJECT end the path.
//
// Branching: a probabilistic match (statistic) needs a decision. A walk that
// meets an undecided branch stops before the rule that asks, keeping where it
// is (hook, jump stack, packet and trace); `explore` goes on from there once
// per choice, each from its own copy, so what came before the branch is walked
// once. Walks are deterministic given their decisions (Walk.decisions records
// them), and a kube-proxy service of n endpoints costs O(n) rule tests.
import type { IpSet } from "../rules/ipset.js";
import type { HookEntry, HookName, Rule, RulePart, RuleSet, TableName, Target } from "../rules/types.js";
import type { HookPath, HostContext, Packet, Reroute, SimOutcome, SimVerdict, TraceStep } from "./types.js";
import type { CompiledChain, CompiledRule, SimIndex } from "./rule-index.js";
import { compileIndex, nextRule, type CompileOptions } from "./rule-index.js";
import { compileTests } from "./match.js";
import { compileTarget, type Effect } from "./target.js";
import type { SimTables, Test, Walk } from "./state.js";
import { formatIpv4, localAddressSet } from "./state.js";
import { compileSet, type CompiledSet } from "./ipset.js";
import { ipv4, protocolNumber } from "./ip.js";

export { ipsetContains } from "./ipset.js";

/** Nested jumps beyond this are treated as a loop (the brief's bound; the kernel rejects loops at load time). */
const MAX_DEPTH = 64;
/** Rules evaluated in one hook before a goto loop is assumed. */
const MAX_STEPS = 100_000;
/** Branches explored per packet before the rest is reported as UNKNOWN. */
const MAX_BRANCHES = 4096;

interface Hook {
  readonly table: TableName;
  readonly chain: string;
  /** The netfilter hook the chain is on (absent: one chain walked alone, simulateChain). */
  readonly at?: HookName;
  /** nat chains see only the first packet of a connection (ctstate NEW). */
  readonly natOnly: boolean;
  /**
   * Base chains from `RuleSet.hooks`: the netfilter hook of a nat chain. Several nat chains on one hook run in
   * priority order until one binds the connection's NAT (nf_nat_inet_fn); the rest are skipped.
   */
  readonly natHook?: HookName;
}

const hook = (table: TableName, chain: HookName): Hook => ({ table, chain, at: chain, natOnly: table === "nat" });

/** Hook order per path, by netfilter priority (raw -300, conntrack -200, mangle -150, DNAT -100, filter 0, SNAT 100). */
const PATHS: Readonly<Record<HookPath["kind"], readonly Hook[]>> = {
  forward: [hook("raw", "PREROUTING"), hook("mangle", "PREROUTING"), hook("nat", "PREROUTING"), hook("mangle", "FORWARD"), hook("filter", "FORWARD"), hook("mangle", "POSTROUTING"), hook("nat", "POSTROUTING")],
  input: [hook("raw", "PREROUTING"), hook("mangle", "PREROUTING"), hook("nat", "PREROUTING"), hook("mangle", "INPUT"), hook("filter", "INPUT"), hook("nat", "INPUT")],
  output: [hook("raw", "OUTPUT"), hook("mangle", "OUTPUT"), hook("nat", "OUTPUT"), hook("filter", "OUTPUT"), hook("mangle", "POSTROUTING"), hook("nat", "POSTROUTING")],
};

/** The netfilter hooks of each path, in the order a packet meets them. */
const PATH_HOOKS: Readonly<Record<HookPath["kind"], readonly HookName[]>> = {
  forward: ["PREROUTING", "FORWARD", "POSTROUTING"],
  input: ["PREROUTING", "INPUT"],
  output: ["OUTPUT", "POSTROUTING"],
};

/** A RuleSet's own base chains (`RuleSet.hooks`) along one path: by hook, then by priority (ties keep their order). */
function hooksOf(entries: readonly HookEntry[], kind: HookPath["kind"]): Hook[] {
  const out: Hook[] = [];
  for (const hookName of PATH_HOOKS[kind]) {
    const on = entries.filter((e) => e.hook === hookName);
    // A stable sort: equal priorities run in the order the entries list them (registration order).
    on.sort((a, b) => a.priority - b.priority);
    for (const e of on) out.push({ table: e.table, chain: e.chain, at: hookName, natOnly: e.nat, ...(e.nat ? { natHook: hookName } : {}) });
  }
  return out;
}

/**
 * A path's chains up to its destination NAT: those of its first netfilter hook (PREROUTING, or OUTPUT for a local
 * sender) through the last nat chain there. The kernel routes the packet again after a DNAT there (for OUTPUT, in the
 * nat hook itself), so what follows sees the new destination's device. Without a nat chain there: the whole first hook.
 */
function untilDnat(hooks: readonly Hook[], kind: HookPath["kind"]): readonly Hook[] {
  const first = PATH_HOOKS[kind][0];
  let end = 0;
  let lastNat = -1;
  while (end < hooks.length && hooks[end]!.at === first) {
    if (hooks[end]!.natOnly) lastNat = end;
    end++;
  }
  return hooks.slice(0, lastNat >= 0 ? lastNat + 1 : end);
}

/**
 * Devices the kernel passes to each hook (nf_hook_state's in and out): no output device before routing (PREROUTING,
 * INPUT), no input device for a local sender's packet (OUTPUT); POSTROUTING sees a forwarded packet's input device
 * (ip_output passes skb->dev as it arrived), which nft's `iifname` reads there. Checked in a network namespace (kernel
 * 6.18, a forwarded UDP packet): counted on prerouting `iifname`, not on prerouting `oifname`, and on postrouting
 * `iifname` and `oifname` alike.
 */
export interface Ifaces {
  readonly inIface?: string;
  readonly outIface?: string;
  /** The device POSTROUTING sees when it is not `outIface` (a local sender's packet that nat OUTPUT rerouted: HookPath). */
  readonly postIface?: string;
}

/** The devices of netfilter hook `at` (by the hook, not by the chain's name: an nft base chain is named as its table likes). */
function setIfaces(w: Walk, at: string, path: Ifaces): void {
  w.inIface = at === "OUTPUT" ? "" : (path.inIface ?? "");
  w.outIface = at === "PREROUTING" || at === "INPUT" ? "" : at === "POSTROUTING" && path.postIface !== undefined ? path.postIface : (path.outIface ?? "");
}

type HookEnd = "ACCEPT" | "DROP" | "REJECT" | "STOP";

function traceStep(chain: CompiledChain, r: CompiledRule | null, action: string): TraceStep {
  const line = r?.rule.line ?? null;
  return { table: chain.table, chain: chain.name, index: r ? r.index : -1, line, rule: r ? r.rule : null, action, ...(chain.origin ? { origin: chain.origin } : {}) };
}

function step(w: Walk, chain: CompiledChain, r: CompiledRule | null, action: string): void {
  w.lastChain = chain;
  w.lastRule = r;
  w.lastAction = action;
  if (w.traced) w.trace.push(traceStep(chain, r, action));
}

/** The walk's last step so far (null before its first): its trace's, or made from its parts when untraced. */
function lastStep(w: Walk): TraceStep | null {
  if (w.traced) return w.trace[w.trace.length - 1] ?? null;
  return w.lastChain === null ? null : traceStep(w.lastChain, w.lastRule, w.lastAction);
}

function stopUnknown(w: Walk, chain: CompiledChain, r: CompiledRule | null, why: string): HookEnd {
  const where = r ? ` in ${chain.table} ${chain.name} rule ${r.index + 1}${r.rule.line !== undefined ? ` (line ${r.rule.line})` : ""}` : "";
  w.unknown = why + where;
  step(w, chain, r, "unknown");
  return "STOP";
}

function matches(r: CompiledRule, w: Walk): boolean {
  const tests = r.tests;
  for (let i = 0; i < tests.length; i++) if (!tests[i]!(w)) return false;
  return true;
}

function policy(w: Walk, builtin: CompiledChain): HookEnd {
  step(w, builtin, null, "policy");
  return builtin.policy === "DROP" ? "DROP" : "ACCEPT";
}

/** Where a walk is in one built-in chain: the jump stack, the next rule of each level, the rules evaluated so far. */
interface Frame {
  builtin: CompiledChain;
  readonly chains: CompiledChain[];
  readonly pos: number[];
  steps: number;
}

const frameOf = (builtin: CompiledChain): Frame => ({ builtin, chains: [builtin], pos: [0], steps: 0 });

/**
 * `spare` (a frame whose hook is over) made the start of `builtin`, or a new frame: a walk's hooks run one after
 * another, so one frame serves them all, and its stacks keep the room they grew to (a frame per hook was half of what
 * walkFrom allocated). A forked walk's frame is copied (branch), never this one.
 */
function frameFor(spare: Frame | null, builtin: CompiledChain): Frame {
  if (spare === null) return frameOf(builtin);
  spare.builtin = builtin;
  // Popped, not cut by `length = 1`: setting an array's length is a call into the runtime, a pop is not.
  const { chains, pos } = spare;
  while (chains.length > 1) chains.pop();
  while (pos.length > 1) pos.pop();
  chains[0] = builtin;
  pos[0] = 0;
  spare.steps = 0;
  return spare;
}

/**
 * One built-in chain, to a verdict for this hook (ipt_do_table), from where `frame` is. A rule that asks for a
 * branch decision (w.fork) stops the walk with the frame and the walk as they were before that rule was tested,
 * so that resuming tests it again with the decision made.
 */
function runChain(w: Walk, frame: Frame): HookEnd {
  const { builtin, chains, pos } = frame;
  for (let steps = frame.steps; ; ) {
    const depth = chains.length - 1;
    const chain = chains[depth]!;
    // Rules keyed by another value of a field cannot match: skipped, as the kernel's first tests would fail them (rule-index.ts).
    const i = chain.keyed === null ? pos[depth]! : nextRule(chain, pos[depth]!, w);
    if (i >= chain.rules.length) {
      if (depth === 0) return policy(w, builtin);
      chains.pop();
      pos.pop();
      continue;
    }
    pos[depth] = i + 1;
    const r = chain.rules[i]!;
    if (++steps > MAX_STEPS) return stopUnknown(w, chain, r, `more than ${MAX_STEPS} rules evaluated (a jump loop)`);
    // What a test may change before the rule is decided (recent --set, an earlier branch of the same rule).
    const decided = w.nextDecision;
    const probability = w.probability;
    const recent = w.recentSet.length;
    if (!matches(r, w)) {
      if (w.fork !== null) {
        w.nextDecision = decided;
        w.probability = probability;
        w.recentSet.length = recent;
        pos[depth] = i;
        frame.steps = steps - 1;
        return "STOP";
      }
      if (w.unknown !== null) return stopUnknown(w, chain, r, w.unknown);
      continue;
    }
    const e = r.effect;
    switch (e.kind) {
      case "none":
        step(w, chain, r, "counter");
        continue;
      case "continue":
        e.apply(w);
        step(w, chain, r, e.action);
        continue;
      case "nat":
        e.apply(w);
        step(w, chain, r, e.action);
        return "ACCEPT";
      case "accept":
      case "drop":
      case "reject":
        step(w, chain, r, e.kind);
        return e.kind === "accept" ? "ACCEPT" : e.kind === "drop" ? "DROP" : "REJECT";
      case "return":
        step(w, chain, r, "return");
        if (depth === 0) return policy(w, builtin);
        chains.pop();
        pos.pop();
        continue;
      case "jump":
      case "goto": {
        // Resolved when first taken (rule-index.ts CompiledTable): compileTarget made it a jump only to a chain of the table.
        const next = (r.target ??= chain.of.get(e.chain)!);
        step(w, chain, r, e.kind);
        if (e.kind === "goto") {
          chains[depth] = next;
          pos[depth] = 0;
        } else if (chains.length > MAX_DEPTH) {
          return stopUnknown(w, chain, r, `jump depth over ${MAX_DEPTH} (a jump loop)`);
        } else {
          chains.push(next);
          pos.push(0);
        }
        continue;
      }
      case "unknown":
        return stopUnknown(w, chain, r, e.why);
    }
  }
}

/** A walk stopped at a branch: continue it with the branch taken (true) or not. */
interface Fork {
  readonly fork: true;
  readonly resume: (taken: boolean) => SimOutcome | Fork;
}

function newWalk(packet: Packet, host: HostContext, tables: SimTables, decisions: readonly boolean[], traced: boolean): Walk | string {
  const src = ipv4(packet.src);
  const dst = ipv4(packet.dst);
  if (src === null || dst === null) return `packet ${packet.src} → ${packet.dst}: only IPv4 is modelled`;
  const proto = protocolNumber(packet.protocol);
  if (proto === null || proto === 0) return `packet protocol '${packet.protocol}'`;
  const icmp = packet.icmpType === undefined ? null : (packet.icmpType << 8) | (packet.icmpCode ?? 0);
  return {
    src, dst, origSrc: src, origDst: dst, proto, srcPort: packet.srcPort, dstPort: packet.dstPort, icmp,
    ctstate: packet.ctstate, mark: packet.mark >>> 0, dnat: packet.dnat, snat: packet.snat,
    inIface: "", outIface: "", host, tables, trace: [], traced, lastChain: null, lastRule: null, lastAction: "", probability: 1,
    decisions, nextDecision: 0, fork: null, unknown: null, recentSet: [],
  };
}

/**
 * A copy of a walk with one more decision. Written out field by field in newWalk's order, not spread: every walk
 * then has one object shape, and the compiled tests that read walks stay monomorphic (a spread copy is another
 * shape, and made every walk slower).
 */
function copyWalk(w: Walk, taken: boolean): Walk {
  return {
    src: w.src, dst: w.dst, origSrc: w.origSrc, origDst: w.origDst, proto: w.proto, srcPort: w.srcPort, dstPort: w.dstPort, icmp: w.icmp,
    ctstate: w.ctstate, mark: w.mark, dnat: w.dnat, snat: w.snat,
    inIface: w.inIface, outIface: w.outIface, host: w.host, tables: w.tables, trace: w.traced ? [...w.trace] : w.trace, traced: w.traced, lastChain: w.lastChain, lastRule: w.lastRule, lastAction: w.lastAction, probability: w.probability,
    decisions: [...w.decisions, taken], nextDecision: w.nextDecision, fork: null, unknown: w.unknown, recentSet: [...w.recentSet],
  };
}

function outcome(w: Walk, packet: Packet, verdict: SimVerdict, decisive: TraceStep | null): SimOutcome {
  // Written out, not spread over `packet`: a spread builds its object key by key (it was a tenth of a walk).
  const src = w.src === w.origSrc ? packet.src : formatIpv4(w.src);
  const dst = w.dst === w.origDst ? packet.dst : formatIpv4(w.dst);
  const out: Packet =
    packet.icmpType === undefined && packet.icmpCode === undefined
      ? { src, dst, protocol: packet.protocol, srcPort: w.srcPort, dstPort: w.dstPort, ctstate: w.ctstate, mark: w.mark, dnat: w.dnat, snat: w.snat }
      : {
          src, dst, protocol: packet.protocol, srcPort: w.srcPort, dstPort: w.dstPort, ctstate: w.ctstate, mark: w.mark, dnat: w.dnat, snat: w.snat,
          ...(packet.icmpType === undefined ? {} : { icmpType: packet.icmpType }),
          ...(packet.icmpCode === undefined ? {} : { icmpCode: packet.icmpCode }),
        };
  // Untraced, w.trace is the empty list it started with (step adds nothing to it).
  return { verdict, trace: w.trace, packet: out, unknown: verdict === "UNKNOWN" ? w.unknown : null, probability: w.probability, decisive };
}

function unknownOutcome(packet: Packet, why: string, probability: number): SimOutcome {
  return { verdict: "UNKNOWN", trace: [], packet, unknown: why, probability, decisive: null };
}

/** What one walk runs over: the RuleSet's index, its base chains per path (`RuleSet.hooks`), and the simulator's tables. */
interface Compiled {
  readonly ix: SimIndex;
  readonly hooks: Readonly<Record<HookPath["kind"], readonly Hook[]>>;
  readonly tables: SimTables;
}

const NAT_ACTIONS: ReadonlySet<string> = new Set(["dnat", "snat", "masquerade"]);

const NAT_BIT: Readonly<Record<HookName, number>> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 };

/** Where a walk is along its hooks. */
interface WalkState {
  readonly w: Walk;
  /** The hook being walked, and where in it (null: not entered yet). */
  readonly hook: number;
  readonly frame: Frame | null;
  /** The hooks whose NAT a nat chain has bound, one bit each (NAT_BIT): a number, copied for free at a branch. */
  natBound: number;
  decisive: TraceStep | null;
}

/**
 * Where a walk takes another path: at hook `at` (the first after its destination NAT, untilDnat), a packet the
 * DNAT translated goes on along `next(dst, dstPort)` (its hooks from `from`) instead: the kernel routes it again
 * by its new destination there, and nothing before `at` saw an output device.
 */
interface Split {
  readonly at: number;
  readonly next: (dst: string, dstPort: number) => { readonly hooks: readonly Hook[]; readonly path: Ifaces; readonly from: number };
}

/** A walk through `hooks` from its start. */
function walkOnce(c: Compiled, hooks: readonly Hook[], path: Ifaces, packet: Packet, host: HostContext, verbatim = false, traced = true, split: Split | null = null): SimOutcome | Fork {
  const w = newWalk(packet, host, c.tables, [], traced);
  if (typeof w === "string") return unknownOutcome(packet, w, 1);
  return walkFrom(c, hooks, path, packet, verbatim, { w, hook: 0, frame: null, natBound: 0, decisive: null }, split);
}

/**
 * The walk from `s` to its outcome, or to the next branch: then a Fork whose `resume` copies the state and goes on
 * with the decision made (the state is never changed after it is forked, so both branches start from it).
 */
function walkFrom(c: Compiled, hooks: readonly Hook[], path: Ifaces, packet: Packet, verbatim: boolean, s: WalkState, split: Split | null = null): SimOutcome | Fork {
  const w = s.w;
  // The hook a forked walk resumes inside (its frame), or none.
  let resumeAt = s.frame !== null ? s.hook : -1;
  // The frame of the hook before, once it is over (frameFor).
  let spare: Frame | null = null;
  for (let k = s.hook; k < hooks.length; k++) {
    if (split !== null && k === split.at) {
      // Once, before the first hook after the DNAT (a branch forked later resumes on the path taken): a translated
      // packet goes on along its own path, an untranslated one along this one.
      if (w.dnat) {
        const next = split.next(formatIpv4(w.dst), w.dstPort);
        [hooks, path, k, resumeAt] = [next.hooks, next.path, next.from, -1];
      }
      split = null;
      if (k >= hooks.length) break;
    }
    const h = hooks[k]!;
    const table = c.ix.tables.get(h.table);
    let frame: Frame;
    if (k === resumeAt) frame = s.frame!;
    else {
      if (h.natOnly && w.ctstate !== "NEW") continue;
      if (h.natHook !== undefined && (s.natBound & NAT_BIT[h.natHook]) !== 0) continue;
      const builtin = table?.get(h.chain);
      if (!table || !builtin) continue; // absent table or chain: ACCEPT policy, no rules
      if (verbatim) {
        w.inIface = path.inIface ?? "";
        w.outIface = path.outIface ?? "";
      } else setIfaces(w, h.at ?? h.chain, path);
      frame = frameFor(spare, builtin);
    }
    const end = runChain(w, frame);
    if (end === "STOP" && w.fork !== null) {
      const at: WalkState = { w, hook: k, frame, natBound: s.natBound, decisive: s.decisive };
      const [hs, ps, sp] = [hooks, path, split];
      return { fork: true, resume: (taken) => walkFrom(c, hs, ps, packet, verbatim, branch(at, taken), sp) };
    }
    if (h.natHook !== undefined && end === "ACCEPT" && w.lastChain !== null && NAT_ACTIONS.has(w.lastAction)) s.natBound |= NAT_BIT[h.natHook];
    if (end !== "ACCEPT" || h.table === "filter") s.decisive = lastStep(w);
    if (end === "STOP") return outcome(w, packet, "UNKNOWN", s.decisive);
    if (end !== "ACCEPT") return outcome(w, packet, end, s.decisive);
    spare = frame;
  }
  return outcome(w, packet, "ACCEPT", s.decisive);
}

/** A copy of a forked walk's state with the pending decision made. */
function branch(at: WalkState, taken: boolean): WalkState {
  const w = copyWalk(at.w, taken);
  const f = at.frame!;
  const frame: Frame = { builtin: f.builtin, chains: [...f.chains], pos: [...f.pos], steps: f.steps };
  return { w, hook: at.hook, frame, natBound: at.natBound, decisive: at.decisive };
}

/**
 * Depth-first over branch decisions, "matched" first; probabilities multiply along a branch. A walk that meets an
 * undecided branch goes on from where it stopped, once per choice (the part before the branch is walked once).
 */
function explore(start: () => SimOutcome | Fork, packet: Packet): SimOutcome[] {
  const out: SimOutcome[] = [];
  const todo: Array<() => SimOutcome | Fork> = [start];
  while (todo.length > 0) {
    if (out.length >= MAX_BRANCHES) {
      const rest = 1 - out.reduce((s, o) => s + o.probability, 0);
      out.push(unknownOutcome(packet, `more than ${MAX_BRANCHES} statistic branches`, rest));
      break;
    }
    const r = todo.pop()!();
    if ("fork" in r) todo.push(() => r.resume(false), () => r.resume(true));
    else out.push(r);
  }
  return out;
}

/** The packet simulator of one run (createSimulator). */
export interface Simulator {
  /**
   * Walk `packet` through every hook of `path` on this host: one outcome per explored branch. With `until`
   * "dnat", only up to the destination NAT (untilDnat: the first hook's chains through its last nat chain): an
   * outcome that passes them is ACCEPT there. With `trace` false, outcomes have an empty trace (their verdict,
   * packet, probability and decisive step are the same): for callers that read only those, a walk then keeps no list
   * of its steps, which it copied at every branch. With `reroute` (and no `until`), a packet the path's destination
   * NAT translated goes on, after the hooks up to that NAT (untilDnat), along `reroute(new destination, port)` (the
   * path its route gives; the same first netfilter hook): one walk for every branch of a Service's DNAT, each on the
   * device towards its own backend. An untranslated packet goes on along `path`.
   */
  readonly simulatePath: (rs: RuleSet, path: HookPath, packet: Packet, host: HostContext, until?: "dnat", trace?: boolean, reroute?: Reroute) => SimOutcome[];
  /**
   * Walk one built-in chain (for tests and explain). `ifaces` are the devices
   * the chain sees; the nat NEW-only rule does not apply here.
   */
  readonly simulateChain: (rs: RuleSet, table: TableName, chain: string, packet: Packet, host: HostContext, ifaces?: Ifaces) => SimOutcome[];
}

/** Rules whose parts but for plain comments are the same objects, in order: their tests (one compile for all). */
interface TestsTrie {
  tests: readonly Test[] | null;
  readonly next: WeakMap<RulePart, TestsTrie>;
}

/** `-m comment --comment TEXT` (any number of --comment): a test that always holds (match.ts), whatever the text. */
const isPlainComment = (p: RulePart): boolean => p.kind === "match" && p.module === "comment" && p.options.every((o) => o.name === "comment" && !o.negated);

function memo<K extends object, V>(table: WeakMap<K, V>, key: K, make: (k: K) => V): V {
  let v = table.get(key);
  if (v === undefined) table.set(key, (v = make(key)));
  return v;
}

/**
 * A simulator for one run. Its tables are keyed by the objects walked
 * through, which the caller must not change while it holds the simulator
 * (RuleSets, IpSets and HostContexts are immutable by contract).
 */
export interface SimulatorOptions {
  /** Skip the rules a packet's key rules out (rule-index.ts); false walks every rule, what the index must agree with (tests). */
  readonly keyIndex?: boolean;
}

export function createSimulator(opts: SimulatorOptions = {}): Simulator {
  const indexes = new WeakMap<RuleSet, Compiled>();
  const sets = new WeakMap<IpSet, CompiledSet>();
  const locals = new WeakMap<HostContext, ReadonlySet<number>>();
  const tables: SimTables = {
    local: (host) => memo(locals, host, localAddressSet),
    set: (set) => memo(sets, set, compileSet),
  };
  // A rule's tests depend on its parts alone: rules parsed from lines alike (RuleLineCache) share them, across nodes.
  const tests = new WeakMap<readonly RulePart[], readonly Test[]>();
  // A comment matches every packet, so rules alike but for their comments' text match alike: Felix's endpoint rules,
  // one per pod with its own hash, read back with every other part shared (RuleLineCache templates). Their tests are
  // found through those other parts, in order: a trie of part objects.
  const byOtherParts = new WeakMap<RulePart, TestsTrie>();
  const testsOf = (rule: Rule): readonly Test[] =>
    memo(tests, rule.parts, () => {
      let level = byOtherParts;
      let node: TestsTrie | undefined;
      for (const p of rule.parts) {
        if (isPlainComment(p)) continue;
        node = memo(level, p, () => ({ tests: null, next: new WeakMap() }));
        level = node.next;
      }
      if (node === undefined) return compileTests(rule);
      return (node.tests ??= compileTests(rule));
    });
  // A target's effect depends on it, its table and whether its name is a chain there: shared by every rule with that
  // target object. Per table, a pair: the effect when the name is no chain of it, and when it is.
  const effects = new WeakMap<Target, Map<TableName, [Effect | undefined, Effect | undefined]>>();
  const effectOf = (target: Target | null, table: TableName, chains: ReadonlySet<string>): Effect => {
    if (target === null) return compileTarget(null, table, chains);
    const byTable = memo(effects, target, () => new Map<TableName, [Effect | undefined, Effect | undefined]>());
    let pair = byTable.get(table);
    if (pair === undefined) byTable.set(table, (pair = [undefined, undefined]));
    const use = chains.has(target.name) ? 1 : 0;
    return (pair[use] ??= compileTarget(target, table, chains));
  };
  const compile: CompileOptions = { keyIndex: opts.keyIndex ?? true, testsOf, effectOf };
  const compiled = (rs: RuleSet): Compiled =>
    memo(indexes, rs, () => {
      const entries = rs.hooks ?? [];
      return { ix: compileIndex(rs, compile), hooks: { forward: hooksOf(entries, "forward"), input: hooksOf(entries, "input"), output: hooksOf(entries, "output") }, tables };
    });
  return {
    simulatePath(rs, path, packet, host, until, trace = true, reroute) {
      const c = compiled(rs);
      const hooksOn = (kind: HookPath["kind"]): readonly Hook[] => (rs.hooks ? c.hooks[kind] : PATHS[kind]);
      const all = hooksOn(path.kind);
      const hooks = until === "dnat" ? untilDnat(all, path.kind) : all;
      const split: Split | null =
        reroute === undefined || until === "dnat"
          ? null
          : {
              at: untilDnat(all, path.kind).length,
              next: (dst, dstPort) => {
                const to = reroute(dst, dstPort);
                const on = hooksOn(to.kind);
                // Its first netfilter hook is this path's (PREROUTING or OUTPUT): it goes on after its own DNAT hooks.
                if (PATH_HOOKS[to.kind][0] !== PATH_HOOKS[path.kind][0]) throw new Error(`a ${path.kind} path rerouted as ${to.kind}: another first hook`);
                return { hooks: on, path: to, from: untilDnat(on, to.kind).length };
              },
            };
      return explore(() => walkOnce(c, hooks, path, packet, host, false, trace, split), packet);
    },
    simulateChain(rs, table, chain, packet, host, ifaces = {}) {
      const c = compiled(rs);
      const builtin = c.ix.tables.get(table)?.get(chain);
      if (builtin && builtin.policy === null) return [unknownOutcome(packet, `${table} ${chain} is not a built-in chain`, 1)];
      const hooks: Hook[] = [{ table, chain, natOnly: false }];
      return explore(() => walkOnce(c, hooks, ifaces, packet, host, true), packet);
    },
  };
}

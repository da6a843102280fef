// The simulator's mutable per-walk state, shared by the walker (index.ts),
// the match compilers (match*.ts) and the target compiler (target.ts).
// Matches and targets are precompiled into closures over this state; a
// closure signals what it cannot model by setting `unknown`, and a
// probabilistic match asks for a branch through `decide`.
import type { IpSet } from "../rules/ipset.js";
import type { CtState, HostContext, TraceStep } from "./types.js";
import type { CompiledSet, SetKeyView } from "./ipset.js";
import { ipv4 } from "./ip.js";
import type { CompiledChain, CompiledRule } from "./rule-index.js";

/**
 * What a walk looks up in the tables of the simulator that runs it
 * (index.ts createSimulator): host facts and ipsets, compiled once per
 * simulator, since the same host and sets serve thousands of walks.
 */
export interface SimTables {
  /** The host's local addresses, numeric (localAddressSet). */
  local(host: HostContext): ReadonlySet<number>;
  /** An ipset compiled for lookups (ipset.ts compileSet). */
  set(set: IpSet): CompiledSet;
}

export interface Walk extends SetKeyView {
  src: number;
  dst: number;
  /** The addresses the walk started with, to tell whether NAT rewrote them. */
  readonly origSrc: number;
  readonly origDst: number;
  proto: number;
  srcPort: number;
  dstPort: number;
  icmp: number | null;
  ctstate: CtState;
  mark: number;
  dnat: boolean;
  snat: boolean;
  /** Interfaces as the current hook sees them; "" where the kernel passes no device (e.g. -o in PREROUTING). */
  inIface: string;
  outIface: string;
  readonly host: HostContext;
  readonly tables: SimTables;
  /** Every step (empty unless `traced`). */
  readonly trace: TraceStep[];
  /** Whether the outcome keeps the whole trace (Simulator.simulatePath's `trace`). */
  readonly traced: boolean;
  /**
   * The last step as its parts, traced or not: what the walk itself reads (the action that binds a nat hook, the
   * decisive step). An untraced walk makes a TraceStep of them only for its decisive step, not one per rule.
   */
  lastChain: CompiledChain | null;
  lastRule: CompiledRule | null;
  lastAction: string;
  probability: number;
  /** Branch decisions, in the order branching matches are met: the last one made when a forked walk is resumed (index.ts `explore`). */
  readonly decisions: readonly boolean[];
  nextDecision: number;
  /** Set when a branching match needs a decision not in `decisions`: the probability it matches. */
  fork: number | null;
  /** Set when something is not modelled; the walk stops with UNKNOWN. */
  unknown: string | null;
  /** `-m recent --set` entries made earlier in this walk ("name|addr"). */
  readonly recentSet: string[];
}

/** A compiled match: true if it matches. May set `w.unknown` or `w.fork` (then its result is ignored). */
export type Test = (w: Walk) => boolean;

/**
 * A probabilistic match (statistic, and the like): takes the decision made
 * for it, or asks the explorer to fork. Zero-probability branches are never
 * explored, so `p` of 0 or 1 decides without forking.
 */
export function decide(w: Walk, p: number): boolean {
  if (p <= 0) return false;
  if (p >= 1) return true;
  if (w.nextDecision < w.decisions.length) {
    const d = w.decisions[w.nextDecision++]!;
    w.probability *= d ? p : 1 - p;
    return d;
  }
  w.fork = p;
  return false;
}

/** A test that reports `what` as not modelled whenever it is reached. */
export function unknownTest(what: string): Test {
  return (w) => {
    w.unknown = what;
    return false;
  };
}

/** Numeric local addresses of a host (127.0.0.0/8, implied, is tested apart: ip.ts isLoopback). */
export function localAddressSet(host: HostContext): ReadonlySet<number> {
  return new Set([...host.localAddresses].map(ipv4).filter((n): n is number => n !== null));
}

/** Dotted quad of an unsigned 32-bit address. */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

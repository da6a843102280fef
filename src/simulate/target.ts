// Rule targets → what the walker does. Terminal verdicts (ACCEPT/DROP/REJECT),
// control flow (jump/goto/RETURN), and non-terminating targets that change
// the packet (MARK, NOTRACK) or only observe it (LOG, NFLOG, no target).
// NAT targets rewrite the packet and then accept in the nat table
// (nf_nat_setup_info binds the mapping; xt_NAT returns NF_ACCEPT).
import type { TableName, Target } from "../rules/types.js";
import type { Walk } from "./state.js";
import { ipv4, parseMarkNumber, parseValueMask, PORT_PROTOCOLS } from "./ip.js";

export type Effect =
  /** No target: the rule only counts packets (Felix uses this to carry a comment). */
  | { readonly kind: "none" }
  | { readonly kind: "accept" | "drop" | "reject" | "return" }
  | { readonly kind: "jump" | "goto"; readonly chain: string }
  /** Non-terminating: change or observe the packet, then continue with the next rule. */
  | { readonly kind: "continue"; readonly action: string; readonly apply: (w: Walk) => void }
  /** NAT: rewrite, then the nat table's verdict is ACCEPT for this hook. */
  | { readonly kind: "nat"; readonly action: string; readonly apply: (w: Walk) => void }
  | { readonly kind: "unknown"; readonly why: string };

const NO_OP = (): void => {};

/**
 * MARK (iptables-extensions(8) MARK; xt_mark.c mark_tg computes
 * `(mark & ~mask) ^ value`). iptables turns each option into that form:
 * --set-xmark v/m as is; --set-mark v/m → mask m|v, i.e. (mark & ~m) | v;
 * --or-mark v → (mark | v); --and-mark v → (mark & v); --xor-mark v → (mark ^ v).
 * A missing mask means 0xffffffff.
 */
function markEffect(name: string, arg: string): ((m: number) => number) | null {
  if (name === "set-xmark" || name === "set-mark") {
    const vm = parseValueMask(arg);
    if (!vm) return null;
    const { value, mask } = vm;
    return name === "set-xmark" ? (m) => ((m & ~mask) ^ value) >>> 0 : (m) => ((m & ~mask) | value) >>> 0;
  }
  const v = parseMarkNumber(arg);
  if (v === null) return null;
  if (name === "or-mark") return (m) => (m | v) >>> 0;
  if (name === "and-mark") return (m) => (m & v) >>> 0;
  if (name === "xor-mark") return (m) => (m ^ v) >>> 0;
  return null;
}

/**
 * `--to-destination`/`--to-source` "[ip[-ip]][:port[-port]]". A range with
 * more than one address or port leaves the choice to the kernel's NAT
 * (hash of the tuple), which the simulator does not reproduce: null.
 */
function parseNatTo(spec: string): { ip: number | null; port: number | null } | null {
  const m = /^([0-9.]+)?(?:-([0-9.]+))?(?::(\d{1,5})(?:-(\d{1,5}))?)?$/.exec(spec);
  if (!m || (!m[1] && !m[3])) return null;
  const ip = m[1] ? ipv4(m[1]) : null;
  if (m[1] && ip === null) return null;
  if (m[2] !== undefined && ipv4(m[2]) !== ip) return null;
  const port = m[3] ? +m[3] : null;
  if (m[4] !== undefined && +m[4] !== port) return null;
  return { ip, port };
}

function natEffect(name: string, opts: ReadonlyMap<string, readonly string[]>): Effect {
  if (name === "MASQUERADE") {
    // The new source is the outgoing interface's address; only filtering on
    // this host follows, which never sees the rewritten source, so keep it.
    return { kind: "nat", action: "masquerade", apply: (w) => void (w.snat = true) };
  }
  const key = name === "DNAT" ? "to-destination" : "to-source";
  const to = opts.get(key);
  const parsed = to && to.length === 1 ? parseNatTo(to[0]!) : null;
  if (!parsed) return { kind: "unknown", why: `target ${name} --${key} ${to?.join(" ") ?? "(missing)"} (only one address and one port are modelled)` };
  const { ip, port } = parsed;
  if (name === "DNAT") {
    return {
      kind: "nat",
      action: "dnat",
      apply: (w) => {
        if (ip !== null) w.dst = ip;
        if (port !== null && PORT_PROTOCOLS.has(w.proto)) w.dstPort = port;
        w.dnat = true;
      },
    };
  }
  return {
    kind: "nat",
    action: "snat",
    apply: (w) => {
      if (ip !== null) w.src = ip;
      if (port !== null && PORT_PROTOCOLS.has(w.proto)) w.srcPort = port;
      w.snat = true;
    },
  };
}

/** Options each standard target may carry without changing what the simulator does. */
const ALLOWED_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  ACCEPT: [], DROP: [], RETURN: [], NOTRACK: [],
  REJECT: ["reject-with"],
  LOG: ["log-level", "log-prefix", "log-tcp-sequence", "log-tcp-options", "log-ip-options", "log-uid", "log-macdecode"],
  NFLOG: ["nflog-group", "nflog-prefix", "nflog-range", "nflog-size", "nflog-threshold"],
  MARK: ["set-xmark", "set-mark", "or-mark", "and-mark", "xor-mark"],
  DNAT: ["to-destination", "random", "persistent"],
  SNAT: ["to-source", "random", "random-fully", "persistent"],
  MASQUERADE: ["to-ports", "random", "random-fully"],
};

const NAT_TARGETS: ReadonlySet<string> = new Set(["DNAT", "SNAT", "MASQUERADE"]);

export function compileTarget(target: Target | null, table: TableName, chains: ReadonlySet<string>): Effect {
  if (target === null) return { kind: "none" };
  if (target.kind === "goto") {
    return chains.has(target.name) ? { kind: "goto", chain: target.name } : { kind: "unknown", why: `-g ${target.name}: no such chain in table ${table}` };
  }
  const name = target.name;
  if (chains.has(name)) return target.options.length ? { kind: "unknown", why: `options on a jump to chain ${name}` } : { kind: "jump", chain: name };
  const allowed = Object.hasOwn(ALLOWED_OPTIONS, name) ? ALLOWED_OPTIONS[name] : undefined;
  if (!allowed) return { kind: "unknown", why: `target ${name}` };
  const bad = target.options.find((o) => !allowed.includes(o.name));
  if (bad) return { kind: "unknown", why: `option --${bad.name} of target ${name}` };
  if (NAT_TARGETS.has(name) && table !== "nat") return { kind: "unknown", why: `target ${name} outside the nat table` };
  const opts = new Map(target.options.map((o) => [o.name, o.args]));
  switch (name) {
    case "ACCEPT":
      return { kind: "accept" };
    case "DROP":
      return { kind: "drop" };
    case "REJECT":
      return { kind: "reject" };
    case "RETURN":
      return { kind: "return" };
    case "LOG":
      return { kind: "continue", action: "log", apply: NO_OP };
    case "NFLOG":
      return { kind: "continue", action: "nflog", apply: NO_OP };
    case "NOTRACK":
      // raw-table NOTRACK attaches the untracked template before conntrack
      // runs: later hooks see ctstate UNTRACKED and the nat table is skipped.
      return table === "raw" ? { kind: "continue", action: "notrack", apply: (w) => void (w.ctstate = "UNTRACKED") } : { kind: "unknown", why: "target NOTRACK outside the raw table" };
    case "MARK": {
      const [o] = target.options;
      const f = target.options.length === 1 && o && o.args.length === 1 ? markEffect(o.name, o.args[0]!) : null;
      if (!f) return { kind: "unknown", why: `target MARK ${target.options.map((x) => `--${x.name} ${x.args.join(" ")}`).join(" ")}` };
      return { kind: "continue", action: "mark", apply: (w) => void (w.mark = f(w.mark)) };
    }
    default:
      return natEffect(name, opts);
  }
}

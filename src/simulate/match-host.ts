// Match modules whose answer depends on the host (ipsets, local addresses,
// routes, recent lists) or on chance (statistic). Each compiles a module's
// whole option list, because their options qualify each other
// (`--limit-iface-out` changes what `--src-type` means).
import type { RuleOption } from "../rules/types.js";
import type { Test, Walk } from "./state.js";
import { decide, formatIpv4 } from "./state.js";
import { ipv4, isLoopback, isMulticast } from "./ip.js";
import { parseSetFlags, setTest, setUnknown } from "./ipset.js";

/** Compiles a module's options; a string is the reason it is not modelled. */
export type ModuleCompiler = (options: readonly RuleOption[]) => Test | string;

function byName(options: readonly RuleOption[]): Map<string, RuleOption> {
  return new Map(options.map((o) => [o.name, o]));
}

function unexpected(options: readonly RuleOption[], known: readonly string[]): string | null {
  const bad = options.find((o) => !known.includes(o.name));
  return bad ? `option --${bad.name}` : null;
}

/** -m set: one or more --match-set NAME FLAGS, looked up in host.ipsets at walk time. */
function setModule(options: readonly RuleOption[]): Test | string {
  const bad = unexpected(options, ["match-set", "update-counters", "update-subcounters"]);
  if (bad) return bad;
  const tests: Test[] = [];
  for (const o of options) {
    if (o.name !== "match-set") continue; // counter updates do not change the verdict
    const [name, flags] = o.args;
    const dirs = o.args.length === 2 ? parseSetFlags(flags!) : null;
    if (!name || !dirs) return `--match-set ${o.args.join(" ")}`;
    const neg = o.negated;
    tests.push((w) => {
      const set = w.host.ipsets.get(name);
      if (!set) {
        w.unknown = `ipset '${name}' is not in HostContext.ipsets`;
        return false;
      }
      const c = w.tables.set(set);
      const r = setTest(c, dirs, w);
      if (r === null) w.unknown = setUnknown(set, c);
      return r === true ? !neg : r === false ? neg : false;
    });
  }
  // One set (the rule's usual form) is its own test; several are tested in turn without a closure per walk.
  if (tests.length === 1) return tests[0]!;
  return (w) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(w)) return false;
    return true;
  };
}

const ADDR_TYPES: ReadonlySet<string> = new Set([
  "UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE",
]);

/**
 * The route type the kernel reports for an address (inet_dev_addr_type):
 * 0.0.0.0/8 and 255.255.255.255 are BROADCAST, 224/4 MULTICAST, then a lookup
 * in the *local* routing table — LOCAL for the host's own addresses (and
 * 127/8), UNICAST for everything else. With a device (--limit-iface-*), a
 * local route on another device also reads as UNICAST. Approximations:
 * subnet-directed broadcasts (local-table `broadcast` routes) read as
 * UNICAST, and without host.interfaceAddresses the device limit is ignored
 * (the LOCAL test is host-wide).
 */
function addrType(w: Walk, addr: number, dev: string | null): string {
  if (addr >>> 24 === 0 || addr === 0xffffffff) return "BROADCAST";
  if (isMulticast(addr)) return "MULTICAST";
  const perIface = w.host.interfaceAddresses;
  if (dev !== null && dev !== "" && perIface) {
    if (dev === "lo" && isLoopback(addr)) return "LOCAL";
    return perIface.get(dev)?.has(formatIpv4(addr)) ? "LOCAL" : "UNICAST";
  }
  return isLoopback(addr) || w.tables.local(w.host).has(addr) ? "LOCAL" : "UNICAST";
}

function addrtypeModule(options: readonly RuleOption[]): Test | string {
  const bad = unexpected(options, ["src-type", "dst-type", "limit-iface-in", "limit-iface-out"]);
  if (bad) return bad;
  const o = byName(options);
  const limitIn = o.has("limit-iface-in");
  const limitOut = o.has("limit-iface-out");
  const side = (opt: RuleOption | undefined, src: boolean): Test | string | null => {
    if (!opt) return null;
    const types = (opt.args[0] ?? "").split(",");
    if (opt.args.length !== 1 || types.some((t) => !ADDR_TYPES.has(t))) return `--${opt.name} ${opt.args.join(" ")}`;
    const wanted = new Set(types);
    const neg = opt.negated;
    return (w) => {
      const dev = limitIn ? w.inIface : limitOut ? w.outIface : null;
      return wanted.has(addrType(w, src ? w.src : w.dst, dev)) !== neg;
    };
  };
  const s = side(o.get("src-type"), true);
  const d = side(o.get("dst-type"), false);
  if (typeof s === "string") return s;
  if (typeof d === "string") return d;
  return (w) => (s === null || s(w)) && (d === null || d(w));
}

/**
 * -m rpfilter (xt_rpfilter.c rpfilter_mt): packets from a loopback device
 * pass; a source that is one of the host's own addresses passes only with
 * --accept-local (the reverse route is LOCAL, not UNICAST); otherwise the
 * host answers whether the reverse route leaves through the input device.
 * --validmark only feeds the mark into that route lookup (policy routing by
 * mark is outside HostContext); --loose needs "is there any unicast route"
 * and is not modelled.
 */
function rpfilterModule(options: readonly RuleOption[]): Test | string {
  const bad = unexpected(options, ["validmark", "invert", "accept-local"]);
  if (bad) return bad === "option --loose" ? "option --loose (route existence is not in HostContext)" : bad;
  const o = byName(options);
  const invert = o.has("invert");
  const acceptLocal = o.has("accept-local");
  return (w) => {
    if (w.inIface === "lo") return !invert;
    const local = isLoopback(w.src) || w.tables.local(w.host).has(w.src);
    const ok = local ? acceptLocal : w.host.rpfilterOk(formatIpv4(w.src), w.inIface);
    return ok !== invert;
  };
}

/**
 * -m statistic: --mode random matches with --probability p (the kernel stores
 * round(p·2^31); iptables-save prints that value back, so p as read is exact
 * enough); --mode nth --every n matches one packet in n. Both branches are
 * explored with their probabilities; `!` swaps them.
 */
function statisticModule(options: readonly RuleOption[]): Test | string {
  const bad = unexpected(options, ["mode", "probability", "every", "packet"]);
  if (bad) return bad;
  const o = byName(options);
  const mode = o.get("mode")?.args[0];
  const arg = mode === "random" ? o.get("probability") : mode === "nth" ? o.get("every") : undefined;
  const n = arg && arg.args.length === 1 ? Number(arg.args[0]) : NaN;
  if (!arg || !Number.isFinite(n)) return `--mode ${mode ?? "?"} without a usable --probability/--every`;
  if (mode === "random" ? n < 0 || n > 1 : n < 1 || !Number.isInteger(n)) return `--${arg.name} ${arg.args[0]}`;
  const p = mode === "random" ? n : 1 / n;
  const pMatch = arg.negated ? 1 - p : p;
  return (w) => decide(w, pMatch);
}

/**
 * -m recent (xt_recent.c): --set records the address and matches; --rcheck
 * and --update ask whether it is listed — first in entries this walk set,
 * then host.recent (which owns --seconds/--hitcount); without host.recent
 * that is UNKNOWN. --remove is not modelled.
 */
function recentModule(options: readonly RuleOption[]): Test | string {
  const bad = unexpected(options, ["name", "set", "rcheck", "update", "seconds", "reap", "hitcount", "rttl", "mask", "rsource", "rdest"]);
  if (bad) return bad;
  const o = byName(options);
  const name = o.get("name")?.args[0] ?? "DEFAULT";
  const maskArg = o.get("mask")?.args[0];
  const mask = maskArg === undefined ? 0xffffffff : ipv4(maskArg);
  if (mask === null) return `--mask ${maskArg}`;
  const rdest = o.has("rdest");
  const cmd = o.get("set") ?? o.get("rcheck") ?? o.get("update");
  if (!cmd) return "no --set/--rcheck/--update";
  const neg = cmd.negated;
  return (w) => {
    const addr = formatIpv4(((rdest ? w.dst : w.src) & mask) >>> 0);
    const key = `${name}|${addr}`;
    if (cmd.name === "set") {
      w.recentSet.push(key);
      return !neg;
    }
    if (w.recentSet.includes(key)) return !neg;
    if (!w.host.recent) {
      w.unknown = `-m recent --${cmd.name} --name ${name} (no recent-list state: HostContext.recent is absent)`;
      return false;
    }
    return w.host.recent(name, addr) !== neg;
  };
}

/** Module name → whole-option-list compiler. */
export const HOST_MODULES: Readonly<Record<string, ModuleCompiler>> = {
  set: setModule,
  addrtype: addrtypeModule,
  rpfilter: rpfilterModule,
  statistic: statisticModule,
  recent: recentModule,
};

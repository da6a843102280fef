// Rule parts → compiled tests. The kernel checks the IP header fields of a
// rule (-s/-d/-i/-o/-p, ip_tables.c ip_packet_match) before any match module,
// then the modules in rule order, stopping at the first that fails; the tests
// come out in that order so that a module we cannot model only makes the
// outcome UNKNOWN when the kernel would really have consulted it.
//
// Stateless, packet-only modules live here; modules that ask the host or
// branch (addrtype, rpfilter, statistic, recent, set) are in sim-match-host.ts.
import type { Rule, RuleOption, RulePart } from "../rules/types.js";
import type { Test, Walk } from "./state.js";
import { unknownTest } from "./state.js";
import { inCidr, inPorts, parseCidr, parsePortList, parsePortRange, parseValueMask, protocolNumber, PORT_PROTOCOLS } from "./ip.js";
import type { PortRange } from "./ip.js";
import { HOST_MODULES } from "./match-host.js";

/** Compiles one module's options; returns null to mean "option not modelled" (reported by the caller). */
export type OptionCompiler = (o: RuleOption) => Test | null;

/** The compiled tests of a rule, head fields first (kernel order). */
export function compileTests(rule: Rule): Test[] {
  const heads: Test[] = [];
  const matches: Test[] = [];
  for (const part of rule.parts) {
    if (part.kind === "match") matches.push(compileModule(part.module, part.options));
    else heads.push(compileHead(part));
  }
  return [...heads, ...matches];
}

function compileHead(part: Exclude<RulePart, { kind: "match" }>): Test {
  const neg = part.negated;
  switch (part.kind) {
    case "source":
    case "destination": {
      const c = parseCidr(part.value);
      if (c === null) return unknownTest(`address '${part.value}' (only IPv4 addresses and CIDRs are modelled)`);
      return part.kind === "source" ? (w) => inCidr(w.src, c) !== neg : (w) => inCidr(w.dst, c) !== neg;
    }
    case "in-interface":
      return ifaceTest(part.value, neg, (w) => w.inIface);
    case "out-interface":
      return ifaceTest(part.value, neg, (w) => w.outIface);
    case "protocol": {
      const p = protocolNumber(part.value);
      if (p === null) return unknownTest(`protocol '${part.value}'`);
      // Protocol 0 ("all") matches every packet (ip_packet_match: `ipinfo->proto` 0 skips the test).
      return p === 0 ? () => !neg : (w) => (w.proto === p) !== neg;
    }
  }
}

/**
 * `-i`/`-o`: a trailing `+` makes the name a prefix (iptables(8): "If the
 * interface name ends in a '+', then any interface which begins with this
 * name will match"). A hook with no device ("") matches only negated tests.
 */
function ifaceTest(name: string, neg: boolean, get: (w: Walk) => string): Test {
  if (name.endsWith("+")) {
    const prefix = name.slice(0, -1);
    return (w) => {
      const i = get(w);
      return (i !== "" && i.startsWith(prefix)) !== neg;
    };
  }
  return (w) => (get(w) === name) !== neg;
}

const CT_STATES: ReadonlySet<string> = new Set(["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT"]);

/**
 * conntrack --ctstate / state --state: the packet's state bit, plus the SNAT
 * and DNAT pseudo-states when the connection's status says so
 * (xt_conntrack.c conntrack_mt: IPS_SRC_NAT / IPS_DST_NAT add their bits).
 */
function stateTest(o: RuleOption, allowNat: boolean): Test | null {
  const list = (o.args[0] ?? "").split(",");
  if (o.args.length !== 1 || list.some((s) => !CT_STATES.has(s) || (!allowNat && (s === "SNAT" || s === "DNAT")))) return null;
  const states = new Set(list);
  const dnat = states.has("DNAT");
  const snat = states.has("SNAT");
  const neg = o.negated;
  return (w) => (states.has(w.ctstate) || (dnat && w.dnat) || (snat && w.snat)) !== neg;
}

function portRangeTest(o: RuleOption, proto: number, src: boolean): Test | null {
  const r = o.args.length === 1 ? parsePortRange(o.args[0]!) : null;
  if (r === null) return null;
  const neg = o.negated;
  return (w) => w.proto === proto && (inPorts(src ? w.srcPort : w.dstPort, [r]) !== neg);
}

/** -m tcp|udp|sctp: port options only (tcp flags/options are not part of a Packet). */
function l4Module(proto: number): OptionCompiler {
  return (o) => {
    if (o.name === "dport" || o.name === "destination-port") return portRangeTest(o, proto, false);
    if (o.name === "sport" || o.name === "source-port") return portRangeTest(o, proto, true);
    return null;
  };
}

/** multiport: any listed port or range; --ports tests either side (xt_multiport.c ports_match_v1). */
function multiportOption(o: RuleOption): Test | null {
  const list: PortRange[] | null = o.args.length === 1 ? parsePortList(o.args[0]!) : null;
  if (list === null) return null;
  const neg = o.negated;
  const side = o.name === "sports" || o.name === "source-ports" ? "src" : o.name === "dports" || o.name === "destination-ports" ? "dst" : o.name === "ports" ? "any" : null;
  if (side === null) return null;
  return (w) => {
    if (!PORT_PROTOCOLS.has(w.proto)) return false;
    const hit = side === "src" ? inPorts(w.srcPort, list) : side === "dst" ? inPorts(w.dstPort, list) : inPorts(w.srcPort, list) || inPorts(w.dstPort, list);
    return hit !== neg;
  };
}

const ICMP_NAMES: ReadonlyMap<string, [number, number, number]> = new Map([
  ["any", [255, 0, 255]], ["echo-reply", [0, 0, 255]], ["destination-unreachable", [3, 0, 255]],
  ["port-unreachable", [3, 3, 3]], ["fragmentation-needed", [3, 4, 4]], ["redirect", [5, 0, 255]],
  ["echo-request", [8, 0, 255]], ["time-exceeded", [11, 0, 255]], ["parameter-problem", [12, 0, 255]],
]);

/** --icmp-type type[/code] or name; type 255 ("any") matches every ICMP packet (xt_icmp icmp_type_code_match). */
function icmpOption(o: RuleOption): Test | null {
  if (o.name !== "icmp-type" || o.args.length !== 1) return null;
  const a = o.args[0]!;
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(a);
  const spec = m ? ([+m[1]!, m[2] ? +m[2] : 0, m[2] ? +m[2] : 255] as const) : ICMP_NAMES.get(a);
  if (!spec) return null;
  const [type, lo, hi] = spec;
  const neg = o.negated;
  return (w) => {
    if (w.proto !== 1) return false;
    if (type === 255) return !neg;
    if (w.icmp === null) {
      w.unknown = "-m icmp --icmp-type on a packet without icmpType";
      return false;
    }
    const code = w.icmp & 255;
    return (w.icmp >> 8 === type && code >= lo && code <= hi) !== neg;
  };
}

function markOption(o: RuleOption): Test | null {
  const vm = o.name === "mark" && o.args.length === 1 ? parseValueMask(o.args[0]!) : null;
  if (vm === null) return null;
  const { value, mask } = vm;
  const neg = o.negated;
  // xt_mark.c mark_mt: ((skb->mark & mask) == mark) ^ invert.
  return (w) => (((w.mark & mask) >>> 0) === value) !== neg;
}

const always: Test = () => true;

/** Module name → option compiler, for the stateless modules. */
const MODULES: Readonly<Record<string, OptionCompiler>> = {
  comment: (o) => (o.name === "comment" ? always : null),
  // limit: rate limiting depends on timing; treated as always matching (a documented approximation).
  limit: (o) => (o.name === "limit" || o.name === "limit-burst" ? always : null),
  mark: markOption,
  multiport: multiportOption,
  tcp: l4Module(6),
  udp: l4Module(17),
  sctp: l4Module(132),
  icmp: icmpOption,
  conntrack: (o) => (o.name === "ctstate" ? stateTest(o, true) : null),
  state: (o) => (o.name === "state" ? stateTest(o, false) : null),
};

/** One `-m module options…` → a single test that ANDs its options, or an UNKNOWN test. */
export function compileModule(module: string, options: readonly RuleOption[]): Test {
  // What nftables text said that has no iptables meaning (rules/nft/lower.ts): UNKNOWN, naming the statement.
  if (module === "nft") return unknownTest(`nftables ${options.map((o) => o.args.join(" ")).join(", ")}`);
  const whole = Object.hasOwn(HOST_MODULES, module) ? HOST_MODULES[module] : undefined;
  if (whole) {
    const t = whole(options);
    return typeof t === "string" ? unknownTest(`${t} of match module '${module}'`) : t;
  }
  const compiler = Object.hasOwn(MODULES, module) ? MODULES[module] : undefined;
  if (!compiler) return unknownTest(`match module '${module}'`);
  const tests: Test[] = [];
  for (const o of options) {
    const t = compiler(o);
    if (t === null) return unknownTest(`option ${[o.negated ? "!" : "", `--${o.name}`, ...o.args].filter(Boolean).join(" ")} of match module '${module}'`);
    tests.push(t);
  }
  if (tests.length === 1) return tests[0]!;
  return (w) => {
    for (const t of tests) if (!t(w)) return false;
    return true;
  };
}

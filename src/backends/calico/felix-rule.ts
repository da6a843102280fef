// Felix rules with two faces. Every fragment carries the spelling Felix
// sends to iptables-restore (what the `cali:` hash covers, §6) and the
// RuleSet part iptables-save prints back (Appendix A). Building both from one
// call keeps them from drifting apart; nothing here concatenates flags into
// RuleSet text — the RuleSet side goes through src/rules/build.ts.
import { head, hex, m, t } from "../../rules/build.js";
import type { Chain, Rule, RulePart, Target } from "../../rules/types.js";
import { primeChainText, saveString, writeRuleBody } from "../../rules/writer.js";
import { RULE_HASH_PREFIX, appendsHashChain, escapeComment, ruleHashes } from "./names.js";

export interface Frag {
  /** Felix-internal spelling (hashed). */
  readonly felix: string;
  /** iptables-save form. */
  readonly part: RulePart;
}

export interface FelixTarget {
  readonly felix: string;
  readonly target: Target;
}

export interface FelixRule {
  /** Extra comments, unescaped; escaped once when rendered (§6). */
  readonly comments: readonly string[];
  readonly matches: readonly Frag[];
  readonly target: FelixTarget | null;
}

export function rule(matches: readonly Frag[], target: FelixTarget | null, ...comments: string[]): FelixRule {
  return { comments, matches, target };
}

/** Felix spells zero as `0` in ClearMark / MarkClear (Appendix A), unlike Go's %#x. */
function felixMark(value: number, mask: number, zeroAsBareZero: boolean): string {
  const v = value === 0 && zeroAsBareZero ? "0" : hex(value);
  return `${v}/${hex(mask)}`;
}

const neg = (negated: boolean): string => (negated ? "! " : "");

/** Match fragments, named after felix/iptables/match_builder.go. */
export const fm = {
  protocol: (name: string, negated = false): Frag => ({ felix: `${neg(negated)}-p ${name}`, part: head.protocol(name, negated) }),
  /** Numeric protocol: Felix writes the number, iptables-save prints `printed` (e.g. `ipencap` for 4). */
  protocolNum: (num: number, printed: string): Frag => ({ felix: `-p ${num}`, part: head.protocol(printed) }),
  source: (cidr: string, negated = false): Frag => ({ felix: `${neg(negated)}--source ${cidr}`, part: head.source(cidr, negated) }),
  destination: (cidr: string, negated = false): Frag => ({
    felix: `${neg(negated)}--destination ${cidr}`,
    part: head.destination(cidr, negated),
  }),
  inInterface: (iface: string): Frag => ({ felix: `--in-interface ${iface}`, part: head.inInterface(iface) }),
  outInterface: (iface: string): Frag => ({ felix: `--out-interface ${iface}`, part: head.outInterface(iface) }),
  set: (name: string, flags: "src" | "dst" | "src,src" | "dst,dst", negated = false): Frag => ({
    felix: `-m set ${neg(negated)}--match-set ${name} ${flags}`,
    part: m.set(name, flags, negated),
  }),
  multiport: (dir: "src" | "dst", ports: string, negated = false): Frag => ({
    felix: `-m multiport ${neg(negated)}--${dir === "src" ? "source" : "destination"}-ports ${ports}`,
    part: m.multiport(dir === "src" ? "sports" : "dports", ports, negated),
  }),
  /** MarkClear: `-m mark --mark 0/<mask>`. */
  markClear: (mask: number): Frag => ({ felix: `-m mark --mark ${felixMark(0, mask, true)}`, part: m.mark(0, mask) }),
  /** MarkSingleBitSet: `-m mark --mark <bit>/<bit>`. */
  markSet: (bit: number): Frag => ({ felix: `-m mark --mark ${felixMark(bit, bit, true)}`, part: m.mark(bit, bit) }),
  conntrack: (states: readonly string[], negated = false): Frag => ({
    felix: `-m conntrack ${neg(negated)}--ctstate ${states.join(",")}`,
    part: m.conntrack(states, negated),
  }),
  dstAddrTypeLocal: (): Frag => ({ felix: "-m addrtype --dst-type LOCAL", part: m.addrtype(m.opt("dst-type", ["LOCAL"])) }),
  srcAddrTypeLocal: (): Frag => ({ felix: "-m addrtype --src-type LOCAL", part: m.addrtype(m.opt("src-type", ["LOCAL"])) }),
  notSrcAddrTypeLocalLimitOut: (): Frag => ({
    felix: "-m addrtype ! --src-type LOCAL --limit-iface-out",
    part: m.addrtype(m.opt("src-type", ["LOCAL"], true), m.opt("limit-iface-out")),
  }),
  /** Felix `--invert --validmark`; libxt_rpfilter saves validmark first (§8.2). */
  rpfilterFailedValidMark: (): Frag => ({ felix: "-m rpfilter --invert --validmark", part: m.rpfilter("validmark", "invert") }),
};

/** Target fragments, named after felix/iptables/actions.go (§6). */
export const ft = {
  accept: (): FelixTarget => ({ felix: "--jump ACCEPT", target: t.accept() }),
  drop: (): FelixTarget => ({ felix: "--jump DROP", target: t.drop() }),
  ret: (): FelixTarget => ({ felix: "--jump RETURN", target: t.ret() }),
  jump: (chain: string): FelixTarget => ({ felix: `--jump ${chain}`, target: t.jump(chain) }),
  goto: (chain: string): FelixTarget => ({ felix: `--goto ${chain}`, target: t.goto(chain) }),
  /** By action name (for configurable verdicts). */
  verdict: (name: "ACCEPT" | "DROP" | "RETURN"): FelixTarget => ({ felix: `--jump ${name}`, target: t.jump(name) }),
  /** SetMark: `--set-mark <bit>/<bit>`. */
  setMark: (bit: number): FelixTarget => ({ felix: `--jump MARK --set-mark ${felixMark(bit, bit, true)}`, target: t.setXmark(bit, bit) }),
  /** ClearMark: `--set-mark 0/<mask>`. */
  clearMark: (mask: number): FelixTarget => ({
    felix: `--jump MARK --set-mark ${felixMark(0, mask, true)}`,
    target: t.setXmark(0, mask),
  }),
  /** SetMaskedMark: `--set-mark %#x/%#x` — zero prints `0x0` here (§4.4). */
  setMaskedMark: (value: number, mask: number): FelixTarget => ({
    felix: `--jump MARK --set-mark ${felixMark(value, mask, false)}`,
    target: t.setXmark(value, mask),
  }),
  masquerade: (randomFully: boolean): FelixTarget => ({
    felix: randomFully ? "--jump MASQUERADE --random-fully" : "--jump MASQUERADE",
    target: t.masquerade(randomFully),
  }),
};

// Most rules of an endpoint chain are the same on every endpoint (endpoints.ts
// keeps them as module constants made by sharedRule), so their hashed text
// and the saved-form parts that do not depend on the hash are derived once.
// Only shared rules are remembered: a WeakMap entry per one-off rule would
// cost the garbage collector more than it saves.
const bodies = new WeakMap<FelixRule, string>();

/** A rule used in many chains: its derived texts are computed now, once. */
export function sharedRule(matches: readonly Frag[], target: FelixTarget | null, ...comments: string[]): FelixRule {
  const r = rule(matches, target, ...comments);
  bodies.set(r, buildFelixBody(r));
  shapes.set(r, buildShape(r));
  texts.set(r, buildSavedText(r));
  return r;
}

/** The text Felix hashes after `-A <chain> HASH` (§6): comments, matches, target. */
export function felixBody(r: FelixRule): string {
  return bodies.get(r) ?? buildFelixBody(r);
}

function buildFelixBody(r: FelixRule): string {
  const comments = r.comments.map((c) => `-m comment --comment "${escapeComment(c)}"`);
  const pieces = [...comments, ...r.matches.map((f) => f.felix)];
  if (r.target) pieces.push(r.target.felix);
  return pieces.join(" ");
}

/** iptables-save moves these to the front, in this order (Appendix A). */
const HEAD_ORDER: readonly RulePart["kind"][] = ["source", "destination", "in-interface", "out-interface", "protocol"];

/**
 * A zero-length prefix is no match at all to the kernel: `-d 0.0.0.0/0` is
 * stored as "any address" and iptables-save prints nothing for it (iptables
 * print_ip / nft save_ipv4_addr skip an all-zero address and mask). Felix
 * still hashes the `--destination 0.0.0.0/0` it sent.
 */
function printedBySave(p: RulePart): boolean {
  return !((p.kind === "source" || p.kind === "destination") && !p.negated && p.value === "0.0.0.0/0");
}

interface SavedShape {
  readonly heads: readonly RulePart[];
  readonly comments: readonly RulePart[];
  readonly modules: readonly RulePart[];
}

const shapes = new WeakMap<FelixRule, SavedShape>();

function buildShape(r: FelixRule): SavedShape {
  const heads = HEAD_ORDER.flatMap((k) => r.matches.filter((f) => f.part.kind === k).map((f) => f.part)).filter(printedBySave);
  const modules = r.matches.filter((f) => f.part.kind === "match").map((f) => f.part);
  return { heads, comments: r.comments.map((c) => m.comment(escapeComment(c))), modules };
}

function savedRule(r: FelixRule, hash: string): Rule {
  const { heads, modules, comments: extra } = shapes.get(r) ?? buildShape(r);
  const comments = [m.comment(RULE_HASH_PREFIX + hash), ...extra];
  return { parts: [...heads, ...comments, ...modules], target: r.target ? r.target.target : null };
}

/** Hash a run of rules under `hashChain` and convert them to iptables-save form. */
export function hashRules(hashChain: string, rules: readonly FelixRule[]): Rule[] {
  const hashes = ruleHashes(hashChain, rules.map(felixBody));
  return rules.map((r, i) => savedRule(r, hashes[i] ?? ""));
}

// The saved text of a rule around its hash, for the text path below.
interface SavedText {
  /** Head parts, then the hash comment up to the hash itself. */
  readonly open: string;
  /** The rest after the hash (comments, modules, target) and the newline. */
  readonly close: string;
}

const texts = new WeakMap<FelixRule, SavedText>();

// The hash comment as the writer quotes it: the hash is base64url, so only the
// prefix decides whether saveString quotes (it does: `cali:` has a colon).
const SAMPLE_HASH = "A";
const QUOTED_HASH = saveString(RULE_HASH_PREFIX + SAMPLE_HASH);
const HASH_OPEN = "-m comment --comment " + QUOTED_HASH.slice(0, QUOTED_HASH.length - SAMPLE_HASH.length - (QUOTED_HASH.endsWith('"') ? 1 : 0));
const HASH_CLOSE = QUOTED_HASH.endsWith('"') ? '"' : "";

function buildSavedText(r: FelixRule): SavedText {
  const { heads, modules, comments } = shapes.get(r) ?? buildShape(r);
  const before = writeRuleBody({ parts: heads, target: null });
  const after = writeRuleBody({ parts: [...comments, ...modules], target: r.target ? r.target.target : null });
  return { open: (before ? before + " " : "") + HASH_OPEN, close: HASH_CLOSE + (after ? " " + after : "") + "\n" };
}

/**
 * A user chain written straight to iptables-save text (endpoint chains: one
 * per endpoint and direction, millions of rules at scale). Its RuleSet rules
 * are built only if something reads them (verify, simulator, optimizer);
 * the writer uses the text, which equals writing those rules.
 */
export function textChain(name: string, rules: readonly FelixRule[]): Chain {
  const hashes = ruleHashes(name, rules.map(felixBody));
  const lead = "-A " + name + " ";
  // Pieces joined once: one flat string, not a rope the writer must flatten before encoding it.
  const pieces: string[] = [];
  for (let i = 0; i < rules.length; i++) {
    const s = texts.get(rules[i]!) ?? buildSavedText(rules[i]!);
    pieces.push(lead, s.open, hashes[i]!, s.close);
  }
  const text = pieces.join("");
  let saved: Rule[] | undefined;
  const c: Chain = {
    name,
    policy: null,
    get rules(): readonly Rule[] {
      return (saved ??= rules.map((r, i) => savedRule(r, hashes[i] ?? "")));
    },
  };
  primeChainText(c, text);
  return c;
}

/** A user chain (policy null) or built-in chain (policy given). */
export function chain(name: string, rules: readonly FelixRule[], policy: string | null = null): Chain {
  return { name, policy, rules: hashRules(name, rules) };
}

/**
 * A kernel chain with Felix hooks: inserted rules hash under the kernel chain
 * name, appended ones under `<chain>*appends*` (§2.2).
 */
export function kernelChain(name: string, policy: string, inserted: readonly FelixRule[], appended: readonly FelixRule[] = []): Chain {
  return { name, policy, rules: [...hashRules(name, inserted), ...hashRules(appendsHashChain(name), appended)] };
}

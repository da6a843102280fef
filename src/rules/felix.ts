// Felix's spelling of a rule and its `cali:` hashes (spec felix-format §6,
// Appendix A). A Calico chain is built once in the rule model (types.ts);
// the iptables renderer (writer.ts) derives from each rule both the text
// Felix sends to iptables-restore — which the hash covers — and what
// iptables-save prints back. They differ in long vs short flags
// (`--source` / `-s`), option names (`--destination-ports` / `--dports`),
// mark spelling (`0/0x10000` / `0x0/0x10000`), protocol numbers (`-p 4` /
// `-p ipencap`), option order (`--invert --validmark`) and placement (comments
// first / the fields iptables-save moves to the front). Deriving both here, from
// one rule, is what keeps them from drifting apart.
import { digest64 } from "./digest.js";
import type { Rule, RuleOption, RulePart, Target } from "./types.js";

/** felix/rules/rule_defs.go RuleHashPrefix and HashLength (§6). */
export const RULE_HASH_PREFIX = "cali:";
export const RULE_HASH_LENGTH = 16;
/** iptables' XT_MAX_COMMENT_LEN and Felix's truncateComment (§6, §10.6.15). */
export const MAX_COMMENT_LENGTH = 256;

/**
 * Felix's escapeComment + truncateComment (§6): every character (Go regexp
 * works on runes) outside `[A-Za-z0-9_ @%+=:,./-]` becomes `_`, then the text
 * is cut to 256 bytes (all ASCII by then). After this no quote, backslash or
 * newline can reach iptables-restore.
 */
const COMMENT_SAFE = /^[A-Za-z0-9_ @%+=:,./-]*$/;
/** One character outside the alphabet: with `u`, a code point (a surrogate pair is one, as a Go rune; a lone surrogate too). */
const COMMENT_UNSAFE = /[^A-Za-z0-9_ @%+=:,./-]/gu;

export function escapeComment(text: string): string {
  // Only the first MAX_COMMENT_LENGTH code points can reach the result, and they lie within twice as many UTF-16
  // units (a surrogate pair cut at the end is past them): a long comment (-O2's "Shared by" lists every sharer) is
  // escaped from that head, not whole.
  const head = text.length > 2 * MAX_COMMENT_LENGTH ? text.slice(0, 2 * MAX_COMMENT_LENGTH) : text;
  // Fast path: nearly every comment is already in the alphabet and short.
  if (head.length <= MAX_COMMENT_LENGTH && COMMENT_SAFE.test(head)) return head;
  return head.replace(COMMENT_UNSAFE, "_").slice(0, MAX_COMMENT_LENGTH);
}

const HEAD_LONG: Readonly<Record<string, string>> = {
  source: "--source",
  destination: "--destination",
  "in-interface": "--in-interface",
  "out-interface": "--out-interface",
  protocol: "-p",
};

/** Felix's option names where iptables-save prints its own (match_builder.go vs libxt_multiport). */
const OPTION_LONG: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  multiport: { dports: "destination-ports", sports: "source-ports" },
};

const neg = (negated: boolean): string => (negated ? "! " : "");

/** Felix writes a zero mark value bare (`0/0x10000`); iptables-save prints Go's %#x (`0x0/0x10000`). */
const bareZero = (arg: string): string => (arg.startsWith("0x0/") ? "0" + arg.slice(3) : arg);

function felixOption(module: string, o: RuleOption): string {
  const name = OPTION_LONG[module]?.[o.name] ?? o.name;
  const args = module === "mark" ? o.args.map(bareZero) : o.args;
  return `${neg(o.negated)}--${name}${args.map((a) => " " + a).join("")}`;
}

/** rpfilter: Felix writes `--invert --validmark`; libxt_rpfilter saves validmark first (§8.2). */
function felixOptions(module: string, options: readonly RuleOption[]): readonly RuleOption[] {
  return module === "rpfilter" ? [...options].sort((a, b) => Number(b.name === "invert") - Number(a.name === "invert")) : options;
}

/**
 * Matches Felix never names: its DestPort writes `--dport N` straight after `-p udp|tcp` (match_builder.go; the
 * raw VXLAN NOTRACK rules), continuing the match iptables loads for the protocol; iptables-save prints it
 * `-m udp --dport N` (App. A), which parses back to the same part.
 */
const FELIX_IMPLICIT_MODULES: ReadonlySet<string> = new Set(["tcp", "udp"]);

function felixPart(p: RulePart): string {
  if (p.kind !== "match") return `${neg(p.negated)}${HEAD_LONG[p.kind]} ${p.value}`;
  const options = felixOptions(p.module, p.options).map((o) => felixOption(p.module, o));
  return (FELIX_IMPLICIT_MODULES.has(p.module) ? options : [`-m ${p.module}`, ...options]).join(" ");
}

function felixTarget(t: Target): string {
  if (t.kind === "goto") return `--goto ${t.name}`;
  if (t.name === "MARK") {
    // ClearMark/SetMark write a zero value bare, SetMaskedMark as %#x (§4.4): the model keeps which one built it.
    const opts = t.options.map((o) => `--${o.name === "set-xmark" ? "set-mark" : o.name} ${t.spelling === "masked" ? o.args.join(" ") : o.args.map(bareZero).join(" ")}`);
    return ["--jump MARK", ...opts].join(" ");
  }
  // NFLOG: Felix writes group, prefix, size; iptables-save (the model's order) prints prefix first (App. B).
  const options = t.name === "NFLOG" ? [...t.options].sort((a, b) => NFLOG_ORDER.indexOf(a.name) - NFLOG_ORDER.indexOf(b.name)) : t.options;
  return [`--jump ${t.name}`, ...options.map((o) => `${neg(o.negated)}--${o.name}${o.args.map((a) => " " + a).join("")}`)].join(" ");
}

/** Felix's order of NFLOG's options (felix/iptables/actions.go NflogAction.ToFragment); the prefix is written unquoted. */
const NFLOG_ORDER: readonly string[] = ["nflog-group", "nflog-prefix", "nflog-size", "nflog-range"];

/** The text Felix hashes after `-A <chain> HASH` (§6): its comments, then its matches, then its target. */
export function felixText(r: Rule): string {
  const pieces = (r.comments ?? []).map((c) => `-m comment --comment "${escapeComment(c)}"`);
  for (const p of r.parts) pieces.push(felixPart(p));
  if (r.target) pieces.push(felixTarget(r.target));
  return pieces.join(" ");
}

const SHA224_BYTES = 28;

/**
 * The rule-hash chain (§6): h0 = SHA-224(chain), h_i = SHA-224(h_{i-1} ‖ R_i)
 * where R_i is the rule in Felix's spelling with the literal `HASH` in place
 * of the hash comment, so each hash depends on every earlier rule. One hasher
 * per renderer: its scratch buffer is reused for every rule it hashes.
 */
export class RuleHasher {
  private scratch = Buffer.allocUnsafe(4096);
  /** h_{i-1} of the chain being hashed, as base64url text (decoded into the scratch buffer ahead of R_i). */
  private h = "";
  /** Where `-A <chain> HASH` ends in the scratch buffer (after the 28 bytes of h_{i-1}). */
  private leadEnd = 0;

  hashes(chain: string, bodies: readonly string[]): string[] {
    this.start(chain);
    return bodies.map((body) => this.next(body));
  }

  /** Begin a chain: h0 = SHA-224(chain). */
  start(chain: string): void {
    this.h = digest64("sha224", chain);
    // Buffer: h ‖ `-A <chain> HASH` ‖ (` ` body); the middle is written once per chain.
    const lead = `-A ${chain} HASH`;
    const leadMax = SHA224_BYTES + lead.length * 3;
    if (this.scratch.length < leadMax) this.scratch = Buffer.allocUnsafe(Math.max(leadMax, this.scratch.length * 2));
    this.leadEnd = SHA224_BYTES + this.scratch.write(lead, SHA224_BYTES, "utf8");
  }

  /** The hash of the chain's next rule, whose Felix spelling is `body` (after `start`). */
  next(body: string): string {
    const leadEnd = this.leadEnd;
    const need = leadEnd + 1 + body.length * 3;
    if (this.scratch.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
      this.scratch.copy(grown, 0, 0, leadEnd);
      this.scratch = grown;
    }
    this.scratch.write(this.h, 0, "base64url");
    let n = leadEnd;
    if (body) {
      this.scratch[n++] = 0x20;
      n += this.scratch.write(body, n, "utf8");
    }
    this.h = digest64("sha224", this.scratch.subarray(0, n));
    return this.h.slice(0, RULE_HASH_LENGTH);
  }
}

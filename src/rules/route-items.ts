// The items of one `ip -batch` / `bridge -batch` command (grammar/routes:
// `Option Value | Flag | Bare`, in any order) gathered for the command
// builders of route-commands.ts: options and flags by their canonical
// keyword, positional words in order. Also the per-line error context.
import type { IToken } from "chevrotain";
import type { Checked } from "./route-words.js";

/** What every `<x>Item` rule of grammar/routes produces (the labels make them one shape). */
export interface ItemNode {
  readonly children: { readonly Option?: IToken[]; readonly Value?: IToken[]; readonly Flag?: IToken[]; readonly Bare?: IToken[] };
}

export interface Option {
  /** The keyword as written (`protocol`, `oif`, ...). */
  readonly key: IToken;
  readonly value: IToken;
}

export interface Positional {
  readonly word: IToken;
  /** The keyword that introduced it (`to`, `blackhole`, `local`, `name`, ...), or null for a bare word. */
  readonly keyword: IToken | null;
}

export interface Words {
  /** `route replace`, `link add`, ...: names the command in messages. */
  readonly command: string;
  readonly options: ReadonlyMap<string, Option>;
  readonly flags: ReadonlyMap<string, IToken>;
  readonly positional: readonly Positional[];
}

/** ip's synonyms, folded to the keyword the writer prints. */
const SYNONYMS: ReadonlyMap<string, string> = new Map([
  ["protocol", "proto"], ["priority", "metric"], ["preference", "metric"], ["oif", "dev"], ["vni", "id"], ["addr", "address"],
  // bridge fdb: `static` and `permanent` both make an entry the VXLAN driver never ages out.
  ["static", "permanent"],
]);

/** How a command's items are read. */
export interface CommandSpec {
  /** Keywords that introduce the positional word instead of an option (`to`, `local`, `name`, route types), as in ip. */
  readonly positional: ReadonlySet<string>;
  /**
   * Words ip or bridge accept here that netpolc's route model cannot hold
   * (ip/iproute.c, ipaddress.c, ipneigh.c, iplink.c, iplink_vxlan.c,
   * bridge/fdb.c): reported as unsupported by name instead of being read as
   * a destination or device. Per command, so a device may be called `peer`.
   */
  readonly notModelled: ReadonlySet<string>;
  /** Why a word of `notModelled` is refused, when the generic message would not say. */
  readonly reason?: (word: string) => string | null;
}

const spec = (positional: string[], notModelled: string[], reason?: (word: string) => string | null): CommandSpec => ({
  positional: new Set(positional),
  notModelled: new Set(notModelled),
  ...(reason ? { reason } : {}),
});

/** Route types other than unicast and blackhole (ip/iproute.c: the word before a destination). */
const ROUTE_TYPES: ReadonlySet<string> = new Set(["unreachable", "prohibit", "throw", "nat", "xresolve", "broadcast", "brd", "anycast", "multicast"]);

export const ROUTE: CommandSpec = spec(
  ["to", "blackhole", "unicast"],
  [
    ...ROUTE_TYPES, "table", "vrf", "src", "from", "as", "tos", "dsfield", "expires", "hoplimit", "advmss", "reordering", "rtt",
    "rttvar", "rto_min", "window", "cwnd", "initcwnd", "initrwnd", "features", "quickack", "congctl", "ssthresh", "realm",
    "realms", "nexthop", "nhid", "pref", "encap", "ttl-propagate", "fastopen_no_cookie", "lock",
  ],
  (w) => (ROUTE_TYPES.has(w) ? `route type '${w}' is not supported (netpolc models unicast and blackhole routes)` : null),
);
export const ADDRESS: CommandSpec = spec(
  ["local"],
  ["peer", "remote", "label", "broadcast", "brd", "anycast", "valid_lft", "preferred_lft", "mngtmpaddr", "nodad", "optimistic", "noprefixroute", "autojoin", "home"],
);
export const NEIGH: CommandSpec = spec(["to"], ["proxy", "router", "use", "managed", "extern_learn", "extern_valid"]);
const LINK_WORDS = [
  "down", "index", "broadcast", "brd", "txqueuelen", "qlen", "txqlen", "arp", "multicast", "allmulticast", "promisc",
  "trailers", "netns", "master", "nomaster", "vrf", "alias", "group", "mode", "state", "carrier", "numtxqueues",
  "numrxqueues", "addrgenmode", "protodown", "link-netns", "link-netnsid", "xdp",
];
export const LINK_ADD: CommandSpec = spec(["name", "dev"], LINK_WORDS);
export const LINK_SET: CommandSpec = spec(["dev"], LINK_WORDS);
export const VXLAN: CommandSpec = spec(
  [],
  [
    "learning", "remote", "group", "ttl", "hoplimit", "tos", "df", "flowlabel", "ageing", "maxaddress", "srcport", "port",
    "udpcsum", "noudpcsum", "udp6zerocsumtx", "udp6zerocsumrx", "external", "noexternal", "gbp", "gpe", "proxy", "rsc",
    "l2miss", "l3miss", "vnifilter", "localbypass",
  ],
);
export const FDB: CommandSpec = spec(
  ["to"],
  ["master", "router", "use", "extern_learn", "sticky", "dynamic", "temp", "vlan", "port", "src_vni", "nhid", "activity_notify", "inactive", "norefresh"],
);

/** The first issue of a line; later ones would only follow from it, so they are dropped. */
export class LineContext {
  failed = false;

  constructor(private readonly sink: (at: IToken | null, id: string, message: string) => void) {}

  /** `at` null: the end of the line (where a missing word would go). */
  error(at: IToken | null, id: string, message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.sink(at, id, message);
  }

  /** The checked value, or null after reporting why it is invalid (at `tok`). */
  check<T>(tok: IToken, c: Checked<T>): T | null {
    if ("value" in c) return c.value;
    this.error(tok, "routes/invalid-value", c.error);
    return null;
  }
}

/** Gathers a command's items; `command` names it in messages. */
export function collect(command: string, items: readonly ItemNode[], spec: CommandSpec, ctx: LineContext): Words {
  const options = new Map<string, Option>();
  const flags = new Map<string, IToken>();
  const words: Positional[] = [];
  for (const { children: c } of items) {
    const key = c.Option?.[0] ?? c.Flag?.[0];
    const value = c.Value?.[0];
    if (!key) {
      const bare = c.Bare![0]!;
      if (spec.notModelled.has(bare.image)) {
        ctx.error(bare, "routes/unsupported", spec.reason?.(bare.image) ?? `'${bare.image}' is not supported in ${command}`);
      }
      // ip joins a line ending in `\` with the next (lib/utils.c getcmdline); netpolc never writes one.
      if (bare.image === "\\") ctx.error(bare, "routes/unsupported", "line continuations (a trailing '\\') are not supported");
      words.push({ word: bare, keyword: null });
      continue;
    }
    const name = SYNONYMS.get(key.image) ?? key.image;
    if (value && spec.positional.has(name)) words.push({ word: value, keyword: key });
    else if (options.has(name) || flags.has(name)) ctx.error(key, "routes/parse-error", `duplicate '${key.image}' in ${command}`);
    else if (value) options.set(name, { key, value });
    else flags.set(name, key);
  }
  return { command, options, flags, positional: words };
}

/** The one positional word a command takes (`what` names it); reports a missing or a second one. */
export function single(w: Words, what: string, ctx: LineContext): Positional | null {
  const [first, second] = w.positional;
  if (second) ctx.error(second.word, "routes/parse-error", `unexpected '${second.word.image}': ${w.command} already has its ${what} ('${first!.word.image}')`);
  else if (!first) ctx.error(null, "routes/parse-error", `expected ${what} in ${w.command}, found end of line`);
  return first ?? null;
}

/** The checked value of an optional option, null when absent (or invalid: then reported). */
export function optional<T>(w: Words, key: string, check: (word: string) => Checked<T>, ctx: LineContext): T | null {
  const o = w.options.get(key);
  return o ? ctx.check(o.value, check(o.value.image)) : null;
}

/** The checked value of a required option; reports its absence at the end of the line. */
export function required<T>(w: Words, key: string, what: string, check: (word: string) => Checked<T>, ctx: LineContext): T | null {
  if (!w.options.has(key)) ctx.error(null, "routes/parse-error", `expected ${key} <${what}> in ${w.command}, found end of line`);
  return optional(w, key, check, ctx);
}

/** Reports the first of `keys` present: options the command accepts but this kind of it cannot carry. */
export function refuse(w: Words, keys: readonly string[], why: string, ctx: LineContext): void {
  for (const k of keys) {
    const tok = w.options.get(k)?.key ?? w.flags.get(k);
    if (tok) return ctx.error(tok, "routes/unsupported", `'${tok.image}' is not supported ${why}`);
  }
}

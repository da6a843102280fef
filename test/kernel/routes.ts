// netpolc's route output in the kernel: load a node's `<node>.routes` with
// `ip -n <ns> -batch -` and `<node>.fdb` with `bridge -n <ns> -batch -`,
// exactly as an operator would, then read back what the kernel made of them
// (`ip -j route/neigh/address/link`, `bridge -j fdb`) and compare it with what
// the file declares, read by netpolc's own parser (src/rules/route-parser.ts).
// Only ever called with one of the run's namespaces (NsGuard).
import { DEVICE } from "../../src/backends/calico/names.js";
import { parseFdb, parseRoutes } from "../../src/rules/route-parser.js";
import type { RouteCommand } from "../../src/rules/routes.js";
import type { NsGuard } from "./sys.js";

/** One node's route output, as netpolc writes it. */
export interface NodeRoutes {
  /** `ip -batch` input (`<node>.routes`). */
  readonly routes: string;
  /** `bridge -batch` input (`<node>.fdb`); empty for clusters without VXLAN. */
  readonly fdb: string;
}

/** The uplink every harness node has (netpolc's default `--uplink`). */
export const UPLINK = "eth0";

/** Why a file was not accepted: the program, its exit status and what it printed (with `Command failed -:<line>`). */
export class BatchRejected extends Error {}

/**
 * Remove what an earlier load made: the VXLAN device (its addresses, routes,
 * neighbours and FDB entries go with it) and every route into `podRange` (the
 * pods' /32s, blackholes, remote blocks). `link add vxlan.calico` cannot be
 * applied twice (the kernel answers "File exists", and `link replace` on a
 * vxlan device "Operation not supported"), and `route replace` never removes a
 * route the file no longer has, so a reload starts from a clean node, as
 * wipeNode does for the rules.
 */
export async function wipeRoutes(g: NsGuard, ns: string, podRange: string): Promise<void> {
  const del = await g.tryIp(ns, ["link", "del", DEVICE.vxlanTunnel]);
  if (del.code !== 0 && !/Cannot find device/.test(del.stderr)) throw new Error(`ip -n ${ns} link del ${DEVICE.vxlanTunnel}: ${del.stderr.trim()}`);
  await g.ip(ns, ["route", "flush", "root", podRange]);
}

/** `ip -batch` then `bridge -batch`; a line the kernel refuses is a BatchRejected naming the file and its line. */
export async function applyRoutes(g: NsGuard, ns: string, r: NodeRoutes, label: string): Promise<void> {
  const ip = await g.tryIp(ns, ["-batch", "-"], r.routes);
  if (ip.code !== 0) throw new BatchRejected(`${label}.routes: ip -batch exited ${ip.code}: ${ip.stderr.trim()}${lineOf(r.routes, ip.stderr)}`);
  if (!r.fdb) return;
  const br = await g.tryBridgeBatch(ns, r.fdb.replace(/\n$/, "").split("\n"));
  if (br.code !== 0) throw new BatchRejected(`${label}.fdb: bridge -batch exited ${br.code}: ${br.stderr.trim()}${lineOf(r.fdb, br.stderr)}`);
}

/** ip and bridge say `Command failed -:<n>`; quote that line of the input. */
function lineOf(text: string, stderr: string): string {
  const n = Number(/Command failed -:(\d+)/.exec(stderr)?.[1] ?? 0);
  const line = n > 0 ? text.split("\n")[n - 1] : undefined;
  return line === undefined ? "" : `\n  line ${n}: ${line}`;
}

/** Wipe, then load: the node's routing state is exactly what the files say. */
export async function loadRoutes(g: NsGuard, ns: string, r: NodeRoutes, podRange: string, label: string): Promise<void> {
  await wipeRoutes(g, ns, podRange);
  await applyRoutes(g, ns, r, label);
}

// ---------------------------------------------------------------------------
// Declared vs installed. Each side is reduced to one line per object in the
// same spelling, so a difference reads like `ip route` output.

type Prefix = Extract<RouteCommand, { kind: "via" | "dev" | "blackhole" }>;

const hostCidr = (dst: string): string => (dst.includes("/") ? dst : `${dst}/32`);

function routeKey(r: { type: string; dst: string; gateway?: string | null; dev?: string | null; proto?: string | null; scope?: string | null; onlink?: boolean; metric?: number | null; mtu?: number | null }): string {
  const parts = [r.type, hostCidr(r.dst)];
  if (r.gateway) parts.push(`via ${r.gateway}`);
  if (r.dev) parts.push(`dev ${r.dev}`);
  parts.push(`proto ${r.proto ?? "boot"}`);
  if (r.scope && r.scope !== "global") parts.push(`scope ${r.scope}`);
  if (r.onlink) parts.push("onlink");
  if (r.metric) parts.push(`metric ${r.metric}`);
  if (r.mtu) parts.push(`mtu ${r.mtu}`);
  return parts.join(" ");
}

/**
 * What `ip route show` must list for one route command. A `via` route without
 * `dev` (BIRD's route to a peer on the node's own subnet) is resolved by the
 * kernel to the interface whose subnet holds the gateway: the uplink.
 */
function declaredRoute(c: Prefix): string {
  switch (c.kind) {
    case "blackhole":
      return routeKey({ type: "blackhole", dst: c.cidr, proto: c.proto });
    case "dev":
      return routeKey({ type: "unicast", dst: c.cidr, dev: c.dev, proto: c.proto, scope: c.scope, metric: c.metric });
    case "via":
      return routeKey({ type: "unicast", dst: c.cidr, gateway: c.via, dev: c.dev ?? UPLINK, proto: c.proto, onlink: c.onlink, mtu: c.mtu });
  }
}

export interface Declared {
  readonly routes: string[];
  readonly neighbours: string[];
  readonly addresses: string[];
  /** `<dev> mtu <n> up` for every `link set … up`. */
  readonly links: string[];
  readonly fdb: string[];
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** What the files declare, read by netpolc's own parser (which must accept them). */
export function declared(r: NodeRoutes, label: string): Declared {
  const parsed = parseRoutes(r.routes, { file: `${label}.routes` });
  const fdb = parseFdb(r.fdb, { file: `${label}.fdb` });
  const errors = [...parsed.diagnostics, ...fdb.diagnostics].map((d) => `${d.span?.file}:${d.line}: ${d.message}`);
  if (errors.length) throw new Error(`netpolc's parser rejects its own output:\n  ${errors.join("\n  ")}`);
  const cmds = parsed.commands;
  const pick = <K extends RouteCommand["kind"]>(k: K): Extract<RouteCommand, { kind: K }>[] =>
    cmds.filter((c): c is Extract<(typeof cmds)[number], { kind: K }> => c.kind === k);
  return {
    routes: sorted(cmds.flatMap((c) => (c.kind === "via" || c.kind === "dev" || c.kind === "blackhole" ? [declaredRoute(c)] : []))),
    neighbours: sorted(pick("neigh").map((n) => `${n.address} dev ${n.dev} lladdr ${n.lladdr} PERMANENT`)),
    addresses: sorted(pick("addr").map((a) => `${a.cidr} dev ${a.dev}`)),
    links: sorted(pick("link-up").map((l) => `${l.dev}${l.mtu === null ? "" : ` mtu ${l.mtu}`} up`)),
    fdb: sorted(fdb.entries.map((e) => `${e.mac} dev ${e.dev} dst ${e.dst} self permanent`)),
  };
}

interface JsonRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  flags?: string[];
  metric?: number;
  metrics?: { mtu?: number }[];
}

/** `ip -j …` / `bridge -j …` inside the namespace, parsed. */
async function json<T>(g: NsGuard, ns: string, cmd: "ip" | "bridge", args: readonly string[]): Promise<T[]> {
  const out = await g.inNs(ns, cmd, ["-j", ...args]);
  return out.trim() ? (JSON.parse(out) as T[]) : [];
}

interface JsonLink {
  ifname: string;
  mtu: number;
  flags: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

const devOf = (line: string): string => / dev (\S+)/.exec(line)?.[1] ?? line.split(" ")[0]!;

/**
 * The namespace's main routing table, and the links, addresses, neighbours and
 * FDB entries of the devices the declaration names, in the declaration's
 * spelling. Routes the kernel adds for an interface address (`proto kernel`)
 * are no file's and are left out.
 */
export async function installed(g: NsGuard, ns: string, d: Declared): Promise<Declared> {
  const routes = (await json<JsonRoute>(g, ns, "ip", ["route", "show", "table", "main"]))
    .filter((r) => r.protocol !== "kernel")
    .map((r) =>
      routeKey({
        type: r.type ?? "unicast",
        dst: r.dst,
        gateway: r.gateway ?? null,
        dev: r.dev ?? null,
        proto: r.protocol ?? null,
        scope: r.scope ?? null,
        onlink: r.flags?.includes("onlink") ?? false,
        metric: r.metric ?? null,
        mtu: r.metrics?.find((m) => m.mtu !== undefined)?.mtu ?? null,
      }),
    );
  const named = new Set([...d.links, ...d.addresses, ...d.neighbours, ...d.fdb].map(devOf));
  const links = (await json<JsonLink>(g, ns, "ip", ["address", "show"])).filter((l) => named.has(l.ifname));
  const neighbours = (await json<{ dst: string; dev: string; lladdr?: string; state?: string[] }>(g, ns, "ip", ["neigh", "show"]))
    .filter((n) => named.has(n.dev))
    .map((n) => `${n.dst} dev ${n.dev} lladdr ${n.lladdr ?? "none"} ${(n.state ?? []).join(",")}`);
  const fdb: string[] = [];
  for (const dev of sorted(new Set(d.fdb.map(devOf)))) {
    for (const f of await json<{ mac: string; dst?: string; flags?: string[]; state?: string }>(g, ns, "bridge", ["fdb", "show", "dev", dev])) {
      fdb.push(`${f.mac} dev ${dev} dst ${f.dst ?? "none"} ${(f.flags ?? []).join(",")} ${f.state ?? ""}`.trimEnd());
    }
  }
  const withMtu = new Set(d.links.filter((l) => l.includes(" mtu ")).map(devOf));
  const declaredUp = new Set(d.links.map(devOf));
  // Addresses on devices the harness made (an uplink, a veth) count only where the file declares an address.
  const addressed = new Set(d.addresses.map(devOf));
  return {
    routes: sorted(routes),
    neighbours: sorted(neighbours),
    addresses: sorted(links.filter((l) => addressed.has(l.ifname)).flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen} dev ${l.ifname}`))),
    links: sorted(links.filter((l) => declaredUp.has(l.ifname)).map((l) => `${l.ifname}${withMtu.has(l.ifname) ? ` mtu ${l.mtu}` : ""} ${l.flags.includes("UP") ? "up" : "down"}`)),
    fdb: sorted(fdb),
  };
}

/** Every difference between what the files declare and what the kernel holds, as `missing:`/`unexpected:` lines. */
export function differences(want: Declared, got: Declared): string[] {
  const out: string[] = [];
  for (const k of ["routes", "neighbours", "addresses", "links", "fdb"] as const) {
    const w = new Set(want[k]);
    const h = new Set(got[k]);
    for (const x of want[k]) if (!h.has(x)) out.push(`${k}: missing: ${x}`);
    for (const x of got[k]) if (!w.has(x)) out.push(`${k}: unexpected: ${x}`);
  }
  return out;
}

// One `ip -batch` / `bridge -batch` command's items → the RouteCommand or
// FdbEntry it means, with ip's defaults filled in and every value checked
// (route-words.ts). What a command may carry follows the model in routes.ts:
// a word ip accepts but the model has no field for is reported, never dropped,
// because verify routes packets with exactly what is read here.
import type { LinkAddCstNode } from "../../grammar/routes/index.js";
import { ADDRESS, collect, FDB, LINK_ADD, LINK_SET, NEIGH, optional, refuse, required, ROUTE, single, VXLAN } from "./route-items.js";
import type { ItemNode, LineContext, Words } from "./route-items.js";
import { address, decimal, interfaceName, mac, prefix, protocol, scope } from "./route-words.js";
import type { FdbEntry, RouteCommand } from "./routes.js";

const U32_MAX = 0xffffffff;
/** 68: the smallest MTU an IPv4 device may have (RFC 791); 65535: the largest IP packet. */
const mtuValue = (word: string) => decimal(word, 68, 65535, "mtu");
/** VXLAN network identifiers are 24 bits (RFC 7348 §5; ip/iplink_vxlan.c "invalid id"). */
const vniValue = (word: string) => decimal(word, 0, 0xffffff, "VXLAN id");
/** The vxlan module's default port (its `udp_port` parameter), used when dstport is absent or 0. */
const KERNEL_VXLAN_PORT = 8472;

interface RouteParts {
  readonly cidr: string;
  readonly dev: string | null;
  readonly proto: string | null;
  readonly metric: number | null;
  readonly mtu: number | null;
  readonly scope: string | null;
  readonly onlink: boolean;
}

/** `route add|replace|append`: blackhole, via or device route, by what the line gives. */
export function route(items: readonly ItemNode[], command: string, ctx: LineContext): RouteCommand | null {
  const w = collect(command, items, ROUTE, ctx);
  const dest = single(w, "destination", ctx);
  const gwOption = w.options.get("via");
  const gw = optional(w, "via", address, ctx);
  // `default` takes the gateway's family; ip -batch without -6 is IPv4.
  const cidr = dest ? ctx.check(dest.word, prefix(dest.word.image, "reject", gw?.family ?? 4)) : null;
  if (gw && cidr && gw.family !== cidr.family) {
    ctx.error(gwOption!.value, "routes/invalid-value", `gateway ${gw.text} is IPv${gw.family} but the destination ${cidr.cidr} is IPv${cidr.family}`);
  }
  const parts: RouteParts = {
    cidr: cidr?.cidr ?? "",
    dev: optional(w, "dev", interfaceName, ctx),
    proto: optional(w, "proto", protocol, ctx),
    metric: optional(w, "metric", (s) => decimal(s, 0, U32_MAX, "metric"), ctx),
    mtu: optional(w, "mtu", mtuValue, ctx),
    scope: optional(w, "scope", scope, ctx),
    onlink: w.flags.has("onlink"),
  };
  if (ctx.failed) return null;
  if (dest?.keyword?.image === "blackhole") return blackholeRoute(w, parts, ctx);
  if (gw) return viaRoute(w, parts, gw.text, ctx);
  if (parts.dev !== null) return devRoute(w, parts, ctx);
  ctx.error(null, "routes/parse-error", `expected via <gateway>, dev <device> or blackhole in ${command}, found end of line`);
  return null;
}

/** ip's default scope is global for gateway and blackhole routes and link for device routes; others are not modelled. */
function checkScope(w: Words, parts: RouteParts, expected: string, kind: string, ctx: LineContext): void {
  if (parts.scope !== null && parts.scope !== expected) {
    ctx.error(w.options.get("scope")!.value, "routes/unsupported", `scope ${parts.scope} is not supported on ${kind} (netpolc models scope ${expected})`);
  }
}

function blackholeRoute(w: Words, parts: RouteParts, ctx: LineContext): RouteCommand | null {
  refuse(w, ["via", "dev", "onlink", "mtu", "metric"], "on a blackhole route", ctx);
  checkScope(w, parts, "global", "a blackhole route", ctx);
  return ctx.failed ? null : { kind: "blackhole", cidr: parts.cidr, proto: parts.proto };
}

function viaRoute(w: Words, parts: RouteParts, via: string, ctx: LineContext): RouteCommand | null {
  refuse(w, ["metric"], "on a via route (the route model keeps a metric on device routes only)", ctx);
  checkScope(w, parts, "global", "a via route", ctx);
  // The kernel refuses onlink without a device ("Nexthop device required for onlink").
  if (parts.onlink && parts.dev === null) ctx.error(w.flags.get("onlink")!, "routes/parse-error", "onlink needs dev <device>");
  if (ctx.failed) return null;
  return { kind: "via", cidr: parts.cidr, via, dev: parts.dev, proto: parts.proto, onlink: parts.onlink, mtu: parts.mtu };
}

function devRoute(w: Words, parts: RouteParts, ctx: LineContext): RouteCommand | null {
  refuse(w, ["onlink", "mtu"], "on a device route (the route model keeps them on via routes only)", ctx);
  checkScope(w, parts, "link", "a device route", ctx);
  if (ctx.failed || parts.dev === null) return null;
  return { kind: "dev", cidr: parts.cidr, dev: parts.dev, scope: "link", proto: parts.proto, metric: parts.metric };
}

/** `link add [name|dev] <dev> [address <mac>] type vxlan id <vni> local <ip> [dstport <port>] nolearning`. */
export function linkAdd(node: LinkAddCstNode, ctx: LineContext): RouteCommand | null {
  const head = collect("link add", node.children.linkAddItem ?? [], LINK_ADD, ctx);
  const type = node.children.Value[0]!;
  if (type.image !== "vxlan") {
    ctx.error(type, "routes/unsupported", `link type '${type.image}' is not supported (netpolc creates vxlan devices only)`);
    return null;
  }
  const name = single(head, "device name", ctx);
  const dev = name ? ctx.check(name.word, interfaceName(name.word.image)) : null;
  const lladdr = optional(head, "address", (s) => mac(s, true), ctx);
  const vx = collect("link add type vxlan", node.children.vxlanItem ?? [], VXLAN, ctx);
  const stray = vx.positional[0]?.word;
  if (stray) ctx.error(stray, "routes/parse-error", `unknown vxlan option '${stray.image}'`);
  const vni = required(vx, "id", "VNI", vniValue, ctx);
  const local = required(vx, "local", "address", address, ctx);
  const port = optional(vx, "dstport", (s) => decimal(s, 0, 65535, "dstport"), ctx);
  if (!vx.flags.has("nolearning")) {
    ctx.error(null, "routes/unsupported", "a vxlan device without nolearning learns remote MACs from traffic, which netpolc does not model; expected nolearning");
  }
  if (ctx.failed || dev === null || vni === null || local === null) return null;
  return { kind: "link-add-vxlan", dev, mac: lladdr, vni, local: local.text, port: port || KERNEL_VXLAN_PORT };
}

/** `link set [dev] <dev> [mtu <n>] up`. */
export function linkSet(items: readonly ItemNode[], ctx: LineContext): RouteCommand | null {
  const w = collect("link set", items, LINK_SET, ctx);
  const name = single(w, "device", ctx);
  const dev = name ? ctx.check(name.word, interfaceName(name.word.image)) : null;
  const mtu = optional(w, "mtu", mtuValue, ctx);
  if (!w.flags.has("up")) ctx.error(null, "routes/unsupported", "link set without up is not supported (netpolc models devices it brings up); expected up");
  return ctx.failed || dev === null ? null : { kind: "link-up", dev, mtu };
}

/** `address add|replace [local] <ip>[/<len>] dev <dev>`: an interface address keeps its host bits. */
export function addressCommand(items: readonly ItemNode[], command: string, ctx: LineContext): RouteCommand | null {
  const w = collect(command, items, ADDRESS, ctx);
  const a = single(w, "address", ctx);
  const cidr = a ? ctx.check(a.word, prefix(a.word.image, "keep", null)) : null;
  const dev = required(w, "dev", "device", interfaceName, ctx);
  return ctx.failed || cidr === null || dev === null ? null : { kind: "addr", cidr: cidr.cidr, dev };
}

/** `neigh add|replace [to] <ip> lladdr <mac> dev <dev> [nud permanent]` (permanent is ip's default). */
export function neigh(items: readonly ItemNode[], command: string, ctx: LineContext): RouteCommand | null {
  const w = collect(command, items, NEIGH, ctx);
  const a = single(w, "address", ctx);
  const ip = a ? ctx.check(a.word, address(a.word.image)) : null;
  const lladdr = required(w, "lladdr", "MAC", (s) => mac(s, false), ctx);
  const dev = required(w, "dev", "device", interfaceName, ctx);
  const nud = w.options.get("nud")?.value;
  if (nud && nud.image !== "permanent") {
    ctx.error(nud, "routes/unsupported", `nud ${nud.image} is not supported (netpolc models permanent neighbours)`);
  }
  if (ctx.failed || ip === null || lladdr === null || dev === null) return null;
  return { kind: "neigh", address: ip.text, lladdr, dev };
}

/**
 * `fdb add|replace [to] <mac> dev <dev> dst <ip> [self] [permanent|static]`.
 * `self` is bridge's default; the three states (none, permanent, static) all
 * make an entry the VXLAN driver never ages out, and FdbEntry keeps no state.
 */
export function fdb(items: readonly ItemNode[], command: string, ctx: LineContext): FdbEntry | null {
  const w = collect(command, items, FDB, ctx);
  const m = single(w, "MAC address", ctx);
  const lladdr = m ? ctx.check(m.word, mac(m.word.image, false)) : null;
  const dev = required(w, "dev", "device", interfaceName, ctx);
  const dst = required(w, "dst", "address", address, ctx);
  if (ctx.failed || lladdr === null || dev === null || dst === null) return null;
  return { mac: lladdr, dev, dst: dst.text };
}

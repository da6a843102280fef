// Routing plumbing as data, written as `ip -batch` input (links, addresses,
// routes, neighbours) and `bridge -batch` input (VXLAN forwarding entries).
// One writer here, one parser (route-parser.ts): verify routes every flow
// with what the parser reads back from the written text.

export type RouteCommand =
  /** `link add <dev> address <mac> type vxlan id <vni> local <ip> dstport <port> nolearning`: Felix's VXLAN device (calico-routes §2.7). */
  | { readonly kind: "link-add-vxlan"; readonly dev: string; readonly mac: string | null; readonly vni: number; readonly local: string; readonly port: number }
  | { readonly kind: "link-up"; readonly dev: string; readonly mtu: number | null }
  | { readonly kind: "addr"; readonly cidr: string; readonly dev: string }
  | { readonly kind: "blackhole"; readonly cidr: string; readonly proto: string | null }
  | { readonly kind: "dev"; readonly cidr: string; readonly dev: string; readonly scope: "link"; readonly proto: string | null; readonly metric: number | null }
  /** `dev` null: let the kernel pick the device (BIRD routes to a peer on the same subnet). */
  | {
      readonly kind: "via";
      readonly cidr: string;
      readonly via: string;
      readonly dev: string | null;
      readonly proto: string | null;
      readonly onlink: boolean;
      readonly mtu: number | null;
    }
  /** `neigh replace <address> lladdr <mac> dev <dev> nud permanent`: a remote VTEP's MAC. */
  | { readonly kind: "neigh"; readonly address: string; readonly lladdr: string; readonly dev: string };

/** `fdb replace <mac> dev <dev> dst <ip> self permanent` (`bridge -batch`): where a remote VTEP's frames go. */
export interface FdbEntry {
  readonly mac: string;
  readonly dev: string;
  readonly dst: string;
}

function suffix(word: string, value: string | number | null): string {
  return value === null ? "" : ` ${word} ${value}`;
}

export function writeRouteCommand(c: RouteCommand): string {
  switch (c.kind) {
    case "link-add-vxlan":
      return `link add ${c.dev}${suffix("address", c.mac)} type vxlan id ${c.vni} local ${c.local} dstport ${c.port} nolearning`;
    case "link-up":
      return `link set dev ${c.dev}${suffix("mtu", c.mtu)} up`;
    case "addr":
      return `address replace ${c.cidr} dev ${c.dev}`;
    case "blackhole":
      return `route replace blackhole ${c.cidr}${suffix("proto", c.proto)}`;
    case "dev":
      return `route replace ${c.cidr} dev ${c.dev} scope ${c.scope}${suffix("proto", c.proto)}${suffix("metric", c.metric)}`;
    case "via":
      return `route replace ${c.cidr} via ${c.via}${suffix("dev", c.dev)}${suffix("proto", c.proto)}${c.onlink ? " onlink" : ""}${suffix("mtu", c.mtu)}`;
    case "neigh":
      return `neigh replace ${c.address} lladdr ${c.lladdr} dev ${c.dev} nud permanent`;
  }
}

/** `ip -batch` input; the order given is kept (devices and addresses before the routes that use them). */
export function writeRoutes(cmds: readonly RouteCommand[]): string {
  return cmds.length ? cmds.map(writeRouteCommand).join("\n") + "\n" : "";
}

export function writeFdbEntry(e: FdbEntry): string {
  return `fdb replace ${e.mac} dev ${e.dev} dst ${e.dst} self permanent`;
}

/** `bridge -batch` input, in the order given. */
export function writeFdb(entries: readonly FdbEntry[]): string {
  return entries.length ? entries.map(writeFdbEntry).join("\n") + "\n" : "";
}

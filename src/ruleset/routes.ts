// Routing plumbing as data, written as `ip -batch` input.

export type RouteCommand =
  | { readonly kind: "link-up"; readonly dev: string; readonly mtu: number | null }
  | { readonly kind: "addr"; readonly cidr: string; readonly dev: string }
  | { readonly kind: "blackhole"; readonly cidr: string; readonly proto: string | null }
  | { readonly kind: "dev"; readonly cidr: string; readonly dev: string; readonly scope: "link" }
  /** `dev` null: let the kernel pick the device (e.g. BIRD routes for a pool without IPIP). */
  | { readonly kind: "via"; readonly cidr: string; readonly via: string; readonly dev: string | null; readonly proto: string | null; readonly onlink: boolean };

function protoSuffix(proto: string | null): string {
  return proto ? ` proto ${proto}` : "";
}

export function writeRouteCommand(c: RouteCommand): string {
  switch (c.kind) {
    case "link-up":
      return `link set dev ${c.dev}${c.mtu !== null ? ` mtu ${c.mtu}` : ""} up`;
    case "addr":
      return `address replace ${c.cidr} dev ${c.dev}`;
    case "blackhole":
      return `route replace blackhole ${c.cidr}${protoSuffix(c.proto)}`;
    case "dev":
      return `route replace ${c.cidr} dev ${c.dev} scope ${c.scope}`;
    case "via":
      return `route replace ${c.cidr} via ${c.via}${c.dev !== null ? ` dev ${c.dev}` : ""}${protoSuffix(c.proto)}${c.onlink ? " onlink" : ""}`;
  }
}

/** `ip -batch` input; the order given is kept (addresses before routes that use them). */
export function writeRoutes(cmds: readonly RouteCommand[]): string {
  return cmds.length ? cmds.map(writeRouteCommand).join("\n") + "\n" : "";
}

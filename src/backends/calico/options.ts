// Environment-dependent knobs of the Calico backend (spec felix-format
// Appendix D, §2.3, §8.1). Defaults are what a stock Calico manifest install
// shows on a modern node, as the newest release the spec covers (3.32) lays it out.
import { DEFAULT_RENDER, type RenderOptions } from "../../rules/writer.js";
import type { RouteProgrammer } from "./routes.js";
import { NEWEST_CALICO_VERSION, type CalicoVersion } from "./profile.js";
export interface CalicoOptions {
  /** Print `-p ipencap` (what real nodes show, /etc/protocols) or `-p 4`. Felix hashes `-p 4` either way. */
  readonly ipencapName: boolean;
  /** MASQUERADE --random-fully (iptables ≥1.6.2, kernel ≥3.14; §8.1). */
  readonly randomFully: boolean;
  /** FELIX_DEFAULTENDPOINTTOHOSTACTION: the manifest sets ACCEPT (§2.3). */
  readonly defaultEndpointToHostAction: "ACCEPT" | "DROP" | "RETURN";
  /** Policy printed for built-in chains; not Felix's to choose (§2.5). */
  readonly builtinPolicy: "ACCEPT" | "DROP";
  /** FELIX_INTERFACEPREFIX (first entry). */
  readonly interfacePrefix: string;
  /** Who programs IPIP cluster routes and blackholes (calico-routes §0): BIRD by default through 3.32. */
  readonly routeProgrammer: RouteProgrammer;
  /** The host interface holding the node's address; same-subnet routes Felix programs name it. */
  readonly uplink: string;
  /** The Felix release whose output to reproduce (profile.ts; spec felix-format §0, Appendix B). */
  readonly calicoVersion: CalicoVersion;
  /** FELIX_IPV6SUPPORT (ipv6-and-policy A1): IPv6 tables, `cali60` sets and IPv6 routes besides the IPv4 ones. */
  readonly ipv6: boolean;
  /**
   * Flow logs on (FelixConfiguration flowLogsGoldmaneServer set, as operator installs with Goldmane do, or
   * flowLogsLocalReporter: Enabled): from 3.30, NFLOG rules after every verdict (felix-format App. B).
   */
  readonly flowLogs: boolean;
}

export const DEFAULT_CALICO_OPTIONS: CalicoOptions = {
  ipencapName: true,
  randomFully: true,
  defaultEndpointToHostAction: "ACCEPT",
  builtinPolicy: "ACCEPT",
  interfacePrefix: "cali",
  routeProgrammer: "bird",
  uplink: "eth0",
  calicoVersion: NEWEST_CALICO_VERSION,
  ipv6: false,
  flowLogs: false,
};

/**
 * How iptables-save prints the protocols Felix gives by number (Appendix A):
 * 4 as `ipencap` via /etc/protocols, unless the node has none (`--protocol-numbers`).
 */
export function renderOptionsOf(opts: CalicoOptions): RenderOptions {
  if (opts.ipencapName) return DEFAULT_RENDER;
  const { "4": _ipencap, ...rest } = DEFAULT_RENDER.protocolNames;
  return { protocolNames: rest };
}

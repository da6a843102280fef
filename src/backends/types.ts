// What a backend produces for one node.
import type { IpSet } from "../rules/ipset.js";
import type { FdbEntry, RouteCommand } from "../rules/routes.js";
import type { RuleSet } from "../rules/types.js";

export interface NodeOutput {
  readonly node: string;
  readonly ruleset: RuleSet;
  /** The IPv6 tables (ip6tables-restore input) when the node runs IPv6 (Felix's IPv6 support, kube-proxy's IPv6 proxier); null for IPv4 only. */
  readonly ruleset6: RuleSet | null;
  /** Sets of both families: IPv4 (`family inet`) first, then IPv6 (`family inet6`). */
  readonly ipsets: readonly IpSet[];
  readonly routes: readonly RouteCommand[];
  /** VXLAN forwarding entries (`bridge -batch`); empty without VXLAN. */
  readonly fdb: readonly FdbEntry[];
}

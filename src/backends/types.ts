// What a backend produces for one node.
import type { IpSet } from "../rules/ipset.js";
import type { FdbEntry, RouteCommand } from "../rules/routes.js";
import type { RuleSet } from "../rules/types.js";
import type { NftRuleset } from "../rules/nft/model.js";

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
  /**
   * The nftables tables of the agents that run in nftables mode (`ip`/`ip6 kube-proxy`, then `ip`/`ip6 calico`, the
   * order they are created on a node), absent or null when both use iptables. An agent in nftables mode has nothing in
   * `ruleset`/`ruleset6`, and Felix in nftables mode nothing in `ipsets` (its sets live in its table).
   */
  readonly nft?: NftRuleset | null;
}

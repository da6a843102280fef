// What a backend produces for one node.
import type { IpSet } from "../rules/ipset.js";
import type { FdbEntry, RouteCommand } from "../rules/routes.js";
import type { RuleSet } from "../rules/types.js";

export interface NodeOutput {
  readonly node: string;
  readonly ruleset: RuleSet;
  readonly ipsets: readonly IpSet[];
  readonly routes: readonly RouteCommand[];
  /** VXLAN forwarding entries (`bridge -batch`); empty without VXLAN. */
  readonly fdb: readonly FdbEntry[];
}

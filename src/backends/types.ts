// What a backend produces for one node.
import type { IpSet } from "../ruleset/ipset.js";
import type { FdbEntry, RouteCommand } from "../ruleset/routes.js";
import type { RuleSet } from "../ruleset/types.js";

export interface NodeOutput {
  readonly node: string;
  readonly ruleset: RuleSet;
  readonly ipsets: readonly IpSet[];
  readonly routes: readonly RouteCommand[];
  /** VXLAN forwarding entries (`bridge -batch`); empty without VXLAN. */
  readonly fdb: readonly FdbEntry[];
}

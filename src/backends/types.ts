// What a backend produces for one node.
import type { IpSet } from "../ruleset/ipset.js";
import type { RouteCommand } from "../ruleset/routes.js";
import type { RuleSet } from "../ruleset/types.js";

export interface NodeOutput {
  readonly node: string;
  readonly ruleset: RuleSet;
  readonly ipsets: readonly IpSet[];
  readonly routes: readonly RouteCommand[];
}

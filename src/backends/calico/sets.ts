// The IP sets a node's rules reference, collected while rendering so that
// only referenced sets exist (§7.3: "Only sets referenced by programmed rules
// exist"). Members are resolved later, from the whole cluster (ipsets.ts).
import type { CalicoProtocol } from "./convert.js";
import { ipSetName, namedPortSetId, selectorSetId } from "./names.js";
import { ALL, canonical } from "./selector.js";
import type { CalicoSelector } from "./selector.js";

export type SetSpec =
  | { readonly kind: "selector"; readonly id: string; readonly selector: CalicoSelector }
  | {
      readonly kind: "named-port";
      readonly id: string;
      readonly selector: CalicoSelector;
      readonly protocol: CalicoProtocol;
      readonly port: string;
    };

export class SetRegistry {
  private readonly specs = new Map<string, SetSpec>();

  /** The address family of the tables being rendered: it names the sets (`cali40…` / `cali60…`). */
  constructor(readonly family: 4 | 6 = 4) {}

  /** Selector set (§7.2); returns the ipset name. */
  selector(sel: CalicoSelector): string {
    const id = selectorSetId(canonical(sel));
    if (!this.specs.has(id)) this.specs.set(id, { kind: "selector", id, selector: sel });
    return ipSetName(id, this.family);
  }

  /** Named-port set (§7.2) over the direction's selector, or all() when there is none. */
  namedPort(sel: CalicoSelector | null, protocol: CalicoProtocol, port: string): string {
    const selector = sel ?? ALL;
    const id = namedPortSetId(selectorSetId(canonical(selector)), protocol, port);
    if (!this.specs.has(id)) this.specs.set(id, { kind: "named-port", id, selector, protocol, port });
    return ipSetName(id, this.family);
  }

  /** Register an already-built spec (a cached policy chain's sets, replayed in its order). */
  add(spec: SetSpec): void {
    if (!this.specs.has(spec.id)) this.specs.set(spec.id, spec);
  }

  all(): SetSpec[] {
    return [...this.specs.values()];
  }
}

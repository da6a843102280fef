// networking.k8s.io/v1 NetworkPolicy as decoded from JSON (the shape
// schemas/networkpolicy.schema.json admits). Optional = absent or null in the
// YAML, which is what Go's nil pointer / nil slice means.
import type { ObjectMeta } from "../validation/meta.js";

export interface LabelSelectorRequirementJson {
  readonly key?: string;
  readonly operator?: string;
  readonly values?: readonly string[];
}

export interface LabelSelectorJson {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirementJson[];
}

export interface IPBlockJson {
  readonly cidr?: string;
  readonly except?: readonly string[];
}

export interface PeerJson {
  readonly podSelector?: LabelSelectorJson;
  readonly namespaceSelector?: LabelSelectorJson;
  readonly ipBlock?: IPBlockJson;
}

export interface PortJson {
  readonly protocol?: string;
  /** int-or-string: the YAML token decides (port: "80" is the name "80"). */
  readonly port?: number | string;
  readonly endPort?: number;
}

export interface RuleJson {
  readonly ports?: readonly PortJson[];
  readonly from?: readonly PeerJson[];
  readonly to?: readonly PeerJson[];
}

export interface NetworkPolicySpecJson {
  readonly podSelector?: LabelSelectorJson;
  readonly ingress?: readonly RuleJson[];
  readonly egress?: readonly RuleJson[];
  readonly policyTypes?: readonly string[];
}

export interface NetworkPolicyJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: NetworkPolicySpecJson;
}

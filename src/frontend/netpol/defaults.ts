// v1 defaulting, applied before validation exactly as the API server does
// (pkg/apis/networking/v1/defaults.go; spec netpol-semantics.md §2,
// netpol-validation.md §1 step 2).
import type { NetworkPolicyJson, RuleJson } from "./types.js";

/**
 * The namespace kubectl fills in when the object has none: its context
 * namespace, which without a kubeconfig is "default". netpolc has no
 * context, so a policy without metadata.namespace lands in "default",
 * silently, as `kubectl apply -f` would put it there.
 */
export const DEFAULT_NAMESPACE = "default";

function defaultPorts(rule: RuleJson): RuleJson {
  if (!rule.ports) return rule;
  return { ...rule, ports: rule.ports.map((p) => (p.protocol === undefined ? { ...p, protocol: "TCP" } : p)) };
}

/**
 * - every ports[] entry without protocol gets TCP (so `ports: [{}]` is all TCP ports);
 * - absent or empty policyTypes becomes [Ingress], plus Egress iff spec.egress
 *   has at least one rule (`egress: []` does not count);
 * - metadata.namespace absent or "" becomes DEFAULT_NAMESPACE.
 * A missing spec decodes to the zero spec, so it gets [Ingress] too.
 */
export function applyDefaults(np: NetworkPolicyJson): NetworkPolicyJson {
  const spec = np.spec ?? {};
  const ingress = spec.ingress?.map(defaultPorts);
  const egress = spec.egress?.map(defaultPorts);
  let policyTypes = spec.policyTypes;
  if (!policyTypes || policyTypes.length === 0) {
    policyTypes = (egress?.length ?? 0) > 0 ? ["Ingress", "Egress"] : ["Ingress"];
  }
  const metadata = { ...np.metadata, namespace: np.metadata?.namespace || DEFAULT_NAMESPACE };
  return {
    ...np,
    metadata,
    spec: { ...spec, policyTypes, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}) },
  };
}

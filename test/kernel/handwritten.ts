// Hand-written rulesets that prove the harness itself, independently of the
// compiler: if these fail, the namespaces/veths/agents are wrong, not netpolc.
// Pod-to-pod flows only: these rules live in FORWARD, which host traffic skips.
import type { NodeRules } from "./dataplane.js";
import type { ProbeFlow } from "./flows.js";
import type { PodSpec, TopologySpec } from "./snapshot.js";

export interface HandwrittenCase {
  readonly name: string;
  readonly rules: (spec: TopologySpec, node: string) => NodeRules;
  readonly expect: (f: ProbeFlow) => boolean;
}

const filter = (forwardPolicy: string, rules: readonly string[]): string =>
  ["*filter", ":INPUT ACCEPT [0:0]", `:FORWARD ${forwardPolicy} [0:0]`, ":OUTPUT ACCEPT [0:0]", ...rules, "COMMIT", ""].join("\n");

const localPods = (spec: TopologySpec, node: string): PodSpec[] => spec.pods.filter((p) => p.node === node);

export const HANDWRITTEN: readonly HandwrittenCase[] = [
  { name: "empty tables allow everything", rules: () => ({ iptables: filter("ACCEPT", []), ipsets: "" }), expect: () => true },
  { name: "FORWARD policy DROP denies everything", rules: () => ({ iptables: filter("DROP", []), ipsets: "" }), expect: () => false },
  {
    // Exercises ipset + per-veth matching + conntrack replies: pods of
    // namespace x may only be reached on TCP/80, by anyone.
    name: "ingress to x only on tcp/80 (ipset + cali iface + conntrack)",
    rules: (spec, node) => ({
      ipsets: [
        "create kt-x hash:net family inet hashsize 1024 maxelem 1048576",
        ...spec.pods.filter((p) => p.namespace === "x").map((p) => `add kt-x ${p.ip}`),
        "",
      ].join("\n"),
      iptables: filter("ACCEPT", [
        "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ...localPods(spec, node)
          .filter((p) => p.namespace === "x")
          .flatMap((p) => [`-A FORWARD -o ${p.iface} -p tcp -m multiport --dports 80 -j ACCEPT`, `-A FORWARD -o ${p.iface} -j DROP`]),
        "-A FORWARD -m set --match-set kt-x dst -j ACCEPT",
      ]),
    }),
    expect: (f) => f.dst.kind !== "pod" || f.dst.pod.namespace !== "x" || (f.protocol === "TCP" && f.port === 80),
  },
];

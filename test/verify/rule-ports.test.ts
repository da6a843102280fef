// rulePorts (rule-ports.ts): the ports and protocols --exhaustive probes because the rules name them.
import { describe, expect, it } from "vitest";
import type { NodeRules } from "../../src/verify/index.js";
import { rulePorts } from "../../src/verify/rule-ports.js";

const filterRule = (proto: string, dport: string) => ({
  parts: [
    { kind: "protocol", value: proto, negated: false },
    { kind: "match", module: proto, implicit: false, options: [{ name: "dport", negated: false, args: [dport], quoted: false }] },
  ],
  target: { kind: "jump", name: "DROP", options: [] },
});
const nodeRules = (...rules: ReturnType<typeof filterRule>[]): NodeRules =>
  ({ ruleset: { tables: [{ name: "filter", chains: [{ name: "cali-fw-cali1", policy: null, rules }] }] }, ipsets: new Map() }) as unknown as NodeRules;

describe("rulePorts", () => {
  it("Felix's VXLAN guard (UDP 4789 from a workload) is no port to probe, but its protocol is: UDP is probed at the unmentioned port", () => {
    // Class verify cuts every protocol a rule's port names; --exhaustive must probe the same protocols, or a rule that
    // opens every UDP port where the policies allow only TCP is caught by class verify alone (property seed -757873344).
    expect(rulePorts([nodeRules(filterRule("udp", "4789"))])).toEqual(new Map([["UDP", []]]));
    expect(rulePorts([nodeRules(filterRule("udp", "4789"), filterRule("tcp", "8000:8002"))])).toEqual(new Map([["UDP", []], ["TCP", [7999, 8000, 8002, 8003]]]));
  });
});

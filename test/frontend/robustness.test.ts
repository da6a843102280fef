// Hostile or random input must produce diagnostics, never an exception.
import fc from "fast-check";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { load, policy } from "./helpers.js";

describe("robustness", () => {
  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        load(text);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on arbitrary NetworkPolicy-shaped objects", () => {
    const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("podSelector", "ingress", "from", "ports", "port", "endPort", "ipBlock", "cidr", "except", "matchLabels", "matchExpressions", "key", "operator", "values", "x"), tie("v"), { maxKeys: 4 })),
    })).v;
    fc.assert(
      fc.property(value, (spec) => {
        const text = dump({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "p" }, spec });
        load(text);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps __proto__ and friends as data", () => {
    // __proto__ reaches validation as an ordinary key (and is not a valid label key).
    const bad = load(policy("  podSelector:\n    matchLabels: {__proto__: x}\n"));
    expect(bad.all.map((d) => d.message)).toEqual([expect.stringMatching(/^spec\.podSelector\.matchLabels: Invalid value: "__proto__": name part must consist/)]);
    const ok = load(policy("  podSelector:\n    matchLabels: {constructor: z, hasOwnProperty: w}\n"));
    expect(ok.model.policies[0]?.podSelector.matchLabels).toEqual([
      ["constructor", "z"],
      ["hasOwnProperty", "w"],
    ]);
  });

  it("refuses non-scalar keys and deep nesting with diagnostics", () => {
    expect(load("? [a]\n: b\n").all.map((d) => d.id)).toContain("yaml/complex-key");
    expect(load(`${"[".repeat(500)}${"]".repeat(500)}`).all.map((d) => d.id)).toEqual(["yaml/syntax"]);
  });
});

import { describe, expect, it } from "vitest";
import { goQuote } from "../../src/frontend/field-path.js";
import { dns1123Label, dns1123Subdomain, dns1123SubdomainPrefix, labelKey, labelValue, portName } from "../../src/frontend/validation/names.js";

describe("name syntax", () => {
  it("subdomains: length first, then the pattern", () => {
    expect(dns1123Subdomain("a.b-c.d")).toEqual([]);
    expect(dns1123Subdomain("a".repeat(254))).toEqual(["must be no more than 253 characters"]);
    expect(dns1123Subdomain(`${"a".repeat(253)}-`)).toHaveLength(2);
  });
  it("labels: dots get their own message", () => {
    expect(dns1123Label("my-ns")).toEqual([]);
    expect(dns1123Label("my.ns")).toEqual(["must not contain dots"]);
    expect(dns1123Label("-x")[0]).toMatch(/^a lowercase RFC 1123 label must consist/);
  });
  it("generateName prefixes may end in -", () => {
    expect(dns1123SubdomainPrefix("web-")).toEqual([]);
    expect(dns1123SubdomainPrefix("Web-")).toHaveLength(1);
  });
  it("counts bytes, as Go's len does", () => {
    expect(labelValue("é".repeat(32))).toContain("must be no more than 63 characters");
  });
});

describe("label keys", () => {
  it.each(["app", "App_1.x", "kubernetes.io/metadata.name", "example.com/MyName", "a"])("%s is valid", (k) => expect(labelKey(k)).toEqual([]));
  it("prefix errors are prefixed", () => {
    expect(labelKey("Example.com/x")[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(labelKey("/x")).toEqual(["prefix part must be non-empty"]);
  });
  it("empty name: both messages", () => {
    expect(labelKey("example.com/")).toEqual(["name part must be non-empty", expect.stringMatching(/^name part must consist of/)]);
  });
});

describe("port names", () => {
  it.each([
    ["http", []],
    ["h2c-proxy", []],
    ["a".repeat(16), ["must be no more than 15 characters"]],
    ["80", ["must contain at least one letter (a-z)"]],
    ["-a-", ["must not begin or end with a hyphen"]],
    ["A--", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)", "must contain at least one letter (a-z)", "must not contain consecutive hyphens", "must not begin or end with a hyphen"]],
  ])("%s", (name, msgs) => expect(portName(name)).toEqual(msgs));
});

describe("Go %q quoting", () => {
  it.each([
    ["plain", '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["a\nb\tc", '"a\\nb\\tc"'],
    ["\x1b[31m", '"\\x1b[31m"'],
    ["\u202e", '"\\u202e"'],
    ["naïve", '"naïve"'],
  ])("%j", (s, q) => expect(goQuote(s)).toBe(q));
});

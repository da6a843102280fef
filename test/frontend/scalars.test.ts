import { describe, expect, it } from "vitest";
import { resolvePlain } from "../../src/frontend/yaml/scalars.js";

describe("YAML 1.1 plain scalars, as kubectl (go-yaml v2) reads them", () => {
  it.each([
    ..."y Y yes Yes YES true True TRUE on On ON".split(" ").map((s) => [s, true] as const),
    ..."n N no No NO false False FALSE off Off OFF".split(" ").map((s) => [s, false] as const),
  ])("%s is the boolean %s", (text, v) => expect(resolvePlain(text)).toBe(v));

  it.each(["yES", "oN", "tRUE", "nO", "Off!", "yes please"])("%s is a string (only the listed spellings are booleans)", (text) =>
    expect(resolvePlain(text)).toBe(text),
  );

  it.each([
    ["", null],
    ["~", null],
    ["null", null],
    ["Null", null],
    ["NULL", null],
  ])("%j is null", (text, v) => expect(resolvePlain(text)).toBe(v));

  it.each([
    ["80", 80],
    ["-5", -5],
    ["+7", 7],
    ["0", 0],
    ["0x1F", 31],
    ["0X1f", 31],
    ["017", 15],
    ["0o17", 15],
    ["0b101", 5],
    ["08", 8],
    ["1.5", 1.5],
    ["1e3", 1000],
    [".5", 0.5],
  ])("%s is the number %s", (text, v) => expect(resolvePlain(text)).toBe(v));

  it.each(["80a", "1.2.3", "10.0.0.0/8", "0x", "1_000x", "v1", "2001:db8::1", "12:30"])("%s stays a string", (text) =>
    expect(resolvePlain(text)).toBe(text),
  );

  it("reads .inf and .nan as numbers", () => {
    expect(resolvePlain(".inf")).toBe(Infinity);
    expect(resolvePlain("-.Inf")).toBe(-Infinity);
    expect(Number.isNaN(resolvePlain(".NaN"))).toBe(true);
  });
});

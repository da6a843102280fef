// Spec fixtures reproduced byte for byte from YAML input through the whole
// pipeline. The fixture texts are copied verbatim from
// ../shared/spec/felix-format.md (§8.1–§8.3, §11 F5) into test/fixtures/spec/.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS, emitText } from "../src/pipeline.js";
import { writeTable } from "../src/rules/writer.js";

const FIX = join(import.meta.dirname, "fixtures", "spec");
const F2 = join(import.meta.dirname, "..", "golden", "f2-default-deny-and-allow-ordering");
const fixture = (name: string): string => readFileSync(join(FIX, name), "utf8");

function node1() {
  const files = readdirSync(F2).filter((f) => f.endsWith(".yaml")).sort().map((f) => ({ path: f, text: readFileSync(join(F2, f), "utf8") }));
  const res = compile(files, { ...DEFAULT_COMPILE_OPTIONS, nodes: ["node1"], calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: "3.27" as const } });
  expect(res.diag.hasErrors()).toBe(false);
  const out = res.outputs[0]!;
  const table = (name: string) => out.ruleset.tables.find((t) => t.name === name)!;
  return { out, table };
}

describe("spec felix-format fixtures from F1+F2 YAML", () => {
  it("F5: the complete filter table, byte for byte", () => {
    expect(writeTable(node1().table("filter"))).toBe(fixture("f5-filter.txt"));
  });

  it("F5: the ipsets, byte for byte", () => {
    expect(emitText(node1().out, "ipsets")).toBe(fixture("f5-ipsets.txt"));
  });

  it("§8.1: the nat table, byte for byte", () => {
    expect(writeTable(node1().table("nat"))).toBe(fixture("s81-nat.txt"));
  });

  it("§8.2 / §8.3: the raw and mangle rules, byte for byte", () => {
    const rules = (name: string) => writeTable(node1().table(name)).split("\n").filter((l) => l.startsWith("-A ")).join("\n") + "\n";
    expect(rules("raw")).toBe(fixture("s82-raw-rules.txt"));
    expect(rules("mangle")).toBe(fixture("s83-mangle-rules.txt"));
  });
});

// The committed CST typings must match the grammars (regenerate with the
// command in grammar/*/generate-cst.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { calicoSelectorCstTypings } from "../../grammar/calico-selector/generate-cst.js";
import { ipsetCstTypings } from "../../grammar/ipset/generate-cst.js";
import { iptablesCstTypings } from "../../grammar/iptables-save/generate-cst.js";
import { routesCstTypings } from "../../grammar/routes/generate-cst.js";

const GRAMMAR = join(import.meta.dirname, "..", "..", "grammar");

it.each([
  ["iptables-save", iptablesCstTypings],
  ["ipset", ipsetCstTypings],
  ["calico-selector", calicoSelectorCstTypings],
  ["routes", routesCstTypings],
])("grammar/%s/cst.ts is up to date", (dir, generate) => {
  expect(readFileSync(join(GRAMMAR, dir, "cst.ts"), "utf8")).toBe(generate());
});

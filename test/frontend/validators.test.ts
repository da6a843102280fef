// The schema validators are ajv's standalone code, generated from schemas/
// (scripts/gen-validators.ts): the committed module must be what the
// generator prints now, so a schema edit cannot silently keep old validators.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { GENERATED, validatorsSource } from "../../scripts/gen-validators.js";

it("src/frontend/validators.generated.ts is up to date (run `npm run validators` after editing schemas/)", () => {
  expect(readFileSync(GENERATED, "utf8")).toBe(validatorsSource());
});

// The manual is printed from the command and option tables: the committed
// man/netpolc.1 must be exactly that output (regenerate with `npm run man`),
// and it must carry every command and every option --help shows.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";
import { manPage } from "../../src/cli/man.js";

const PAGE = join(import.meta.dirname, "..", "..", "man", "netpolc.1");

describe("man/netpolc.1", () => {
  it("is what the tables print (run `npm run man` after changing a command or option)", () => {
    expect(readFileSync(PAGE, "utf8")).toBe(manPage());
  });

  it("names every command and every option", () => {
    const page = manPage();
    for (const c of COMMANDS) {
      expect(page).toContain(`.SS ${c.name}\n`);
      for (const f of c.flags) expect(page, `${c.name} --${f.name}`).toContain(`\\fB\\-\\-${f.name.replace(/-/g, "\\-")}\\fR`);
    }
  });

  it("renders without warnings where man(1) is installed", () => {
    const r = spawnSync("man", ["--warnings", "-E", "UTF-8", "-l", PAGE], { encoding: "utf8", env: { ...process.env, MANWIDTH: "100" } });
    if (r.error) return; // no man here; the text comparison above still holds
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("netpolc compile [options] <inputs...>");
  });
});

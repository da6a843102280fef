// Writes man/netpolc.1 from the command and option tables (src/cli/man.ts).
// `npm run man`; test/cli/man.test.ts fails while the committed page differs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manPage } from "../src/cli/man.js";

const dir = join(import.meta.dirname, "..", "..", "man");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "netpolc.1"), manPage());

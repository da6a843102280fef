// Complete iptables-restore texts assembled from the spec fixtures
// (test/fixtures/spec, copied from ../shared/spec/felix-format.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";

const FIX = join(import.meta.dirname, "..", "fixtures", "spec");
const HERE = join(import.meta.dirname, "fixtures");
export const specFixture = (name: string): string => readFileSync(join(FIX, name), "utf8");
export const localFixture = (name: string): string => readFileSync(join(HERE, name), "utf8");

/** §8.2/§8.3 give only the -A lines; the declared chains are listed in the prose below them. */
function wrap(table: string, builtins: readonly string[], userChains: readonly string[], rules: string): string {
  const decls = [...builtins.map((b) => `:${b} ACCEPT [0:0]`), ...userChains.map((c) => `:${c} - [0:0]`)];
  return [`*${table}`, ...decls].join("\n") + "\n" + rules + "COMMIT\n";
}

export const rawTable = (): string =>
  wrap("raw", ["PREROUTING", "OUTPUT"], ["cali-OUTPUT", "cali-PREROUTING", "cali-from-host-endpoint", "cali-rpf-skip", "cali-to-host-endpoint"], specFixture("s82-raw-rules.txt"));

export const mangleTable = (): string =>
  wrap(
    "mangle",
    ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
    ["cali-POSTROUTING", "cali-PREROUTING", "cali-from-host-endpoint", "cali-to-host-endpoint"],
    specFixture("s83-mangle-rules.txt"),
  );

/** raw, mangle, nat, filter: the writer's TABLE_ORDER. */
export const fullSpecRuleSet = (): string => rawTable() + mangleTable() + specFixture("s81-nat.txt") + specFixture("f5-filter.txt");

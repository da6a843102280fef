// The nft printer against the kernel (nft 1.0.6 here): for each hand-built
// ruleset (both dialects, every statement kind; test/rules/nft-cases.ts) and
// every golden `.nft` file (either form; compared with printListing of its
// parse), in fresh network namespaces of this run:
//   1. `nft -c -f` and `nft -f` of printTransaction succeed, and
//      `nft -s list ruleset` is printListing byte for byte;
//   2. `nft -f` of that listing in another fresh namespace lists identically
//      (the listing is a fixed point, so it is what `<node>.nft` can hold).
// Namespaces are np<pid>n-*, deleted in finally. A loud skip without root,
// nft or namespaces, unless NETPOLC_KERNEL_TESTS=required.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatParseDiagnostic, parseNft } from "../../src/rules/nft/parse.js";
import { printListing, printTransaction } from "../../src/rules/nft/print.js";
import { CASES } from "../rules/nft-cases.js";
import { NsGuard, hasTool, missingPrerequisites } from "./sys.js";

const required = process.env["NETPOLC_KERNEL_TESTS"] === "required";
const missing = [...missingPrerequisites(), ...(hasTool("nft", ["--version"]) ? [] : ["nft"])];
const skip = missing.length > 0 && !required;
if (skip) {
  console.warn(`\n!!!!!!!! KERNEL NFT TESTS SKIPPED: missing ${missing.join(", ")}.\n!!!!!!!! NETPOLC_KERNEL_TESTS=required makes this a failure.\n`);
}

const guard = new NsGuard(`np${process.pid}n-`);
let seq = 0;

/** Run `steps` in a fresh namespace of this run, deleted afterwards whatever happens. */
async function inFreshNs<T>(steps: (ns: string) => Promise<T>): Promise<T> {
  const ns = `${guard.prefix}${seq++}`;
  await guard.add(ns);
  try {
    return await steps(ns);
  } finally {
    guard.delete(ns);
  }
}

async function load(ns: string, text: string, check: boolean): Promise<void> {
  if (check) await guard.inNs(ns, "nft", ["-c", "-f", "-"], text);
  await guard.inNs(ns, "nft", ["-f", "-"], text);
}

const list = (ns: string): Promise<string> => guard.inNs(ns, "nft", ["-s", "list", "ruleset"]);

/** Load `text` into a fresh namespace and list what the kernel holds. */
const loadAndList = (text: string, check = true): Promise<string> => inFreshNs(async (ns) => (await load(ns, text, check), list(ns)));

function goldenNftFiles(): string[] {
  const root = join(import.meta.dirname, "..", "..", "golden");
  if (!existsSync(root)) return [];
  // Sorted for determinism.
  return readdirSync(root)
    .sort()
    .flatMap((c) => {
      const dir = join(root, c, "expected");
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".nft")).sort().map((f) => join(dir, f)) : [];
    });
}

describe.skipIf(skip)("kernel: nft transaction and listing round trip", () => {
  afterAll(() => guard.deleteAll());

  it("has its prerequisites", () => {
    if (missing.length) throw new Error(`NETPOLC_KERNEL_TESTS=required but missing: ${missing.join(", ")}`);
  });

  it.each(CASES)("%s: the transaction loads and lists as printListing; the listing is a fixed point", async (_name, build) => {
    const ruleset = build();
    const listed = await loadAndList(printTransaction(ruleset));
    expect(listed).toBe(printListing(ruleset));
    expect(await loadAndList(listed)).toBe(listed);
  });

  const golden = goldenNftFiles();
  // A golden file is either form (a transaction in kube-proxy's test order, or a listing with printNodeFile's preamble).
  it.skipIf(golden.length === 0).each(golden.length ? golden : ["(none yet)"])("golden %s loads, lists as printListing of its parse, and the listing is a fixed point", async (file) => {
    const text = readFileSync(file, "utf8");
    const parsed = parseNft(text, { file });
    expect(parsed.diagnostics.map(formatParseDiagnostic)).toEqual([]);
    const listed = await loadAndList(text);
    expect(listed).toBe(printListing(parsed.ruleset));
    expect(await loadAndList(listed)).toBe(listed);
  });
});

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
import fc from "fast-check";
import { CASES } from "../rules/nft-cases.js";
import { rulesetArb } from "../rules/nft-gen.js";
import { parseArgs } from "../../src/cli/args.js";
import { compileOptionsFrom } from "../../src/cli/compile.js";
import { COMPILE_FLAGS } from "../../src/cli/flags.js";
import { compile, nodeFiles } from "../../src/pipeline.js";
import { caseArgs, caseInputs, GOLDEN_ROOT, goldenCaseNames } from "../helpers/golden-cases.js";
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

  // Generated rulesets (test/rules/nft-gen.ts) find listing rules no hand-built case shows.
  it("generated rulesets: the transaction lists as printListing and the listing is a fixed point", async () => {
    await fc.assert(
      fc.asyncProperty(rulesetArb, async (ruleset) => {
        const listed = await loadAndList(printTransaction(ruleset));
        expect(listed).toBe(printListing(ruleset));
        expect(await loadAndList(listed, false)).toBe(listed);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

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

/**
 * Every golden case (errors aside) compiled with `--dataplane nftables`: the
 * real rulesets both backends build, not only hand-built ones. Each node's
 * `.nft` text is parsed; its transaction (or the file itself, when it is
 * one) must load and list as printListing, and that listing reload to itself.
 */
function nftModeFiles(): [string, string][] {
  const out: [string, string][] = [];
  for (const name of goldenCaseNames().filter((n) => !n.startsWith("error-"))) {
    const dir = join(GOLDEN_ROOT, name);
    // A case whose own args choose a dataplane (the *-nftables cases) keeps them.
    const args = caseArgs(dir);
    const dataplane = args.some((a) => a === "--dataplane" || a === "--kube-proxy-mode" || a === "--calico-dataplane") ? [] : ["--dataplane", "nftables"];
    const opts = compileOptionsFrom(parseArgs([...args, ...dataplane], COMPILE_FLAGS));
    for (const [file, text] of nodeFiles(compile(caseInputs(dir), opts), opts)) if (file.endsWith(".nft")) out.push([`${name}/${file}`, text]);
  }
  return out;
}

describe.skipIf(skip)("kernel: every golden case in nftables mode", () => {
  afterAll(() => guard.deleteAll());

  it("loads, lists as printListing and is a fixed point, for every node file", async () => {
    const failures: string[] = [];
    const files = nftModeFiles();
    expect(files.length).toBeGreaterThan(40);
    for (const [name, text] of files) {
      const parsed = parseNft(text, { file: name });
      if (parsed.diagnostics.length > 0) {
        failures.push(`${name}: ${parsed.diagnostics.map(formatParseDiagnostic).join("; ")}`);
        continue;
      }
      const listing = printListing(parsed.ruleset);
      const listed = await loadAndList(text.startsWith("add ") ? text : printTransaction(parsed.ruleset));
      if (listed !== listing) failures.push(`${name}: nft lists it differently from printListing`);
      else if ((await loadAndList(listed)) !== listed) failures.push(`${name}: its listing is not a fixed point`);
    }
    expect(failures).toEqual([]);
  }, 300_000);
});

describe.skipIf(skip)("kernel: <node>.nft as written", () => {
  afterAll(() => guard.deleteAll());
  const bookinfo = (extra: string[]): Map<string, string> => {
    const args = parseArgs(["-o", "unused", "--dataplane", "nftables", ...extra], COMPILE_FLAGS);
    const opts = compileOptionsFrom(args);
    const res = compile(caseInputs(join(GOLDEN_ROOT, "bookinfo-example-nftables")), opts);
    return new Map(nodeFiles(res, opts));
  };

  it("loads with nft -f as it is, and nft list ruleset prints the file back byte for byte", async () => {
    for (const [name, text] of bookinfo([])) {
      if (!name.endsWith(".nft")) continue;
      expect(await loadAndList(text), name).toBe(text);
    }
  }, 120_000);

  it("with --nft-replace, loading it onto a node that holds older tables (and loading it again) replaces them: the node lists the listing", async () => {
    const plain = bookinfo([]);
    for (const [name, text] of bookinfo(["--nft-replace"])) {
      if (!name.endsWith(".nft")) continue;
      expect(text.startsWith("add table ip kube-proxy\ndelete table ip kube-proxy\n")).toBe(true);
      const listed = await inFreshNs(async (ns) => {
        // Older tables of the same names (another node's file), then this file twice.
        const other = [...plain].find(([n]) => n.endsWith(".nft") && n !== name)![1];
        await load(ns, other, false);
        await load(ns, text, true);
        await load(ns, text, false);
        return list(ns);
      });
      expect(listed, name).toBe(plain.get(name));
    }
  }, 120_000);
});

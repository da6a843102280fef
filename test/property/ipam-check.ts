// The plumbing of ipam-routes.test.ts: compile a generated IpamCase with a
// route programmer, read its route files back with the test's own reader,
// tamper with one line, run `verify --rules` on the tampered files through
// the CLI's own function (src/cli/verify.ts runVerify, an in-memory
// directory), and save a failing case as a golden regression case.
import fc from "fast-check";
import { parseArgs } from "../../src/cli/args.js";
import { runVerify } from "../../src/cli/verify.js";
import { VERIFY_FLAGS } from "../../src/cli/flags.js";
import { DEFAULT_CALICO_OPTIONS } from "../../src/backends/calico/index.js";
import { DEFAULT_COMPILE_OPTIONS, outputFiles, type CompileOptions } from "../../src/pipeline.js";
import { createSimulator } from "../../src/simulate/index.js";
import type { VerifyReportData } from "../../src/verify/index.js";
import { compileOk, type CompiledOk } from "./check-case.js";
import { ipamCaseFiles, type IpamCase } from "./ipam-arb.js";
import type { Programmer } from "./route-oracle.js";
import { readTable, type NodeTable } from "./route-walk.js";
import { firstLine, writeRegressionFiles } from "./regression.js";

export const optionsFor = (programmer: Programmer): CompileOptions => ({
  ...DEFAULT_COMPILE_OPTIONS,
  calico: { ...DEFAULT_CALICO_OPTIONS, routeProgrammer: programmer },
});

export interface CompiledCase {
  readonly res: CompiledOk;
  /** Every output file by name (`<node>.iptables`, `.ipsets`, `.routes`, `.fdb`). */
  readonly files: ReadonlyMap<string, string>;
}

export function compileCase(c: IpamCase, programmer: Programmer): CompiledCase {
  const opts = optionsFor(programmer);
  const res = compileOk(ipamCaseFiles(c), opts);
  // A consistent snapshot: the address plan finds nothing to warn about (no mismatched or missing allocation, …).
  const findings = res.diag.all.filter((d) => d.id.startsWith("addressing/") && d.severity !== "note");
  if (findings.length) throw new Error(`the generated snapshot is inconsistent: ${findings.map((d) => `${d.id}: ${d.message}`).join("; ")}`);
  return { res, files: outputFiles(res.outputs, opts, res.model) };
}

/** Every node's routes (and FDB) as the test's own reader sees them. */
export function tablesOf(c: IpamCase, files: ReadonlyMap<string, string>): Map<string, NodeTable> {
  return new Map(c.nodes.map((n) => [n.name, readTable(n.name, n.ip, files.get(`${n.name}.routes`) ?? "", files.get(`${n.name}.fdb`) ?? "")] as const));
}

/** A line a mutation can delete: a `via`/`dev` route or a neighbour entry of a `.routes` file, or an `.fdb` entry. */
export interface Deletable {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly text: string;
}

const DELETABLE = /^(route replace (?!blackhole)|neigh replace |fdb replace )/;

export function deletableLines(files: ReadonlyMap<string, string>): Deletable[] {
  const out: Deletable[] = [];
  // Sorted for determinism (outputFiles lists nodes by name, kinds in a fixed order).
  for (const [file, text] of files) {
    if (!file.endsWith(".routes") && !file.endsWith(".fdb")) continue;
    text.split("\n").forEach((l, i) => {
      if (DELETABLE.test(l)) out.push({ file, line: i + 1, text: l });
    });
  }
  return out;
}

export function withoutLine(files: ReadonlyMap<string, string>, d: Deletable): Map<string, string> {
  const out = new Map(files);
  const lines = files.get(d.file)!.split("\n");
  lines.splice(d.line - 1, 1);
  out.set(d.file, lines.join("\n"));
  return out;
}

const RULES_DIR = "/rules";

/** `netpolc verify --rules DIR --format json --route-programmer P` over the case's inputs, DIR held in memory. */
/** `exhaustive`: every flow one by one (`--exhaustive`), else class verify (the default). */
export function verifyRulesDir(c: IpamCase, programmer: Programmer, files: ReadonlyMap<string, string>, exhaustive = false): VerifyReportData {
  const args = parseArgs(["--rules", RULES_DIR, "--format", "json", "--route-programmer", programmer, ...(exhaustive ? ["--exhaustive"] : [])], VERIFY_FLAGS);
  const readFile = (path: string): string | null => (path.startsWith(`${RULES_DIR}/`) ? (files.get(path.slice(RULES_DIR.length + 1)) ?? null) : null);
  const r = runVerify(ipamCaseFiles(c), args, createSimulator().simulatePath, readFile);
  if (r.exitCode > 1 || !r.stdout) throw new Error(`verify --rules failed to run (exit ${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout) as VerifyReportData;
}

/**
 * fc.check; a failure's shrunk case is saved as golden/regression-<hash>/
 * (with `args: --route-programmer P`) before it is reported, as the other
 * property tests do (regression.ts).
 */
export function assertIpam<T extends unknown[]>(prop: fc.IProperty<[IpamCase, ...T]>, params: fc.Parameters<[IpamCase, ...T]>, programmer: Programmer): void {
  const details = fc.check(prop, params);
  if (!details.failed) return;
  const ce = details.counterexample?.[0];
  const why = `Property-test counterexample (seed ${details.seed}, --route-programmer ${programmer}): ${firstLine(details.errorInstance)}`;
  const saved = ce ? writeRegressionFiles(ipamCaseFiles(ce), why, ["--route-programmer", programmer]) : null;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(`${fc.defaultReportMessage(details)}\n${error}${saved ? `\nSaved as a golden regression case: ${saved}` : ""}`);
}

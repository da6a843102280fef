// Proving the emitted routes matter: take ONE line out of one node's
// `.routes` or `.fdb`, and ask netpolc's own `verify --rules` (in-process,
// through the CLI's main) which flows that breaks. The kernel test loads the
// same tampered files and probes; both must name exactly the flows the line
// was needed for.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import type { NodeRules } from "./dataplane.js";
import type { NodeRoutes } from "./routes.js";

export interface Tamper {
  /** What is taken away, for test names. */
  readonly what: string;
  readonly node: string;
  readonly file: "routes" | "fdb";
  /** Matches exactly one line of that file. */
  readonly line: RegExp;
}

/** The routes with the tamper's one line removed; throws unless exactly one line matches. */
export function tampered(routes: ReadonlyMap<string, NodeRoutes>, t: Tamper): { routes: Map<string, NodeRoutes>; removed: string } {
  const mine = routes.get(t.node);
  if (!mine) throw new Error(`no routes for ${t.node}`);
  const lines = mine[t.file].split("\n");
  const hits = lines.filter((l) => t.line.test(l));
  if (hits.length !== 1) throw new Error(`${t.node}.${t.file}: ${hits.length} lines match ${String(t.line)} (want 1):\n${mine[t.file]}`);
  const out = new Map(routes);
  out.set(t.node, { ...mine, [t.file]: lines.filter((l) => l !== hits[0]).join("\n") });
  return { routes: out, removed: hits[0]! };
}

/** An ordered pod pair of a flow in its original direction: `x/a -> y/c`. */
export const pairKey = (src: string, dst: string): string => `${src} -> ${dst}`;

export interface VerifyFindings {
  /** Pod pairs whose flow or whose reply verify reports dropped by routing (original direction). */
  readonly routingDrops: ReadonlySet<string>;
  /** Pod ↔ pod findings that are not routing drops (there must be none). */
  readonly other: readonly string[];
  /** Exit status of `verify --exhaustive`, and of class verify over the same files. */
  readonly exitCode: number;
  readonly classExitCode: number;
}

interface FailureView {
  readonly kind: string;
  readonly flow: string;
  readonly src?: string;
  readonly dst?: string;
  readonly rules?: { readonly routeDrop: unknown };
}

/**
 * `netpolc verify <inputs> --rules DIR --format json` over the given files,
 * written to a private temporary directory. Pod ↔ pod findings only: the
 * tampered route also breaks host ↔ pod flows and Felix's invariant probes,
 * which the kernel test does not probe.
 */
export async function verifyRoutes(
  inputs: readonly string[],
  rules: ReadonlyMap<string, NodeRules>,
  routes: ReadonlyMap<string, NodeRoutes>,
): Promise<VerifyFindings> {
  const dir = mkdtempSync(join(tmpdir(), "netpolc-kernel-verify-"));
  try {
    for (const [node, r] of rules) {
      writeFileSync(join(dir, `${node}.iptables`), r.iptables);
      writeFileSync(join(dir, `${node}.ipsets`), r.ipsets);
    }
    for (const [node, r] of routes) {
      writeFileSync(join(dir, `${node}.routes`), r.routes);
      if (r.fdb) writeFileSync(join(dir, `${node}.fdb`), r.fdb);
    }
    // Pair by pair (--exhaustive names every failing pair), and in classes (the default), which must fail too.
    const res = await runCli(["verify", ...inputs, "--rules", dir, "--format", "json", "--exhaustive"]);
    if (res.code === 2) throw new Error(`netpolc verify failed: ${res.err}`);
    const classes = await runCli(["verify", ...inputs, "--rules", dir, "--format", "json"]);
    if (classes.code === 2) throw new Error(`netpolc verify failed: ${classes.err}`);
    const report = JSON.parse(res.out) as { failures: FailureView[] };
    const routingDrops = new Set<string>();
    const other: string[] = [];
    for (const f of report.failures) {
      const isPod = (e: string | undefined): e is string => e !== undefined && e.includes("/");
      if ((f.kind !== "flow" && f.kind !== "reply") || !isPod(f.src) || !isPod(f.dst)) continue;
      // A reply's src/dst are the reply's own ends: its flow went the other way.
      const pair = f.kind === "flow" ? pairKey(f.src, f.dst) : pairKey(f.dst, f.src);
      if (f.rules?.routeDrop) routingDrops.add(pair);
      else other.push(`${f.kind}: ${f.flow}`);
    }
    return { routingDrops, other, exitCode: res.code, classExitCode: classes.code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

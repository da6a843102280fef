// `netpolc matrix`: the connectivity matrix from the reference evaluator, as
// text (cyclonus-like), JSON or a self-contained HTML page.
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { isEndpoint, type Protocol } from "../ir/cluster.js";
import { buildMatrix, type MatrixBy, type MatrixSide, type PortCase } from "../views/matrix.js";
import { matrixText } from "../views/matrix-text.js";
import { matrixJsonChunks } from "../views/matrix-json.js";
import { matrixHtmlChunks } from "../views/matrix-html.js";
import { loadForView } from "../views/load.js";
import type { InputFile } from "../frontend/index.js";
import type { Model } from "../ir/policy.js";
import { imageModel, imageOf, modelPrefixes6 } from "../verify/ipv6.js";
import { flag, flagAll, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { MATRIX_FLAGS } from "./flags.js";
import { gatherInputs } from "./inputs.js";
import type { TextResult } from "./verify.js";


const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function parsePortCase(text: string): PortCase {
  const [p = "", proto = "TCP"] = text.split("/");
  const protocol = proto.toUpperCase() as Protocol;
  const n = /^[0-9]{1,5}$/.test(p) ? Number(p) : NaN;
  const ok = PROTOCOLS.includes(protocol) && text.split("/").length <= 2 && ((n >= 1 && n <= 65535) || (Number.isNaN(n) && PORT_NAME.test(p) && p.length <= 15));
  if (!ok) throw new UsageError(`--port must be PORT[/PROTO] with PORT 1-65535 or a container port name and PROTO one of ${PROTOCOLS.join(", ")}, not '${text}'`);
  return { protocol, port: Number.isNaN(n) ? p : n, mentioned: true };
}

/** Writes via a temporary file and a rename, so a reader never sees half a page; chunk by chunk (a page can be gigabytes). */
function writeAtomically(path: string, chunks: Iterable<string>): void {
  const tmp = join(dirname(path), `.${basename(path)}.netpolc-tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      for (const c of chunks) writeSync(fd, c);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** More endpoint pods than this: rows and columns are namespaces unless --by says otherwise. */
export const POD_ROWS_MAX = 200;

export interface MatrixResult extends TextResult {
  /**
   * The JSON or HTML document for stdout, in chunks of whole lines written as they are made (`stdout` is then
   * empty): at 50k pods either is gigabytes, past the longest string V8 can hold.
   */
  readonly chunks: Iterable<string> | null;
  /** The page for --html FILE, written by the caller (chunks, likewise). */
  readonly html: { readonly path: string; readonly chunks: Iterable<string> } | null;
}

/** Pure apart from reading nothing: inputs (and --against inputs) already read. */
export function runMatrix(files: readonly InputFile[], args: ParsedArgs, oldFiles: readonly InputFile[] | null): MatrixResult {
  const ports = flagAll(args, "port").map(parsePortCase);
  const now = loadForView(files);
  const old = oldFiles ? loadForView(oldFiles) : null;
  const stderr = now.stderr + (old?.stderr ?? "");
  if (!now.model || (old && !old.model)) return { exitCode: 1, stdout: "", stderr, chunks: null, html: null };
  // --family 6: the snapshot's IPv6 side (pods with an IPv6 address, IPv6 ipBlocks), judged in its IPv4 image and shown in IPv6.
  const v6 = flag(args, "family") === "6";
  const sideOf = (model: Model): { model: Model; display: (s: string) => string } => {
    if (!v6) return { model, display: (s) => s };
    const img = imageOf(modelPrefixes6(model));
    if ("error" in img) throw new UsageError(`--family 6: ${img.error}`);
    return { model: imageModel(model, img), display: img.display };
  };
  const current = sideOf(now.model);
  const side: MatrixSide = { model: current.model, sources: now.sources };
  const oldSide: MatrixSide | undefined = old?.model ? { model: sideOf(old.model).model, sources: old.sources } : undefined;
  // --namespace: rows and columns from these namespaces only; a name the snapshot does not have is an input error.
  const wanted = flagAll(args, "namespace");
  const namespaces = wanted.length ? new Set(wanted) : null;
  if (namespaces) {
    const known = new Set([...side.model.cluster.namespaces.map((n) => n.name), ...side.model.cluster.pods.map((p) => p.namespace)]);
    const missing = wanted.filter((n) => !known.has(n));
    if (missing.length) {
      const list = [...known].sort();
      const shown = list.slice(0, 8).join(", ") + (list.length > 8 ? ` … and ${list.length - 8} more` : "");
      // As compile says of an unknown --node (pipeline.ts unknownNodeMessage).
      const message = missing.map((n) => `error[input/unknown-namespace]: namespace ${JSON.stringify(n)} is not in the snapshot (known: ${shown || "none"})\n`).join("");
      return { exitCode: 1, stdout: "", stderr: stderr + message, chunks: null, html: null };
    }
  }
  // Above a size a pod-by-pod table is unreadable (and as large as the square of the pods): namespaces by default.
  const pods = side.model.cluster.pods.filter((p) => isEndpoint(p) && (namespaces === null || namespaces.has(p.namespace))).length;
  const by = (flag(args, "by") ?? (pods > POD_ROWS_MAX ? "namespace" : "pod")) as MatrixBy;
  const note = flag(args, "by") === undefined && by === "namespace" ? `netpolc: note: ${pods} pods: rows and columns are namespaces (--by pod for pods)\n` : "";
  const htmlPath = flag(args, "html");
  const format = flag(args, "format") ?? (htmlPath ? null : "text");
  // The deciding rules are shown by the HTML page and the JSON document only.
  const m = buildMatrix(side, by, ports.length ? ports : undefined, oldSide, {
    why: htmlPath !== undefined || format === "json" || format === "html", ...(namespaces ? { namespaces } : {}),
  });
  // --family 6's display rewrites addresses, which never span a line: chunk by chunk is the same as all at once.
  const shown = (chunks: Iterable<string>): Iterable<string> => ({ *[Symbol.iterator]() { for (const c of chunks) yield current.display(c); } });
  const chunks = format === "json" ? shown(matrixJsonChunks(m)) : format === "html" ? shown(matrixHtmlChunks(m)) : null;
  const stdout = format === "text" ? current.display(matrixText(m)) : "";
  return { exitCode: 0, stdout, stderr: stderr + note, chunks, html: htmlPath ? { path: htmlPath, chunks: shown(matrixHtmlChunks(m)) } : null };
}

interface CommandIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readStdin: () => string;
}

export function matrixCommand(rest: readonly string[], io: CommandIo): number {
  const args = parseArgs(rest, MATRIX_FLAGS);
  if (args.positionals.length === 0) throw new UsageError("matrix needs at least one input file or directory");
  const against = flagAll(args, "against");
  const res = runMatrix(gatherInputs(args.positionals, io.readStdin), args, against.length ? gatherInputs(against, io.readStdin) : null);
  if (res.stderr) io.stderr(res.stderr);
  if (res.exitCode !== 0) return res.exitCode;
  if (res.html) writeAtomically(res.html.path, res.html.chunks);
  if (res.stdout) io.stdout(res.stdout);
  for (const c of res.chunks ?? []) io.stdout(c);
  return 0;
}

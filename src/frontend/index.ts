// The frontend: YAML files → validated, defaulted, lowered policy IR.
//
//   text ─parseYaml─▶ documents with spans ─collectObjects─▶ objects (List unwrapped)
//        ─decode (ajv, schemas/)─▶ JSON ─default─▶ ─validate (API server rules)─▶ ─lower─▶ Model
//
// Everything up to lowering is per file (collect.ts decodeFile), so large
// inputs are decoded on two threads (parallel.ts); the results are applied
// in file order either way, so the Model and the diagnostics do not depend
// on it. No filesystem, console or clock. Every problem goes to `diag`; a
// Model is returned even when there were errors (the caller stops then).
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model } from "../ir/policy.js";
import { buildCluster, cmp } from "./cluster/build.js";
import { Collector, type FileItem, type InputFile } from "./collect.js";
import { decodeFiles, type FrontendThreads } from "./parallel.js";
import { hasServiceInputs, lowerServices } from "./services/index.js";

export type { InputFile } from "./collect.js";
export type { FrontendThreads } from "./parallel.js";

export interface LoadOptions {
  /** Threads for parsing and decoding; default "auto" (two for large inputs when the machine has two cores). */
  readonly threads?: FrontendThreads;
  /** Tests only: workers decode every file (this thread only waits), so that their results are what is applied. */
  readonly workersOnly?: boolean;
}

/**
 * A file that holds nothing (no object, no error) among other inputs is a
 * warning; inputs that hold no Kubernetes object at all are an error — as a
 * pre-commit hook or a CI gate, an empty input must never pass for a clean one.
 */
function reportEmptyInputs(files: readonly InputFile[], decoded: readonly (readonly FileItem[])[], diag: DiagnosticSink): void {
  const holds = decoded.map((items) => items.some((i) => i.t !== "diag" || i.diag.severity === "error"));
  const empty = files.filter((_, i) => !holds[i]);
  if (empty.length === files.length) {
    const looked = files.length ? files.map((f) => f.path).join(", ") : "no file";
    diag.error("input/no-objects", null, `no Kubernetes object in the inputs (read: ${looked})`, ["give the files or directories that hold the policies and the cluster snapshot"]);
    return;
  }
  for (const f of empty) diag.warning("input/empty-file", { file: f.path, start: 0, end: 0 }, `${f.path} holds no Kubernetes object`);
}

export function loadModel(files: readonly InputFile[], diag: DiagnosticSink, sources: SourceMap, opts: LoadOptions = {}): Model {
  const collector = new Collector(diag, sources);
  // Sorted for determinism: whatever order the caller found the files in.
  const sorted = [...files].sort((a, b) => cmp(a.path, b.path));
  for (const f of sorted) sources.add(f.path, f.text);
  const decoded = decodeFiles(sorted, sources, opts.threads ?? "auto", opts.workersOnly).items;
  for (const items of decoded) collector.apply(items);
  reportEmptyInputs(sorted, decoded, diag);
  collector.reportIgnoredKinds();
  const cluster = buildCluster(collector.clusterInputs(), diag);
  // Only snapshots that declare Services (or kube-proxy's configuration) get a services model.
  const svc = collector.serviceInputs();
  const services = hasServiceInputs(svc) ? { services: lowerServices(svc, diag) } : {};
  return { cluster: { ...cluster, ...services }, policies: collector.policies() };
}

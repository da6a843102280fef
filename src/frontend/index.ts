// The frontend: YAML files → validated, defaulted, lowered policy IR.
//
//   text ─parseYaml─▶ documents with spans ─collectObjects─▶ objects (List unwrapped)
//        ─decode (ajv, schemas/)─▶ JSON ─default─▶ ─validate (API server rules)─▶ ─lower─▶ Model
//
// Pure: no filesystem, console or clock. Every problem goes to `diag`; a
// Model is returned even when there were errors (the caller stops then).
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "../diagnostics/sources.js";
import type { Model } from "../ir/policy.js";
import { buildCluster, cmp } from "./cluster/build.js";
import { Collector } from "./collect.js";
import { collectObjects } from "./objects.js";
import { parseYaml } from "./yaml/parse.js";
import { hasServiceInputs, lowerServices } from "./services/index.js";

export interface InputFile {
  /** As the user gave it; used in diagnostics. */
  readonly path: string;
  readonly text: string;
}

export function loadModel(files: readonly InputFile[], diag: DiagnosticSink, sources: SourceMap): Model {
  const collector = new Collector(diag, sources);
  // Sorted for determinism: whatever order the caller found the files in.
  const sorted = [...files].sort((a, b) => cmp(a.path, b.path));
  for (const f of sorted) {
    sources.add(f.path, f.text);
    for (const o of collectObjects(parseYaml(f.path, f.text, diag, sources), diag)) collector.add(o);
  }
  collector.reportIgnoredKinds();
  const cluster = buildCluster(collector.clusterInputs(), diag);
  // Only snapshots that declare Services (or kube-proxy's configuration) get a services model.
  const svc = collector.serviceInputs();
  const services = hasServiceInputs(svc) ? { services: lowerServices(svc, diag) } : {};
  return { cluster: { ...cluster, ...services }, policies: collector.policies() };
}

// `calicoctl get workloadendpoint` from the snapshot: one row per policy
// endpoint (the pods Felix gives a cali* interface), sorted by namespace and
// name as calicoctl lists them, NETWORKS as `<ip>/32` (`/128` for IPv6).
// Columns are laid out like Go's text/tabwriter with padding 3, which is what
// calicoctl prints through; the last column is not padded.
import { isEndpoint, type Pod } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import { NAMES } from "../backends/index.js";
import { comparePods } from "../semantics/model-index.js";

export interface WorkloadRow {
  readonly namespace: string;
  readonly workload: string;
  readonly node: string;
  readonly networks: readonly string[];
  readonly iface: string;
}

const network = (ip: string): string => `${ip}/${ip.includes(":") ? 128 : 32}`;

export function workloadRows(model: Model, interfacePrefix: string): WorkloadRow[] {
  // Sorted for determinism (namespace, then name), as calicoctl lists them.
  return model.cluster.pods.filter(isEndpoint).sort(comparePods).map((p: Pod) => ({
    namespace: p.namespace,
    workload: p.name,
    node: p.nodeName ?? "",
    networks: p.ips.map(network),
    iface: NAMES.workloadInterface(p.namespace, p.name, interfacePrefix),
  }));
}

/** calicoctl's tabwriter: minimum cell width 5, padding 3, spaces. */
export function tabulate(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => void (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(5, (widths[i] ?? 0) + 3)))).join("");
  return rows.map(line).join("\n") + "\n";
}

/** `allNamespaces` adds calicoctl -A's NAMESPACE column; otherwise only `namespace`'s rows are listed. */
export function workloadsTable(rows: readonly WorkloadRow[], opts: { allNamespaces: boolean; namespace: string }): string {
  const shown = opts.allNamespaces ? rows : rows.filter((r) => r.namespace === opts.namespace);
  const head = ["WORKLOAD", "NODE", "NETWORKS", "INTERFACE"];
  const body = shown.map((r) => [r.workload, r.node, r.networks.join(","), r.iface]);
  return opts.allNamespaces
    ? tabulate([["NAMESPACE", ...head], ...body.map((b, i) => [shown[i]!.namespace, ...b])])
    : tabulate([head, ...body]);
}

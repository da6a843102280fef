// PLACEHOLDER while the resolver is written (issue 12): replaced before landing.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { IPPool, Node, Pod } from "../../ir/cluster.js";
import type { Addressing, IPAMObjects } from "../../ir/ipam.js";

export interface AddressingInputs {
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  readonly pools: readonly IPPool[];
  readonly ipam: IPAMObjects | null;
}

export function resolveAddressing(input: AddressingInputs, _diag: DiagnosticSink): Addressing {
  return { exact: input.ipam !== null, blocks: [], nodes: new Map(), strictAffinity: input.ipam?.config?.strictAffinity ?? false };
}

// The decoded IPAM objects of every file → IR IPAMObjects: objects marked
// deleted left out (their decoders already said so), every list sorted, and
// the one configuration picked.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { BlockAffinity, IPAMBlock, IPAMConfig, IPAMHandle, IPAMObjects } from "../../ir/ipam.js";
import { cmp } from "../cluster/build.js";
import type { DeclaredBlockAffinity } from "./affinity.js";
import type { DeclaredIPAMBlock } from "./block.js";
import { byName, sortedByCIDR } from "./common.js";
import { IPAM_CONFIG_NAME, type DeclaredIPAMConfig } from "./config.js";
import type { DeclaredIPAMHandle } from "./handle.js";

/** Mutable lists the collector fills, in the order it applies objects. */
export class IPAMInputLists {
  readonly blocks: DeclaredIPAMBlock[] = [];
  readonly affinities: DeclaredBlockAffinity[] = [];
  readonly handles: DeclaredIPAMHandle[] = [];
  readonly configs: DeclaredIPAMConfig[] = [];
}

/**
 * Null when the snapshot holds no IPAM object at all (later stages then infer
 * the address plan, spec §5.2). An object marked deleted still counts as
 * present: the user did dump the IPAM objects, they just hold nothing for it.
 */
export function assembleIPAM(input: IPAMInputLists, diag: DiagnosticSink): IPAMObjects | null {
  if (input.blocks.length + input.affinities.length + input.handles.length + input.configs.length === 0) return null;
  const blocks = input.blocks.filter((b) => !b.deleted).map(({ deleted: _deleted, ...b }): IPAMBlock => b);
  const affinities = input.affinities.filter((a) => !a.deleted).map(({ deleted: _deleted, ...a }): BlockAffinity => a);
  const handles = input.handles.filter((h) => !h.deleted).map(({ deleted: _deleted, ...h }): IPAMHandle => h);
  return {
    // Sorted for determinism: blocks by CIDR (numeric), then name.
    blocks: sortedByCIDR(blocks, (b) => b.cidr, byName),
    // Sorted for determinism: affinities by CIDR (numeric), then node, then name.
    affinities: sortedByCIDR(affinities, (a) => a.cidr, (a, b) => cmp(a.node, b.node) || byName(a, b)),
    // Sorted for determinism: handles by name.
    handles: [...handles].sort(byName),
    config: configOf(input.configs, diag),
  };
}

/**
 * Calico reads the configuration named "default" and nothing else. Two
 * objects of one name are already a duplicate-object error; two names are an
 * error here (which one would the user mean?), and the "default" one, else
 * the first by name, is kept so that later stages still see one.
 */
function configOf(configs: readonly DeclaredIPAMConfig[], diag: DiagnosticSink): IPAMConfig | null {
  // Sorted for determinism: "default" first, then by name.
  const sorted = [...configs].sort((a, b) => Number(b.name === IPAM_CONFIG_NAME) - Number(a.name === IPAM_CONFIG_NAME) || byName(a, b));
  const [first, ...others] = sorted;
  if (!first) return null;
  for (const other of others) {
    diag.error("ipamconfig/duplicate", other.span, `Calico reads one IPAM configuration, named "${IPAM_CONFIG_NAME}"; found ${sorted.length}: ${sorted.map((c) => `"${c.name}"`).join(", ")}`);
  }
  const { name: _name, ...config } = first;
  return config;
}

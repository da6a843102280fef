// One service port's chains and rules, built once per compilation for every
// distinct way nodes see the port. Most ports look the same from every node
// (no traffic policy Local, no source range holding a node address), so they
// are built once; a Local port is built once per distinct set of endpoints a
// node has of it (most nodes have none), and a chain that comes out the same
// as in an earlier variant (its KUBE-SVC, an eTP Local port's KUBE-EXT on
// every node without a local endpoint) is that earlier Chain object. KUBE-SEP
// chains are built once per endpoint whatever the variant. A node's ruleset
// takes these Chain objects as they are (tables.ts `put`), so the writer
// renders each once.
import { memoTable, type Compilation } from "../../compilation.js";
import type { Chain } from "../../rules/types.js";
import type { NodeContext, ProxierContext } from "./context.js";
import { legacySepRules, writeLegacyPort } from "./legacy.js";
import { modernSepRules, writeModernPort } from "./modern.js";
import { mayVary, nodeFacts, portPlan, type PlannedEndpoint, type PortPlan, type ServicePortPlan } from "./plan.js";
import { Tables, type TableChain } from "./tables.js";

/**
 * What one port writes, per table in the order first named: its own chains
 * (EXT, FW, SVC, SVL, XLB, SEP) and its share of the fixed ones
 * (KUBE-SERVICES, KUBE-NODEPORTS, …), each as a Chain holding the port's rules.
 */
export type PortOutput = readonly TableChain[];

/** A port's outputs by NodeFacts key (one per distinct way nodes see it), and each distinct chain they hold, by content. */
interface Variants {
  readonly outputs: Map<string, PortOutput>;
  readonly chains: Map<string, Chain>;
  /** Every chain object `chains` holds or that was already one of them (a KUBE-SEP chain comes from its own memo): no need to compare it again. */
  readonly known: Set<Chain>;
}

const PORT_OUTPUTS = memoTable<ServicePortPlan, Variants>("kubeproxy/port-outputs");
const SEP_CHAINS = memoTable<PlannedEndpoint, Chain>("kubeproxy/sep-chains");

export function portOutput(comp: Compilation, px: ProxierContext, p: ServicePortPlan, node: NodeContext): PortOutput {
  const variants = comp.memo(PORT_OUTPUTS, p, () => ({ outputs: new Map<string, PortOutput>(), chains: new Map<string, Chain>(), known: new Set<Chain>() }));
  // Most ports look the same from every node: their one output, without working out this node's facts.
  if (!mayVary(p) && variants.outputs.size === 1) return variants.outputs.values().next().value!;
  const facts = nodeFacts(p, node);
  let out = variants.outputs.get(facts.key);
  if (out === undefined) {
    out = buildPort(comp, px, portPlan(p, facts));
    if (mayVary(p)) out = interned(out, variants);
    variants.outputs.set(facts.key, out);
  }
  return out;
}

/**
 * Each chain of `out` that an earlier variant of the port built alike, as
 * that earlier object. Alike is the same table, name and rules as plain data
 * (the builders make equal rules with their fields in the same order).
 */
function interned(out: PortOutput, { chains, known }: Variants): PortOutput {
  return out.map((tc) => {
    if (known.has(tc.chain)) return tc;
    const { table, chain } = tc;
    const key = `${table} ${chain.name} ${JSON.stringify(chain.rules)}`;
    const earlier = chains.get(key);
    if (earlier) return { table, chain: earlier };
    chains.set(key, chain);
    known.add(chain);
    return tc;
  });
}

function buildPort(comp: Compilation, px: ProxierContext, p: PortPlan): PortOutput {
  const out = new Tables();
  const sepRules = px.profile.legacy ? legacySepRules : modernSepRules;
  const sep = (ep: PlannedEndpoint): Chain => comp.memo(SEP_CHAINS, ep, () => ({ name: ep.sep, policy: null, rules: sepRules(p, ep) }));
  (px.profile.legacy ? writeLegacyPort : writeModernPort)(p, px, out, sep);
  return out.entries();
}

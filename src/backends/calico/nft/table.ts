// Felix's nftables dataplane for one node and family (nftables.md §B): the
// node's Felix chains of the iptables rule model — possibly -O2-optimised, so
// read generically, never re-derived from policies — translated as Felix's
// generictables → nftables renderer writes the same chains. One table
// (`ip calico` / `ip6 calico`) holds four layers: every chain and jump target
// gets its iptables table as prefix (`filter-cali-FORWARD`); the kernel chains
// become base chains (§B.2) holding Felix's hooks, hashed as inserts under the
// base chain's name and appends under `<name>*appends*`; IP sets become named
// sets; from 3.30 the workload dispatch trees become verdict maps. Policy
// chains are the same objects on every node: each is translated once per
// compilation.
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NftChain, NftRule, NftSet, NftStmt, NftTable } from "../../../rules/nft/model.js";
import { printStmtsInput } from "../../../rules/nft/print.js";
import { BUILTIN_CHAINS, TABLE_ORDER, isBuiltinChain, type Chain, type HashRun, type Rule, type TableName } from "../../../rules/types.js";
import type { NodeOutput } from "../../types.js";
import { appendsHashChain } from "../names.js";
import type { CalicoOptions } from "../options.js";
import { chainNamer } from "./chain-names.js";
import { dispatchDirOf, isDispatchChild, readDispatchTree, vmapElements, vmapStmt } from "./dispatch.js";
import { nftRuleComment, nftRuleHashes } from "./hash.js";
import { translateRule } from "./match.js";
import { BASE_CHAINS, DISPATCH_MAP, NFT_TABLE_NAME, calicoHasNftables, layerName, nftAppendsHashChain, nftFamilyOf, usesDispatchMaps } from "./names.js";
import { ipSetFamily, nftSetOf, verdictMap } from "./sets.js";

type Namer = (name: string) => string;

/** What one run of rules is hashed as (renderer.go; table.go CalculateRuleHashes renders base-chain rules as IPv4). */
interface Run {
  readonly hashChain: string;
  readonly rules: readonly Rule[];
}

/** Rules of one hash run: each hashed on its input text, commented `cali:<hash>; <comments>` (§B.5). */
function hashed(hashChain: string, stmts: readonly (readonly NftStmt[])[], texts: readonly string[], comments: readonly (readonly string[])[]): NftRule[] {
  const hashes = nftRuleHashes(hashChain, texts);
  return stmts.map((s, i) => ({ stmts: s, comment: nftRuleComment(hashes[i]!, comments[i]!) }));
}

const felixText = (s: readonly NftStmt[]): string => printStmtsInput(s, "felix");

/** Translates and hashes the runs; `hashFamily` is the family the hash text is rendered in. */
function hashedRules(runs: readonly Run[], family: 4 | 6, hashFamily: 4 | 6, namer: Namer): NftRule[] {
  return runs.flatMap((run) => {
    const stmts = run.rules.map((r) => translateRule(r, family, namer));
    const texts = hashFamily === family ? stmts.map(felixText) : run.rules.map((r) => felixText(translateRule(r, hashFamily, namer)));
    return hashed(run.hashChain, stmts, texts, run.rules.map((r) => r.comments ?? []));
  });
}

/**
 * The model's hash runs (rules/types.ts HashRun) under nft names: the chain's
 * own run, or a kernel chain's inserts and `*appends*`. A run under no name
 * holds another agent's rules (kube-proxy's jumps merged into a kernel chain):
 * in nftables mode that agent has its own table, so they are not Felix's to write.
 */
function runsOf(c: Chain, nftName: string): Run[] {
  const runs: readonly HashRun[] = c.hashRuns ?? [];
  const out: Run[] = [];
  let at = 0;
  for (const run of runs) {
    const rules = c.rules.slice(at, at + run.rules);
    at += run.rules;
    if (run.chain === null) continue;
    if (run.chain === c.name) out.push({ hashChain: nftName, rules });
    else if (run.chain === appendsHashChain(c.name)) out.push({ hashChain: nftAppendsHashChain(nftName), rules });
    else throw new Error(`calico nftables: chain ${c.name} hashes a run under ${run.chain}`);
  }
  if (at !== c.rules.length) throw new Error(`calico nftables: chain ${c.name}'s hash runs do not cover its rules`);
  return out;
}

// A chain of the rule model (a policy chain shared by every node, a static chain shared by nodes of one context)
// becomes the same nft chain wherever it appears in one layer and family: translated once per compilation.
const NFT_CHAINS = memoTable<Chain, Map<string, NftChain>>("calico/nft-chains");

function translateChain(comp: Compilation, c: Chain, layer: TableName, family: 4 | 6, namer: Namer): NftChain {
  const byLayer = comp.memo(NFT_CHAINS, c, () => new Map());
  const key = `${layer} ${family}`;
  let out = byLayer.get(key);
  if (!out) {
    const base = isBuiltinChain(c.name) ? BASE_CHAINS[layer][c.name] : null;
    if (base === undefined) throw new Error(`calico nftables: ${layer} has no base chain ${c.name}`);
    const name = namer(c.name);
    // Base-chain rules are hashed by CalculateRuleHashes, whose renderer is always IPv4 (table.go).
    out = { name, base, comment: null, rules: hashedRules(runsOf(c, name), family, base ? 4 : family, namer) };
    byLayer.set(key, out);
  }
  return out;
}

/** A base chain the model does not have: Felix creates all of them (§B.2). */
const emptyBase = (layer: TableName, kernel: string): NftChain => ({ name: layerName(layer, kernel), base: BASE_CHAINS[layer][kernel]!, comment: null, rules: [] });

interface Layer {
  readonly base: NftChain[];
  readonly chains: NftChain[];
  readonly maps: NftSet[];
}

function translateLayer(comp: Compilation, chains: readonly Chain[], layer: TableName, family: 4 | 6, opts: CalicoOptions): Layer {
  const namer = chainNamer(comp, opts.calicoVersion, opts.interfacePrefix, layer);
  const vmaps = layer === "filter" && usesDispatchMaps(opts.calicoVersion);
  const byName = new Map(chains.map((c) => [c.name, c]));
  const base = BUILTIN_CHAINS[layer].map((k) => {
    const c = byName.get(k);
    return c ? translateChain(comp, c, layer, family, namer) : emptyBase(layer, k);
  });
  const out: NftChain[] = [];
  const maps: NftSet[] = [];
  for (const c of chains) {
    // Chains with no hash runs are not Felix's (kube-proxy's, merged in): kube-proxy has its own nft table.
    if (isBuiltinChain(c.name) || c.hashRuns === undefined) continue;
    const dir = vmaps ? dispatchDirOf(c.name) : null;
    if (vmaps && isDispatchChild(c.name)) continue;
    if (dir === null) {
      out.push(translateChain(comp, c, layer, family, namer));
      continue;
    }
    const tree = readDispatchTree(c, dir, byName);
    const name = namer(c.name);
    const stmts = [[vmapStmt(dir)], ...tree.endRules.map((r) => translateRule(r, family, namer))];
    out.push({ name, base: null, comment: null, rules: hashed(name, stmts, stmts.map(felixText), [[], ...tree.endRules.map((r) => r.comments ?? [])]) });
    maps.push(verdictMap(DISPATCH_MAP[dir], vmapElements(tree, namer)));
  }
  return { base, chains: out, maps };
}

/**
 * The node's `ip calico` (family 4) or `ip6 calico` (family 6) table, dialect
 * "felix", from its Felix output (renderCalicoNode, optionally -O2-optimised).
 * Throws for a release without an nftables dataplane (calicoHasNftables) and
 * for any rule without a faithful nft form (match.ts).
 */
export function renderCalicoNft(comp: Compilation, felix: NodeOutput, opts: CalicoOptions, family: 4 | 6): NftTable {
  if (!calicoHasNftables(opts.calicoVersion)) throw new Error(`calico nftables: Calico ${opts.calicoVersion} has no nftables dataplane (3.29+)`);
  const ruleset = family === 6 ? felix.ruleset6 : felix.ruleset;
  if (ruleset === null) throw new Error("calico nftables: no IPv6 rules (IPv6 is off)");
  const layers = TABLE_ORDER.map((layer) => translateLayer(comp, ruleset.tables.find((t) => t.name === layer)?.chains ?? [], layer, family, opts));
  const sets = felix.ipsets.filter((s) => ipSetFamily(s) === family).map((s) => nftSetOf(comp, s));
  // Both dispatch maps exist from the start, even with no workload (table.go; [CAL-DUMP]).
  const maps = usesDispatchMaps(opts.calicoVersion)
    ? (["from", "to"] as const).map((d) => layers.flatMap((l) => l.maps).find((m) => m.name === DISPATCH_MAP[d]) ?? verdictMap(DISPATCH_MAP[d], []))
    : [];
  return {
    family: nftFamilyOf(family),
    name: NFT_TABLE_NAME,
    comment: null,
    dialect: "felix",
    sets: [...sets, ...maps],
    chains: [...layers.flatMap((l) => l.base), ...layers.flatMap((l) => l.chains)],
  };
}

// The -O2 driver for one node's Calico output, on the rule model before
// rendering. What depends only on a policy — its rules through the rule and
// felix passes, the sets they reference, their Felix spelling — is built once
// per compilation (src/compilation.ts) and shared by every node; per node only
// the decisions that depend on which chains and sets the node holds are made:
// ipset-dedup's aliases (set references renamed in the node's policy rules),
// chain-share's groups (endpoint chains rebuilt to jump to the shared chain),
// and dead-tail's cuts.
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NetworkPolicy } from "../../../ir/policy.js";
import { felixText } from "../../../rules/felix.js";
import type { IpSet } from "../../../rules/ipset.js";
import { compareMembers } from "../../../rules/ipset.js";
import type { Chain, Rule, RulePart, RuleSet } from "../../../rules/types.js";
import type { NodeOutput } from "../../types.js";
import { k8sRuleToCalico } from "../convert.js";
import { endpointChain, policiesFor, policyChainNameOf, profileAllowRules } from "../endpoints.js";
import { chain } from "../felix-rule.js";
import { memberSets } from "../ipsets.js";
import { endpointChainName, ipSetName, policyChainNameWith, policyKeyName, profileChainComment, profileChainName } from "../names.js";
import type { Direction } from "../names.js";
import type { CalicoOptions } from "../options.js";
import { withChainComment, withoutTrailingReturns } from "../policy-rules.js";
import { policyChainSuffix, policyCommentIn, profileOf, type FelixProfile } from "../profile.js";
import type { SetSpec } from "../sets.js";
import { SetRegistry } from "../sets.js";
import { allWorkloads, localWorkloads, type Profile } from "../workloads.js";
import type { Pass } from "./passes.js";
import { OptRegistry, renderOptRule } from "./render.js";
import type { OptRule } from "./rules.js";

interface PolicyDir {
  readonly policy: NetworkPolicy;
  readonly dir: Direction;
}

const DIRS: readonly Direction[] = ["ingress", "egress"];

/** One policy direction through the rule and felix passes, built once per compilation. */
interface OptPolicy {
  /** Felix rules, before the chain comment. */
  readonly rules: readonly Rule[];
  /** The selector and named-port sets the rules reference, in first-use order. */
  readonly specs: readonly SetSpec[];
  /** The CIDR sets the rules reference: name → members, in first-use order. */
  readonly nets: ReadonlyMap<string, readonly string[]>;
  /** The rules as Felix spells them (what chain-share compares). */
  readonly body: string;
  /** The chain when nothing on the node renames or shares it. */
  readonly chain: Chain;
}

/** What -O2 builds once per compilation and pass list (--stats runs several lists in one compilation). */
interface OptTables {
  readonly policies: Map<NetworkPolicy, Partial<Record<Direction, OptPolicy>>>;
  readonly profiles: Map<Profile, Partial<Record<Direction, Chain>>>;
}

const POLICY_INDEX = memoTable<FelixProfile, ReadonlyMap<string, PolicyDir>>("calico-O2/policy-index");
const OPT_TABLES = memoTable<string, OptTables>("calico-O2/by-pass-list");
const NET_SET = memoTable<string, IpSet>("calico-O2/net-set");

/** Keyed by Calico version and pass list: what one built is never served to the other. */
function optTables(comp: Compilation, passes: readonly Pass[], felix: FelixProfile): OptTables {
  return comp.memo(OPT_TABLES, `${felix.version} ${felix.family} ${passes.map((p) => p.name).join(",")}`, () => ({ policies: new Map(), profiles: new Map() }));
}

function perDirection<K, V>(table: Map<K, Partial<Record<Direction, V>>>, key: K): Partial<Record<Direction, V>> {
  let byDir = table.get(key);
  if (!byDir) table.set(key, (byDir = {}));
  return byDir;
}

const policyChainOf = (felix: FelixProfile, dir: Direction, p: NetworkPolicy): string => policyChainNameWith(dir, policyChainSuffix(felix, p.namespace, p.name));

/** Policy chain name → its policy and direction (names in the compile's Calico version). */
function policyIndex(comp: Compilation, felix: FelixProfile): ReadonlyMap<string, PolicyDir> {
  return comp.memo(POLICY_INDEX, felix, () => {
    const idx = new Map<string, PolicyDir>();
    for (const policy of comp.model.policies) for (const dir of DIRS) idx.set(policyChainOf(felix, dir, policy), { policy, dir });
    return idx;
  });
}

function optPolicy(comp: Compilation, { policy, dir }: PolicyDir, passes: readonly Pass[], felix: FelixProfile): OptPolicy {
  const byDir = perDirection(optTables(comp, passes, felix).policies, policy);
  return (byDir[dir] ??= buildOptPolicy({ policy, dir }, passes, felix));
}

/** The passes, then what Felix itself does at this version (P28+ strips trailing RETURNs, §4.1), then the chain comment. */
function buildOptPolicy({ policy, dir }: PolicyDir, passes: readonly Pass[], felix: FelixProfile): OptPolicy {
  const k8s = dir === "ingress" ? policy.ingress : policy.egress;
  let calico: OptRule[] = k8s.flatMap((kr) => k8sRuleToCalico(kr, dir, policy.namespace));
  for (const p of passes) if (p.rules) calico = p.rules(calico);
  const reg = new OptRegistry(felix.family);
  let rules = calico.flatMap((r) => renderOptRule(r, reg, felix.marks));
  for (const p of passes) if (p.felix) rules = p.felix(rules);
  if (felix.stripTrailingReturn) rules = withoutTrailingReturns(rules);
  const name = policyChainOf(felix, dir, policy);
  return {
    rules,
    specs: reg.all(),
    nets: reg.nets,
    body: JSON.stringify(rules.map(felixText)),
    chain: chain(name, withChainComment(rules, policyCommentIn(felix, dir, policy.namespace, policy.name))),
  };
}

/** Profile chains through the felix passes: they depend only on the profile. */
function optProfile(comp: Compilation, pr: Profile, dir: Direction, felixPasses: readonly Pass[], felix: FelixProfile): Chain {
  const byDir = perDirection(optTables(comp, felixPasses, felix).profiles, pr);
  return (byDir[dir] ??= buildOptProfile(pr, dir, felixPasses, felix));
}

function buildOptProfile(pr: Profile, dir: Direction, felixPasses: readonly Pass[], felix: FelixProfile): Chain {
  let rules = profileAllowRules(pr, felix);
  for (const p of felixPasses) rules = p.felix!(rules);
  if (felix.stripTrailingReturn) rules = withoutTrailingReturns(rules);
  return chain(profileChainName(dir, pr.name), withChainComment(rules, profileChainComment(dir, pr.name)));
}

const SET_OPTIONS = ["family", "inet", "hashsize", "1024", "maxelem", "1048576"] as const;
const isPolicySet = (name: string, family: 4 | 6): boolean => new RegExp(`^cali${family}0[sno]:`).test(name);
const memberText = (cidr: string): string => (cidr.endsWith("/32") ? cidr.slice(0, -3) : cidr);

function netSet(comp: Compilation, name: string, cidrs: readonly string[]): IpSet {
  return comp.memo(NET_SET, name, () => ({
    name, type: "hash:net", options: SET_OPTIONS, members: cidrs.map((c) => ({ value: memberText(c) })).sort(compareMembers),
  }));
}

/** The node's policy chains before per-node decisions: one OptPolicy each, and the sets they reference. */
interface NodePolicies {
  readonly opt: ReadonlyMap<string, OptPolicy>;
  readonly specs: readonly SetSpec[];
  readonly nets: ReadonlyMap<string, readonly string[]>;
}

function nodePolicies(comp: Compilation, targets: readonly string[], passes: readonly Pass[], felix: FelixProfile): NodePolicies {
  const idx = policyIndex(comp, felix);
  const opt = new Map(targets.map((name) => [name, optPolicy(comp, idx.get(name)!, passes, felix)] as const));
  // Replayed in target order, so the node's sets come out in the order one registry over all targets would give.
  const reg = new SetRegistry(felix.family);
  const nets = new Map<string, readonly string[]>();
  for (const o of opt.values()) {
    for (const s of o.specs) reg.add(s);
    for (const [n, m] of o.nets) if (!nets.has(n)) nets.set(n, m);
  }
  return { opt, specs: reg.all(), nets };
}

/** The node's policy sets with members, aliased-away names excluded. */
function policySets(comp: Compilation, calico: CalicoOptions, np: NodePolicies, alias: ReadonlyMap<string, string>, family: 4 | 6): IpSet[] {
  const all = allWorkloads(comp, calico.interfacePrefix);
  const specs = np.specs.filter((s) => !alias.has(ipSetName(s.id, family)));
  // CIDR sets come from IPv4 ipBlocks only (cidr-merge), so the IPv6 side has none.
  const nets = [...np.nets].filter(([name]) => !alias.has(name)).map(([name, cidrs]) => netSet(comp, name, cidrs));
  return [...memberSets(comp, all, specs, family), ...nets];
}

/** `rules` with every set reference renamed through `alias`; the same array when none is. */
function renamed(rules: readonly Rule[], alias: ReadonlyMap<string, string>): readonly Rule[] {
  if (alias.size === 0) return rules;
  let changed = false;
  const out = rules.map((r) => {
    let hit = false;
    const parts = r.parts.map((p): RulePart => {
      if (p.kind !== "match" || p.module !== "set") return p;
      const options = p.options.map((o) => {
        const to = o.name === "match-set" ? alias.get(o.args[0] ?? "") : undefined;
        return to === undefined ? o : { ...o, args: [to, ...o.args.slice(1)] };
      });
      if (options.every((o, i) => o === p.options[i])) return p;
      hit = true;
      return { ...p, options };
    });
    if (!hit) return r;
    changed = true;
    return { ...r, parts };
  });
  return changed ? out : rules;
}

function sharedComment(group: readonly string[], idx: ReadonlyMap<string, PolicyDir>): string {
  const keys = group.map((n) => idx.get(n)!).map(({ policy }) => policyKeyName(policy.namespace, policy.name));
  return `Shared by ${keys.join(" ")}`;
}

/** The node's policy chains after renaming and sharing: shared-away chains absent, a shared chain naming its sharers. */
function policyChains(
  comp: Compilation, rules: ReadonlyMap<string, readonly Rule[]>, np: NodePolicies, share: ReadonlyMap<string, string>, felix: FelixProfile,
): Map<string, Chain> {
  const idx = policyIndex(comp, felix);
  const sharers = new Map<string, string[]>();
  for (const [n, kept] of share) {
    let g = sharers.get(kept);
    if (!g) sharers.set(kept, (g = [kept]));
    g.push(n);
  }
  const out = new Map<string, Chain>();
  for (const [name, rs] of rules) {
    if (share.has(name)) continue;
    const opt = np.opt.get(name)!;
    const group = sharers.get(name);
    if (rs === opt.rules && !group) {
      out.set(name, opt.chain);
      continue;
    }
    const { policy, dir } = idx.get(name)!;
    const comments = [policyCommentIn(felix, dir, policy.namespace, policy.name), ...(group ? [sharedComment(group, idx)] : [])];
    const [first, ...rest] = withChainComment(rs, comments[0]!);
    const commented = first ? [{ ...first, comments: [...(first.comments ?? []), ...comments.slice(1)] }, ...rest] : [];
    out.set(name, chain(name, commented));
  }
  return out;
}

/**
 * Endpoint chains redirected to shared policy chains (and the policy group
 * chains they jump through, P28+: same names, redirected targets), and
 * profile chains through the felix passes.
 */
function workloadChains(
  comp: Compilation, node: string, calico: CalicoOptions, passes: readonly Pass[], share: ReadonlyMap<string, string>, felix: FelixProfile,
): Map<string, Chain> {
  const out = new Map<string, Chain>();
  const groups = new Map<string, Chain>();
  const felixPasses = passes.filter((p) => p.felix);
  for (const w of localWorkloads(comp, allWorkloads(comp, calico.interfacePrefix), node)) {
    for (const dir of DIRS) {
      if (share.size) {
        const target = (p: NetworkPolicy): string => {
          // Named once per compilation (a long name costs a SHA-256): every endpoint of the namespace asks.
          const n = policyChainNameOf(comp, p, dir, felix);
          return share.get(n) ?? n;
        };
        out.set(endpointChainName(dir, w.iface), endpointChain(comp, w, dir, policiesFor(comp, w, dir, felix), target, felix, groups));
      }
      if (felixPasses.length) {
        // The chain carries its name (a long one costs a SHA-256): not named again per workload.
        for (const pr of w.profiles) {
          const c = optProfile(comp, pr, dir, felixPasses, felix);
          out.set(c.name, c);
        }
      }
    }
  }
  for (const [name, g] of groups) out.set(name, g);
  return out;
}

/** Runs `passes` (in PASSES order) over one node's -O1 Calico output, both families. No passes: the output unchanged. */
export function optimizeCalicoNode(comp: Compilation, out: NodeOutput, calico: CalicoOptions, passes: readonly Pass[]): NodeOutput {
  if (passes.length === 0) return out;
  const v4sets = out.ipsets.filter((s) => !s.name.startsWith("cali60"));
  const v6sets = out.ipsets.filter((s) => s.name.startsWith("cali60"));
  const v4 = optimizeTables(comp, out.node, out.ruleset, v4sets, calico, passes, profileOf(calico.calicoVersion));
  const v6 = out.ruleset6 ? optimizeTables(comp, out.node, out.ruleset6, v6sets, calico, passes, profileOf(calico.calicoVersion, 6)) : null;
  return { ...out, ruleset: v4.ruleset, ruleset6: v6?.ruleset ?? null, ipsets: [...v4.ipsets, ...(v6?.ipsets ?? v6sets)] };
}

/** One family's tables and sets through the passes: the policy chains (shared, renamed, cut), the endpoint chains redirected. */
function optimizeTables(
  comp: Compilation, node: string, ruleset: RuleSet, ipsets: readonly IpSet[], calico: CalicoOptions, passes: readonly Pass[], felix: FelixProfile,
): { ruleset: RuleSet; ipsets: IpSet[] } {
  const filter = ruleset.tables.find((t) => t.name === "filter");
  if (!filter) return { ruleset, ipsets: [...ipsets] };
  const idx = policyIndex(comp, felix);
  const targets = filter.chains.map((c) => c.name).filter((n) => idx.has(n));
  const np = nodePolicies(comp, targets, passes, felix);
  const alias = new Map<string, string>();
  const unaliased = policySets(comp, calico, np, alias, felix.family);
  for (const p of passes) if (p.sets) for (const [a, b] of p.sets(unaliased)) alias.set(a, b);
  const rules = new Map([...np.opt].map(([n, o]) => [n, renamed(o.rules, alias)] as const));
  const bodies = new Map([...rules].map(([n, rs]) => [n, rs === np.opt.get(n)!.rules ? np.opt.get(n)!.body : JSON.stringify(rs.map(felixText))] as const));
  const share = new Map<string, string>();
  for (const p of passes) if (p.chains) for (const [a, b] of p.chains(bodies)) share.set(a, b);
  const replaced = new Map([...policyChains(comp, rules, np, share, felix), ...workloadChains(comp, node, calico, passes, share, felix)]);
  let chains = filter.chains.filter((c) => !share.has(c.name)).map((c) => replaced.get(c.name) ?? c);
  for (const p of passes) if (p.filter) chains = p.filter(chains);
  const tables = ruleset.tables.map((t) => (t.name === "filter" ? { ...t, chains } : t));
  return { ruleset: { tables }, ipsets: [...ipsets.filter((s) => !isPolicySet(s.name, felix.family)), ...policySets(comp, calico, np, alias, felix.family)] };
}

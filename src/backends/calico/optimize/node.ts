// The -O2 driver for one node's Calico output, on the rule model before
// rendering. What depends only on a policy — its rules through the rule and
// felix passes, the sets they reference, their Felix spelling — is built once
// per compilation (src/compilation.ts) and shared by every node; per node only
// the decisions that depend on which chains and sets the node holds are made:
// ipset-dedup's aliases (set references renamed in the node's policy rules),
// chain-share's groups (endpoint and group chains' jumps redirected to the shared chain),
// and dead-tail's cuts.
import { memoTable, type Compilation } from "../../../compilation.js";
import type { NetworkPolicy } from "../../../ir/policy.js";
import { felixText } from "../../../rules/felix.js";
import type { IpSet } from "../../../rules/ipset.js";
import { compareMembers } from "../../../rules/ipset.js";
import type { Chain, Rule, RulePart, RuleSet } from "../../../rules/types.js";
import type { NodeOutput } from "../../types.js";
import { k8sRuleToCalico } from "../convert.js";
import { profileAllowRules } from "../endpoints.js";
import { chain } from "../felix-rule.js";
import { memberSets } from "../ipsets.js";
import { ipSetName, policyChainNameWith, policyKeyName, profileChainComment, profileChainName } from "../names.js";
import type { Direction } from "../names.js";
import type { CalicoOptions } from "../options.js";
import { withChainComment, withoutTrailingReturns } from "../policy-rules.js";
import { policyChainSuffix, policyCommentIn, profileOf, type FelixProfile } from "../profile.js";
import type { SetSpec } from "../sets.js";
import { SetRegistry } from "../sets.js";
import { allWorkloads, type Profile } from "../workloads.js";
import type { Pass } from "./passes.js";
import type { RulesMemo } from "./dead-tail.js";
import { OptRegistry, renderOptRule } from "./render.js";
import type { OptRule } from "./rules.js";

interface PolicyDir {
  readonly policy: NetworkPolicy;
  readonly dir: Direction;
}

const DIRS: readonly Direction[] = ["ingress", "egress"];

/** One policy direction through the rule and felix passes, built once per compilation. */
interface OptPolicy extends PolicyDir {
  /** Felix rules, before the chain comment. */
  readonly rules: readonly Rule[];
  /** The selector and named-port sets the rules reference, in first-use order. */
  readonly specs: readonly SetSpec[];
  /** The CIDR sets the rules reference: name → members, in first-use order. */
  readonly nets: ReadonlyMap<string, readonly string[]>;
  /** Every set name the rules reference (what ipset-dedup's aliases can rename). */
  readonly setNames: readonly string[];
  /** The rules as Felix spells them (what chain-share compares). */
  readonly body: string;
  /** The chain when nothing on the node renames or shares it. */
  readonly chain: Chain;
  /**
   * The rules renamed by a node's aliases, by the aliases that apply to them; the chains built from them, by those
   * aliases and the chain's sharers. Nodes with the same decisions share one object, which the renderer then prints once.
   */
  readonly renames: Map<string, Renamed>;
  readonly chains: Map<string, Chain>;
}

interface Renamed {
  readonly rules: readonly Rule[];
  readonly body: string;
}

/** What -O2 builds once per compilation and pass list (--stats runs several lists in one compilation). */
interface OptTables {
  readonly policies: Map<NetworkPolicy, Partial<Record<Direction, OptPolicy>>>;
  readonly profiles: Map<Profile, Partial<Record<Direction, Chain>>>;
  /** The jumps to policy chains of an endpoint or group chain's rules (at most a few; most rules jump elsewhere). */
  readonly policyJumps: Map<readonly Rule[], readonly string[]>;
  /** Redirected endpoint and group chain rules, per rules array and redirection. */
  readonly redirected: Map<readonly Rule[], Map<string, readonly Rule[]>>;
  /** What each -O1 chain shared by every node is (sharedKind), by the chain object. */
  readonly kinds: Map<Chain, Shared | null>;
  /** Redirected group chains, per group chain and redirected rules. */
  readonly groups: Map<Chain, Map<readonly Rule[], Chain>>;
  /** What each filter pass derives from a rules array: pass name → kind → rules → value. */
  readonly passMemo: Map<string, Map<string, WeakMap<readonly Rule[], unknown>>>;
}

const POLICY_INDEX = memoTable<FelixProfile, ReadonlyMap<string, PolicyDir>>("calico-O2/policy-index");
const OPT_TABLES = memoTable<string, OptTables>("calico-O2/by-pass-list");
const NET_SET = memoTable<string, IpSet>("calico-O2/net-set");

/** Keyed by Calico version and pass list: what one built is never served to the other. */
function optTables(comp: Compilation, passes: readonly Pass[], felix: FelixProfile): OptTables {
  return comp.memo(OPT_TABLES, `${felix.version} ${felix.family} ${passes.map((p) => p.name).join(",")}`, () => ({
    policies: new Map(), profiles: new Map(), policyJumps: new Map(), redirected: new Map(), kinds: new Map(), groups: new Map(), passMemo: new Map(),
  }));
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

function optPolicy(tables: OptTables, { policy, dir }: PolicyDir, passes: readonly Pass[], felix: FelixProfile): OptPolicy {
  const byDir = perDirection(tables.policies, policy);
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
  const specs = reg.all();
  return {
    policy,
    dir,
    rules,
    specs,
    nets: reg.nets,
    setNames: [...specs.map((s) => ipSetName(s.id, felix.family)), ...reg.nets.keys()],
    body: JSON.stringify(rules.map(felixText)),
    chain: chain(name, withChainComment(rules, policyCommentIn(felix, dir, policy.namespace, policy.name))),
    renames: new Map(),
    chains: new Map(),
  };
}

/** Profile chains through the felix passes: they depend only on the profile. */
function optProfile(tables: OptTables, pr: Profile, dir: Direction, felixPasses: readonly Pass[], felix: FelixProfile): Chain {
  const byDir = perDirection(tables.profiles, pr);
  return (byDir[dir] ??= buildOptProfile(pr, dir, felixPasses, felix));
}

function buildOptProfile(pr: Profile, dir: Direction, felixPasses: readonly Pass[], felix: FelixProfile): Chain {
  let rules = profileAllowRules(pr, felix);
  for (const p of felixPasses) rules = p.felix!(rules);
  if (felix.stripTrailingReturn) rules = withoutTrailingReturns(rules);
  return chain(profileChainName(dir, pr.name), withChainComment(rules, profileChainComment(dir, pr.name)));
}

const SET_OPTIONS = ["family", "inet", "hashsize", "1024", "maxelem", "1048576"] as const;
const POLICY_SET: Readonly<Record<4 | 6, RegExp>> = { 4: /^cali40[sno]:/, 6: /^cali60[sno]:/ };
const memberText = (cidr: string): string => (cidr.endsWith("/32") ? cidr.slice(0, -3) : cidr);

function netSet(comp: Compilation, name: string, cidrs: readonly string[]): IpSet {
  return comp.memo(NET_SET, name, () => ({
    name, type: "hash:net", options: SET_OPTIONS, members: cidrs.map((c) => ({ value: memberText(c) })).sort(compareMembers),
  }));
}

/** The node's policy chains before per-node decisions: one OptPolicy each, and the sets they reference. */
interface NodePolicies {
  readonly opt: ReadonlyMap<string, OptPolicy>;
  /** What each of the node's filter chains is, in filter order (sharedKind; null: the node's own or a static chain). */
  readonly kinds: readonly (Shared | null)[];
  readonly specs: readonly SetSpec[];
  readonly nets: ReadonlyMap<string, readonly string[]>;
}

/**
 * What -O2 makes of one of the -O1 chains every node shares (one object per compilation: endpoints.ts builds policy,
 * profile and group chains once): a policy chain's OptPolicy, a profile chain's chain after the felix passes, or a
 * group chain. Looked up by the chain object, not its name: the same name spelled by another string would cost a
 * character-by-character comparison per lookup, thousands of times per node.
 */
type Shared = { readonly policy: OptPolicy } | { readonly profile: Chain } | "group";

function sharedKind(comp: Compilation, tables: OptTables, c: Chain, calico: CalicoOptions, passes: readonly Pass[], felix: FelixProfile): Shared | null {
  const known = tables.kinds.get(c);
  if (known !== undefined) return known;
  const n = c.name;
  let k: Shared | null;
  if (isPolicyChainName(n)) {
    const pd = policyIndex(comp, felix).get(n);
    k = pd ? { policy: optPolicy(tables, pd, passes, felix) } : null;
  } else if (isProfileChainName(n)) {
    const felixPasses = passes.filter((p) => p.felix);
    const at = felixPasses.length ? profileIndex(comp, calico).get(n) : undefined;
    k = { profile: at ? optProfile(optTables(comp, felixPasses, felix), at.pr, at.dir, felixPasses, felix) : c };
  } else if (isGroupChainName(n)) {
    k = "group";
  } else {
    // A node's own chain (endpoint, dispatch) or a static one: told by its name each time, not kept.
    return null;
  }
  tables.kinds.set(c, k);
  return k;
}

/** The node's policy chains (`chains` in filter order), with what each of `chains` is (sharedKind). */
function nodePolicies(comp: Compilation, tables: OptTables, chains: readonly Chain[], calico: CalicoOptions, passes: readonly Pass[], felix: FelixProfile): NodePolicies {
  const opt = new Map<string, OptPolicy>();
  const kinds = chains.map((c) => {
    const k = sharedKind(comp, tables, c, calico, passes, felix);
    if (k !== null && typeof k === "object" && "policy" in k) opt.set(c.name, k.policy);
    return k;
  });
  // Replayed in target order, so the node's sets come out in the order one registry over all targets would give.
  const reg = new SetRegistry(felix.family);
  const nets = new Map<string, readonly string[]>();
  for (const o of opt.values()) {
    for (const s of o.specs) reg.add(s);
    for (const [n, m] of o.nets) if (!nets.has(n)) nets.set(n, m);
  }
  return { opt, kinds, specs: reg.all(), nets };
}

const isPolicyChainName = (name: string): boolean => name.startsWith("cali-pi-") || name.startsWith("cali-po-");

/** The node's policy sets with members, in the registry's order (selector and named-port sets, then CIDR sets). */
function policySets(comp: Compilation, calico: CalicoOptions, np: NodePolicies, family: 4 | 6): IpSet[] {
  const all = allWorkloads(comp, calico.interfacePrefix);
  // CIDR sets come from IPv4 ipBlocks only (cidr-merge), so the IPv6 side has none.
  const nets = [...np.nets].map(([name, cidrs]) => netSet(comp, name, cidrs));
  return [...memberSets(comp, all, np.specs, family), ...nets];
}

/** The aliases that apply to `o`'s rules, as a key (empty: none does). */
function aliasKey(o: OptPolicy, alias: ReadonlyMap<string, string>): string {
  if (alias.size === 0) return "";
  const pairs: string[] = [];
  for (const n of o.setNames) {
    const to = alias.get(n);
    if (to !== undefined) pairs.push(n, to);
  }
  // Set names hold no NUL. Joined, not `+=`: a flat string, which a table compares quickly (a rope it walks).
  return pairs.join("\u0000");
}

/** `o`'s rules with every set reference renamed through `alias` (`key` = aliasKey), built once per policy and key. */
function renamedPolicy(o: OptPolicy, key: string, alias: ReadonlyMap<string, string>): Renamed {
  if (key === "") return o;
  let r = o.renames.get(key);
  if (!r) {
    const rules = renamed(o.rules, alias);
    o.renames.set(key, (r = { rules, body: rules === o.rules ? o.body : JSON.stringify(rules.map(felixText)) }));
  }
  return r;
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

function sharedComment(group: readonly string[], opt: ReadonlyMap<string, OptPolicy>): string {
  const keys = group.map((n) => opt.get(n)!).map(({ policy }) => policyKeyName(policy.namespace, policy.name));
  return `Shared by ${keys.join(" ")}`;
}

/** The node's policy chain decisions: each chain's aliases (as a key) and renamed rules. */
interface NodeRules {
  readonly key: string;
  readonly renamed: Renamed;
}

/** The node's policy chains after renaming and sharing: shared-away chains absent, a shared chain naming its sharers. */
function policyChains(np: NodePolicies, rules: ReadonlyMap<string, NodeRules>, share: ReadonlyMap<string, string>, felix: FelixProfile): Map<string, Chain> {
  const sharers = new Map<string, string[]>();
  for (const [n, kept] of share) {
    let g = sharers.get(kept);
    if (!g) sharers.set(kept, (g = [kept]));
    g.push(n);
  }
  const out = new Map<string, Chain>();
  for (const [name, { key, renamed: rs }] of rules) {
    if (share.has(name)) continue;
    const opt = np.opt.get(name)!;
    const group = sharers.get(name);
    if (rs.rules === opt.rules && !group) {
      out.set(name, opt.chain);
      continue;
    }
    // The same aliases and sharers on another node give the same chain: one object, printed once.
    const chainKey = `${key}\u0001${group?.join("\u0000") ?? ""}`;
    let c = opt.chains.get(chainKey);
    if (!c) {
      const { policy, dir } = opt;
      const comments = [policyCommentIn(felix, dir, policy.namespace, policy.name), ...(group ? [sharedComment(group, np.opt)] : [])];
      const [first, ...rest] = withChainComment(rs.rules, comments[0]!);
      const commented = first ? [{ ...first, comments: [...(first.comments ?? []), ...comments.slice(1)] }, ...rest] : [];
      opt.chains.set(chainKey, (c = chain(name, commented)));
    }
    out.set(name, c);
  }
  return out;
}

/** The policy chains `rules` jump to, in rule order (names as the rules spell them). */
function policyJumpsOf(tables: OptTables, rules: readonly Rule[]): readonly string[] {
  let out = tables.policyJumps.get(rules);
  if (!out) {
    const names: string[] = [];
    for (const r of rules) if (r.target?.kind === "jump" && isPolicyChainName(r.target.name)) names.push(r.target.name);
    tables.policyJumps.set(rules, (out = names));
  }
  return out;
}

/**
 * `rules` with every jump to a shared-away policy chain pointing at the chain kept instead; the same array when
 * none jumps to one. Only endpoint and group chains jump to policy chains, and a group's name covers its policies,
 * not the chains it jumps to (§4.6). Pods of one ReplicaSet share their endpoint rules on every node
 * (endpoints.ts), and so their redirected rules.
 */
function redirected(tables: OptTables, rules: readonly Rule[], share: ReadonlyMap<string, string>): readonly Rule[] {
  const pairs: string[] = [];
  for (const n of policyJumpsOf(tables, rules)) {
    const to = share.get(n);
    if (to !== undefined) pairs.push(n, to);
  }
  if (pairs.length === 0) return rules;
  // Chain names hold no NUL; joined into one flat string, as aliasKey.
  const key = pairs.join("\u0000");
  let byShare = tables.redirected.get(rules);
  if (!byShare) tables.redirected.set(rules, (byShare = new Map()));
  let out = byShare.get(key);
  if (!out) {
    out = rules.map((r) => {
      const t = r.target;
      const to = t?.kind === "jump" ? share.get(t.name) : undefined;
      return to === undefined ? r : { ...r, target: { ...t!, name: to } };
    });
    byShare.set(key, out);
  }
  return out;
}

/** Profile chain name → the profile and direction, over every workload's profiles (a name is one profile's). */
const PROFILE_INDEX = memoTable<string, ReadonlyMap<string, { readonly pr: Profile; readonly dir: Direction }>>("calico-O2/profile-index");

function profileIndex(comp: Compilation, calico: CalicoOptions): ReadonlyMap<string, { readonly pr: Profile; readonly dir: Direction }> {
  return comp.memo(PROFILE_INDEX, calico.interfacePrefix, () => {
    const idx = new Map<string, { pr: Profile; dir: Direction }>();
    // One profile list per namespace and service account (workloads.ts): each list looked at once.
    const seen = new Set<readonly Profile[]>();
    for (const w of allWorkloads(comp, calico.interfacePrefix)) {
      if (seen.has(w.profiles)) continue;
      seen.add(w.profiles);
      for (const pr of w.profiles) {
        for (const dir of DIRS) {
          // A long name costs a SHA-256: named once.
          const name = profileChainName(dir, pr.name);
          if (!idx.has(name)) idx.set(name, { pr, dir });
        }
      }
    }
    return idx;
  });
}

const isProfileChainName = (name: string): boolean => name.startsWith("cali-pri-") || name.startsWith("cali-pro-");
const isGroupChainName = (name: string): boolean => name.startsWith("cali-gi-") || name.startsWith("cali-go-");

/**
 * The node's filter chains with -O2's per-node decisions applied, in the -O1 order: shared-away policy chains
 * left out, the others renamed and commented (policyChains); endpoint and group chains redirected to the shared
 * chains; profile chains through the felix passes. A group chain is the same object on every node (endpoints.ts),
 * so its redirected twin is kept per redirection, and the renderer prints it once.
 */
function nodeChains(tables: OptTables, chains: readonly Chain[], np: NodePolicies, policies: ReadonlyMap<string, Chain>, share: ReadonlyMap<string, string>): Chain[] {
  const out: Chain[] = [];
  chains.forEach((c, i) => {
    const k = np.kinds[i];
    if (k === "group") {
      const rules = share.size ? redirected(tables, c.rules, share) : c.rules;
      out.push(rules === c.rules ? c : redirectedGroup(tables, c, rules));
    } else if (k !== null && k !== undefined) {
      if ("profile" in k) out.push(k.profile);
      else if (!share.has(c.name)) out.push(policies.get(c.name)!);
    } else if (share.size && isEndpointChainName(c.name)) {
      const rules = redirected(tables, c.rules, share);
      out.push(rules === c.rules ? c : { ...c, rules });
    } else {
      out.push(c);
    }
  });
  return out;
}

const isEndpointChainName = (name: string): boolean => name.startsWith("cali-tw-") || name.startsWith("cali-fw-");

function redirectedGroup(tables: OptTables, c: Chain, rules: readonly Rule[]): Chain {
  let byRules = tables.groups.get(c);
  if (!byRules) tables.groups.set(c, (byRules = new Map()));
  let g = byRules.get(rules);
  if (!g) byRules.set(rules, (g = { ...c, rules }));
  return g;
}

/** The memo a filter pass keeps its per-rules-array work in (dead-tail.ts's RulesMemo): weak, so a node's own arrays go with it. */
function rulesMemo(tables: OptTables, pass: Pass): RulesMemo {
  let byKind = tables.passMemo.get(pass.name);
  if (!byKind) tables.passMemo.set(pass.name, (byKind = new Map()));
  const kinds = byKind;
  return <V>(kind: string, rules: readonly Rule[], make: () => V): V => {
    let t = kinds.get(kind);
    if (!t) kinds.set(kind, (t = new WeakMap()));
    if (t.has(rules)) return t.get(rules) as V;
    const v = make();
    t.set(rules, v);
    return v;
  };
}

/** Runs `passes` (in PASSES order) over one node's -O1 Calico output, both families. No passes: the output unchanged. */
export function optimizeCalicoNode(comp: Compilation, out: NodeOutput, calico: CalicoOptions, passes: readonly Pass[]): NodeOutput {
  if (passes.length === 0) return out;
  const v4sets = out.ipsets.filter((s) => !s.name.startsWith("cali60"));
  const v6sets = out.ipsets.filter((s) => s.name.startsWith("cali60"));
  const v4 = optimizeTables(comp, out.ruleset, v4sets, calico, passes, profileOf(calico.calicoVersion));
  const v6 = out.ruleset6 ? optimizeTables(comp, out.ruleset6, v6sets, calico, passes, profileOf(calico.calicoVersion, 6)) : null;
  return { ...out, ruleset: v4.ruleset, ruleset6: v6?.ruleset ?? null, ipsets: [...v4.ipsets, ...(v6?.ipsets ?? v6sets)] };
}

/** One family's tables and sets through the passes: the policy chains (shared, renamed, cut), the endpoint chains redirected. */
function optimizeTables(
  comp: Compilation, ruleset: RuleSet, ipsets: readonly IpSet[], calico: CalicoOptions, passes: readonly Pass[], felix: FelixProfile,
): { ruleset: RuleSet; ipsets: IpSet[] } {
  const filter = ruleset.tables.find((t) => t.name === "filter");
  if (!filter) return { ruleset, ipsets: [...ipsets] };
  const tables = optTables(comp, passes, felix);
  const np = nodePolicies(comp, tables, filter.chains, calico, passes, felix);
  const sets = policySets(comp, calico, np, felix.family);
  const alias = new Map<string, string>();
  for (const p of passes) if (p.sets) for (const [a, b] of p.sets(sets)) alias.set(a, b);
  const rules = new Map<string, NodeRules>();
  const bodies = new Map<string, string>();
  for (const [n, o] of np.opt) {
    const key = aliasKey(o, alias);
    const r = renamedPolicy(o, key, alias);
    rules.set(n, { key, renamed: r });
    bodies.set(n, r.body);
  }
  const share = new Map<string, string>();
  for (const p of passes) if (p.chains) for (const [a, b] of p.chains(bodies)) share.set(a, b);
  let chains = nodeChains(tables, filter.chains, np, policyChains(np, rules, share, felix), share);
  for (const p of passes) if (p.filter) chains = p.filter(chains, rulesMemo(tables, p));
  const out = ruleset.tables.map((t) => (t.name === "filter" ? { ...t, chains } : t));
  const policySet = POLICY_SET[felix.family];
  return { ruleset: { tables: out }, ipsets: [...ipsets.filter((s) => !policySet.test(s.name)), ...sets.filter((s) => !alias.has(s.name))] };
}

// Per-endpoint chains cali-tw-* / cali-fw-* (§3.2), the policy list of each
// endpoint (§3.3), and the policy and profile chains they jump to (§4, §5).
import type { NetworkPolicy } from "../../ir/policy.js";
import { memoTable, type Compilation, type MemoTable } from "../../compilation.js";
import type { Chain, Rule } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import { k8sRuleToCalico } from "./convert.js";
import { chain, fm, ft, rule } from "./felix-rule.js";
import { digest64 } from "../../rules/digest.js";
import { canonical, type CalicoSelector } from "../../ir/calico-selector.js";
import type { RulePart } from "../../rules/types.js";
import {
  COMMENT,
  endpointChainName,
  groupChainName,
  nflogDir,
  nflogGroup,
  nflogPrefix,
  policyChainNameWith,
  policyKeyName,
  profileChainComment,
  profileChainName,
  VXLAN_PORT,
} from "./names.js";
import type { Direction } from "./names.js";
import { renderAllowRule, withChainComment, withoutTrailingReturns, type FlowLog } from "./policy-rules.js";
import { CLASSIC_PROFILE, nflogPolicyId, policyChainSuffix, policyCommentIn, policySortKey, type FelixProfile } from "./profile.js";
import { evaluate, policySelector } from "./selector.js";
import { SetRegistry } from "./sets.js";
import type { SetSpec } from "./sets.js";
import type { Profile, Workload } from "./workloads.js";

/** The model's policies by namespace, each sorted as §3.3 orders them in the profile (so that filtering keeps them sorted). */
const BY_NAMESPACE = memoTable<FelixProfile, ReadonlyMap<string, readonly NetworkPolicy[]>>("calico/policies-by-namespace");

function byNamespace(policies: readonly NetworkPolicy[], profile: FelixProfile): Map<string, NetworkPolicy[]> {
  const byNs = new Map<string, NetworkPolicy[]>();
  for (const p of policies) {
    let list = byNs.get(p.namespace);
    if (!list) byNs.set(p.namespace, (list = []));
    list.push(p);
  }
  // Sorted for determinism and because Felix's PolKVLess does (byte order of the key name; P32 its own tie-break).
  for (const list of byNs.values()) {
    const keyed = list.map((p) => ({ p, key: policySortKey(profile, p.namespace, p.name) })).sort((a, b) => byteCompare(a.key, b.key));
    keyed.forEach((k, i) => (list[i] = k.p));
  }
  return byNs;
}

/**
 * Policies applying to `w` in `dir`, sorted (§3.3): every k8s NP has order
 * 1000, so the tie-break on the key name `<ns>/knp.default.<name>` decides.
 * The policy selector already pins the namespace (§10.1); the endpoint's
 * projectcalico.org/namespace label is always its pod's namespace, so
 * policies of other namespaces are skipped without evaluating them.
 */
export function policiesFor(comp: Compilation, w: Workload, dir: Direction, profile: FelixProfile = CLASSIC_PROFILE): readonly NetworkPolicy[] {
  // -O1 rendering and -O2's chain-share both ask: selected once per compilation, workload and direction.
  const byDir = perProfile(comp, POLICIES_FOR, profile, w);
  return (byDir[dir] ??= selectPolicies(comp, w, dir, profile));
}

const POLICIES_FOR = memoTable<FelixProfile, Map<Workload, Partial<Record<Direction, readonly NetworkPolicy[]>>>>("calico/policies-for");

// Selection depends on the endpoint's namespace and labels alone, and the pods of one ReplicaSet have the same labels:
// selected once per distinct label set (the same array object for each of its endpoints, which endpointChain keys on).
const SELECTED = memoTable<FelixProfile, Map<string, Partial<Record<Direction, readonly NetworkPolicy[]>>>>("calico/policies-by-labels");
const LABELS_KEY = memoTable<Workload, string>("calico/labels-key");
const POLICY_SELECTOR = memoTable<NetworkPolicy, CalicoSelector>("calico/policy-selector");

function selectPolicies(comp: Compilation, w: Workload, dir: Direction, profile: FelixProfile): readonly NetworkPolicy[] {
  // An endpoint's Calico labels are its pod's labels with its namespace's and service account's (workloads.ts
  // calicoLabels), so those three decide them: the key is the namespace, the service account and the pod's labels in
  // order, each word after its length (one key per label set whatever the words hold).
  const key = comp.memo(LABELS_KEY, w, () => {
    const { namespace, serviceAccount } = w.pod;
    const words = [namespace.length, namespace, serviceAccount.length, serviceAccount];
    for (const [k, v] of w.pod.labels) words.push(k.length, k, v.length, v);
    return words.join(" ");
  });
  const byKey = comp.memo(SELECTED, profile, () => new Map());
  let byDir = byKey.get(key);
  if (!byDir) byKey.set(key, (byDir = {}));
  return (byDir[dir] ??= select(comp, w, dir, profile));
}

function select(comp: Compilation, w: Workload, dir: Direction, profile: FelixProfile): NetworkPolicy[] {
  const governs = (p: NetworkPolicy) => (dir === "ingress" ? p.types.ingress : p.types.egress);
  // The candidates are already in §3.3 order, and filtering keeps it.
  const candidates = comp.memo(BY_NAMESPACE, profile, () => byNamespace(comp.model.policies, profile)).get(w.pod.namespace) ?? [];
  return candidates.filter((p) => governs(p) && evaluate(comp.memo(POLICY_SELECTOR, p, () => policySelector(p.namespace, p.podSelector)), w.labels));
}

// The rules every endpoint chain shares are one object each (the renderer
// derives each object's texts once); only jump targets vary, and the jump
// rules are one object per target, per compilation. Marks and comments are
// the profile's (§3.2).
interface EndpointRules {
  readonly ctAccept: Rule;
  readonly ctInvalidDrop: Rule;
  readonly firstClear: Rule;
  readonly startOfPolicies: Rule | null;
  readonly returnIfPolicyAccepted: Rule;
  readonly dropIfNoPolicies: Rule;
  readonly returnIfProfileAccepted: Rule;
  readonly dropIfNoProfiles: Rule;
  readonly dropVxlan: Rule;
  readonly dropIpip: Rule;
  readonly markClearPass: RulePart;
  /** Flow logs (P30+): the NFLOG before the end-of-tier drop (`DPI|default`) and before the profiles' drop (`DRI`), per direction. */
  readonly logEndOfTier: Readonly<Record<Direction, Rule>> | null;
  readonly logNoProfile: Readonly<Record<Direction, Rule>> | null;
}

const ENDPOINT_RULES = memoTable<FelixProfile, EndpointRules>("calico/endpoint-rules");

/** Kubernetes NetworkPolicies live in Calico's default tier. */
const K8S_TIER = "default";

const perDirection = <T>(make: (d: Direction) => T): Record<Direction, T> => ({ ingress: make("ingress"), egress: make("egress") });

function endpointRules(comp: Compilation, profile: FelixProfile): EndpointRules {
  return comp.memo(ENDPOINT_RULES, profile, () => {
    const { marks } = profile;
    return {
      ctAccept: rule([fm.conntrack(["RELATED", "ESTABLISHED"])], ft.accept()),
      ctInvalidDrop: rule([fm.conntrack(["INVALID"])], ft.drop()),
      firstClear: rule([], ft.clearMark(profile.endpointFirstClear)),
      startOfPolicies: profile.startOfPolicies === null ? null : rule([], ft.clearMark(marks.pass), profile.startOfPolicies),
      returnIfPolicyAccepted: rule([fm.markSet(marks.accept)], ft.ret(), COMMENT.returnIfPolicyAccepted),
      dropIfNoPolicies: rule([fm.markClear(marks.pass)], ft.drop(), profile.dropIfNoPolicies),
      returnIfProfileAccepted: rule([fm.markSet(marks.accept)], ft.ret(), COMMENT.returnIfProfileAccepted),
      dropIfNoProfiles: rule([], ft.drop(), COMMENT.dropIfNoProfiles),
      // ProtocolNum(17) and (4): hashed as `-p 17` / `-p 4`, printed `-p udp` / `-p ipencap` (Appendix A).
      dropVxlan: rule([fm.protocolNum(17), fm.multiport("dst", String(VXLAN_PORT))], ft.drop(), COMMENT.dropVxlanFromWorkloads),
      dropIpip: rule([fm.protocolNum(4)], ft.drop(), COMMENT.dropIpipFromWorkloads),
      markClearPass: fm.markClear(marks.pass),
      logEndOfTier: profile.flowLogs ? perDirection((d) => rule([fm.markClear(marks.pass)], ft.nflog(nflogGroup(d), nflogPrefix(`DP${nflogDir(d)}|${K8S_TIER}`)))) : null,
      logNoProfile: profile.flowLogs ? perDirection((d) => rule([], ft.nflog(nflogGroup(d), `DR${nflogDir(d)}`))) : null,
    };
  });
}

const POLICY_JUMP = memoTable<string, Rule>("calico/policy-jump");

/** Group chains (§4.6) by name and targets: the same group on many endpoints is one chain object. */
const GROUP_CHAIN = memoTable<string, Chain>("calico/policy-group");

/** The canonical selector a policy applies by (§4.6 "normalized selector", §7.2). */
const POLICY_SELECTOR_TEXT = memoTable<NetworkPolicy, string>("calico/policy-selector-text");

function selectorText(comp: Compilation, p: NetworkPolicy): string {
  return comp.memo(POLICY_SELECTOR_TEXT, p, () => canonical(comp.memo(POLICY_SELECTOR, p, () => policySelector(p.namespace, p.podSelector))));
}

/**
 * PolicyGroup.UniqueID (§4.6): SHA3-224 over newline-terminated fields,
 * base64url. P28–P31: tier, selector, direction, count, policy key names;
 * P32+: selector, direction, count, `{Name: n, Namespace: ns, Kind: k}`.
 * Both checked against the spec's examples.
 */
function groupUid(profile: FelixProfile, selector: string, dir: Direction, group: readonly NetworkPolicy[]): string {
  const direction = dir === "ingress" ? "inbound" : "outbound";
  const names = group.map((p) => (profile.naming === "kind" ? `{Name: ${p.name}, Namespace: ${p.namespace}, Kind: KubernetesNetworkPolicy}` : policyKeyName(p.namespace, p.name)));
  const fields = profile.naming === "kind" ? [selector, direction, String(group.length), ...names] : ["default", selector, direction, String(group.length), ...names];
  return digest64("sha3-224", fields.map((f) => f + "\n").join(""));
}

// A group's name is a SHA3-224 over its policies: computed once per compilation and group, not per endpoint.
const GROUP_NAME = memoTable<string, string>("calico/policy-group-name");

function groupName(comp: Compilation, profile: FelixProfile, dir: Direction, group: readonly NetworkPolicy[]): string {
  // Namespace and name identify a policy; "\u0000" cannot occur in either.
  const key = `${profile.version}\u0000${dir}\u0000${group.map((p) => `${p.namespace}\u0000${p.name}`).join("\u0000")}`;
  return comp.memo(GROUP_NAME, key, () => groupChainName(dir, groupUid(profile, selectorText(comp, group[0]!), dir, group)));
}

/** A group chain (§4.6): every fifth policy returns on a verdict first; the first of each five jumps unconditionally. */
function groupChain(comp: Compilation, profile: FelixProfile, name: string, targets: readonly string[]): Chain {
  return comp.memo(GROUP_CHAIN, [name, ...targets].join("\u0000"), () => {
    const both = profile.marks.accept | profile.marks.pass;
    const rules: Rule[] = [];
    targets.forEach((target, k) => {
      if (k > 0 && k % 5 === 0) rules.push(rule([fm.markNotClear(both)], ft.ret(), COMMENT.returnOnVerdict));
      rules.push(rule(k % 5 === 0 ? [] : [fm.markClear(both)], ft.jump(target)));
    });
    return chain(name, rules);
  });
}

/** Consecutive policies with the same selector (§4.6); P27 (no groups) keeps every policy on its own. */
function groupsOf(comp: Compilation, profile: FelixProfile, policies: readonly NetworkPolicy[]): NetworkPolicy[][] {
  const out: NetworkPolicy[][] = [];
  for (const p of policies) {
    const last = out[out.length - 1];
    if (profile.policyGroups && last && selectorText(comp, last[0]!) === selectorText(comp, p)) last.push(p);
    else out.push([p]);
  }
  return out;
}

function policyJumps(
  comp: Compilation, profile: FelixProfile, dir: Direction, policies: readonly NetworkPolicy[], chainOf: (p: NetworkPolicy) => string, groups: Map<string, Chain> | null,
): Rule[] {
  if (policies.length === 0) return [];
  const shared = endpointRules(comp, profile);
  const out = shared.startOfPolicies ? [shared.startOfPolicies] : [];
  const jump = (target: string): Rule => comp.memo(POLICY_JUMP, target, () => rule([shared.markClearPass], ft.jump(target)));
  for (const group of groupsOf(comp, profile, policies)) {
    if (group.length === 1) {
      out.push(jump(chainOf(group[0]!)), shared.returnIfPolicyAccepted);
      continue;
    }
    const name = groupName(comp, profile, dir, group);
    const g = groupChain(comp, profile, name, group.map(chainOf));
    groups?.set(name, g);
    out.push(jump(name), shared.returnIfPolicyAccepted);
  }
  if (shared.logEndOfTier) out.push(shared.logEndOfTier[dir]);
  out.push(shared.dropIfNoPolicies);
  return out;
}

// Profiles are interned per compilation (workloads.ts): one jump rule per profile and direction.
const PROFILE_JUMP = memoTable<Profile, Partial<Record<Direction, Rule>>>("calico/profile-jump");

function profileJump(comp: Compilation, p: Profile, dir: Direction): Rule {
  const byDir = comp.memo(PROFILE_JUMP, p, () => ({}));
  return (byDir[dir] ??= rule([], ft.jump(profileChainName(dir, p.name))));
}

// Names past the 28-character limit cost a SHA-256 (§1), and every endpoint
// of a policy's namespace jumps to it: named once per policy.
// Keyed by Felix profile first: a name, chain or rule built for one version is never served for another.
const CHAIN_NAME = memoTable<FelixProfile, Map<NetworkPolicy, Partial<Record<Direction, string>>>>("calico/policy-chain-name");

/** `table`'s entry for `key` under `profile`, created empty. */
function perProfile<K, V>(comp: Compilation, table: MemoTable<FelixProfile, Map<K, Partial<Record<Direction, V>>>>, profile: FelixProfile, key: K): Partial<Record<Direction, V>> {
  const byKey = comp.memo(table, profile, () => new Map());
  let byDir = byKey.get(key);
  if (!byDir) byKey.set(key, (byDir = {}));
  return byDir;
}

export function policyChainNameOf(comp: Compilation, p: NetworkPolicy, dir: Direction, profile: FelixProfile = CLASSIC_PROFILE): string {
  const byDir = perProfile(comp, CHAIN_NAME, profile, p);
  return (byDir[dir] ??= policyChainNameWith(dir, policyChainSuffix(profile, p.namespace, p.name)));
}

/**
 * endpointIptablesChain (§3.2, IptablesFilterAllowAction=ACCEPT) in the
 * profile's layout; `chainOf` lets -O2 chain-share redirect jumps; the group
 * chains (P28+, §4.6) the chain jumps to are added to `groups`.
 */
export function endpointChain(
  comp: Compilation, w: Workload, dir: Direction, policies: readonly NetworkPolicy[],
  chainOf: ((p: NetworkPolicy) => string) | null = null,
  profile: FelixProfile = CLASSIC_PROFILE, groups: Map<string, Chain> | null = null,
): Chain {
  const name = endpointChainName(dir, w.iface);
  // The rules but for the chain's name are those of every endpoint with the same policies, profiles and policy chain
  // targets (the pods of one ReplicaSet): built once, with the group chains they jump to (the Felix hashes still
  // differ: they start from the name). -O2's chain-share names the targets itself; they are part of the key.
  const byProfile = comp.memo(ENDPOINT_CHAIN_RULES, policies, () => new Map());
  let byDir = byProfile.get(profile);
  if (!byDir) byProfile.set(profile, (byDir = { ingress: new Map(), egress: new Map() }));
  // One profile list per namespace and service account (workloads.ts), so the list itself is the key.
  let byTargets = byDir[dir].get(w.profiles);
  if (!byTargets) byDir[dir].set(w.profiles, (byTargets = new Map()));
  const target = chainOf ?? ((p: NetworkPolicy): string => policyChainNameOf(comp, p, dir, profile));
  // Chain names hold no NUL; the default targets follow from the policies.
  const targets = chainOf === null ? "" : policies.map(chainOf).join("\u0000");
  let got = byTargets.get(targets);
  if (!got) {
    const own = new Map<string, Chain>();
    byTargets.set(targets, (got = { rules: endpointChainRules(comp, w.profiles, dir, policies, target, profile, own), groups: own }));
  }
  if (groups) for (const [n, c] of got.groups) groups.set(n, c);
  return chain(name, got.rules);
}

/** Endpoint chain rules by policy list, Felix profile, direction, profile list and the targets' names (empty: the default ones); with the group chains they jump to. */
interface EndpointChainRules {
  readonly rules: Rule[];
  readonly groups: ReadonlyMap<string, Chain>;
}
const ENDPOINT_CHAIN_RULES = memoTable<readonly NetworkPolicy[], Map<FelixProfile, Record<Direction, Map<readonly Profile[], Map<string, EndpointChainRules>>>>>(
  "calico/endpoint-chain-rules",
);

function endpointChainRules(
  comp: Compilation, profiles: readonly Profile[], dir: Direction, policies: readonly NetworkPolicy[], target: (p: NetworkPolicy) => string,
  profile: FelixProfile, groups: Map<string, Chain> | null,
): Rule[] {
  const shared = endpointRules(comp, profile);
  return [
    shared.ctAccept,
    shared.ctInvalidDrop,
    shared.firstClear,
    ...(dir === "egress" ? [shared.dropVxlan, shared.dropIpip] : []),
    ...policyJumps(comp, profile, dir, policies, target, groups),
    ...profiles.flatMap((p) => [profileJump(comp, p, dir), shared.returnIfProfileAccepted]),
    ...(shared.logNoProfile ? [shared.logNoProfile[dir]] : []),
    shared.dropIfNoProfiles,
  ];
}

/** cali-pi-* / cali-po-* (§4.1): the policy's rules for one direction, in k8s rule order. */
export function policyChain(comp: Compilation, p: NetworkPolicy, dir: Direction, sets: SetRegistry, profile: FelixProfile = CLASSIC_PROFILE): Chain {
  const rendered = renderedPolicyChain(comp, p, dir, profile);
  // Replayed in rendering order, so the node's registry fills exactly as if rendered here.
  for (const spec of rendered.sets) sets.add(spec);
  return rendered.chain;
}

interface RenderedPolicy {
  readonly chain: Chain;
  readonly sets: readonly SetSpec[];
}

// A policy chain depends only on the policy: its name, rule hashes (chain name
// + rule texts, §6) and set names (hashes of selectors, §7.2) are the same on
// every node. Built once per compilation and shared by every node's output.
const POLICY_CHAIN = memoTable<FelixProfile, Map<NetworkPolicy, Partial<Record<Direction, RenderedPolicy>>>>("calico/policy-chain");

function renderedPolicyChain(comp: Compilation, p: NetworkPolicy, dir: Direction, profile: FelixProfile): RenderedPolicy {
  const byDir = perProfile(comp, POLICY_CHAIN, profile, p);
  return (byDir[dir] ??= buildPolicyChain(comp, p, dir, profile));
}

function buildPolicyChain(comp: Compilation, p: NetworkPolicy, dir: Direction, profile: FelixProfile): RenderedPolicy {
  const own = new SetRegistry(profile.family);
  const k8sRules = dir === "ingress" ? p.ingress : p.egress;
  // With flow logs, each Calico rule's NFLOG names its index in the direction, counted before family filtering.
  const log = (i: number): FlowLog | null =>
    profile.flowLogs ? { group: nflogGroup(dir), prefix: nflogPrefix(`AP${nflogDir(dir)}${i}|${nflogPolicyId(profile, p.namespace, p.name)}`) } : null;
  const all = k8sRules.flatMap((kr) => k8sRuleToCalico(kr, dir, p.namespace)).flatMap((cr, i) => renderAllowRule(cr, own, profile.marks, log(i)));
  const rules = profile.stripTrailingReturn ? withoutTrailingReturns(all) : all;
  const chainOut = chain(policyChainNameOf(comp, p, dir, profile), withChainComment(rules, policyCommentIn(profile, dir, p.namespace, p.name)));
  return { chain: chainOut, sets: own.all() };
}

// Profiles are interned per compilation (workloads.ts): one chain per profile and direction, shared by every node.
const PROFILE_CHAIN = memoTable<FelixProfile, Map<Profile, Partial<Record<Direction, Chain>>>>("calico/profile-chain");

/**
 * Profile chains (§5): `kns.*` allows everything both ways (one allow rule +
 * RETURN); `ksa.*` has no rules, so only the comment rule.
 */
export function profileChain(comp: Compilation, profile: Profile, dir: Direction, felix: FelixProfile = CLASSIC_PROFILE): Chain {
  const byDir = perProfile(comp, PROFILE_CHAIN, felix, profile);
  return (byDir[dir] ??= buildProfileChain(profile, dir, felix));
}

/** P28+ strips the trailing RETURN here too (§5: the same ProtoRulesToIptablesRules), so a `kns` chain is one rule. */
function buildProfileChain(profile: Profile, dir: Direction, felix: FelixProfile): Chain {
  const rules = profileAllowRules(profile, felix, dir);
  const kept = felix.stripTrailingReturn ? withoutTrailingReturns(rules) : rules;
  return chain(profileChainName(dir, profile.name), withChainComment(kept, profileChainComment(dir, profile.name)));
}

/** A profile's rules before the chain comment: set accept, return if accepted (`kns.*`); none (`ksa.*`). */
export function profileAllowRules(profile: Profile, felix: FelixProfile = CLASSIC_PROFILE, dir: Direction = "ingress"): Rule[] {
  const { accept } = felix.marks;
  if (!profile.allowAll) return [];
  // Flow logs (P30+): `ARI0|kns.<ns>` — a profile's ID is its name.
  const log = felix.flowLogs ? [rule([fm.markSet(accept)], ft.nflog(nflogGroup(dir), nflogPrefix(`AR${nflogDir(dir)}0|${profile.name}`)))] : [];
  return [rule([], ft.setMark(accept)), ...log, rule([fm.markSet(accept)], ft.ret())];
}

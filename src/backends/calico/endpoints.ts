// Per-endpoint chains cali-tw-* / cali-fw-* (§3.2), the policy list of each
// endpoint (§3.3), and the policy and profile chains they jump to (§4, §5).
import type { NetworkPolicy } from "../../ir/policy.js";
import { memoTable, type Compilation } from "../../compilation.js";
import type { Chain, Rule } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import { k8sRuleToCalico } from "./convert.js";
import { chain, fm, ft, rule } from "./felix-rule.js";
import {
  COMMENT,
  MARK,
  endpointChainName,
  policyChainComment,
  policyChainName,
  policyKeyName,
  profileChainComment,
  profileChainName,
  VXLAN_PORT,
} from "./names.js";
import type { Direction } from "./names.js";
import { renderAllowRule, withChainComment } from "./policy-rules.js";
import { evaluate, policySelector } from "./selector.js";
import { SetRegistry } from "./sets.js";
import type { SetSpec } from "./sets.js";
import type { Profile, Workload } from "./workloads.js";

/** A policy list's policies by namespace, each sorted as §3.3 orders them (so that filtering keeps them sorted). */
const BY_NAMESPACE = memoTable<readonly NetworkPolicy[], ReadonlyMap<string, readonly NetworkPolicy[]>>("calico/policies-by-namespace");

function byNamespace(policies: readonly NetworkPolicy[]): Map<string, NetworkPolicy[]> {
  const byNs = new Map<string, NetworkPolicy[]>();
  for (const p of policies) {
    let list = byNs.get(p.namespace);
    if (!list) byNs.set(p.namespace, (list = []));
    list.push(p);
  }
  // Sorted for determinism and because Felix's PolKVLess does (byte order of the key name).
  for (const list of byNs.values()) {
    const keyed = list.map((p) => ({ p, key: policyKeyName(p.namespace, p.name) })).sort((a, b) => byteCompare(a.key, b.key));
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
export function policiesFor(comp: Compilation, w: Workload, dir: Direction, policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const governs = (p: NetworkPolicy) => (dir === "ingress" ? p.types.ingress : p.types.egress);
  // The candidates are already in §3.3 order, and filtering keeps it.
  const candidates = comp.memo(BY_NAMESPACE, policies, () => byNamespace(policies)).get(w.pod.namespace) ?? [];
  return candidates.filter((p) => governs(p) && evaluate(policySelector(p.namespace, p.podSelector), w.labels));
}

// The rules every endpoint chain shares are one object each (the renderer
// derives each object's texts once); only jump targets vary, and the jump
// rules are one object per target, per compilation.
const SHARED = {
  ctAccept: rule([fm.conntrack(["RELATED", "ESTABLISHED"])], ft.accept()),
  ctInvalidDrop: rule([fm.conntrack(["INVALID"])], ft.drop()),
  clearAccept: rule([], ft.clearMark(MARK.accept)),
  startOfPolicies: rule([], ft.clearMark(MARK.pass), COMMENT.startOfPolicies),
  returnIfPolicyAccepted: rule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.returnIfPolicyAccepted),
  dropIfNoPolicies: rule([fm.markClear(MARK.pass)], ft.drop(), COMMENT.dropIfNoPolicies),
  returnIfProfileAccepted: rule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.returnIfProfileAccepted),
  dropIfNoProfiles: rule([], ft.drop(), COMMENT.dropIfNoProfiles),
  // ProtocolNum(17) and (4): hashed as `-p 17` / `-p 4`, printed `-p udp` / `-p ipencap` (Appendix A).
  dropVxlan: rule([fm.protocolNum(17), fm.multiport("dst", String(VXLAN_PORT))], ft.drop(), COMMENT.dropVxlanFromWorkloads),
  dropIpip: rule([fm.protocolNum(4)], ft.drop(), COMMENT.dropIpipFromWorkloads),
} as const;
const MARK_CLEAR_PASS = fm.markClear(MARK.pass);

const POLICY_JUMP = memoTable<string, Rule>("calico/policy-jump");

function policyJumps(comp: Compilation, dir: Direction, policies: readonly NetworkPolicy[], chainOf: (p: NetworkPolicy) => string): Rule[] {
  if (policies.length === 0) return [];
  const out = [SHARED.startOfPolicies];
  for (const p of policies) {
    const target = chainOf(p);
    out.push(comp.memo(POLICY_JUMP, target, () => rule([MARK_CLEAR_PASS], ft.jump(target))), SHARED.returnIfPolicyAccepted);
  }
  out.push(SHARED.dropIfNoPolicies);
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
const CHAIN_NAME = memoTable<NetworkPolicy, Partial<Record<Direction, string>>>("calico/policy-chain-name");

export function policyChainNameOf(comp: Compilation, p: NetworkPolicy, dir: Direction): string {
  const byDir = comp.memo(CHAIN_NAME, p, () => ({}));
  return (byDir[dir] ??= policyChainName(dir, p.namespace, p.name));
}

/** endpointIptablesChain (§3.2, P27, IptablesFilterAllowAction=ACCEPT); `chainOf` lets -O2 chain-share redirect jumps. */
export function endpointChain(
  comp: Compilation, w: Workload, dir: Direction, policies: readonly NetworkPolicy[],
  chainOf: (p: NetworkPolicy) => string = (p) => policyChainNameOf(comp, p, dir),
): Chain {
  const rules: Rule[] = [
    SHARED.ctAccept,
    SHARED.ctInvalidDrop,
    SHARED.clearAccept,
    ...(dir === "egress" ? [SHARED.dropVxlan, SHARED.dropIpip] : []),
    ...policyJumps(comp, dir, policies, chainOf),
    ...w.profiles.flatMap((p) => [profileJump(comp, p, dir), SHARED.returnIfProfileAccepted]),
    SHARED.dropIfNoProfiles,
  ];
  return chain(endpointChainName(dir, w.iface), rules);
}

/** cali-pi-* / cali-po-* (§4.1): the policy's rules for one direction, in k8s rule order. */
export function policyChain(comp: Compilation, p: NetworkPolicy, dir: Direction, sets: SetRegistry): Chain {
  const rendered = renderedPolicyChain(comp, p, dir);
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
const POLICY_CHAIN = memoTable<NetworkPolicy, Partial<Record<Direction, RenderedPolicy>>>("calico/policy-chain");

function renderedPolicyChain(comp: Compilation, p: NetworkPolicy, dir: Direction): RenderedPolicy {
  const byDir = comp.memo(POLICY_CHAIN, p, () => ({}));
  return (byDir[dir] ??= buildPolicyChain(p, dir));
}

function buildPolicyChain(p: NetworkPolicy, dir: Direction): RenderedPolicy {
  const own = new SetRegistry();
  const k8sRules = dir === "ingress" ? p.ingress : p.egress;
  const rules = k8sRules.flatMap((kr) => k8sRuleToCalico(kr, dir, p.namespace)).flatMap((cr) => renderAllowRule(cr, own));
  const chainOut = chain(policyChainName(dir, p.namespace, p.name), withChainComment(rules, policyChainComment(dir, p.namespace, p.name)));
  return { chain: chainOut, sets: own.all() };
}

// Profiles are interned per compilation (workloads.ts): one chain per profile and direction, shared by every node.
const PROFILE_CHAIN = memoTable<Profile, Partial<Record<Direction, Chain>>>("calico/profile-chain");

/**
 * Profile chains (§5): `kns.*` allows everything both ways (one allow rule +
 * RETURN); `ksa.*` has no rules, so only the comment rule.
 */
export function profileChain(comp: Compilation, profile: Profile, dir: Direction): Chain {
  const byDir = comp.memo(PROFILE_CHAIN, profile, () => ({}));
  return (byDir[dir] ??= buildProfileChain(profile, dir));
}

function buildProfileChain(profile: Profile, dir: Direction): Chain {
  return chain(profileChainName(dir, profile.name), withChainComment(profileAllowRules(profile), profileChainComment(dir, profile.name)));
}

/** A profile's rules before the chain comment: set accept, return if accepted (`kns.*`); none (`ksa.*`). */
export function profileAllowRules(profile: Profile): Rule[] {
  return profile.allowAll ? [rule([], ft.setMark(MARK.accept)), rule([fm.markSet(MARK.accept)], ft.ret())] : [];
}

// Per-endpoint chains cali-tw-* / cali-fw-* (§3.2), the policy list of each
// endpoint (§3.3), and the policy and profile chains they jump to (§4, §5).
import type { NetworkPolicy } from "../../ir/policy.js";
import type { Chain } from "../../rules/types.js";
import { byteCompare } from "../../rules/writer.js";
import { k8sRuleToCalico } from "./convert.js";
import { chain, fm, ft, rule, sharedRule, textChain } from "./felix-rule.js";
import type { FelixRule } from "./felix-rule.js";
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

// Policies grouped by namespace, per policy list: a policy's selector pins
// its namespace (§10.1), so only the endpoint's own namespace is evaluated.
const byNamespaceCache = new WeakMap<readonly NetworkPolicy[], Map<string, NetworkPolicy[]>>();

/** The namespace's policies, sorted as §3.3 orders them (so that filtering keeps them sorted). */
function policiesOfNamespace(policies: readonly NetworkPolicy[], namespace: string): readonly NetworkPolicy[] {
  let byNs = byNamespaceCache.get(policies);
  if (!byNs) {
    byNs = new Map();
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
    byNamespaceCache.set(policies, byNs);
  }
  return byNs.get(namespace) ?? [];
}

/**
 * Policies applying to `w` in `dir`, sorted (§3.3): every k8s NP has order
 * 1000, so the tie-break on the key name `<ns>/knp.default.<name>` decides.
 * The policy selector already pins the namespace (§10.1); the endpoint's
 * projectcalico.org/namespace label is always its pod's namespace, so
 * policies of other namespaces are skipped without evaluating them.
 */
export function policiesFor(w: Workload, dir: Direction, policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const governs = (p: NetworkPolicy) => (dir === "ingress" ? p.types.ingress : p.types.egress);
  // The candidates are already in §3.3 order, and filtering keeps it.
  const candidates = policiesOfNamespace(policies, w.pod.namespace);
  return candidates.filter((p) => governs(p) && evaluate(policySelector(p.namespace, p.podSelector), w.labels));
}

// The rules every endpoint chain shares are built once (sharedRule: their
// hashed text and saved parts are derived once too); only jump targets vary.
const SHARED = {
  ctAccept: sharedRule([fm.conntrack(["RELATED", "ESTABLISHED"])], ft.accept()),
  ctInvalidDrop: sharedRule([fm.conntrack(["INVALID"])], ft.drop()),
  clearAccept: sharedRule([], ft.clearMark(MARK.accept)),
  startOfPolicies: sharedRule([], ft.clearMark(MARK.pass), COMMENT.startOfPolicies),
  returnIfPolicyAccepted: sharedRule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.returnIfPolicyAccepted),
  dropIfNoPolicies: sharedRule([fm.markClear(MARK.pass)], ft.drop(), COMMENT.dropIfNoPolicies),
  returnIfProfileAccepted: sharedRule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.returnIfProfileAccepted),
  dropIfNoProfiles: sharedRule([], ft.drop(), COMMENT.dropIfNoProfiles),
};
const MARK_CLEAR_PASS = fm.markClear(MARK.pass);
const encapCache = new Map<string, readonly FelixRule[]>();

function encapDrops(ipencap: string): readonly FelixRule[] {
  let drops = encapCache.get(ipencap);
  if (!drops) {
    drops = [
      // ProtocolNum(17): hashed as `-p 17`, printed `-p udp` (Appendix A).
      sharedRule([fm.protocolNum(17, "udp"), fm.multiport("dst", String(VXLAN_PORT))], ft.drop(), COMMENT.dropVxlanFromWorkloads),
      sharedRule([fm.protocolNum(4, ipencap)], ft.drop(), COMMENT.dropIpipFromWorkloads),
    ];
    encapCache.set(ipencap, drops);
  }
  return drops;
}

// One jump rule per target chain name, shared by every endpoint jumping there.
const policyJumpCache = new Map<string, FelixRule>();

function policyJump(target: string): FelixRule {
  let r = policyJumpCache.get(target);
  if (!r) policyJumpCache.set(target, (r = sharedRule([MARK_CLEAR_PASS], ft.jump(target))));
  return r;
}

function policyJumps(dir: Direction, policies: readonly NetworkPolicy[], chainOf: (p: NetworkPolicy) => string): FelixRule[] {
  if (policies.length === 0) return [];
  const out = [SHARED.startOfPolicies];
  for (const p of policies) out.push(policyJump(chainOf(p)), SHARED.returnIfPolicyAccepted);
  out.push(SHARED.dropIfNoPolicies);
  return out;
}

// Profiles are interned per cluster (workloads.ts): one jump rule per profile and direction.
const profileJumps = new WeakMap<Profile, Partial<Record<Direction, FelixRule>>>();

function profileJump(p: Profile, dir: Direction): FelixRule {
  let byDir = profileJumps.get(p);
  if (!byDir) profileJumps.set(p, (byDir = {}));
  return (byDir[dir] ??= sharedRule([], ft.jump(profileChainName(dir, p.name))));
}

// Names past the 28-character limit cost a SHA-256 (§1), and every endpoint
// of a policy's namespace jumps to it: named once per policy object.
const chainNames = new WeakMap<NetworkPolicy, Partial<Record<Direction, string>>>();

function policyChainNameOf(p: NetworkPolicy, dir: Direction): string {
  let byDir = chainNames.get(p);
  if (!byDir) chainNames.set(p, (byDir = {}));
  return (byDir[dir] ??= policyChainName(dir, p.namespace, p.name));
}

/** endpointIptablesChain (§3.2, P27, IptablesFilterAllowAction=ACCEPT); `chainOf` lets -O2 chain-share redirect jumps (src/optimize). */
export function endpointChain(
  w: Workload, dir: Direction, policies: readonly NetworkPolicy[], ipencap: string,
  chainOf: (p: NetworkPolicy) => string = (p) => policyChainNameOf(p, dir),
): Chain {
  const rules: FelixRule[] = [
    SHARED.ctAccept,
    SHARED.ctInvalidDrop,
    SHARED.clearAccept,
    ...(dir === "egress" ? encapDrops(ipencap) : []),
    ...policyJumps(dir, policies, chainOf),
    ...w.profiles.flatMap((p) => [profileJump(p, dir), SHARED.returnIfProfileAccepted]),
    SHARED.dropIfNoProfiles,
  ];
  return textChain(endpointChainName(dir, w.iface), rules);
}

/** cali-pi-* / cali-po-* (§4.1): the policy's rules for one direction, in k8s rule order. */
export function policyChain(p: NetworkPolicy, dir: Direction, sets: SetRegistry): Chain {
  const rendered = renderedPolicyChain(p, dir);
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
// every node. Rendered once per policy object and shared by every node's output.
const policyChainCache = new WeakMap<NetworkPolicy, Partial<Record<Direction, RenderedPolicy>>>();

function renderedPolicyChain(p: NetworkPolicy, dir: Direction): RenderedPolicy {
  let byDir = policyChainCache.get(p);
  if (!byDir) policyChainCache.set(p, (byDir = {}));
  let r = byDir[dir];
  if (!r) {
    const own = new SetRegistry();
    const k8sRules = dir === "ingress" ? p.ingress : p.egress;
    const rules = k8sRules.flatMap((kr) => k8sRuleToCalico(kr, dir, p.namespace)).flatMap((cr) => renderAllowRule(cr, own));
    const chainOut = chain(policyChainName(dir, p.namespace, p.name), withChainComment(rules, policyChainComment(dir, p.namespace, p.name)));
    r = byDir[dir] = { chain: chainOut, sets: own.all() };
  }
  return r;
}

/**
 * Profile chains (§5): `kns.*` allows everything both ways (one allow rule +
 * RETURN); `ksa.*` has no rules, so only the comment rule.
 */
export function profileChain(profile: Profile, dir: Direction): Chain {
  // Profiles are interned per cluster (workloads.ts): one chain per profile and direction, shared by every node.
  let byDir = profileChainCache.get(profile);
  if (!byDir) profileChainCache.set(profile, (byDir = {}));
  let c = byDir[dir];
  if (!c) {
    const allow = profile.allowAll ? [rule([], ft.setMark(MARK.accept)), rule([fm.markSet(MARK.accept)], ft.ret())] : [];
    c = byDir[dir] = chain(profileChainName(dir, profile.name), withChainComment(allow, profileChainComment(dir, profile.name)));
  }
  return c;
}

const profileChainCache = new WeakMap<Profile, Partial<Record<Direction, Chain>>>();

// Per-endpoint chains cali-tw-* / cali-fw-* (§3.2), the policy list of each
// endpoint (§3.3), and the policy and profile chains they jump to (§4, §5).
import type { NetworkPolicy } from "../../ir/policy.js";
import type { Chain } from "../../ruleset/types.js";
import { byteCompare } from "../../ruleset/writer.js";
import { k8sRuleToCalico } from "./convert.js";
import { chain, fm, ft, rule } from "./felix-rule.js";
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
} from "./names.js";
import type { Direction } from "./names.js";
import { renderAllowRule, withChainComment } from "./policy-rules.js";
import { evaluate, policySelector } from "./selector.js";
import type { SetRegistry } from "./sets.js";
import type { Profile, Workload } from "./workloads.js";

/** VXLANPort default (§3.2 step 4). */
const VXLAN_PORT = "4789";

/**
 * Policies applying to `w` in `dir`, sorted (§3.3): every k8s NP has order
 * 1000, so the tie-break on the key name `<ns>/knp.default.<name>` decides.
 * The policy selector already pins the namespace (§10.1).
 */
export function policiesFor(w: Workload, dir: Direction, policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const governs = (p: NetworkPolicy) => (dir === "ingress" ? p.types.ingress : p.types.egress);
  const selected = policies.filter((p) => governs(p) && evaluate(policySelector(p.namespace, p.podSelector), w.labels));
  // Sorted for determinism and because Felix's PolKVLess does (byte order).
  const key = (p: NetworkPolicy) => policyKeyName(p.namespace, p.name);
  return selected.sort((a, b) => byteCompare(key(a), key(b)));
}

function encapDrops(ipencap: string): FelixRule[] {
  return [
    // ProtocolNum(17): hashed as `-p 17`, printed `-p udp` (Appendix A).
    rule([fm.protocolNum(17, "udp"), fm.multiport("dst", VXLAN_PORT)], ft.drop(), COMMENT.dropVxlanFromWorkloads),
    rule([fm.protocolNum(4, ipencap)], ft.drop(), COMMENT.dropIpipFromWorkloads),
  ];
}

function policyJumps(dir: Direction, policies: readonly NetworkPolicy[]): FelixRule[] {
  if (policies.length === 0) return [];
  return [
    rule([], ft.clearMark(MARK.pass), COMMENT.startOfPolicies),
    ...policies.flatMap((p) => [
      rule([fm.markClear(MARK.pass)], ft.jump(policyChainName(dir, p.namespace, p.name))),
      rule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.returnIfPolicyAccepted),
    ]),
    rule([fm.markClear(MARK.pass)], ft.drop(), COMMENT.dropIfNoPolicies),
  ];
}

/** endpointIptablesChain (§3.2, P27, IptablesFilterAllowAction=ACCEPT). */
export function endpointChain(w: Workload, dir: Direction, policies: readonly NetworkPolicy[], ipencap: string): Chain {
  const rules: FelixRule[] = [
    rule([fm.conntrack(["RELATED", "ESTABLISHED"])], ft.accept()),
    rule([fm.conntrack(["INVALID"])], ft.drop()),
    rule([], ft.clearMark(MARK.accept)),
    ...(dir === "egress" ? encapDrops(ipencap) : []),
    ...policyJumps(dir, policies),
    ...w.profiles.flatMap((p) => [
      rule([], ft.jump(profileChainName(dir, p.name))),
      rule([fm.markSet(MARK.accept)], ft.ret(), COMMENT.returnIfProfileAccepted),
    ]),
    rule([], ft.drop(), COMMENT.dropIfNoProfiles),
  ];
  return chain(endpointChainName(dir, w.iface), rules);
}

/** cali-pi-* / cali-po-* (§4.1): the policy's rules for one direction, in k8s rule order. */
export function policyChain(p: NetworkPolicy, dir: Direction, sets: SetRegistry): Chain {
  const k8sRules = dir === "ingress" ? p.ingress : p.egress;
  const rules = k8sRules.flatMap((r) => k8sRuleToCalico(r, dir, p.namespace)).flatMap((r) => renderAllowRule(r, sets));
  return chain(policyChainName(dir, p.namespace, p.name), withChainComment(rules, policyChainComment(dir, p.namespace, p.name)));
}

/**
 * Profile chains (§5): `kns.*` allows everything both ways (one allow rule +
 * RETURN); `ksa.*` has no rules, so only the comment rule.
 */
export function profileChain(profile: Profile, dir: Direction): Chain {
  const allow = profile.allowAll ? [rule([], ft.setMark(MARK.accept)), rule([fm.markSet(MARK.accept)], ft.ret())] : [];
  return chain(profileChainName(dir, profile.name), withChainComment(allow, profileChainComment(dir, profile.name)));
}

// Per-service-port templates of kube-proxy ≈1.13 (spec kubeproxy-format
// §5.1): masquerade and jump in KUBE-SERVICES, the externalIP physdev /
// addrtype triple, KUBE-FW with KUBE-MARK-DROP for every load-balancer IP,
// KUBE-XLB for OnlyLocal services, addresses written with their mask, and
// the plain service-port comment on SVC/SEP rules (§8 question 5: the
// v1.14 bug that dropped it is not modelled). As in modern.ts, the KUBE-SEP
// chains come in whole from `sep`.
import type { Chain, Rule } from "../../rules/types.js";
import type { ProxierContext } from "./context.js";
import { chain, comment, KUBE, probability } from "./names.js";
import { addrtype, cmt, dnat, jump, opt, proto, recentCheck, recentSet, REJECT, rule, serviceMatch, src, statistic } from "./parts.js";
import type { PlannedEndpoint, PortPlan, ServicePortPlan } from "./plan.js";
import type { Tables } from "./tables.js";
import { m } from "../../rules/build.js";

/** utilproxy.ToCIDR: a bare address with its full-length mask. */
export function toCIDR(ip: string): string {
  return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
}

export function writeLegacyPort(p: PortPlan, ctx: ProxierContext, out: Tables, sep: (ep: PlannedEndpoint) => Chain): void {
  const ready = p.clusterEndpoints;
  const has = ready.length > 0;
  const onlyLocal = p.etpLocal;
  if (has) out.declare("nat", chain.svc(p.hash));
  if (has && onlyLocal) out.declare("nat", chain.xlb(p.hash));
  clusterIPRules(p, ctx, has, out);
  externalIPRules(p, has, out);
  for (const ip of p.lbIPs) {
    if (has) loadBalancerRules(p, ip, out);
    else out.add("filter", KUBE.services, rule([cmt(comment.noEndpoints(p.spn)), ...serviceMatch(p.proto, toCIDR(ip), p.port)], REJECT));
  }
  if (p.nodePort !== 0) nodePortRules(p, has, out);
  if (!has) return;
  for (const ep of ready) out.declare("nat", ep.sep);
  balance(p, chain.svc(p.hash), ready, () => [cmt(p.spn)], ctx, out);
  for (const ep of ready) out.put("nat", sep(ep));
  if (onlyLocal) xlbRules(p, ready.filter((e) => p.onNode.includes(e)), ctx, out);
}

function clusterIPRules(p: PortPlan, ctx: ProxierContext, has: boolean, out: Tables): void {
  const match = serviceMatch(p.proto, toCIDR(p.clusterIP), p.port);
  if (!has) {
    out.add("filter", KUBE.services, rule([cmt(comment.noEndpoints(p.spn)), ...match], REJECT));
    return;
  }
  const head = [cmt(comment.clusterIP(p.spn)), ...match];
  if (ctx.config.masqueradeAll) out.add("nat", KUBE.services, rule(head, jump(KUBE.markMasq)));
  else if (ctx.clusterCIDR !== null) out.add("nat", KUBE.services, rule([...head, src(ctx.clusterCIDR, true)], jump(KUBE.markMasq)));
  out.add("nat", KUBE.services, rule(head, jump(chain.svc(p.hash))));
}

/** Masquerade, then "not from a bridge nor a local process", then "to a local address" (§5.1). */
function externalIPRules(p: PortPlan, has: boolean, out: Tables): void {
  for (const ip of p.externalIPs) {
    const match = serviceMatch(p.proto, toCIDR(ip), p.port);
    if (!has) {
      out.add("filter", KUBE.externalServices, rule([cmt(comment.noEndpoints(p.spn)), ...match], REJECT));
      continue;
    }
    const head = [cmt(comment.externalIP(p.spn)), ...match];
    const physdev = m.generic("physdev", opt("physdev-is-in", [], true));
    out.add("nat", KUBE.services, rule(head, jump(KUBE.markMasq)));
    out.add("nat", KUBE.services, rule([...head, physdev, addrtype("src-type", "LOCAL", true)], jump(chain.svc(p.hash))));
    out.add("nat", KUBE.services, rule([...head, addrtype("dst-type", "LOCAL")], jump(chain.svc(p.hash))));
  }
}

/** One load-balancer IP: the KUBE-SERVICES jump and its share of KUBE-FW (appended per IP, as 1.13 did). */
function loadBalancerRules(p: PortPlan, ip: string, out: Tables): void {
  const fw = chain.fw(p.hash);
  out.declare("nat", fw);
  out.add("nat", KUBE.services, rule([cmt(comment.loadBalancerIP(p.spn)), ...serviceMatch(p.proto, toCIDR(ip), p.port)], jump(fw)));
  const head = cmt(comment.loadBalancerIP(p.spn));
  const chosen = jump(p.etpLocal ? chain.xlb(p.hash) : chain.svc(p.hash));
  if (!p.etpLocal) out.add("nat", fw, rule([head], jump(KUBE.markMasq)));
  if (p.sourceRanges.length === 0) out.add("nat", fw, rule([head], chosen));
  for (const r of p.sourceRanges) out.add("nat", fw, rule([head, src(r)], chosen));
  if (p.allowFromNode) out.add("nat", fw, rule([head, src(toCIDR(ip))], chosen));
  out.add("nat", fw, rule([head], jump(KUBE.markDrop)));
}

function nodePortRules(p: PortPlan, has: boolean, out: Tables): void {
  if (!has) {
    const parts = [cmt(comment.noEndpoints(p.spn)), addrtype("dst-type", "LOCAL"), ...serviceMatch(p.proto, null, p.nodePort)];
    out.add("filter", KUBE.externalServices, rule(parts, REJECT));
    return;
  }
  const head = [cmt(p.spn), ...serviceMatch(p.proto, null, p.nodePort)];
  if (!p.etpLocal) {
    out.add("nat", KUBE.nodePorts, rule(head, jump(KUBE.markMasq)), rule(head, jump(chain.svc(p.hash))));
    return;
  }
  const loopback = p.clusterIP.includes(":") ? "::1/128" : "127.0.0.0/8";
  out.add("nat", KUBE.nodePorts, rule([...head, src(loopback)], jump(KUBE.markMasq)), rule(head, jump(chain.xlb(p.hash))));
}

/** Affinity checks then the probability cascade; `head(i)` gives rule i's comment part. */
function balance(p: PortPlan, name: string, eps: readonly PlannedEndpoint[], head: (i: number) => Rule["parts"], ctx: ProxierContext, out: Tables): void {
  if (p.affinity !== null) {
    for (const ep of eps) out.add("nat", name, rule([cmt(p.spn), recentCheck(ep.sep, p.affinity)], jump(ep.sep)));
  }
  eps.forEach((ep, i) => {
    const stat = i < eps.length - 1 ? [statistic(probability(eps.length - i, ctx.profile.probabilityDigits))] : [];
    out.add("nat", name, rule([...head(i), ...stat], jump(ep.sep)));
  });
}

export function legacySepRules(p: ServicePortPlan, ep: PlannedEndpoint): Rule[] {
  const affinity = p.affinity !== null ? [recentSet(ep.sep)] : [];
  return [rule([cmt(p.spn), src(toCIDR(ep.ip))], jump(KUBE.markMasq)), rule([cmt(p.spn), ...affinity, ...proto(p.proto)], dnat(ep.endpoint))];
}

/** KUBE-XLB: pods to the VIP go to the cluster chain; then local endpoints only, or drop (§5.1). */
function xlbRules(p: PortPlan, local: readonly PlannedEndpoint[], ctx: ProxierContext, out: Tables): void {
  const xlb = chain.xlb(p.hash);
  if (ctx.clusterCIDR !== null) out.add("nat", xlb, rule([cmt(comment.xlbRedirect), src(ctx.clusterCIDR)], jump(chain.svc(p.hash))));
  if (local.length === 0) {
    out.add("nat", xlb, rule([cmt(comment.noLocalEndpoints(p.spn))], jump(KUBE.markDrop)));
    return;
  }
  balance(p, xlb, local, (i) => [cmt(comment.xlbBalance(i, p.spn))], ctx, out);
}

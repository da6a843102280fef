// Per-service-port rule templates of kube-proxy ≥1.28 (spec
// kubeproxy-format §3.3 (a)–(k)), written in the order kube-proxy writes
// them. Restore-text spelling; as-saved.ts derives what iptables-save shows.
// A port's KUBE-SEP chains do not depend on the node: they come in whole
// from `sep` (built once per compilation, ports.ts).
import type { Chain, Rule } from "../../rules/types.js";
import type { ProxierContext } from "./context.js";
import { chain, comment, KUBE, NFACCT, probability } from "./names.js";
import { addrtype, cmt, dnat, DROP, ACCEPT, jump, nfacct, recentCheck, recentSet, REJECT, rule, serviceMatch, src, statistic, dst, dport, proto } from "./parts.js";
import type { PlannedEndpoint, PortPlan, ServicePortPlan } from "./plan.js";
import type { Tables } from "./tables.js";

const LOOPBACK_V4 = "127.0.0.0/8";

export function writeModernPort(p: PortPlan, ctx: ProxierContext, out: Tables, sep: (ep: PlannedEndpoint) => Chain): void {
  declareChains(p, out);
  entryRules(p, ctx, out);
  if (p.hasInternalEndpoints) internalMasq(p, ctx, out);
  if (p.extChain) extChain(p, ctx, out);
  if (p.fwChain) fwChain(p, out);
  if (p.svcChain) endpointRules(p, chain.svc(p.hash), p.clusterEndpoints, ctx, out);
  if (p.svlChain) endpointRules(p, chain.svl(p.hash), p.localEndpoints, ctx, out);
  for (const ep of p.reachable) out.put("nat", sep(ep));
}

/** Chains this port uses, declared up front so an empty one still exists (§4.1 step 3). */
function declareChains(p: PortPlan, out: Tables): void {
  if (p.extChain) out.declare("nat", chain.ext(p.hash));
  if (p.fwChain) out.declare("nat", chain.fw(p.hash));
  if (p.svcChain) out.declare("nat", chain.svc(p.hash));
  if (p.svlChain) out.declare("nat", chain.svl(p.hash));
  for (const ep of p.reachable) out.declare("nat", ep.sep);
}

/** (a)–(f): cluster IP, external IPs, load-balancer IPs, nodePort, health check. */
function entryRules(p: PortPlan, ctx: ProxierContext, out: Tables): void {
  const verdict = !p.hasEndpoints ? { text: comment.noEndpoints(p.spn), target: REJECT } : { text: comment.noLocalEndpoints(p.spn), target: DROP };
  if (p.hasInternalEndpoints) out.add("nat", KUBE.services, rule([cmt(comment.clusterIP(p.spn)), ...serviceMatch(p.proto, p.clusterIP, p.port)], jump(p.internalTarget)));
  else out.add("filter", KUBE.services, rule([cmt(verdict.text), ...serviceMatch(p.proto, p.clusterIP, p.port)], verdict.target));
  for (const ip of p.externalIPs) {
    if (p.hasEndpoints) out.add("nat", KUBE.services, rule([cmt(comment.externalIP(p.spn)), ...serviceMatch(p.proto, ip, p.port)], jump(chain.ext(p.hash))));
    if (!p.hasExternalEndpoints) out.add("filter", KUBE.externalServices, rule([cmt(verdict.text), ...serviceMatch(p.proto, ip, p.port)], verdict.target));
  }
  const lbTarget = p.fwChain ? chain.fw(p.hash) : chain.ext(p.hash);
  for (const ip of p.lbIPs) {
    if (p.hasEndpoints) out.add("nat", KUBE.services, rule([cmt(comment.loadBalancerIP(p.spn)), ...serviceMatch(p.proto, ip, p.port)], jump(lbTarget)));
    if (p.fwChain) out.add("filter", KUBE.proxyFirewall, rule([cmt(comment.notAcceptedByFw(p.spn, chain.fw(p.hash))), ...serviceMatch(p.proto, ip, p.port)], DROP));
  }
  if (!p.hasExternalEndpoints) {
    for (const ip of p.lbIPs) out.add("filter", KUBE.externalServices, rule([cmt(verdict.text), ...serviceMatch(p.proto, ip, p.port)], verdict.target));
  }
  if (p.nodePort !== 0) nodePortRules(p, ctx, verdict, out);
  if (p.isLoadBalancer && p.etpLocal && p.healthCheckNodePort !== 0) {
    out.add("filter", KUBE.nodePorts, rule([cmt(comment.healthCheck(p.spn)), ...serviceMatch("tcp", null, p.healthCheckNodePort)], ACCEPT));
  }
}

/** (e): KUBE-NODEPORTS jumps, the ≈1.31 localhost nfacct twin first; REJECT/DROP by addrtype otherwise. */
function nodePortRules(p: PortPlan, ctx: ProxierContext, verdict: { text: string; target: ReturnType<typeof jump> }, out: Tables): void {
  if (p.hasEndpoints) {
    if (ctx.profile.nfacctLocalhostNodePorts && ctx.localhostNodePorts) {
      const parts = [cmt(p.spn), ...proto(p.proto), dst(LOOPBACK_V4), dport(p.proto, p.nodePort), nfacct(NFACCT.localhostNodePorts)];
      out.add("nat", KUBE.nodePorts, rule(parts, jump(chain.ext(p.hash))));
    }
    out.add("nat", KUBE.nodePorts, rule([cmt(p.spn), ...serviceMatch(p.proto, null, p.nodePort)], jump(chain.ext(p.hash))));
  }
  if (!p.hasExternalEndpoints) {
    const parts = [cmt(verdict.text), addrtype("dst-type", "LOCAL"), ...serviceMatch(p.proto, null, p.nodePort)];
    out.add("filter", KUBE.externalServices, rule(parts, verdict.target));
  }
}

/** (g): first rule of the internal target chain. */
function internalMasq(p: PortPlan, ctx: ProxierContext, out: Tables): void {
  const match = [cmt(comment.clusterIP(p.spn)), ...serviceMatch(p.proto, p.clusterIP, p.port)];
  if (ctx.config.masqueradeAll) out.add("nat", p.internalTarget, rule(match, jump(KUBE.markMasq)));
  else if (ctx.detector) out.add("nat", p.internalTarget, rule([...match, ...ctx.detector.notLocal], jump(KUBE.markMasq)));
}

/** (h). */
function extChain(p: PortPlan, ctx: ProxierContext, out: Tables): void {
  const ext = chain.ext(p.hash);
  const svc = chain.svc(p.hash);
  if (!p.etpLocal) {
    out.add("nat", ext, rule([cmt(comment.extMasq(p.spn))], jump(KUBE.markMasq)), rule([], jump(svc)));
    return;
  }
  if (ctx.detector) out.add("nat", ext, rule([cmt(comment.extPod(p.spn)), ...ctx.detector.isLocal], jump(svc)));
  out.add("nat", ext, rule([cmt(comment.extLocalMasq(p.spn)), addrtype("src-type", "LOCAL")], jump(KUBE.markMasq)));
  out.add("nat", ext, rule([cmt(comment.extLocalRoute(p.spn)), addrtype("src-type", "LOCAL")], jump(svc)));
  if (p.hasExternalEndpoints) out.add("nat", ext, rule([], jump(chain.svl(p.hash))));
}

/** (i): source ranges, LB IPs when the node itself is inside a range, then the comment-only rule. */
function fwChain(p: PortPlan, out: Tables): void {
  const fw = chain.fw(p.hash);
  const ext = jump(chain.ext(p.hash));
  for (const r of p.sourceRanges) out.add("nat", fw, rule([cmt(comment.loadBalancerIP(p.spn)), src(r)], ext));
  if (p.allowFromNode) {
    for (const ip of p.lbIPs) out.add("nat", fw, rule([cmt(comment.loadBalancerIP(p.spn)), src(ip)], ext));
  }
  out.add("nat", fw, rule([cmt(comment.fwOther(p.spn))], null));
}

/** (j): affinity checks, then the probability cascade. */
function endpointRules(p: PortPlan, name: string, eps: readonly PlannedEndpoint[], ctx: ProxierContext, out: Tables): void {
  if (p.affinity !== null) {
    for (const ep of eps) out.add("nat", name, rule([cmt(comment.toEndpoint(p.spn, ep.endpoint)), recentCheck(ep.sep, p.affinity)], jump(ep.sep)));
  }
  eps.forEach((ep, i) => {
    const last = i === eps.length - 1;
    const stat = last ? [] : [statistic(probability(eps.length - i, ctx.profile.probabilityDigits))];
    out.add("nat", name, rule([cmt(comment.toEndpoint(p.spn, ep.endpoint)), ...stat], jump(ep.sep)));
  });
}

/** (k): hairpin masquerade, then DNAT (remembering the client for ClientIP affinity). */
export function modernSepRules(p: ServicePortPlan, ep: PlannedEndpoint): Rule[] {
  const affinity = p.affinity !== null ? [recentSet(ep.sep)] : [];
  return [rule([cmt(p.spn), src(ep.ip)], jump(KUBE.markMasq)), rule([cmt(p.spn), ...affinity, ...proto(p.proto)], dnat(ep.endpoint))];
}

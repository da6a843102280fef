// The rules kube-proxy writes on every sync whatever the services (spec
// kubeproxy-format §3.1 for ≥1.28, §5 / §5.1 for the legacy profile), and
// the nodePorts tail rule that must stay last in nat KUBE-SERVICES.
import type { NodeContext } from "./context.js";
import { cidrContains } from "./modern.js";
import { comment, KUBE, NFACCT } from "./names.js";
import { ACCEPT, addrtype, cmt, conntrack, DROP, dst, jump, markMatch, markTarget, nfacct, RETURN, rule, src } from "./parts.js";
import type { Tables } from "./tables.js";
import { t } from "../../rules/build.js";

const LOOPBACK_V4 = "127.0.0.0/8";
const LOOPBACK_V6 = "::1/128";

/** Chain declarations in kube-proxy's fixed order (§4.1 steps 1 and 3), before any service rule. */
export function declareStatic(ctx: NodeContext, out: Tables): void {
  const filter = ctx.profile.legacy
    ? [KUBE.services, KUBE.externalServices, KUBE.forward]
    : [KUBE.services, KUBE.externalServices, KUBE.forward, KUBE.nodePorts, KUBE.proxyFirewall, ...(ctx.localhostNodePorts ? [KUBE.firewall] : [])];
  for (const c of filter) out.declare("filter", c);
  for (const c of [KUBE.services, KUBE.nodePorts, KUBE.postrouting, KUBE.markMasq]) out.declare("nat", c);
  if (!ctx.profile.legacy && ctx.localhostNodePorts) {
    const parts = [cmt(comment.localnet), dst(LOOPBACK_V4), src(LOOPBACK_V4, true), conntrack("RELATED,ESTABLISHED,DNAT", true)];
    out.add("filter", KUBE.firewall, rule(parts, DROP));
  }
  postrouting(ctx, out);
}

function postrouting(ctx: NodeContext, out: Tables): void {
  const masq = t.masquerade(ctx.opts.randomFully);
  if (ctx.profile.legacy) {
    out.add("nat", KUBE.postrouting, rule([cmt(comment.snat), markMatch(ctx.mark)], masq));
    out.add("nat", KUBE.markMasq, rule([], markTarget("set-xmark", `${ctx.mark}/${ctx.mark}`)));
    return;
  }
  out.add("nat", KUBE.postrouting, rule([markMatch(ctx.mark, true)], RETURN));
  out.add("nat", KUBE.postrouting, rule([], markTarget("xor-mark", ctx.mark)));
  out.add("nat", KUBE.postrouting, rule([cmt(comment.snat)], masq));
  out.add("nat", KUBE.markMasq, rule([], markTarget("or-mark", ctx.mark)));
}

/** filter KUBE-FORWARD, written after the service rules (§4.1 step 2). */
export function forwardRules(ctx: NodeContext, out: Tables): void {
  const accept = rule([cmt(comment.forwardRules), markMatch(ctx.mark)], ACCEPT);
  if (ctx.profile.legacy) {
    out.add("filter", KUBE.forward, accept);
    if (ctx.clusterCIDR === null) return;
    out.add("filter", KUBE.forward, rule([src(ctx.clusterCIDR), cmt(comment.forwardPodSource), conntrack("RELATED,ESTABLISHED")], ACCEPT));
    out.add("filter", KUBE.forward, rule([cmt(comment.forwardPodDestination), dst(ctx.clusterCIDR), conntrack("RELATED,ESTABLISHED")], ACCEPT));
    return;
  }
  const invalid = ctx.profile.nfacctInvalid ? [conntrack("INVALID"), nfacct(NFACCT.invalidDropped)] : [conntrack("INVALID")];
  out.add("filter", KUBE.forward, rule(invalid, DROP), accept);
  out.add("filter", KUBE.forward, rule([cmt(comment.forwardConntrack), conntrack("RELATED,ESTABLISHED")], ACCEPT));
}

/**
 * The last rule(s) of nat KUBE-SERVICES (§3.1): every local address, or one
 * rule per node address inside nodePortAddresses (a zero CIDR means all).
 * Loopback is skipped for IPv6 and without localhostNodePorts.
 */
export function nodePortsTail(ctx: NodeContext, out: Tables): void {
  const cidrs = ctx.config.nodePortAddresses;
  const zero = cidrs.some((c) => c === "0.0.0.0/0" || c === "::/0");
  const head = cmt(comment.nodePortsTail);
  if (cidrs.length === 0 || zero) {
    const noLoopback = ctx.profile.legacy ? [] : ctx.opts.family === 6 ? [dst(LOOPBACK_V6, true)] : ctx.localhostNodePorts ? [] : [dst(LOOPBACK_V4, true)];
    out.add("nat", KUBE.services, rule([head, addrtype("dst-type", "LOCAL"), ...noLoopback], jump(KUBE.nodePorts)));
    return;
  }
  const loopbackOK = ctx.profile.legacy || ctx.localhostNodePorts;
  for (const ip of ctx.nodeAddresses) {
    const isLoopback = ip === "127.0.0.1" || ip === "::1";
    if (isLoopback && !loopbackOK) continue;
    const selected = cidrs.some((c) => (c === "primary" ? ip === ctx.nodeIP : cidrContains(c, ip)));
    if (selected) out.add("nat", KUBE.services, rule([head, dst(ip)], jump(KUBE.nodePorts)));
  }
}

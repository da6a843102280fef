// The rules kube-proxy writes on every sync whatever the services (spec
// kubeproxy-format §3.1 for ≥1.28, §5 / §5.1 for the legacy profile), and
// the nodePorts tail rule that must stay last in nat KUBE-SERVICES. All but
// the tail are the same on every node: built once per compilation.
import { memoTable, type Compilation } from "../../compilation.js";
import type { Rule } from "../../rules/types.js";
import { cidrContains } from "./addresses.js";
import type { NodeContext, ProxierContext } from "./context.js";
import { comment, KUBE, NFACCT } from "./names.js";
import { ACCEPT, addrtype, cmt, conntrack, DROP, dst, jump, markMatch, markTarget, nfacct, RETURN, rule, src } from "./parts.js";
import { Tables, type TableChain } from "./tables.js";
import { t } from "../../rules/build.js";

const LOOPBACK_V4 = "127.0.0.0/8";
const LOOPBACK_V6 = "::1/128";

const STATIC = memoTable<ProxierContext, readonly TableChain[]>("kubeproxy/static-chains");

/**
 * The fixed chains in kube-proxy's declaration order (§4.1 steps 1 and 3),
 * with the rules every sync writes into them; the ones services write into
 * (KUBE-SERVICES, KUBE-NODEPORTS, …) still empty. KUBE-FORWARD's rules come
 * after the service rules in the payload, but no service writes into it, so
 * it is complete here.
 */
export function staticChains(comp: Compilation, px: ProxierContext): readonly TableChain[] {
  return comp.memo(STATIC, px, () => {
    const out = new Tables();
    declareStatic(px, out);
    forwardRules(px, out);
    return out.entries();
  });
}

/** Chain declarations in kube-proxy's fixed order (§4.1 steps 1 and 3), before any service rule. */
function declareStatic(ctx: ProxierContext, out: Tables): void {
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

function postrouting(ctx: ProxierContext, out: Tables): void {
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
function forwardRules(ctx: ProxierContext, out: Tables): void {
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

/** A proxier's tail rules by the node addresses they depend on ("" where they depend on none). */
const TAILS = memoTable<ProxierContext, Map<string, readonly Rule[]>>("kubeproxy/nodeports-tails");

/**
 * The last rule(s) of nat KUBE-SERVICES (§3.1): every local address, or one
 * rule per node address inside nodePortAddresses (a zero CIDR means all).
 * Loopback is skipped for IPv6 and without localhostNodePorts. Nodes whose
 * addresses give the same rules share them.
 */
export function addNodePortsTail(comp: Compilation, px: ProxierContext, ctx: NodeContext, out: Tables): void {
  const cidrs = ctx.config.nodePortAddresses;
  const everyAddress = cidrs.length === 0 || cidrs.some((c) => c === "0.0.0.0/0" || c === "::/0");
  const key = everyAddress ? "" : `${ctx.nodeIP ?? ""} ${ctx.nodeAddresses.join(" ")}`;
  const tails = comp.memo(TAILS, px, () => new Map<string, readonly Rule[]>());
  let tail = tails.get(key);
  if (tail === undefined) {
    tail = everyAddress ? [everyAddressTail(ctx)] : addressTails(ctx, cidrs);
    tails.set(key, tail);
  }
  out.add("nat", KUBE.services, ...tail);
}

function everyAddressTail(ctx: ProxierContext): Rule {
  const noLoopback = ctx.profile.legacy ? [] : ctx.opts.family === 6 ? [dst(LOOPBACK_V6, true)] : ctx.localhostNodePorts ? [] : [dst(LOOPBACK_V4, true)];
  return rule([cmt(comment.nodePortsTail), addrtype("dst-type", "LOCAL"), ...noLoopback], jump(KUBE.nodePorts));
}

function addressTails(ctx: NodeContext, cidrs: readonly string[]): Rule[] {
  const loopbackOK = ctx.profile.legacy || ctx.localhostNodePorts;
  const out: Rule[] = [];
  for (const ip of ctx.nodeAddresses) {
    const isLoopback = ip === "127.0.0.1" || ip === "::1";
    if (isLoopback && !loopbackOK) continue;
    const selected = cidrs.some((c) => (c === "primary" ? ip === ctx.nodeIP : cidrContains(c, ip)));
    if (selected) out.push(rule([cmt(comment.nodePortsTail), dst(ip)], jump(KUBE.nodePorts)));
  }
  return out;
}

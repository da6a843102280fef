// The -O2 driver for one node's Calico output: policy chains are rendered
// again from the policy IR through the selected passes (rule stage → Felix
// rules → felix stage → hashing), sets are rebuilt from what the new rules
// reference, and — when chain-share merged chains — the endpoint chains are
// rendered again so every jump points at the shared chain. Pure.
import type { NodeOutput } from "../backends/types.js";
import type { CalicoOptions } from "../backends/calico/options.js";
import { ipencapSpelling } from "../backends/calico/options.js";
import { k8sRuleToCalico } from "../backends/calico/convert.js";
import { chain, felixBody, fm, ft, rule } from "../backends/calico/felix-rule.js";
import type { FelixRule } from "../backends/calico/felix-rule.js";
import { endpointChain, policiesFor } from "../backends/calico/endpoints.js";
import { memberSets } from "../backends/calico/ipsets.js";
import { MARK, endpointChainName, ipSetName, policyChainComment, policyChainName, policyKeyName, profileChainComment, profileChainName } from "../backends/calico/names.js";
import type { Direction } from "../backends/calico/names.js";
import { withChainComment } from "../backends/calico/policy-rules.js";
import { allWorkloads, localWorkloads } from "../backends/calico/workloads.js";
import type { Model, NetworkPolicy } from "../ir/policy.js";
import type { IpSet } from "../rules/ipset.js";
import { compareMembers } from "../rules/ipset.js";
import type { Chain } from "../rules/types.js";
import type { Pass } from "./passes.js";
import { OptRegistry, renderOptRule } from "./render.js";
import type { OptRule } from "./rules.js";

interface PolicyDir {
  readonly policy: NetworkPolicy;
  readonly dir: Direction;
}

const DIRS: readonly Direction[] = ["ingress", "egress"];
const indexCache = new WeakMap<Model, Map<string, PolicyDir>>();

/** Policy chain name → its policy and direction. */
function policyIndex(model: Model): Map<string, PolicyDir> {
  let idx = indexCache.get(model);
  if (!idx) {
    idx = new Map();
    for (const policy of model.policies) for (const dir of DIRS) idx.set(policyChainName(dir, policy.namespace, policy.name), { policy, dir });
    indexCache.set(model, idx);
  }
  return idx;
}

function policyRules({ policy, dir }: PolicyDir, passes: readonly Pass[], reg: OptRegistry): FelixRule[] {
  const k8s = dir === "ingress" ? policy.ingress : policy.egress;
  let rules: OptRule[] = k8s.flatMap((kr) => k8sRuleToCalico(kr, dir, policy.namespace));
  for (const p of passes) if (p.rules) rules = p.rules(rules);
  let felix = rules.flatMap((r) => renderOptRule(r, reg));
  for (const p of passes) if (p.felix) felix = p.felix(felix);
  return felix;
}

const SET_OPTIONS = ["family", "inet", "hashsize", "1024", "maxelem", "1048576"] as const;
const isPolicySet = (name: string): boolean => /^cali40[sno]:/.test(name);
const memberText = (cidr: string): string => (cidr.endsWith("/32") ? cidr.slice(0, -3) : cidr);

/** The policy sets a registry's rules reference (aliased-away names excluded), with members. */
function policySets(model: Model, calico: CalicoOptions, reg: OptRegistry, alias: ReadonlyMap<string, string>): IpSet[] {
  const specs = reg.all().filter((s) => !alias.has(ipSetName(s.id)));
  const names = new Set(specs.map((s) => ipSetName(s.id)));
  const all = allWorkloads(model.cluster, calico.interfacePrefix);
  const referenced = memberSets(all, specs).filter((s) => names.has(s.name));
  const nets = [...reg.nets].filter(([name]) => !alias.has(name)).map(([name, cidrs]): IpSet => ({
    name, type: "hash:net", options: SET_OPTIONS, members: cidrs.map((c) => ({ value: memberText(c) })).sort(compareMembers),
  }));
  return [...referenced, ...nets];
}

interface Rendered {
  readonly rules: Map<string, FelixRule[]>;
  readonly sets: IpSet[];
}

function renderAll(model: Model, calico: CalicoOptions, targets: readonly string[], passes: readonly Pass[], alias: ReadonlyMap<string, string>): Rendered {
  const idx = policyIndex(model);
  const reg = new OptRegistry(alias);
  const rules = new Map(targets.map((name) => [name, policyRules(idx.get(name) as PolicyDir, passes, reg)] as const));
  return { rules, sets: policySets(model, calico, reg, alias) };
}

function sharedComment(group: readonly string[], idx: Map<string, PolicyDir>): string {
  const keys = group.map((n) => idx.get(n) as PolicyDir).map(({ policy }) => policyKeyName(policy.namespace, policy.name));
  return `Shared by ${keys.join(" ")}`;
}

function policyChains(model: Model, r: Rendered, share: ReadonlyMap<string, string>): Map<string, Chain> {
  const idx = policyIndex(model);
  const out = new Map<string, Chain>();
  for (const [name, rules] of r.rules) {
    if (share.has(name)) continue;
    const { policy, dir } = idx.get(name) as PolicyDir;
    const sharers = [name, ...[...share].filter(([, kept]) => kept === name).map(([n]) => n)];
    const comments = [policyChainComment(dir, policy.namespace, policy.name), ...(sharers.length > 1 ? [sharedComment(sharers, idx)] : [])];
    const [first, ...rest] = withChainComment(rules, comments[0] as string);
    const commented = first ? [{ ...first, comments: [...first.comments, ...comments.slice(1)] }, ...rest] : [];
    out.set(name, chain(name, commented));
  }
  return out;
}

/** Chains replaced in place (same name), dropped (shared away), or kept. */
function replaceChains(chains: readonly Chain[], replaced: ReadonlyMap<string, Chain>, dropped: ReadonlySet<string>): Chain[] {
  return chains.filter((c) => !dropped.has(c.name)).map((c) => replaced.get(c.name) ?? c);
}

function workloadChains(model: Model, node: string, calico: CalicoOptions, passes: readonly Pass[], share: ReadonlyMap<string, string>): Map<string, Chain> {
  const out = new Map<string, Chain>();
  const felixPasses = passes.filter((p) => p.felix);
  for (const w of localWorkloads(allWorkloads(model.cluster, calico.interfacePrefix), node)) {
    for (const dir of DIRS) {
      if (share.size) {
        const target = (p: NetworkPolicy): string => {
          const n = policyChainName(dir, p.namespace, p.name);
          return share.get(n) ?? n;
        };
        out.set(endpointChainName(dir, w.iface), endpointChain(w, dir, policiesFor(w, dir, model.policies), ipencapSpelling(calico), target));
      }
      if (!felixPasses.length) continue;
      for (const pr of w.profiles) {
        let rules: FelixRule[] = pr.allowAll ? [rule([], ft.setMark(MARK.accept)), rule([fm.markSet(MARK.accept)], ft.ret())] : [];
        for (const p of felixPasses) rules = p.felix!(rules);
        const name = profileChainName(dir, pr.name);
        out.set(name, chain(name, withChainComment(rules, profileChainComment(dir, pr.name))));
      }
    }
  }
  return out;
}

/** Runs `passes` (in PASSES order) over one node's Calico output. No passes: the output unchanged. */
export function optimizeCalicoNode(model: Model, out: NodeOutput, calico: CalicoOptions, passes: readonly Pass[]): NodeOutput {
  const filter = out.ruleset.tables.find((t) => t.name === "filter");
  if (!filter || passes.length === 0) return out;
  const idx = policyIndex(model);
  const targets = filter.chains.map((c) => c.name).filter((n) => idx.has(n));
  let rendered = renderAll(model, calico, targets, passes, new Map());
  const alias = new Map<string, string>();
  for (const p of passes) if (p.sets) for (const [a, b] of p.sets(rendered.sets)) alias.set(a, b);
  if (alias.size) rendered = renderAll(model, calico, targets, passes, alias);
  const bodies = new Map([...rendered.rules].map(([n, rules]) => [n, JSON.stringify(rules.map(felixBody))] as const));
  const share = new Map<string, string>();
  for (const p of passes) if (p.chains) for (const [a, b] of p.chains(bodies)) share.set(a, b);
  const replaced = new Map([...policyChains(model, rendered, share), ...workloadChains(model, out.node, calico, passes, share)]);
  let chains = replaceChains(filter.chains, replaced, new Set(share.keys()));
  for (const p of passes) if (p.filter) chains = p.filter(chains);
  const tables = out.ruleset.tables.map((t) => (t.name === "filter" ? { ...t, chains } : t));
  const ipsets = [...out.ipsets.filter((s) => !isPolicySet(s.name)), ...rendered.sets];
  return { ...out, ruleset: { tables }, ipsets };
}

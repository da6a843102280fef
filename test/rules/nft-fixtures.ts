// Hand-built nft rule models of the spec's fixtures: KP-NFT-1 (kube-proxy
// 1.34+ TestOverallNFTablesRules, nftables.md §A.7) and CAL-NFT-F1 (Felix
// 3.32, §B.8), in the order the agents create their objects.
import type { NftChain, NftRuleset, NftSet, NftTable } from "../../src/rules/nft/model.js";
import * as b from "./nft-build.js";

const { rule, chain, el, to, eq, ne, ip, jump, goto } = b;
const MASQ = "mark-for-masquerade";
const tuple = b.concat(ip("daddr"), b.meta("l4proto"), b.th("th", "dport"));
const protoPort = b.concat(b.meta("l4proto"), b.th("th", "dport"));
const newJump = (c: string) => rule([eq(b.ct("state"), "new"), jump(c)]);

const baseChains: NftChain[] = [
  chain("cluster-ips-check", [
    rule([eq(ip("daddr"), b.ref("cluster-ips")), b.reject], "Reject traffic to invalid ports of ClusterIPs"),
    rule([eq(ip("daddr"), { kind: "anon-set", items: ["172.30.0.0/16"], compact: true }), b.drop], "Drop traffic to unallocated ClusterIPs"),
  ]),
  b.baseChain("filter-prerouting-pre-dnat", "filter", "prerouting", -110, [newJump("firewall-check")]),
  b.baseChain("filter-output-pre-dnat", "filter", "output", -110, [newJump("firewall-check")]),
  b.baseChain("filter-forward", "filter", "forward", 0, [newJump("service-endpoints-check"), newJump("cluster-ips-check")]),
  b.baseChain("filter-input", "filter", "input", 0, [newJump("nodeport-endpoints-check"), newJump("service-endpoints-check")]),
  b.baseChain("filter-output", "filter", "output", 0, [newJump("service-endpoints-check"), newJump("cluster-ips-check")]),
  chain("firewall-check", [rule([b.vmapRef(tuple, "firewall-ips")])]),
  chain(MASQ, [rule([b.markSet("mark", ["|", 0x4000])])]),
  chain("masquerading", [rule([eq(b.mark("&", 0x4000), "0"), b.ret]), rule([b.markSet("mark", ["^", 0x4000])]), rule([b.masquerade("fully-random")])]),
  b.baseChain("nat-output", "nat", "output", -100, [rule([jump("services")])]),
  b.baseChain("nat-postrouting", "nat", "postrouting", 100, [rule([jump("masquerading")])]),
  b.baseChain("nat-prerouting", "nat", "prerouting", -100, [rule([jump("services")])]),
  chain("nodeport-endpoints-check", [rule([eq(ip("daddr"), b.ref("nodeport-ips")), b.vmapRef(protoPort, "no-endpoint-nodeports")])]),
  chain("reject-chain", [rule([b.reject])], "helper for @no-endpoint-services / @no-endpoint-nodeports"),
  chain("services", [rule([b.vmapRef(tuple, "service-ips")]), rule([eq(ip("daddr"), b.ref("nodeport-ips")), b.vmapRef(protoPort, "service-nodeports")])]),
  chain("service-endpoints-check", [rule([b.vmapRef(tuple, "no-endpoint-services")])]),
];

interface Svc {
  readonly n: number;
  readonly hash: string;
  readonly eps: readonly { readonly hash: string; readonly ip: string }[];
  readonly external?: "cluster" | "local";
  readonly affinity?: boolean;
}
const svcBase = (s: Svc) => `${s.hash}-ns${s.n}/svc${s.n}/tcp/p80`;
const epBase = (s: Svc, e: Svc["eps"][number]) => `${e.hash}-ns${s.n}/svc${s.n}/tcp/p80__${e.ip}/80`;

function serviceChains(s: Svc): NftChain[] {
  const svc = `service-${svcBase(s)}`;
  const first = rule([eq(ip("daddr"), `172.30.0.4${s.n}`), ne(ip("saddr"), "10.0.0.0/8"), jump(MASQ)]);
  const sticky = s.affinity === true ? s.eps.map((e) => rule([eq(ip("saddr"), b.ref(`affinity-${epBase(s, e)}`)), goto(`endpoint-${epBase(s, e)}`)])) : [];
  const lb = rule([b.vmapAnon({ kind: "numgen", mode: "random", mod: s.eps.length }, s.eps.map((e, i) => [String(i), to(`endpoint-${epBase(s, e)}`)]))]);
  const chains = [chain(svc, [first, ...sticky, lb])];
  if (s.external === "local") {
    chains.push(
      chain(`external-${svcBase(s)}`, [
        rule([eq(ip("saddr"), "10.0.0.0/8"), goto(svc)], "short-circuit pod traffic"),
        rule([eq(b.fib(["saddr"], "type"), "local"), jump(MASQ)], "masquerade local traffic"),
        rule([eq(b.fib(["saddr"], "type"), "local"), goto(svc)], "short-circuit local traffic"),
      ]),
    );
  } else if (s.external === "cluster") {
    chains.push(chain(`external-${svcBase(s)}`, [rule([jump(MASQ)]), rule([goto(svc)])]));
  }
  for (const e of s.eps) {
    const update = s.affinity === true ? [rule([{ kind: "set-update", op: "update", set: `affinity-${epBase(s, e)}`, key: ip("saddr") }])] : [];
    chains.push(chain(`endpoint-${epBase(s, e)}`, [rule([eq(ip("saddr"), e.ip), jump(MASQ)]), ...update, rule([eq(b.meta("l4proto"), "tcp"), b.dnat(e.ip, 80)])]));
  }
  return chains;
}

const SVCS: readonly Svc[] = [
  { n: 1, hash: "ULMVA6XW", eps: [{ hash: "5OJB2KTY", ip: "10.180.0.1" }] },
  { n: 2, hash: "42NFTM6N", eps: [{ hash: "SGOXE6O3", ip: "10.180.0.2" }], external: "local" },
  { n: 3, hash: "4AT6LBPK", eps: [{ hash: "UEIP74TE", ip: "10.180.0.3" }], external: "cluster" },
  { n: 4, hash: "LAUZTJTB", eps: [{ hash: "UNZV3OEC", ip: "10.180.0.4" }, { hash: "5RFCDDV7", ip: "10.180.0.5" }], external: "cluster" },
  { n: 5, hash: "HVFWP5L3", eps: [{ hash: "GTK6MW7G", ip: "10.180.0.3" }], external: "cluster", affinity: true },
];

const svcEl = (vip: string, s: Svc, kind: "service" | "external") => el([vip, "tcp", "80"], to(`${kind}-${svcBase(s)}`));
const sv = (n: number): Svc => SVCS[n - 1]!;

function kpSets(): NftSet[] {
  const vips = [1, 2, 3, 4, 5, 6].map((n) => el([`172.30.0.4${n}`]));
  const cmt = "vmap to drop or reject packets to ";
  return [
    b.set("cluster-ips", ["ipv4_addr"], vips, { comment: "Active ClusterIPs" }),
    b.set("nodeport-ips", ["ipv4_addr"], [el(["192.168.0.2"])], { comment: "IPs that accept NodePort traffic" }),
    b.map("no-endpoint-services", ["ipv4_addr", "inet_proto", "inet_service"], [
      el(["1.2.3.4", "tcp", "80"], b.dropV, "ns2/svc2:p80"),
      el(["192.168.99.22", "tcp", "80"], b.dropV, "ns2/svc2:p80"),
      el(["172.30.0.46", "tcp", "80"], to("reject-chain"), "ns6/svc6:p80"),
    ], cmt + "services with no endpoints"),
    b.map("no-endpoint-nodeports", ["inet_proto", "inet_service"], [el(["tcp", "3001"], b.dropV, "ns2/svc2:p80")], cmt + "service nodeports with no endpoints"),
    b.map("firewall-ips", ["ipv4_addr", "inet_proto", "inet_service"], [el(["5.6.7.8", "tcp", "80"], to(`firewall-${svcBase(sv(5))}`))], "destinations that are subject to LoadBalancerSourceRanges"),
    b.map("service-ips", ["ipv4_addr", "inet_proto", "inet_service"], [
      svcEl("172.30.0.41", sv(1), "service"),
      svcEl("172.30.0.42", sv(2), "service"),
      svcEl("192.168.99.22", sv(2), "external"),
      svcEl("1.2.3.4", sv(2), "external"),
      svcEl("172.30.0.43", sv(3), "service"),
      svcEl("172.30.0.44", sv(4), "service"),
      svcEl("192.168.99.33", sv(4), "external"),
      svcEl("172.30.0.45", sv(5), "service"),
      svcEl("5.6.7.8", sv(5), "external"),
    ], "ClusterIP, ExternalIP and LoadBalancer IP traffic"),
    b.map("service-nodeports", ["inet_proto", "inet_service"], [
      el(["tcp", "3001"], to(`external-${svcBase(sv(2))}`)),
      el(["tcp", "3003"], to(`external-${svcBase(sv(3))}`)),
      el(["tcp", "3002"], to(`external-${svcBase(sv(5))}`)),
    ], "NodePort traffic"),
    b.set(`affinity-${epBase(sv(5), sv(5).eps[0]!)}`, ["ipv4_addr"], [], { flags: ["dynamic", "timeout"], timeout: 10800 }),
  ];
}

export function kpNft1(): NftRuleset {
  const firewall = chain(`firewall-${svcBase(sv(5))}`, [rule([ne(ip("saddr"), b.anon("203.0.113.0/25")), b.drop])]);
  const table: NftTable = {
    family: "ip",
    name: "kube-proxy",
    comment: "rules for kube-proxy",
    dialect: "knftables",
    sets: kpSets(),
    chains: [...baseChains, ...SVCS.flatMap(serviceChains), firewall],
  };
  return { tables: [table] };
}

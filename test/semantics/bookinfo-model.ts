// examples/bookinfo as hand-built IR: what the loader must produce from the
// YAML (keep the two in step). It lets the reachability test run without the
// frontend, and doubles as the expected model for a loader test.
import type { Pod } from "../../src/ir/cluster.js";
import type { Model } from "../../src/ir/policy.js";
import { cport, ipBlock, model, named, namespace, node, nsPeer, pod, podPeer, policy, sel, tcp, udp } from "./fixtures.js";

/** [pod name, node, IP, labels, service account] from the talk's `calicoctl get workloadendpoint` table. */
const WORKLOADS: readonly (readonly [string, string, string, Record<string, string>, string])[] = [
  ["details-v1-68c7c8666d-x57tf", "ubuntu2", "192.168.1.62", { app: "details", version: "v1" }, "bookinfo-details"],
  ["main-699dd9dc98-6fz62", "ubuntu3", "192.168.2.54", { app: "main" }, "default"],
  ["main-699dd9dc98-nlxss", "ubuntu2", "192.168.1.67", { app: "main" }, "default"],
  ["main-699dd9dc98-vb9c5", "ubuntu1", "192.168.0.56", { app: "main" }, "default"],
  ["productpage-v1-54d799c966-h96dv", "ubuntu3", "192.168.2.63", { app: "productpage", version: "v1" }, "bookinfo-productpage"],
  ["ratings-v1-8558d4458d-86mtm", "ubuntu3", "192.168.2.55", { app: "ratings", version: "v1" }, "bookinfo-ratings"],
  ["reviews-v1-cb8655c75-9tz9q", "ubuntu1", "192.168.0.52", { app: "reviews", version: "v1" }, "bookinfo-reviews"],
  ["reviews-v2-7fc9bb6dcf-45d6z", "ubuntu2", "192.168.1.66", { app: "reviews", version: "v2" }, "bookinfo-reviews"],
  ["reviews-v3-c995979bc-78g8r", "ubuntu3", "192.168.2.58", { app: "reviews", version: "v3" }, "bookinfo-reviews"],
];

function workload([name, nodeName, ip, labels, sa]: (typeof WORKLOADS)[number]): Pod {
  // The ReplicaSet's pod-template-hash is the second-to-last dash-separated part of the name.
  const hash = name.split("-").slice(-2, -1)[0] ?? "";
  const port = labels["app"] === "main" ? 8080 : 9080;
  return pod(`default/${name}`, {
    labels: { ...labels, "pod-template-hash": hash },
    node: nodeName,
    ip,
    ports: [cport("http", port)],
    serviceAccount: sa,
  });
}

/** The two pods of cluster/addons.yaml, outside the talk's table: CoreDNS (the target of allow-dns-egress) and a role=dev workload (prevent-egress's). */
const ADDONS: readonly Pod[] = [
  pod("kube-system/coredns-5dd5756b68-7xk9t", {
    labels: { "k8s-app": "kube-dns", "pod-template-hash": "5dd5756b68" },
    node: "ubuntu1",
    ip: "192.168.0.53",
    ports: [cport("dns", 53, "UDP"), cport("dns-tcp", 53, "TCP"), cport("metrics", 9153, "TCP")],
    serviceAccount: "coredns",
  }),
  pod("dev/sandbox", { labels: { app: "sandbox" }, node: "ubuntu2", ip: "192.168.1.70", ports: [cport("http", 8080)], serviceAccount: "default" }),
];

const app = (name: string) => sel({ app: name });

const POLICIES = [
  policy("default/prevent-egress", { podSelector: app("main"), types: ["Ingress", "Egress"], egress: [{ peers: [nsPeer(sel({ role: "dev" }))] }] }),
  policy("default/prevent-egress-ipblock", {
    podSelector: app("main"),
    types: ["Ingress", "Egress"],
    egress: [{ peers: [ipBlock("10.0.0.0/8")] }],
    ingress: [{ peers: [ipBlock("10.0.0.0/8")] }],
  }),
  policy("default/default-deny-ingress", { types: ["Ingress"] }),
  policy("default/productpage-from-anywhere", { podSelector: app("productpage"), types: ["Ingress"], ingress: [{ ports: [tcp(9080)] }] }),
  policy("default/details-from-productpage", {
    podSelector: app("details"),
    types: ["Ingress"],
    ingress: [{ peers: [podPeer(app("productpage"))], ports: [tcp(9080)] }],
  }),
  policy("default/reviews-from-productpage", {
    podSelector: app("reviews"),
    types: ["Ingress"],
    ingress: [{ peers: [podPeer(app("productpage"))], ports: [tcp(9080)] }],
  }),
  policy("default/ratings-from-reviews", {
    podSelector: app("ratings"),
    types: ["Ingress"],
    ingress: [{ peers: [podPeer(app("reviews"))], ports: [named("http")] }],
  }),
  policy("default/allow-dns-egress", {
    podSelector: app("main"),
    types: ["Egress"],
    egress: [
      {
        peers: [podPeer(sel({ "k8s-app": "kube-dns" }), sel({ "kubernetes.io/metadata.name": "kube-system" }))],
        ports: [udp(53), tcp(53)],
      },
    ],
  }),
];

export function bookinfoModel(): Model {
  return model({
    namespaces: [namespace("default"), namespace("dev", { role: "dev" }), namespace("kube-system")],
    pods: [...WORKLOADS.map(workload), ...ADDONS],
    nodes: [
      node("ubuntu1", "172.16.0.11", "192.168.0.1"),
      node("ubuntu2", "172.16.0.12", "192.168.1.1"),
      node("ubuntu3", "172.16.0.13", "192.168.2.1"),
    ],
    policies: POLICIES,
  });
}

// A hand-made two-node cluster for the Service checks of verify: one pod per
// backend on each node, a client, and one Service per behaviour under test
// (kubeproxy-format §3.2–§3.3). Compiled with both backends as the CLI does.
import type { InputFile } from "../../src/frontend/index.js";
import { compileAll, type Compiled } from "./helpers.js";

const node = (name: string, ip: string, tunnel: string): string => `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations: {projectcalico.org/IPv4Address: ${ip}/24, projectcalico.org/IPv4IPIPTunnelAddr: ${tunnel}}
status:
  addresses: [{type: InternalIP, address: ${ip}}]
`;

const pod = (name: string, nodeName: string, ip: string, labels: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: app, labels: ${labels}}
spec:
  nodeName: ${nodeName}
  containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]
status: {phase: Running, podIP: ${ip}}
`;

/** A Service on port 80 → 8080; `extra` is spliced into its spec. */
const service = (name: string, ip: string, extra = ""): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: app}
spec:
  clusterIP: ${ip}
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080${extra.includes("nodePort:") ? `, nodePort: ${/nodePort: (\d+)/.exec(extra)![1]}` : ""}}]
${extra.split("\n").filter((l) => l && !l.includes("nodePort:")).map((l) => `  ${l}`).join("\n")}
`;

const WEB_A = { ip: "192.168.0.10", node: "n1", pod: "web-a" };
const WEB_B = { ip: "192.168.1.10", node: "n2", pod: "web-b" };

const slice = (svc: string, eps: readonly { ip: string; node: string; pod: string }[]): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${svc}-x, namespace: app, labels: {kubernetes.io/service-name: ${svc}}}
addressType: IPv4
endpoints:${eps.length ? "" : " []"}
${eps.map((e) => `- {addresses: [${e.ip}], conditions: {ready: true}, nodeName: ${e.node}, targetRef: {kind: Pod, name: ${e.pod}, namespace: app}}`).join("\n")}
ports: [{name: http, port: 8080, protocol: TCP}]
`;

export const CLUSTER = [
  "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n",
  node("n1", "10.0.0.1", "192.168.0.1"),
  node("n2", "10.0.0.2", "192.168.1.1"),
  pod("web-a", "n1", WEB_A.ip, "{app: web, side: a}"),
  pod("web-b", "n2", WEB_B.ip, "{app: web, side: b}"),
  pod("client", "n1", "192.168.0.20", "{app: client}"),
  "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 192.168.0.0/16\n",
  service("web", "10.96.0.10"),
  slice("web", [WEB_A, WEB_B]),
  service("empty", "10.96.0.11"),
  slice("empty", []),
  service("np", "10.96.0.12", "type: NodePort\nnodePort: 30080"),
  slice("np", [WEB_A, WEB_B]),
  service("nplocal", "10.96.0.13", "type: NodePort\nnodePort: 30081\nexternalTrafficPolicy: Local"),
  slice("nplocal", [WEB_A]),
  service("itp", "10.96.0.14", "internalTrafficPolicy: Local"),
  slice("itp", [WEB_A, WEB_B]),
  service("sticky", "10.96.0.15", "sessionAffinity: ClientIP"),
  slice("sticky", [WEB_A, WEB_B]),
].join("---\n");

/** web-b accepts only the client: web-a's ClusterIP path to it must be denied like its direct path. */
export const DENY_B = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-client-to-b, namespace: app}
spec:
  podSelector: {matchLabels: {side: b}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
`;

export function compileModel(policies = ""): Compiled {
  const files: InputFile[] = [{ path: "cluster.yaml", text: CLUSTER }];
  if (policies) files.push({ path: "policies.yaml", text: policies });
  return compileAll(files);
}

// Cluster objects: validation of hostile names and addresses, lowering,
// implicit namespaces and service accounts, pools, duplicates.
import { describe, expect, it } from "vitest";
import { errorsWithPos, load, loadFiles, pos } from "./helpers.js";

const pod = (extra: string, meta = "metadata: {name: web-1, namespace: shop, labels: {app: web}}"): string =>
  `apiVersion: v1\nkind: Pod\n${meta}\n${extra}`;

describe("pods", () => {
  it("lowers labels, node, service account, IPs, phase and container ports", () => {
    const l = load(
      pod(
        [
          "spec:",
          "  nodeName: node1",
          "  serviceAccount: legacy",
          "  containers:",
          "  - name: a",
          "    ports: [{name: http, containerPort: 8080}, {containerPort: 53, protocol: UDP}]",
          "  - name: b",
          "    ports: [{name: metrics, containerPort: 9090}]",
          "  initContainers:",
          "  - ports: [{name: ignored, containerPort: 1}]",
          "status:",
          "  phase: Running",
          "  podIP: 10.244.1.5",
          "  podIPs: [{ip: 10.244.1.5}, {ip: 'fd00:0::5'}, {ip: 10.244.1.5}]",
          "",
        ].join("\n"),
      ),
    );
    expect(l.all.filter((d) => d.severity !== "note")).toEqual([]);
    const p = l.model.cluster.pods[0]!;
    expect({ ...p, span: null, labels: [...p.labels] }).toEqual({
      namespace: "shop",
      name: "web-1",
      labels: [["app", "web"]],
      nodeName: "node1",
      serviceAccount: "legacy",
      hostNetwork: false,
      ips: ["10.244.1.5", "fd00::5"],
      phase: "Running",
      ports: [
        { name: "http", protocol: "TCP", containerPort: 8080 },
        { name: null, protocol: "UDP", containerPort: 53 },
        { name: "metrics", protocol: "TCP", containerPort: 9090 },
      ],
      span: null,
    });
    expect(l.model.cluster.serviceAccounts).toEqual([{ namespace: "shop", name: "legacy", labels: new Map() }]);
  });

  it("defaults the service account to default and prefers serviceAccountName", () => {
    const l = load(`${pod("spec: {serviceAccountName: new, serviceAccount: old}")}\n---\n${pod("spec: {}", "metadata: {name: b, namespace: shop}")}`);
    // Sorted by (namespace, name): b before web-1.
    expect(l.model.cluster.pods.map((p) => p.serviceAccount)).toEqual(["default", "new"]);
  });

  it("notes pods that are not endpoints", () => {
    const l = load(`${pod("spec: {nodeName: node1}")}\n---\n${pod("status: {podIP: 10.0.0.1}", "metadata: {name: b, namespace: shop}")}`);
    expect(l.all.filter((d) => d.id === "input/not-an-endpoint").map((d) => `${pos(l, d)} ${d.severity} ${d.message}`)).toEqual([
      "6:1 note pod shop/b has no spec.nodeName; it is not a policy endpoint",
      "1:1 note pod shop/web-1 has no IP address; it is not a policy endpoint",
    ]);
  });

  it("refuses hostile names, labels and addresses in the API server's words", () => {
    const l = load(
      pod(
        "spec:\n  nodeName: Node_1\n  containers:\n  - ports: [{name: HTTP, containerPort: 0, protocol: tcp}, {name: web, containerPort: 70000}, {name: web, containerPort: 1}]\nstatus: {podIPs: [{ip: 10.0.0.256}, {ip: '010.0.0.1'}]}\n",
        'metadata: {name: "x;rm -rf", namespace: Shop, labels: {"a\\nb": "c"}}',
      ),
    );
    expect(errorsWithPos(l).map((e) => e.replace(/ \(e\.g\..*$/, " (e.g. …)"))).toEqual([
      '3:18 pod/invalid-value metadata.name: Invalid value: "x;rm -rf": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. …)',
      '3:41 pod/invalid-value metadata.namespace: Invalid value: "Shop": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. …)',
      '3:56 pod/invalid-value metadata.labels: Invalid value: "a\\nb": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. …)',
      '5:13 pod/invalid-value spec.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. …)',
      '7:20 pod/invalid-value spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      '7:20 pod/invalid-value spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
      "7:41 pod/required-value spec.containers[0].ports[0].containerPort: Required value",
      '7:54 pod/unsupported-value spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
      "7:87 pod/invalid-value spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
      '7:102 pod/duplicate-value spec.containers[0].ports[2].name: Duplicate value: "web"',
      '8:24 pod/invalid-value status.podIPs[0].ip: Invalid value: "10.0.0.256": must be a valid IP address, (e.g. …)',
      '8:42 pod/invalid-value status.podIPs[1].ip: Invalid value: "010.0.0.1": must be a valid IP address, (e.g. …)',
    ]);
    expect(l.model.cluster.pods).toEqual([]);
  });

  it("allows one port name in two containers (the duplicate check is per container)", () => {
    const l = load(
      pod(
        "spec:\n  nodeName: n1\n  containers:\n  - {name: c0, image: i, ports: [{name: http, containerPort: 80}]}\n" +
          "  - {name: c1, image: i, ports: [{name: http, containerPort: 81, protocol: UDP}]}\nstatus: {phase: Running, podIP: 192.168.0.5}\n",
      ),
    );
    expect(l.diag.hasErrors()).toBe(false);
    expect(l.model.cluster.pods[0]!.ports).toEqual([
      { name: "http", protocol: "TCP", containerPort: 80 },
      { name: "http", protocol: "UDP", containerPort: 81 },
    ]);
  });

  it("type-checks the fields it reads but allows every other field", () => {
    const ok = load(pod("spec:\n  dnsPolicy: ClusterFirst\n  tolerations: [{operator: Exists}]\nstatus: {conditions: [{type: Ready}]}\n"));
    expect(ok.diag.hasErrors()).toBe(false);
    const bad = load(pod("spec: {hostNetwork: 'true'}\n"));
    expect(errorsWithPos(bad)).toEqual(["4:21 schema/type json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool"]);
  });
});

describe("namespaces and service accounts", () => {
  it("adds kubernetes.io/metadata.name and creates referenced namespaces implicitly, once each", () => {
    const l = load(
      [
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}",
        pod("spec: {nodeName: node1}\nstatus: {podIP: 10.0.0.1}", "metadata: {name: a, namespace: other}"),
        pod("spec: {nodeName: node1}\nstatus: {podIP: 10.0.0.2}", "metadata: {name: b, namespace: other}"),
      ].join("\n---\n"),
    );
    expect(l.model.cluster.namespaces.map((n) => [n.name, [...n.labels]])).toEqual([
      ["other", [["kubernetes.io/metadata.name", "other"]]],
      ["shop", [["kubernetes.io/metadata.name", "shop"], ["team", "a"]]],
    ]);
    // (The address plan's notes about the assumed pool are tested with the addressing.)
    expect(l.all.filter((d) => !d.id.startsWith("addressing/")).map((d) => `${pos(l, d)} ${d.id} ${d.message}`)).toEqual([
      '5:1 input/implicit-namespace namespace "other" is not declared; assuming it exists with only the label kubernetes.io/metadata.name=other',
    ]);
  });

  it("namespace names are DNS-1123 labels", () => {
    const l = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n");
    expect(errorsWithPos(l)).toEqual(['3:18 namespace/invalid-value metadata.name: Invalid value: "a.b": must not contain dots']);
  });

  it("keeps declared service accounts with their labels", () => {
    const l = load("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop, labels: {role: api}}\n");
    expect(l.model.cluster.serviceAccounts).toEqual([{ namespace: "shop", name: "api", labels: new Map([["role", "api"]]) }]);
  });
});

describe("nodes", () => {
  const node = (meta: string, status = ""): string => `apiVersion: v1\nkind: Node\nmetadata: ${meta}\n${status}`;
  it("takes Calico's IPv4Address annotation without its prefix, and the tunnel address", () => {
    const l = load(node("{name: n1, annotations: {projectcalico.org/IPv4Address: 10.0.0.11/24, projectcalico.org/IPv4IPIPTunnelAddr: 192.168.1.0}}", "status: {addresses: [{type: InternalIP, address: 10.9.9.9}]}"));
    expect(l.model.cluster.nodes).toEqual([
      {
        name: "n1",
        labels: new Map(),
        ip: "10.0.0.11",
        ipPrefix: 24,
        ip6: null,
        tunnelAddress: "192.168.1.0",
        vxlanTunnelAddress: null,
        vxlanMac: null,
        annotationSpans: { ipipTunnel: expect.anything(), vxlanTunnel: null },
        span: expect.anything(),
      },
    ]);
  });
  it("takes the IPv6 address from projectcalico.org/IPv6Address (canonical, no prefix), else the first IPv6 InternalIP", () => {
    const a = load(node("{name: n1, annotations: {projectcalico.org/IPv6Address: 'FD00:100:0::11/64'}}", "status: {addresses: [{type: InternalIP, address: 10.9.9.9}, {type: InternalIP, address: 'fd00:9::9'}]}"));
    expect(a.model.cluster.nodes[0]).toMatchObject({ ip: "10.9.9.9", ip6: "fd00:100::11" });
    const b = load(node("{name: n1}", "status: {addresses: [{type: ExternalIP, address: 'fd00:8::8'}, {type: InternalIP, address: 'fd00:9::9'}, {type: InternalIP, address: 10.9.9.9}]}"));
    expect(b.model.cluster.nodes[0]).toMatchObject({ ip: "10.9.9.9", ip6: "fd00:9::9" });
    const bad = load(node("{name: n1, annotations: {projectcalico.org/IPv6Address: 10.0.0.1}}"));
    expect(errorsWithPos(bad)).toEqual([expect.stringContaining("metadata.annotations[projectcalico.org/IPv6Address]: Invalid value: \"10.0.0.1\": must be a valid IPv6 address")]);
  });
  it("reads the VXLAN tunnel address and MAC, lower-cased, and refuses a multicast MAC", () => {
    const l = load(node("{name: n1, labels: {zone: a}, annotations: {projectcalico.org/IPv4VXLANTunnelAddr: 10.244.0.1, projectcalico.org/VXLANTunnelMACAddr: 66:3E:CA:5F:6A:3C}}"));
    expect(l.model.cluster.nodes[0]).toMatchObject({ labels: new Map([["zone", "a"]]), vxlanTunnelAddress: "10.244.0.1", vxlanMac: "66:3e:ca:5f:6a:3c", ipPrefix: null });
    const bad = load(node("{name: n1, annotations: {projectcalico.org/VXLANTunnelMACAddr: 01:00:5e:00:00:01}}"));
    expect(errorsWithPos(bad)).toEqual([
      '3:74 node/invalid-value metadata.annotations[projectcalico.org/VXLANTunnelMACAddr]: Invalid value: "01:00:5e:00:00:01": must be a unicast MAC address (e.g. 66:3e:ca:5f:6a:3c)',
    ]);
    // The kernel refuses an all-zero MAC for the device, and an all-zero FDB entry would be every unknown MAC's default.
    expect(errorsWithPos(load(node("{name: n1, annotations: {projectcalico.org/VXLANTunnelMACAddr: '00:00:00:00:00:00'}}")))).toHaveLength(1);
  });
  it("falls back to the first IPv4 ExternalIP when there is no InternalIP", () => {
    const l = load(node("{name: n1}", "status: {addresses: [{type: ExternalIP, address: 203.0.113.7}]}"));
    expect(l.model.cluster.nodes[0]?.ip).toBe("203.0.113.7");
  });
  it("falls back to the first IPv4 InternalIP", () => {
    const l = load(node("{name: n1}", "status: {addresses: [{type: Hostname, address: n1}, {type: InternalIP, address: 'fd00::1'}, {type: InternalIP, address: 10.0.0.12}]}"));
    expect(l.model.cluster.nodes[0]?.ip).toBe("10.0.0.12");
  });
  it("refuses bad addresses", () => {
    const l = load(node("{name: n1, annotations: {projectcalico.org/IPv4Address: 10.0.0/24}}", "status: {addresses: [{type: InternalIP, address: nope}]}"));
    expect(errorsWithPos(l)).toEqual([
      '3:67 node/invalid-value metadata.annotations[projectcalico.org/IPv4Address]: Invalid value: "10.0.0/24": must be a valid IPv4 address, optionally with a prefix length (e.g. 10.0.0.11/24)',
      '4:50 node/invalid-value status.addresses[0].address: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });
});

describe("IP pools", () => {
  const pool = (spec: string, name = "p"): string => `apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
  it("uses Calico's manifest default pool when there is none", () => {
    expect(load("").model.cluster.pools).toEqual([
      { name: "default-ipv4-ippool", cidr: "192.168.0.0/16", ipipMode: "Always", vxlanMode: "Never", natOutgoing: true, blockSize: 26, disabled: false, nodeSelector: "all()", nodeSelectorAst: { kind: "all" }, span: null },
    ]);
  });
  it("defaults absent fields and normalises the CIDR", () => {
    const l = load(pool("{cidr: 10.244.1.7/16}"));
    expect(l.model.cluster.pools).toEqual([
      { name: "p", cidr: "10.244.0.0/16", ipipMode: "Never", vxlanMode: "Never", natOutgoing: false, blockSize: 26, disabled: false, nodeSelector: "all()", nodeSelectorAst: { kind: "all" }, span: expect.anything() },
    ]);
  });
  it("is strict about spec fields and values", () => {
    expect(errorsWithPos(load(pool("{cidr: 10.0.0.0/16, ipipmode: Always}")))).toEqual(['4:27 schema/unknown-field strict decoding error: unknown field "spec.ipipmode"']);
    expect(errorsWithPos(load(pool("{cidr: 10.0.0.0/16, ipipMode: always}")))).toEqual([
      '4:37 schema/unsupported-value spec.ipipMode: Unsupported value: "always": supported values: "Always", "CrossSubnet", "Never"',
    ]);
    expect(errorsWithPos(load(pool("{blockSize: 33}")))).toEqual([
      "4:7 ippool/required-value spec.cidr: Required value",
      "4:19 ippool/invalid-value spec.blockSize: Invalid value: 33: must be between 20 and 32, inclusive",
    ]);
  });
});

describe("duplicates", () => {
  it("refuses the same object twice, naming both positions", () => {
    const np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: default}\n";
    const l = loadFiles([
      { path: "b.yaml", text: np },
      { path: "a.yaml", text: `# first\n${np}` },
    ]);
    expect(l.lines.filter((x) => !x.includes("implicit-namespace"))).toEqual([
      'b.yaml:1:1: error[input/duplicate-object]: duplicate NetworkPolicy "default/p": the same object is defined twice',
      "  note: first defined at a.yaml:2:1",
    ]);
    expect(l.model.policies).toHaveLength(1);
  });
});

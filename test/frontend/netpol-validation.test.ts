// One test (at least) per rule of spec/netpol-validation.md §2–§7: exact
// message text and the line:col a user sees.
import { describe, expect, it } from "vitest";
import { errorsWithPos, load, messages, policy, pos } from "./helpers.js";

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

function errs(meta: string, spec = "  podSelector: {}\n"): string[] {
  return errorsWithPos(load(policy(spec, meta)));
}

function specErrs(spec: string): string[] {
  return errorsWithPos(load(policy(spec)));
}

describe("§11 worked example", () => {
  const text = policy(
    [
      "  podSelector: {matchExpressions: [{key: app, operator: In}]}",
      "  ingress:",
      "  - from: [{}]",
      "    ports: [{port: 80, endPort: 79}, {protocol: ICMP}, {port: serve--http-port-x}]",
      "  egress:",
      "  - to: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}, podSelector: {}}]",
      "  policyTypes: [Ingress, egress]",
      "",
    ].join("\n"),
  );

  it("gives the nine errors in the API server's order", () => {
    expect(messages(load(text))).toEqual([
      "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.ingress[0].ports[0].endPort: Invalid value: 79: must be greater than or equal to `port`",
      'spec.ingress[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].ports[2].port: Invalid value: "serve--http-port-x": must be no more than 15 characters',
      'spec.ingress[0].ports[2].port: Invalid value: "serve--http-port-x": must not contain consecutive hyphens',
      "spec.ingress[0].from[0]: Required value: must specify a peer",
      'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
      "spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer",
      'spec.policyTypes[1]: Unsupported value: "egress": supported values: "Ingress", "Egress"',
    ]);
  });

  it("positions each at its node", () => {
    const l = load(text);
    expect(l.all.map((d) => `${pos(l, d)} ${d.id}`)).toEqual([
      "5:36 netpol/required-value", // the requirement mapping (values is missing)
      "8:33 netpol/invalid-value",
      "8:49 netpol/unsupported-value",
      "8:63 netpol/invalid-value",
      "8:63 netpol/invalid-value",
      "7:12 netpol/required-value",
      "10:49 netpol/invalid-value",
      "10:10 netpol/forbidden",
      "11:26 netpol/unsupported-value",
    ]);
  });
});

describe("§2 metadata", () => {
  it("M1 name required, on the metadata mapping", () => {
    expect(errs("metadata: {namespace: default}")).toEqual(["3:11 netpol/required-value metadata.name: Required value: name or generateName is required"]);
  });
  it("M2 name is a DNS-1123 subdomain", () => {
    expect(errs("metadata: {name: My_Pol}")).toEqual([`3:18 netpol/invalid-value metadata.name: Invalid value: "My_Pol": ${SUBDOMAIN}`]);
  });
  it("M3 name at most 253 characters", () => {
    const long = "a".repeat(254);
    expect(errs(`metadata: {name: ${long}}`)).toEqual([`3:18 netpol/invalid-value metadata.name: Invalid value: "${long}": must be no more than 253 characters`]);
  });
  it("M4 generateName is checked as a prefix (trailing - allowed); netpolc still needs a name", () => {
    expect(errs("metadata: {generateName: Web_-}")).toEqual([
      `3:26 netpol/invalid-value metadata.generateName: Invalid value: "Web_-": ${SUBDOMAIN}`,
      "3:26 input/generate-name metadata.generateName: netpolc needs metadata.name; a generated name is only known to the API server",
    ]);
    expect(errs("metadata: {name: ok, generateName: web-}")).toEqual([]);
  });
  it("M5 a missing namespace is defaulted to default, as kubectl does", () => {
    const l = load(policy("  podSelector: {}\n", "metadata: {name: p}"));
    expect(l.all.filter((d) => d.severity !== "note")).toEqual([]);
    expect(l.model.policies[0]?.namespace).toBe("default");
  });
  it("M6 namespace is a DNS-1123 label", () => {
    expect(errs("metadata: {name: p, namespace: My-NS}")).toEqual([`3:32 netpol/invalid-value metadata.namespace: Invalid value: "My-NS": ${LABEL}`]);
    expect(errs("metadata: {name: p, namespace: a.b}")).toEqual(['3:32 netpol/invalid-value metadata.namespace: Invalid value: "a.b": must not contain dots']);
    const long = "n".repeat(64);
    expect(errs(`metadata: {name: p, namespace: ${long}}`)).toEqual([`3:32 netpol/invalid-value metadata.namespace: Invalid value: "${long}": must be no more than 63 characters`]);
  });
  it("M7 metadata.labels: key errors at the key, value errors at the value", () => {
    expect(errs('metadata:\n  name: p\n  labels: {"a b": ok, k: "-v"}')).toEqual([
      `5:12 netpol/invalid-value metadata.labels: Invalid value: "a b": ${NAME_PART}`,
      `5:26 netpol/invalid-value metadata.labels: Invalid value: "-v": ${LABEL_VALUE}`,
    ]);
  });
  it("M8 annotation keys are label keys once lower-cased; total size capped", () => {
    expect(errs('metadata:\n  name: p\n  annotations: {Example.COM/Team: x, "a/b/c": z}')).toEqual([
      `5:38 netpol/invalid-value metadata.annotations: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
    const big = "x".repeat(262144);
    expect(errs(`metadata:\n  name: p\n  annotations: {k: ${big}}`)).toEqual(["5:16 netpol/too-long metadata.annotations: Too long: must have at most 262144 bytes"]);
  });
});

describe("§3 selectors", () => {
  it("S1 matchLabels keys (path without the key; span on the key)", () => {
    expect(specErrs("  podSelector:\n    matchLabels: {/app: web, example.com/a/b: x}\n")).toEqual([
      '6:19 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "/app": prefix part must be non-empty',
      expect.stringMatching(/^6:30 netpol\/invalid-value spec\.podSelector\.matchLabels: Invalid value: "example\.com\/a\/b": a valid label key must consist/),
    ]);
    expect(specErrs("  podSelector:\n    matchLabels: {Ex_ample.com/app: web}\n")).toEqual([
      `6:19 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "Ex_ample.com/app": prefix part ${SUBDOMAIN}`,
    ]);
    const longName = "n".repeat(64);
    expect(specErrs(`  podSelector:\n    matchLabels: {${longName}: v}\n`)).toEqual([
      `6:19 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "${longName}": name part must be no more than 63 characters`,
    ]);
  });
  it("S1 an empty key fails twice", () => {
    expect(specErrs('  podSelector:\n    matchLabels: {"": v}\n')).toEqual([
      '6:19 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "": name part must be non-empty',
      `6:19 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "": ${NAME_PART}`,
    ]);
  });
  it("S2 matchLabels values", () => {
    const long = "v".repeat(64);
    expect(specErrs(`  podSelector:\n    matchLabels: {app: "we b", b: ${long}}\n`)).toEqual([
      `6:24 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "we b": ${LABEL_VALUE}`,
      `6:35 netpol/invalid-value spec.podSelector.matchLabels: Invalid value: "${long}": must be no more than 63 characters`,
    ]);
  });
  it("S3 operator must be one of four, case-sensitive", () => {
    expect(specErrs("  podSelector:\n    matchExpressions:\n    - {key: app, operator: in, values: [a]}\n")).toEqual([
      '7:28 netpol/invalid-value spec.podSelector.matchExpressions[0].operator: Invalid value: "in": not a valid selector operator',
    ]);
  });
  it("S4 In/NotIn need values", () => {
    expect(specErrs("  podSelector:\n    matchExpressions:\n    - {key: app, operator: NotIn, values: []}\n")).toEqual([
      "7:43 netpol/required-value spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });
  it("S5 Exists/DoesNotExist take no values", () => {
    expect(specErrs("  podSelector:\n    matchExpressions:\n    - {key: app, operator: DoesNotExist, values: [x]}\n")).toEqual([
      "7:50 netpol/forbidden spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ]);
  });
  it("S6 key is a label key", () => {
    expect(specErrs("  podSelector:\n    matchExpressions:\n    - {key: -app, operator: Exists}\n")).toEqual([
      `7:13 netpol/invalid-value spec.podSelector.matchExpressions[0].key: Invalid value: "-app": ${NAME_PART}`,
    ]);
  });
  it("S7 each value is a label value", () => {
    expect(specErrs("  podSelector:\n    matchExpressions:\n    - {key: app, operator: In, values: [ok, 'no way']}\n")).toEqual([
      `7:45 netpol/invalid-value spec.podSelector.matchExpressions[0].values[1]: Invalid value: "no way": ${LABEL_VALUE}`,
    ]);
  });
  it("validates peer selectors too (R3)", () => {
    expect(specErrs("  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: 'a b'}}\n")).toEqual([
      `7:47 netpol/invalid-value spec.ingress[0].from[0].namespaceSelector.matchLabels: Invalid value: "a b": ${LABEL_VALUE}`,
    ]);
  });
});

describe("§4 ports", () => {
  const port = (p: string): string[] => specErrs(`  egress:\n  - ports:\n    - ${p}\n`);
  it("P1 protocol", () => {
    expect(port("{protocol: tcp}")).toEqual(['7:18 netpol/unsupported-value spec.egress[0].ports[0].protocol: Unsupported value: "tcp": supported values: "TCP", "UDP", "SCTP"']);
  });
  it("P2 numeric port range", () => {
    expect(port("{port: 0}")).toEqual(["7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]);
  });
  it("P3 and P4 can both fire", () => {
    expect(port("{port: 80, endPort: 70000}")).toEqual(["7:27 netpol/invalid-value spec.egress[0].ports[0].endPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]);
    expect(port("{port: 80, endPort: -1}")).toEqual([
      "7:27 netpol/invalid-value spec.egress[0].ports[0].endPort: Invalid value: -1: must be greater than or equal to `port`",
      "7:27 netpol/invalid-value spec.egress[0].ports[0].endPort: Invalid value: -1: must be between 1 and 65535, inclusive",
    ]);
  });
  it("P5 endPort with a named port, before the name checks", () => {
    expect(port("{port: Web, endPort: 90}")).toEqual([
      "7:28 netpol/invalid-value spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
      '7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]);
  });
  it("P6 endPort without port", () => {
    expect(port("{endPort: 90}")).toEqual(["7:17 netpol/invalid-value spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified"]);
  });
  it("P7–P11 named port syntax", () => {
    expect(port("{port: a-very-long-port-name}")).toEqual(['7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "a-very-long-port-name": must be no more than 15 characters']);
    expect(port('{port: "80"}')).toEqual(['7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "80": must contain at least one letter (a-z)']);
    expect(port("{port: a--b}")).toEqual(['7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "a--b": must not contain consecutive hyphens']);
    expect(port("{port: -web}")).toEqual(['7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "-web": must not begin or end with a hyphen']);
    expect(port('{port: ""}')).toEqual([
      '7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      '7:14 netpol/invalid-value spec.egress[0].ports[0].port: Invalid value: "": must contain at least one letter (a-z)',
    ]);
  });
});

describe("§5 peers and ipBlock", () => {
  const peer = (p: string): string[] => specErrs(`  ingress:\n  - from:\n    - ${p}\n`);
  it("R1 a peer needs something", () => {
    expect(peer("{}")).toEqual(["7:7 netpol/required-value spec.ingress[0].from[0]: Required value: must specify a peer"]);
    // null selectors are absent, as Go's nil pointers are.
    expect(peer("{podSelector: null}")).toEqual(["7:7 netpol/required-value spec.ingress[0].from[0]: Required value: must specify a peer"]);
  });
  it("R2 ipBlock excludes the others", () => {
    expect(peer("{namespaceSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}")).toEqual([
      "7:7 netpol/forbidden spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer",
    ]);
  });
  it("B1 cidr required; nothing else checked", () => {
    expect(peer("{ipBlock: {except: [x]}}")).toEqual(["7:17 netpol/required-value spec.ingress[0].from[0].ipBlock.cidr: Required value"]);
  });
  it("B2 cidr parses; excepts are then skipped", () => {
    expect(peer("{ipBlock: {cidr: 10.0.0.0/33, except: [x]}}")).toEqual([`7:24 netpol/invalid-value spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": ${CIDR}`]);
  });
  it("B3 every except parses", () => {
    expect(peer("{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0, 10.2.0.0/16, '10.3.0.0/ 16']}}")).toEqual([
      `7:45 netpol/invalid-value spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.1.0.0": ${CIDR}`,
      `7:68 netpol/invalid-value spec.ingress[0].from[0].ipBlock.except[2]: Invalid value: "10.3.0.0/ 16": ${CIDR}`,
    ]);
  });
  it("B4 every except is a strict subset (equal, outside, other family fail; host bits are masked)", () => {
    expect(peer("{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8, 11.0.0.0/16, '::/0', 10.1.2.3/16]}}")).toEqual([
      '7:45 netpol/invalid-value spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
      '7:57 netpol/invalid-value spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
      '7:70 netpol/invalid-value spec.ingress[0].from[0].ipBlock.except[2]: Invalid value: "::/0": must be a strict subset of `cidr`',
    ]);
  });
  it("accepts IPv6 blocks", () => {
    expect(peer("{ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}}")).toEqual([]);
  });
  it("warns about host bits, leading zeros and non-canonical IPv6", () => {
    const l = load(policy("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.5/8, except: [010.1.0.0/16]}\n    - ipBlock: {cidr: '2001:DB8::/32'}\n"));
    expect(l.all.filter((d) => d.severity === "warning").map((d) => `${pos(l, d)} ${d.severity} ${d.id} ${d.message}`)).toEqual([
      '7:23 warning netpol/ambiguous-cidr spec.ingress[0].from[0].ipBlock.cidr: CIDR value "10.0.0.5/8" is ambiguous in this context (should be "10.0.0.0/8" or "10.0.0.5/32"?)',
      '7:44 warning netpol/non-standard-cidr spec.ingress[0].from[0].ipBlock.except[0]: non-standard CIDR value "010.1.0.0/16" will be considered invalid in a future Kubernetes release: use "10.1.0.0/16"',
      '8:23 warning netpol/non-canonical-ipv6 spec.ingress[0].from[1].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 canonical format ("2001:db8::/32")',
    ]);
  });
});

describe("§7 policyTypes", () => {
  it("T1 at most two (entries then unchecked)", () => {
    expect(specErrs("  policyTypes: [Ingress, Egress, ingress]\n")).toEqual([
      '5:16 netpol/invalid-value spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "ingress"}: may not specify more than two policyTypes',
    ]);
  });
  it("T2 each entry exactly Ingress or Egress", () => {
    expect(specErrs("  policyTypes: [Ingress, INGRESS]\n")).toEqual([
      '5:26 netpol/unsupported-value spec.policyTypes[1]: Unsupported value: "INGRESS": supported values: "Ingress", "Egress"',
    ]);
  });
});

describe("§10 what is deliberately valid", () => {
  it.each([
    ["duplicate policyTypes", "  policyTypes: [Ingress, Ingress]\n"],
    ["stray sections", "  policyTypes: [Egress]\n  ingress: [{}]\n"],
    ["empty rules and lists", "  ingress: [{}, {from: [], ports: []}]\n  egress: [{to: [], ports: [{}]}]\n"],
    ["both selectors empty in one peer", "  ingress: [{from: [{podSelector: {}, namespaceSelector: {}}]}]\n"],
    ["0.0.0.0/0 and ::/0", "  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: '::/0'}}]}]\n"],
    ["contradictory selectors", "  podSelector: {matchLabels: {a: b}, matchExpressions: [{key: a, operator: DoesNotExist}]}\n"],
    ["a named port nobody has", "  ingress: [{ports: [{port: nosuchport}]}]\n"],
    ["kubernetes.io/metadata.name as a key", "  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}}]}]\n"],
  ])("%s", (_name, spec) => {
    expect(load(policy(spec)).all.filter((d) => d.severity !== "note")).toEqual([]);
  });
  it("a policy with no spec at all", () => {
    const l = load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: default}\n");
    expect(l.diag.hasErrors()).toBe(false);
  });
});

describe("every error of a file is reported", () => {
  it("reports errors from several policies of one file", () => {
    const a = policy("  policyTypes: [x]\n", "metadata: {name: a}");
    const b = policy("  ingress: [{from: [{}]}]\n", "metadata: {name: b}");
    expect(messages(load(`${a}---\n${b}`))).toEqual([
      'spec.policyTypes[0]: Unsupported value: "x": supported values: "Ingress", "Egress"',
      "spec.ingress[0].from[0]: Required value: must specify a peer",
    ]);
  });
});

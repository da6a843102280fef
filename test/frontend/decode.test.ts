// Decode-level failures (spec netpol-validation.md §8), kinds and Lists.
import { describe, expect, it } from "vitest";
import { errorsWithPos, load, messages, policy, pos } from "./helpers.js";

describe("strict decoding of NetworkPolicy", () => {
  it("rejects podselector (lower case) as an unknown field, at the key", () => {
    expect(errorsWithPos(load(policy("  podselector: {}\n")))).toEqual(['5:3 schema/unknown-field strict decoding error: unknown field "spec.podselector"']);
  });

  it("rejects a misspelled from with its full path (a silent allow-all otherwise)", () => {
    expect(errorsWithPos(load(policy("  ingress:\n  - form:\n    - podSelector: {}\n")))).toEqual([
      '6:5 schema/unknown-field strict decoding error: unknown field "spec.ingress[0].form"',
    ]);
  });

  it("rejects unknown metadata fields but accepts what kubectl get -o yaml prints", () => {
    const meta = "metadata:\n  name: p\n  namespace: default\n  uid: 1f2e\n  resourceVersion: '7'\n  generation: 1\n  creationTimestamp: '2024-01-01T00:00:00Z'\n  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}'}\n  managedFields: [{manager: kubectl}]";
    expect(load(policy("  podSelector: {}\n", meta)).diag.hasErrors()).toBe(false);
    expect(errorsWithPos(load(policy("  podSelector: {}\n", "metadata: {name: p, nmespace: x}")))).toEqual([
      '3:21 schema/unknown-field strict decoding error: unknown field "metadata.nmespace"',
    ]);
  });

  it("words type errors as Go's json decoder does", () => {
    expect(errorsWithPos(load(policy("  ingress:\n  - ports:\n    - {port: 80, endPort: '81'}\n")))).toEqual([
      "7:27 schema/type json: cannot unmarshal string into Go struct field NetworkPolicyPort.spec.ingress.ports.endPort of type int32",
    ]);
    expect(messages(load(policy("  policyTypes: Ingress\n")))).toEqual([
      "json: cannot unmarshal string into Go struct field NetworkPolicySpec.spec.policyTypes of type []v1.PolicyType",
    ]);
    expect(messages(load(policy("  ingress: {from: []}\n")))).toEqual([
      "json: cannot unmarshal object into Go struct field NetworkPolicySpec.spec.ingress of type []v1.NetworkPolicyIngressRule",
    ]);
    expect(messages(load(policy("  ingress: [{ports: [{port: 80.5}]}]\n")))).toEqual([
      "json: cannot unmarshal number 80.5 into Go struct field NetworkPolicyPort.spec.ingress.ports.port of type intstr.IntOrString",
    ]);
    expect(messages(load(policy("  ingress: [{ports: [{port: true}]}]\n")))).toEqual([
      "json: cannot unmarshal bool into Go struct field NetworkPolicyPort.spec.ingress.ports.port of type intstr.IntOrString",
    ]);
  });

  it("reads YAML 1.1 booleans and numbers in labels as kubectl does: type errors", () => {
    const l = load(policy("  podSelector:\n    matchLabels: {env: yes, version: 1, ok: 'yes'}\n"));
    expect(errorsWithPos(l)).toEqual([
      "6:24 schema/type json: cannot unmarshal bool into Go struct field LabelSelector.spec.podSelector.matchLabels of type string",
      "6:38 schema/type json: cannot unmarshal number into Go struct field LabelSelector.spec.podSelector.matchLabels of type string",
    ]);
    expect(messages(load(policy("  podSelector:\n    matchExpressions: [{key: a, operator: In, values: [n]}]\n")))).toEqual([
      "json: cannot unmarshal bool into Go struct field LabelSelectorRequirement.spec.podSelector.matchExpressions.values of type string",
    ]);
  });

  it("treats a quoted port as a name and a plain one as a number", () => {
    const l = load(policy("  ingress: [{ports: [{port: 80}, {port: http}]}]\n"));
    const rule = l.model.policies[0]?.ingress[0];
    expect(rule?.ports).toMatchObject({ kind: "ports", ports: [{ port: { kind: "number", port: 80 } }, { port: { kind: "named", name: "http" } }] });
    expect(messages(load(policy("  ingress: [{ports: [{port: '80'}]}]\n")))).toEqual([
      'spec.ingress[0].ports[0].port: Invalid value: "80": must contain at least one letter (a-z)',
    ]);
  });

  it("reports duplicate keys at the second key", () => {
    const l = load(policy("  podSelector: {}\n  podSelector: {matchLabels: {a: b}}\n"));
    expect(errorsWithPos(l)).toEqual(['6:3 schema/duplicate-key strict decoding error: duplicate field "spec.podSelector"']);
  });

  it("decodes null as absent and null list items as zero values", () => {
    expect(load(policy("  podSelector:\n  ingress:\n  - from:\n    ports:\n")).diag.hasErrors()).toBe(false);
    expect(messages(load(policy("  ingress:\n  - from: [~]\n")))).toEqual(["spec.ingress[0].from[0]: Required value: must specify a peer"]);
  });
});

describe("kinds", () => {
  it("refuses extensions/v1beta1 NetworkPolicy with kubectl's words", () => {
    const l = load("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: p}\n");
    expect(errorsWithPos(l)).toEqual(['1:1 input/no-matches-for-kind no matches for kind "NetworkPolicy" in version "extensions/v1beta1"']);
  });

  it("warns once per ignored (apiVersion, kind) at its first occurrence, with a count", () => {
    const dep = (n: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${n}}\n`;
    const l = load(`${dep("a")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n${dep("b")}---\n${dep("c")}`);
    expect(l.all.map((d) => `${pos(l, d)} ${d.severity} ${d.id} ${d.message}`)).toEqual([
      '1:1 warning input/ignored-kind ignoring 3 objects of kind "Deployment" in version "apps/v1": netpolc does not read this kind',
      '5:1 warning input/ignored-kind ignoring 1 object of kind "ConfigMap" in version "v1": netpolc does not read this kind',
    ]);
  });

  it("reads Service, Endpoints and EndpointSlice (the kube-proxy backend's inputs)", () => {
    const ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n---\n";
    const svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: None}\n---\n";
    const eps = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: s}\n---\n";
    const slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s-1, labels: {kubernetes.io/service-name: s}}\naddressType: IPv4\n";
    expect(load(ns + svc + eps + slice).all).toEqual([]);
    expect(errorsWithPos(load("apiVersion: v1\nkind: Endpoints\n"))).toEqual(["1:1 endpoints/required-value metadata.name: Required value: name or generateName is required"]);
  });

  it("refuses objects without apiVersion or kind, and non-objects", () => {
    const l = load("metadata: {name: x}\n---\napiVersion: v1\n---\n- a\n");
    expect(errorsWithPos(l)).toEqual([
      "1:1 input/missing-type error validating data: [apiVersion not set, kind not set]",
      "3:1 input/missing-type error validating data: kind not set",
      "5:1 input/not-an-object expected a Kubernetes object (a mapping with apiVersion and kind), found a sequence",
    ]);
  });
});

describe("kind: List", () => {
  it("reads every item as a full object, with positions inside the list", () => {
    const text = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "- apiVersion: networking.k8s.io/v1",
      "  kind: NetworkPolicy",
      "  metadata: {name: a, namespace: default}",
      "  spec: {policyTypes: [Egres]}",
      "- apiVersion: networking.k8s.io/v1",
      "  kind: NetworkPolicy",
      "  metadata: {name: b, namespace: default}",
      "",
    ].join("\n");
    const l = load(text);
    expect(errorsWithPos(l)).toEqual(['7:24 netpol/unsupported-value spec.policyTypes[0]: Unsupported value: "Egres": supported values: "Ingress", "Egress"']);
    expect(l.model.policies.map((p) => p.name)).toEqual(["b"]);
  });
});

describe("YAML syntax errors", () => {
  it("are positioned and stop nothing else", () => {
    const l = load("apiVersion: v1\nkind: [Pod\n");
    expect(l.all.map((d) => `${pos(l, d)} ${d.id}`)).toEqual([expect.stringMatching(/^3:1 yaml\/syntax$/)]);
  });
});

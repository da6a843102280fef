// Editing one NetworkPolicy changes only what that policy feeds: its own
// cali-pi chain on the nodes hosting the pods it selects, and the sets its
// new peers need. Endpoint chains that jump to it keep their text and hashes
// (a jump rule hashes the chain name, which an edit does not change, §6), and
// no other node's files move. Run on the generator's `small` cluster.
import { beforeAll, describe, expect, test } from "vitest";
import { addPort, compileAll, diffOutputs, editPolicy } from "../../scripts/bench-edit.js";
import { generateCluster, SIZES } from "../../scripts/gen-cluster.js";
import { DEFAULT_CALICO_OPTIONS, policyChainNameIn } from "../../src/backends/calico/index.js";
/** Chain names in the version compileAll compiles for (the default). */
const policyChainName = (dir: "ingress" | "egress", ns: string, name: string): string => policyChainNameIn(DEFAULT_CALICO_OPTIONS.calicoVersion, dir, ns, name);
import { compile, DEFAULT_COMPILE_OPTIONS } from "../../src/pipeline.js";
import type { InputFile } from "../../src/frontend/index.js";

const NS = "payments-prod";

let files: InputFile[];
let before: ReadonlyMap<string, string>;
let policy: string;
let app: string;
let otherApp: string;
let hostingNodes: string[];

beforeAll(() => {
  files = generateCluster(SIZES.small).files;
  before = compileAll(files);
  const text = files.find((f) => f.path === `policies/${NS}.yaml`)?.text ?? "";
  const names = [...text.matchAll(/name: allow-([a-z0-9-]+)-same-app\n/g)].map((m) => m[1]!);
  expect(names.length).toBeGreaterThan(1);
  [app, otherApp] = [names[0]!, names[1]!];
  policy = `allow-${app}-same-app`;
  const model = compile(files, { ...DEFAULT_COMPILE_OPTIONS, calico: { ...DEFAULT_COMPILE_OPTIONS.calico, calicoVersion: "3.27" as const } }).model!;
  const pods = model.cluster.pods.filter((p) => p.namespace === NS && p.labels.get("app") === app);
  // Sorted for determinism.
  hostingNodes = [...new Set(pods.map((p) => p.nodeName!))].sort();
  expect(hostingNodes.length).toBeGreaterThan(0);
});

describe("one-policy edit", () => {
  test("the endpoint chains of the selected pods jump to the policy chain", () => {
    const chain = policyChainName("ingress", NS, policy);
    for (const n of hostingNodes) expect(before.get(`${n}.iptables`)).toMatch(new RegExp(`^-A cali-tw-\\S+ .*-j ${chain}$`, "m"));
  });

  test("adding a port changes only that policy's chain, on the nodes hosting its pods", () => {
    const diff = diffOutputs(before, compileAll(editPolicy(files, NS, policy, addPort(8081))));
    expect(diff.chains).toEqual([`filter/${policyChainName("ingress", NS, policy)}`]);
    expect(diff.sets).toEqual([]);
    expect(diff.files).toEqual(hostingNodes.map((n) => `${n}.iptables`));
  });

  test("adding a peer changes that chain and adds the peer's set on the same nodes", () => {
    // The peer `app: otherApp` in this namespace is also otherApp's own same-app
    // peer: set names hash the selector (§7.2), so nodes that already hold the
    // set for that policy hold the very same set and do not change.
    const addPeer = (spec: Record<string, unknown>) => {
      const rule = (spec.ingress as { from: unknown[] }[])[0]!;
      rule.from.push({ podSelector: { matchLabels: { app: otherApp } } });
    };
    const after = compileAll(editPolicy(files, NS, policy, addPeer));
    const diff = diffOutputs(before, after);
    expect(diff.chains).toEqual([`filter/${policyChainName("ingress", NS, policy)}`]);
    expect(diff.sets).toHaveLength(1);
    const set = diff.sets[0]!;
    const declared = new RegExp(`^create ${set} hash:net `, "m");
    const lacking = hostingNodes.filter((n) => !declared.test(before.get(`${n}.ipsets`) ?? ""));
    expect(lacking.length).toBeGreaterThan(0);
    for (const n of hostingNodes) expect(after.get(`${n}.ipsets`)).toMatch(declared);
    const holders = [...before].filter(([f, text]) => f.endsWith(".ipsets") && declared.test(text));
    expect(holders.length, "otherApp's own policy already uses the set somewhere").toBeGreaterThan(0);
    // Sorted for determinism: file names in byte order.
    const changed = [...lacking.map((n) => `${n}.ipsets`), ...hostingNodes.map((n) => `${n}.iptables`)].sort();
    expect(diff.files).toEqual(changed);
  });
});

// Random VALID NetworkPolicies over a given cluster shape (netpol-validation.md
// says what valid means). Every axis the semantics spec distinguishes is
// drawn: absent vs empty vs populated (spec, podSelector, policyTypes,
// ingress/egress, from/to, ports), one peer with both selectors (AND) vs two
// peers (OR), namespaceSelector {} vs absent, every selector operator
// (NotIn/DoesNotExist on keys no object has), ipBlocks with strict-subset
// excepts that often contain pod IPs, and every kind of port entry.
import fc from "fast-check";
import { blockArb } from "./ipblock-arb.js";
import {
  NS_LABEL_KEYS, NS_LABEL_VALUES, POD_LABEL_KEYS, POD_LABEL_VALUES, PORT_CATALOG, type ClusterShape, type Protocol,
} from "./cluster-arb.js";
import type { YamlValue } from "./yaml.js";

type Obj = { readonly [k: string]: YamlValue };

/** A key no generated object carries: NotIn matches everything on it, In/Exists nothing (netpol-semantics §6). */
const MISSING_KEY = "missing";
const METADATA_NAME = "kubernetes.io/metadata.name";

/** Leave the field out entirely (distinct from an empty value: nil vs empty, STYLE.md). */
const ABSENT = undefined;
type Maybe<T> = T | typeof ABSENT;

function compact(o: Record<string, YamlValue | undefined>): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Obj;
}

function selectorArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<Obj> {
  const valuesArb = fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 });
  const expr = fc.oneof(
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom("In", "NotIn"), values: valuesArb }),
    fc.record({ key: fc.constantFrom(...keys), operator: fc.constantFrom("Exists", "DoesNotExist") }),
  );
  return fc
    .record({
      matchLabels: fc.option(fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { minKeys: 1, maxKeys: 2 }), { nil: ABSENT }),
      matchExpressions: fc.option(fc.array(expr, { minLength: 1, maxLength: 2 }), { nil: ABSENT }),
    })
    .map(compact);
}

const EMPTY: Obj = {};

/** The generator's alphabet plus whatever the shape's objects carry (a fixed snapshot may use other keys). */
function alphabet(base: readonly string[], objects: readonly Readonly<Record<string, string>>[], part: 0 | 1, extra: readonly string[]): string[] {
  // Sorted for determinism of the arbitrary (same seed → same case).
  return [...new Set([...base, ...objects.flatMap((o) => Object.entries(o).map((e) => e[part])), ...extra])].sort();
}

export interface PolicyOptions {
  /** Numeric ports drawn for `port`/`endPort` (default: around 80/81 and the catalog's other numbers). */
  readonly ports?: readonly number[];
}

const DEFAULT_PORTS = [53, 79, 80, 81, 82, 5353, 8080, 9000];

export function policyArbs(shape: ClusterShape, opts: PolicyOptions = {}) {
  const podLabels = shape.pods.map((p) => p.labels);
  const nsLabels = shape.namespaces.map((n) => n.labels);
  const podSel = selectorArb(alphabet(POD_LABEL_KEYS, podLabels, 0, [MISSING_KEY]), alphabet(POD_LABEL_VALUES, podLabels, 1, ["zz"]));
  const nsNames = shape.namespaces.map((n) => n.name);
  const nsSel = selectorArb(alphabet(NS_LABEL_KEYS, nsLabels, 0, [METADATA_NAME, MISSING_KEY]), alphabet(NS_LABEL_VALUES, nsLabels, 1, nsNames));

  // A pod peer sets at least one selector (`{}` alone is "must specify a peer").
  const podPeer = fc
    .record({
      podSelector: fc.option(fc.oneof(fc.constant(EMPTY), podSel), { nil: ABSENT }),
      namespaceSelector: fc.option(fc.oneof(fc.constant(EMPTY), nsSel), { nil: ABSENT }),
    })
    .filter((p) => p.podSelector !== ABSENT || p.namespaceSelector !== ABSENT)
    .map(compact);
  const peer: fc.Arbitrary<Obj> = fc.oneof({ weight: 3, arbitrary: podPeer }, { weight: 2, arbitrary: blockArb(shape).map((ipBlock) => ({ ipBlock })) });

  const shapePorts = shape.pods.flatMap((p) => p.containers.flat());
  const portNames = [...new Set([...PORT_CATALOG, ...shapePorts].flatMap((p) => (p.name ? [p.name] : [])))].concat("nope").sort();
  const protocol = fc.option(fc.constantFrom<Protocol>("TCP", "UDP", "SCTP"), { nil: ABSENT });
  const number = fc.constantFrom(...(opts.ports ?? DEFAULT_PORTS));
  const port: fc.Arbitrary<Obj> = fc.oneof(
    // `{}` = every TCP port; `{protocol}` = every port of it.
    protocol.map((p) => compact({ protocol: p })),
    fc.record({ protocol, port: number }).map(compact),
    fc.record({ protocol, port: number, span: fc.nat(3) }).map((r) => compact({ protocol: r.protocol, port: r.port, endPort: r.port + r.span })),
    // Named: sometimes with a protocol that no container port of that name has.
    fc.record({ protocol, port: fc.constantFrom(...portNames) }).map(compact),
  );

  const listOf = (item: fc.Arbitrary<YamlValue>): fc.Arbitrary<Maybe<YamlValue>> =>
    fc.oneof(
      { weight: 1, arbitrary: fc.constant(ABSENT) },
      { weight: 1, arbitrary: fc.constant([] as YamlValue) },
      { weight: 4, arbitrary: fc.array(item, { minLength: 1, maxLength: 2 }) },
    );
  // Now and then more ports than one multiport match holds (15, a range costing 2 —
  // iptables-extensions(8)), so the backend must split them; duplicates included.
  const manyPorts = fc.array(
    fc.record({ protocol, port: fc.integer({ min: 1000, max: 1030 }), span: fc.option(fc.nat(4), { nil: ABSENT }) }).map((r) =>
      compact({ protocol: r.protocol, port: r.port, endPort: r.span === ABSENT ? ABSENT : r.port + r.span }),
    ),
    { minLength: 12, maxLength: 20 },
  );
  const ports = fc.oneof({ weight: 12, arbitrary: listOf(port) }, { weight: 1, arbitrary: manyPorts });
  const rule = (peerKey: "from" | "to"): fc.Arbitrary<Obj> =>
    fc.record({ peers: listOf(peer), ports }).map((r) => compact({ [peerKey]: r.peers, ports: r.ports }));

  const policyTypes = fc.constantFrom<Maybe<YamlValue>>(
    ABSENT, [], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"], ["Ingress", "Ingress"],
  );
  const spec = fc
    .record({
      podSelector: fc.option(fc.oneof(fc.constant(EMPTY), podSel), { nil: ABSENT }),
      policyTypes,
      ingress: listOf(rule("from")),
      egress: listOf(rule("to")),
    })
    .map(compact);

  const policy = (name: string): fc.Arbitrary<YamlValue> =>
    fc
      .record({
        ns: fc.constantFrom(...shape.namespaces.map((n) => n.name)),
        // Long names overflow the 28-character chain-name limit and must be hashed (felix-format names).
        long: fc.nat(4).map((n) => n === 0),
        // A policy without spec is deny-all-ingress for its namespace: rare, but valid (validation §10).
        spec: fc.option(spec, { nil: ABSENT, freq: 15 }),
      })
      .map(({ ns, long, spec: s }) => {
        const metadata = { name: long ? `${name}.with-a-name-longer-than-any-chain-name` : name, namespace: ns };
        return compact({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata, spec: s });
      });

  const policies = (min = 1, max = 4): fc.Arbitrary<YamlValue[]> =>
    fc.integer({ min, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => policy(`pol-${i}`))));

  return { podSel, nsSel, peer, port, rule, policy, policies };
}

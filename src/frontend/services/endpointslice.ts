// discovery.k8s.io/v1 EndpointSlice and v1 Endpoints → declared endpoint
// sets, each naming its service and listing (address, port name, protocol,
// port, node, conditions). kube-proxy reads only the first address of a
// slice endpoint and parses addresses leniently (spec kubeproxy-format §3.2.1,
// [EPS]); conditions default as in endpointslicecache.go: ready and serving
// nil = true, terminating nil = false.
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { Protocol } from "../../ir/cluster.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { portNumber } from "../validation/names.js";
import { withDefaultNamespace } from "../cluster/common.js";
import { boolOr, canonicalIP, protocolOf } from "./common.js";

/** The label tying a slice to its Service (discovery.k8s.io/v1 LabelServiceName). */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface DeclaredAddress {
  readonly ip: string;
  readonly nodeName: string | null;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

export interface DeclaredEndpointPort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
}

/** One group of addresses sharing one port list (a slice, or one Endpoints subset). */
export interface EndpointGroup {
  readonly addresses: readonly DeclaredAddress[];
  readonly ports: readonly DeclaredEndpointPort[];
}

export interface DeclaredEndpoints {
  readonly kind: "EndpointSlice" | "Endpoints";
  readonly namespace: string;
  /** The object's own name. */
  readonly name: string;
  /** The service it belongs to (slice label, or the Endpoints' own name); null = none. */
  readonly service: string | null;
  readonly groups: readonly EndpointGroup[];
  readonly span: Span;
}

interface SliceJson {
  readonly metadata?: ObjectMeta;
  readonly addressType?: string;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
    readonly nodeName?: string;
  }[];
  readonly ports?: readonly { readonly name?: string; readonly protocol?: string; readonly port?: number }[];
}

const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];

export function decodeEndpointSlice(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredEndpoints | null {
  const json = schemas.decode("endpointslice", o.root, diag) as SliceJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "endpointslice");
  const meta = withDefaultNamespace(json.metadata);
  validateObjectMeta(meta, { namespaced: true, name: "subdomain" }, rep);
  const addressType = json.addressType ?? "";
  if (!addressType) rep.required(FieldPath.root("addressType"));
  else if (!ADDRESS_TYPES.includes(addressType)) rep.notSupported(FieldPath.root("addressType"), addressType, ADDRESS_TYPES);
  // FQDN slices carry names, not addresses: kube-proxy skips them.
  const addresses = addressType === "FQDN" ? [] : sliceAddresses(json, rep);
  const ports = (json.ports ?? []).flatMap((p, i) => endpointPort(p, FieldPath.root("ports").index(i), rep));
  if (rep.errorCount > 0) return null;
  const service = meta.labels?.[SERVICE_NAME_LABEL] || null;
  return { kind: "EndpointSlice", namespace: meta.namespace ?? "", name: meta.name ?? "", service, groups: [{ addresses, ports }], span: o.root.span };
}

function sliceAddresses(json: SliceJson, rep: FieldReporter): DeclaredAddress[] {
  return (json.endpoints ?? []).flatMap((e, i) => {
    const path = FieldPath.root("endpoints").index(i);
    const first = e.addresses?.[0];
    if (first === undefined) {
      rep.required(path.child("addresses"), "must contain at least 1 address");
      return [];
    }
    const ip = canonicalIP(first, path.child("addresses").index(0), rep, true);
    if (ip === null) return [];
    const ready = boolOr(e.conditions?.ready, true);
    const serving = boolOr(e.conditions?.serving, true);
    return [{ ip, nodeName: e.nodeName || null, ready, serving, terminating: boolOr(e.conditions?.terminating, false) }];
  });
}

/** A port without a number means "all ports" to the API but gives kube-proxy nothing to DNAT to: skipped. */
function endpointPort(p: { name?: string; protocol?: string; port?: number }, path: FieldPath, rep: FieldReporter): DeclaredEndpointPort[] {
  const protocol = protocolOf(p.protocol, path.child("protocol"), rep);
  if (p.port === undefined) return [];
  rep.invalidEach(path.child("port"), p.port, portNumber(p.port));
  return [{ name: p.name ?? "", protocol, port: p.port }];
}

interface EndpointsJson {
  readonly metadata?: ObjectMeta;
  readonly subsets?: readonly {
    readonly addresses?: readonly { readonly ip?: string; readonly nodeName?: string }[];
    readonly notReadyAddresses?: readonly { readonly ip?: string; readonly nodeName?: string }[];
    readonly ports?: readonly { readonly name?: string; readonly protocol?: string; readonly port?: number }[];
  }[];
}

/** v1 Endpoints: `addresses` are ready and serving; `notReadyAddresses` neither (as the slice mirroring controller maps them). */
export function decodeEndpoints(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredEndpoints | null {
  const json = schemas.decode("endpoints", o.root, diag) as EndpointsJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "endpoints");
  const meta = withDefaultNamespace(json.metadata);
  validateObjectMeta(meta, { namespaced: true, name: "subdomain" }, rep);
  const groups = (json.subsets ?? []).map((s, i) => {
    const path = FieldPath.root("subsets").index(i);
    const list = (key: "addresses" | "notReadyAddresses", ready: boolean): DeclaredAddress[] =>
      (s[key] ?? []).flatMap((a, j) => {
        const ip = canonicalIP(a.ip ?? "", path.child(key).index(j).child("ip"), rep, true);
        return ip === null ? [] : [{ ip, nodeName: a.nodeName || null, ready, serving: ready, terminating: false }];
      });
    const ports = (s.ports ?? []).flatMap((p, j) => endpointPort(p, path.child("ports").index(j), rep));
    return { addresses: [...list("addresses", true), ...list("notReadyAddresses", false)], ports };
  });
  if (rep.errorCount > 0) return null;
  const name = meta.name ?? "";
  return { kind: "Endpoints", namespace: meta.namespace ?? "", name, service: name, groups, span: o.root.span };
}

// v1 Service → a declared service (ports without endpoints yet). Validated
// as the API server validates what kube-proxy reads (ValidateService,
// validateServicePort), with its field paths and messages; defaulted as the
// API server defaults it (protocol TCP, targetPort = port, traffic policies
// Cluster, ClientIP timeout 10800 s).
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { Service, ServicePort, ServiceType, SessionAffinity, TargetPort, TrafficPolicy } from "../../ir/service.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { dns1123Label, portName, portNumber } from "../validation/names.js";
import { withDefaultNamespace } from "../cluster/common.js";
import { canonicalCIDR, canonicalIP, dns1035Label, protocolOf } from "./common.js";

interface PortJson {
  readonly name?: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly targetPort?: number | string;
  readonly nodePort?: number;
}

interface SpecJson {
  readonly type?: string;
  readonly clusterIP?: string;
  readonly clusterIPs?: readonly string[];
  readonly ports?: readonly PortJson[];
  readonly externalIPs?: readonly string[];
  readonly loadBalancerSourceRanges?: readonly string[];
  readonly externalTrafficPolicy?: string;
  readonly internalTrafficPolicy?: string;
  readonly healthCheckNodePort?: number;
  readonly sessionAffinity?: string;
  readonly sessionAffinityConfig?: { readonly clientIP?: { readonly timeoutSeconds?: number } };
}

interface ServiceJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: SpecJson;
  readonly status?: { readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string }[] } };
}

export type DeclaredPort = Omit<ServicePort, "endpoints">;

/** A Service before its endpoints are joined; ExternalName services are kept only to refuse duplicates. */
export interface DeclaredService extends Omit<Service, "ports" | "endpointSource" | "type"> {
  readonly type: ServiceType | "ExternalName";
  readonly ports: readonly DeclaredPort[];
  readonly span: Span;
}

const SPEC = FieldPath.root("spec");
const TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const POLICIES = ["Cluster", "Local"];
const AFFINITIES = ["ClientIP", "None"];
const DEFAULT_AFFINITY_TIMEOUT = 10800;
const MAX_AFFINITY_TIMEOUT = 86400;
const SOURCE_RANGE = "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 ";

export function decodeService(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredService | null {
  const json = schemas.decode("service", o.root, diag) as ServiceJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "service");
  const meta = withDefaultNamespace(json.metadata);
  validateObjectMeta(meta, { namespaced: true, name: "label" }, rep);
  if (meta.name && dns1123Label(meta.name).length === 0) rep.invalidEach(FieldPath.root("metadata").child("name"), meta.name, dns1035Label(meta.name));
  const spec = json.spec ?? {};
  const type = enumOf(spec.type, "ClusterIP", TYPES, SPEC.child("type"), rep) as ServiceType | "ExternalName";
  const clusterIPs = clusterIPsOf(spec, rep);
  const ports = servicePorts(spec, type, clusterIPs.kind === "headless", rep);
  const rest = {
    externalIPs: addresses(spec.externalIPs ?? [], SPEC.child("externalIPs"), rep),
    loadBalancerIPs: ingressIPs(json, rep),
    loadBalancerSourceRanges: sourceRanges(spec.loadBalancerSourceRanges ?? [], rep),
    externalTrafficPolicy: enumOf(spec.externalTrafficPolicy, "Cluster", POLICIES, SPEC.child("externalTrafficPolicy"), rep) as TrafficPolicy,
    internalTrafficPolicy: enumOf(spec.internalTrafficPolicy, "Cluster", POLICIES, SPEC.child("internalTrafficPolicy"), rep) as TrafficPolicy,
    healthCheckNodePort: optionalPort(spec.healthCheckNodePort, SPEC.child("healthCheckNodePort"), rep),
    sessionAffinity: affinityOf(spec, rep),
  };
  if (rep.errorCount > 0) return null;
  return { namespace: meta.namespace ?? "", name: meta.name ?? "", type, clusterIPs, ports, ...rest, span: o.root.span };
}

function enumOf(value: string | undefined, dflt: string, allowed: readonly string[], path: FieldPath, rep: FieldReporter): string {
  const v = value || dflt;
  if (!allowed.includes(v)) rep.notSupported(path, v, allowed);
  return v;
}

/** clusterIPs wins over clusterIP (the API server keeps clusterIPs[0] == clusterIP); "None" is headless. */
function clusterIPsOf(spec: SpecJson, rep: FieldReporter): Service["clusterIPs"] {
  const [given, path] = spec.clusterIPs?.length ? [spec.clusterIPs, SPEC.child("clusterIPs")] : [spec.clusterIP ? [spec.clusterIP] : [], null];
  if (given[0] === "None") return { kind: "headless" };
  const ips = given.flatMap((text, i) => canonicalIP(text, path ? path.index(i) : SPEC.child("clusterIP"), rep) ?? []);
  return { kind: "ips", ips };
}

function addresses(list: readonly string[], path: FieldPath, rep: FieldReporter): string[] {
  return list.flatMap((text, i) => canonicalIP(text, path.index(i), rep) ?? []);
}

/** status.loadBalancer.ingress[].ip; hostname-only ingress entries carry no address kube-proxy can match. */
function ingressIPs(json: ServiceJson, rep: FieldReporter): string[] {
  const path = FieldPath.root("status").child("loadBalancer").child("ingress");
  return (json.status?.loadBalancer?.ingress ?? []).flatMap((ing, i) => (ing.ip ? (canonicalIP(ing.ip, path.index(i).child("ip"), rep) ?? []) : []));
}

/** Whitespace is trimmed first (GetLoadBalancerSourceRanges), then each must parse as a CIDR. */
function sourceRanges(list: readonly string[], rep: FieldReporter): string[] {
  const path = SPEC.child("loadBalancerSourceRanges");
  return list.flatMap((text, i) => canonicalCIDR(text.trim(), path.index(i), rep, SOURCE_RANGE) ?? []);
}

function optionalPort(value: number | undefined, path: FieldPath, rep: FieldReporter): number {
  if (!value) return 0;
  rep.invalidEach(path, value, portNumber(value));
  return value;
}

function affinityOf(spec: SpecJson, rep: FieldReporter): SessionAffinity {
  const kind = enumOf(spec.sessionAffinity, "None", AFFINITIES, SPEC.child("sessionAffinity"), rep);
  if (kind !== "ClientIP") return { kind: "None" };
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT;
  if (timeout <= 0 || timeout > MAX_AFFINITY_TIMEOUT) {
    const path = SPEC.child("sessionAffinityConfig").child("clientIP").child("timeoutSeconds");
    rep.invalid(path, timeout, `must be greater than 0 and less than ${MAX_AFFINITY_TIMEOUT}`);
  }
  return { kind: "ClientIP", timeoutSeconds: timeout };
}

/** validateServicePort for each port, plus the Service-level rules on ports (required, names unique, nodePort forbidden). */
function servicePorts(spec: SpecJson, type: string, headless: boolean, rep: FieldReporter): DeclaredPort[] {
  const list = spec.ports ?? [];
  if (list.length === 0 && !headless && type !== "ExternalName") rep.required(SPEC.child("ports"));
  const names = new Set<string>();
  return list.map((p, i) => {
    const path = SPEC.child("ports").index(i);
    const name = p.name ?? "";
    if (list.length > 1 && !name) rep.required(path.child("name"));
    else if (name) rep.invalidEach(path.child("name"), name, dns1123Label(name));
    if (name && names.has(name)) rep.duplicate(path.child("name"), name);
    names.add(name);
    rep.invalidEach(path.child("port"), p.port ?? 0, portNumber(p.port ?? 0));
    const nodePort = optionalPort(p.nodePort, path.child("nodePort"), rep);
    if (nodePort && type === "ClusterIP") rep.forbidden(path.child("nodePort"), "may not be used when `type` is 'ClusterIP'");
    const protocol = protocolOf(p.protocol, path.child("protocol"), rep);
    return { name, protocol, port: p.port ?? 0, targetPort: targetPortOf(p, path.child("targetPort"), rep), nodePort };
  });
}

/** IntOrString: 0/absent defaults to the port; numbers must be ports, strings IANA service names. */
function targetPortOf(p: PortJson, path: FieldPath, rep: FieldReporter): TargetPort {
  const t = p.targetPort;
  if (typeof t === "string") {
    rep.invalidEach(path, t, portName(t));
    return { kind: "named", name: t };
  }
  const port = t || (p.port ?? 0);
  if (t) rep.invalidEach(path, t, portNumber(t));
  return { kind: "number", port };
}

// v1 Pod → IR Pod. Names, labels, addresses and container ports are
// validated as the API server validates them: they flow into rule comments,
// ipset members and interface-name hashes, so hostile strings stop here.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { ContainerPort, Pod, Protocol } from "../../ir/cluster.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { formatIP, parseIP } from "../validation/ip.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { dns1123Subdomain, portName, portNumber } from "../validation/names.js";
import { INVALID_IP, labelsOf, withDefaultNamespace } from "./common.js";

interface ContainerPortJson {
  readonly name?: string;
  readonly containerPort?: number;
  readonly protocol?: string;
}

interface ContainerJson {
  readonly ports?: readonly ContainerPortJson[];
}

interface StatusJson {
  readonly phase?: string;
  readonly podIP?: string;
  readonly podIPs?: readonly { readonly ip?: string }[];
}

interface PodJson {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly nodeName?: string;
    readonly hostNetwork?: boolean;
    readonly serviceAccountName?: string;
    readonly serviceAccount?: string;
    readonly containers?: readonly ContainerJson[];
  };
  readonly status?: StatusJson;
}

const SPEC = FieldPath.root("spec");
const STATUS = FieldPath.root("status");
// Pod validation lists supported protocols sorted (sets.List), unlike NetworkPolicy's.
const PROTOCOLS = ["SCTP", "TCP", "UDP"];

export function decodePod(o: RawObject, diag: DiagnosticSink, schemas: Schemas): Pod | null {
  const json = schemas.decode("pod", o.root, diag) as PodJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "pod");
  const meta = withDefaultNamespace(json.metadata);
  validateObjectMeta(meta, { namespaced: true, name: "subdomain" }, rep);
  const spec = json.spec ?? {};
  if (spec.nodeName) rep.invalidEach(SPEC.child("nodeName"), spec.nodeName, dns1123Subdomain(spec.nodeName));
  // spec.serviceAccount is the deprecated spelling; serviceAccountName wins when both are set.
  const saField = spec.serviceAccountName ? "serviceAccountName" : "serviceAccount";
  const serviceAccount = spec.serviceAccountName || spec.serviceAccount || "default";
  if (spec[saField]) rep.invalidEach(SPEC.child(saField), serviceAccount, dns1123Subdomain(serviceAccount));
  const ports = containerPorts(spec.containers ?? [], rep);
  const ips = podIPs(json.status ?? {}, rep);
  if (rep.errorCount > 0) return null;
  return {
    namespace: meta.namespace ?? "",
    name: meta.name ?? "",
    labels: labelsOf(meta.labels),
    nodeName: spec.nodeName || null,
    serviceAccount,
    hostNetwork: spec.hostNetwork ?? false,
    ips,
    phase: json.status?.phase || null,
    ports,
    span: o.root.span,
  };
}

/**
 * validateContainerPorts: name, containerPort, protocol (defaulted to TCP).
 * Names must be unique within ONE container only: core validation runs the
 * duplicate check per container, so two containers of a pod may reuse a name
 * (spec netpol-semantics §5 — a named port can then resolve to several ports).
 */
function containerPorts(containers: readonly ContainerJson[], rep: FieldReporter): ContainerPort[] {
  const out: ContainerPort[] = [];
  containers.forEach((c, i) => {
    const names = new Set<string>();
    (c.ports ?? []).forEach((p, j) => {
      const path = SPEC.child("containers").index(i).child("ports").index(j);
      if (p.name) {
        const msgs = portName(p.name);
        if (msgs.length) rep.invalidEach(path.child("name"), p.name, msgs);
        else if (names.has(p.name)) rep.duplicate(path.child("name"), p.name);
        names.add(p.name);
      }
      const num = p.containerPort ?? 0;
      if (num === 0) rep.required(path.child("containerPort"));
      else rep.invalidEach(path.child("containerPort"), num, portNumber(num));
      const protocol = p.protocol ?? "TCP";
      if (!PROTOCOLS.includes(protocol)) rep.notSupported(path.child("protocol"), protocol, PROTOCOLS);
      out.push({ name: p.name || null, protocol: protocol as Protocol, containerPort: num });
    });
  });
  return out;
}

/** status.podIPs[].ip, else status.podIP; canonical text, de-duplicated, order kept. */
function podIPs(status: StatusJson, rep: FieldReporter): string[] {
  const given: [string, FieldPath][] = status.podIPs?.length
    ? status.podIPs.map((p, i) => [p.ip ?? "", STATUS.child("podIPs").index(i).child("ip")])
    : status.podIP
      ? [[status.podIP, STATUS.child("podIP")]]
      : [];
  const out: string[] = [];
  for (const [text, path] of given) {
    const ip = parseIP(text);
    if (!ip) {
      rep.invalid(path, text, INVALID_IP);
      continue;
    }
    const canonical = formatIP(ip.family, ip.value);
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}

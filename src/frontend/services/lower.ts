// Declared Services + EndpointSlices/Endpoints + KubeProxyConfiguration + ServiceCIDRs →
// the ServiceModel of the IR. kube-proxy joins a slice to a service by the
// kubernetes.io/service-name label and a slice port to a service port by
// (port name, protocol) (endpointslicecache.go); v1 Endpoints are used only
// for a service that no slice names. Everything is sorted for determinism.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import { DEFAULT_KUBE_PROXY_CONFIG, endpointString, type Endpoint, type KubeProxyConfig, type Service, type ServiceModel } from "../../ir/service.js";
import { byNamespaceName, cmp } from "../cluster/build.js";
import type { DeclaredEndpoints } from "./endpointslice.js";
import type { DeclaredKubeProxyConfig } from "./kubeproxy-config.js";
import type { DeclaredPort, DeclaredService } from "./service.js";
import type { DeclaredServiceCIDR } from "./servicecidr.js";

export interface ServiceInputs {
  readonly services: readonly DeclaredService[];
  readonly endpoints: readonly DeclaredEndpoints[];
  readonly configs: readonly DeclaredKubeProxyConfig[];
  readonly serviceCIDRs: readonly DeclaredServiceCIDR[];
}

export function hasServiceInputs(i: ServiceInputs): boolean {
  return i.services.length + i.endpoints.length + i.configs.length > 0;
}

export function lowerServices(input: ServiceInputs, diag: DiagnosticSink): ServiceModel {
  const byService = groupEndpoints(input, diag);
  // Sorted for determinism.
  const services = [...input.services].sort(byNamespaceName).flatMap((s): Service[] => {
    if (s.type === "ExternalName") return [];
    const key = `${s.namespace}/${s.name}`;
    const slices = byService.get(key)?.filter((e) => e.kind === "EndpointSlice") ?? [];
    const legacy = byService.get(key)?.filter((e) => e.kind === "Endpoints") ?? [];
    const used = slices.length ? slices : legacy;
    const endpointSource = slices.length ? "EndpointSlice" : legacy.length ? "Endpoints" : "none";
    const ports = s.ports.map((p) => ({ ...p, endpoints: endpointsFor(p, used) }));
    return [{ ...s, type: s.type, ports, endpointSource }];
  });
  return { services, kubeProxy: configOf(input.configs, diag), serviceCIDRs: serviceCIDRsOf(input.serviceCIDRs) };
}

/** Every ServiceCIDR's CIDRs, each once (kube-proxy keeps them in a set, handing its proxiers Go map order). */
function serviceCIDRsOf(objects: readonly DeclaredServiceCIDR[]): string[] {
  // Sorted for determinism: byte order of the canonical text.
  return [...new Set(objects.flatMap((o) => o.cidrs))].sort(cmp);
}

/** Endpoint sets by "<namespace>/<service>"; those naming no known service get a note. */
function groupEndpoints(input: ServiceInputs, diag: DiagnosticSink): Map<string, DeclaredEndpoints[]> {
  const known = new Set(input.services.map((s) => `${s.namespace}/${s.name}`));
  const out = new Map<string, DeclaredEndpoints[]>();
  // Sorted for determinism: (kind, namespace, name).
  const sorted = [...input.endpoints].sort((a, b) => cmp(a.kind, b.kind) || byNamespaceName(a, b));
  for (const e of sorted) {
    if (e.service === null) {
      diag.warning("endpointslice/no-service", e.span, `EndpointSlice ${e.namespace}/${e.name} has no kubernetes.io/service-name label; kube-proxy ignores it`);
      continue;
    }
    const key = `${e.namespace}/${e.service}`;
    if (!known.has(key)) {
      diag.note("endpointslice/unknown-service", e.span, `${e.kind} ${e.namespace}/${e.name} belongs to service ${key}, which is not in the snapshot; ignored`);
      continue;
    }
    out.set(key, [...(out.get(key) ?? []), e]);
  }
  return out;
}

/**
 * The endpoints of one service port: every address of every group whose port
 * list has the port's (name, protocol). The same ip:port from two slices
 * counts once, a ready copy winning. Sorted by endpoint string (§3.2.1).
 */
function endpointsFor(port: DeclaredPort, sets: readonly DeclaredEndpoints[]): Endpoint[] {
  const byString = new Map<string, Endpoint>();
  for (const set of sets) {
    for (const g of set.groups) {
      const match = g.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
      if (!match) continue;
      for (const a of g.addresses) {
        const ep: Endpoint = { ip: a.ip, port: match.port, nodeName: a.nodeName, ready: a.ready, serving: a.serving, terminating: a.terminating };
        const key = endpointString(ep);
        const prev = byString.get(key);
        if (!prev || (!prev.ready && ep.ready)) byString.set(key, ep);
      }
    }
  }
  // Sorted as kube-proxy sorts: by endpoint string, byte order.
  return [...byString.entries()].sort((a, b) => cmp(a[0], b[0])).map((e) => e[1]);
}

function configOf(configs: readonly DeclaredKubeProxyConfig[], diag: DiagnosticSink): KubeProxyConfig {
  const [first, second] = configs;
  if (second) diag.error("kubeproxyconfiguration/duplicate", second.span, `kube-proxy reads one KubeProxyConfiguration; found ${configs.length}`);
  if (!first) return DEFAULT_KUBE_PROXY_CONFIG;
  const { name: _name, ...config } = first;
  return config;
}

// v1 Node → IR Node. The IPv4 address comes from Calico's
// projectcalico.org/IPv4Address annotation (a CIDR such as 10.0.0.11/24: the
// prefix is kept apart, CrossSubnet needs the subnet) or else the first IPv4
// InternalIP, then ExternalIP (Felix's fallback, calico-routes §1.5); the
// tunnel addresses from projectcalico.org/IPv4IPIPTunnelAddr and
// IPv4VXLANTunnelAddr, the VTEP MAC from VXLANTunnelMACAddr.
import type { DiagnosticSink, Span } from "../../diagnostics/diagnostic.js";
import type { Node } from "../../ir/cluster.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { formatIP, parseIP } from "../validation/ip.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { INVALID_IP, labelsOf } from "./common.js";

interface NodeJson {
  readonly metadata?: ObjectMeta;
  readonly status?: { readonly addresses?: readonly { readonly type?: string; readonly address?: string }[] };
}

const IPV4_ANNOTATION = "projectcalico.org/IPv4Address";
const IPV6_ANNOTATION = "projectcalico.org/IPv6Address";
const TUNNEL_ANNOTATION = "projectcalico.org/IPv4IPIPTunnelAddr";
const VXLAN_ANNOTATION = "projectcalico.org/IPv4VXLANTunnelAddr";
const VXLAN_MAC_ANNOTATION = "projectcalico.org/VXLANTunnelMACAddr";
const ANNOTATIONS = FieldPath.root("metadata").child("annotations");
const NEEDS_IPV4 = "must be a valid IPv4 address";
const NEEDS_IPV6 = "must be a valid IPv6 address";

export function decodeNode(o: RawObject, diag: DiagnosticSink, schemas: Schemas): Node | null {
  const json = schemas.decode("node", o.root, diag) as NodeJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "node");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const annotations = meta.annotations ?? {};
  const calico = annotationIPv4(annotations[IPV4_ANNOTATION], true, ANNOTATIONS.key(IPV4_ANNOTATION), rep);
  const calico6 = annotationIPv6(annotations[IPV6_ANNOTATION], ANNOTATIONS.key(IPV6_ANNOTATION), rep);
  const tunnel = annotationIPv4(annotations[TUNNEL_ANNOTATION], false, ANNOTATIONS.key(TUNNEL_ANNOTATION), rep);
  const vxlan = annotationIPv4(annotations[VXLAN_ANNOTATION], false, ANNOTATIONS.key(VXLAN_ANNOTATION), rep);
  const mac = annotationMac(annotations[VXLAN_MAC_ANNOTATION], ANNOTATIONS.key(VXLAN_MAC_ANNOTATION), rep);
  const fallback = hostAddress(json, rep, 4);
  const fallback6 = hostAddress(json, rep, 6);
  if (rep.errorCount > 0) return null;
  const spanOf = (key: string): Span | null => (annotations[key] ? rep.spanOf(ANNOTATIONS.key(key)) : null);
  return {
    name: meta.name ?? "",
    labels: labelsOf(meta.labels),
    ip: calico?.ip ?? fallback,
    ipPrefix: calico?.prefix ?? null,
    ip6: calico6 ?? fallback6,
    tunnelAddress: tunnel?.ip ?? null,
    vxlanTunnelAddress: vxlan?.ip ?? null,
    vxlanMac: mac,
    annotationSpans: { ipipTunnel: spanOf(TUNNEL_ANNOTATION), vxlanTunnel: spanOf(VXLAN_ANNOTATION) },
    span: o.root.span,
  };
}

function annotationIPv4(value: string | undefined, allowPrefix: boolean, path: FieldPath, rep: FieldReporter): { ip: string; prefix: number | null } | null {
  if (value === undefined || value === "") return null;
  const slash = value.indexOf("/");
  const withPrefix = allowPrefix && slash >= 0 && /^[0-9]{1,2}$/.test(value.slice(slash + 1)) && Number(value.slice(slash + 1)) <= 32;
  const ip = parseIP(withPrefix ? value.slice(0, slash) : value);
  if (!ip || ip.family !== 4) {
    rep.invalid(path, value, allowPrefix ? `${NEEDS_IPV4}, optionally with a prefix length (e.g. 10.0.0.11/24)` : NEEDS_IPV4);
    return null;
  }
  return { ip: formatIP(4, ip.value), prefix: withPrefix ? Number(value.slice(slash + 1)) : null };
}

/** projectcalico.org/IPv6Address: an IPv6 address, optionally with a prefix length (`fd00::11/64`), in canonical form. */
function annotationIPv6(value: string | undefined, path: FieldPath, rep: FieldReporter): string | null {
  if (value === undefined || value === "") return null;
  const slash = value.indexOf("/");
  const withPrefix = slash >= 0 && /^[0-9]{1,3}$/.test(value.slice(slash + 1)) && Number(value.slice(slash + 1)) <= 128;
  const ip = parseIP(withPrefix ? value.slice(0, slash) : value);
  if (!ip || ip.family !== 6) {
    rep.invalid(path, value, `${NEEDS_IPV6}, optionally with a prefix length (e.g. fd00::11/64)`);
    return null;
  }
  return formatIP(6, ip.value);
}

/** A unicast MAC in colon notation (what Felix writes back to the annotation), lower-cased; all-zero is no address (the kernel refuses it). */
function annotationMac(value: string | undefined, path: FieldPath, rep: FieldReporter): string | null {
  if (value === undefined || value === "") return null;
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(value) || (parseInt(value.slice(0, 2), 16) & 1) === 1 || /^[0:]+$/.test(value)) {
    rep.invalid(path, value, "must be a unicast MAC address (e.g. 66:3e:ca:5f:6a:3c)");
    return null;
  }
  return value.toLowerCase();
}

/** Every InternalIP/ExternalIP must be an address; the first InternalIP of the family is the node's, else the first ExternalIP of it. */
function hostAddress(json: NodeJson, rep: FieldReporter, family: 4 | 6): string | null {
  const found: Record<"InternalIP" | "ExternalIP", string | null> = { InternalIP: null, ExternalIP: null };
  (json.status?.addresses ?? []).forEach((a, i) => {
    if (a.type !== "InternalIP" && a.type !== "ExternalIP") return;
    const ip = parseIP(a.address ?? "");
    if (!ip) {
      // Said once, by the IPv4 pass.
      if (family === 4) rep.invalid(FieldPath.root("status").child("addresses").index(i).child("address"), a.address ?? "", INVALID_IP);
      return;
    }
    if (ip.family === family && found[a.type] === null) found[a.type] = formatIP(family, ip.value);
  });
  return found.InternalIP ?? found.ExternalIP;
}

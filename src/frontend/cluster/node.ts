// v1 Node → IR Node. The IPv4 address comes from Calico's
// projectcalico.org/IPv4Address annotation (a CIDR such as 10.0.0.11/24; the
// prefix is dropped) or else the first IPv4 InternalIP; the IPIP tunnel
// address from projectcalico.org/IPv4IPIPTunnelAddr.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import type { Node } from "../../ir/cluster.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import { decode } from "../schema.js";
import { formatIP, parseIP } from "../validation/ip.js";
import { validateObjectMeta, type ObjectMeta } from "../validation/meta.js";
import { INVALID_IP } from "./common.js";

interface NodeJson {
  readonly metadata?: ObjectMeta;
  readonly status?: { readonly addresses?: readonly { readonly type?: string; readonly address?: string }[] };
}

const IPV4_ANNOTATION = "projectcalico.org/IPv4Address";
const TUNNEL_ANNOTATION = "projectcalico.org/IPv4IPIPTunnelAddr";
const ANNOTATIONS = FieldPath.root("metadata").child("annotations");
const NEEDS_IPV4 = "must be a valid IPv4 address";

export function decodeNode(o: RawObject, diag: DiagnosticSink): Node | null {
  const json = decode("node", o.root, diag) as NodeJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "node");
  const meta = json.metadata ?? {};
  validateObjectMeta(meta, { namespaced: false, name: "subdomain" }, rep);
  const annotations = meta.annotations ?? {};
  const calicoIP = annotationIPv4(annotations[IPV4_ANNOTATION], true, ANNOTATIONS.key(IPV4_ANNOTATION), rep);
  const tunnel = annotationIPv4(annotations[TUNNEL_ANNOTATION], false, ANNOTATIONS.key(TUNNEL_ANNOTATION), rep);
  const internal = internalIPv4(json, rep);
  if (rep.errorCount > 0) return null;
  return { name: meta.name ?? "", ip: calicoIP ?? internal, tunnelAddress: tunnel, span: o.root.span };
}

function annotationIPv4(value: string | undefined, allowPrefix: boolean, path: FieldPath, rep: FieldReporter): string | null {
  if (value === undefined || value === "") return null;
  const slash = value.indexOf("/");
  const addr = allowPrefix && slash >= 0 && /^[0-9]{1,2}$/.test(value.slice(slash + 1)) ? value.slice(0, slash) : value;
  const ip = parseIP(addr);
  if (!ip || ip.family !== 4) {
    rep.invalid(path, value, allowPrefix ? `${NEEDS_IPV4}, optionally with a prefix length (e.g. 10.0.0.11/24)` : NEEDS_IPV4);
    return null;
  }
  return formatIP(4, ip.value);
}

/** Every InternalIP/ExternalIP must be an address; the first IPv4 InternalIP is the node's. */
function internalIPv4(json: NodeJson, rep: FieldReporter): string | null {
  let found: string | null = null;
  (json.status?.addresses ?? []).forEach((a, i) => {
    if (a.type !== "InternalIP" && a.type !== "ExternalIP") return;
    const ip = parseIP(a.address ?? "");
    if (!ip) {
      rep.invalid(FieldPath.root("status").child("addresses").index(i).child("address"), a.address ?? "", INVALID_IP);
      return;
    }
    if (a.type === "InternalIP" && ip.family === 4 && found === null) found = formatIP(4, ip.value);
  });
  return found;
}

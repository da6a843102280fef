// kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration → KubeProxyConfig,
// with kube-proxy's defaults (masqueradeBit 14, localhostNodePorts true,
// detectLocalMode ClusterCIDR) and its validation messages
// (pkg/proxy/apis/config/validation). The iptables and nftables modes are
// modelled; each reads its masquerade settings from its own section.
import type { DiagnosticSink } from "../../diagnostics/diagnostic.js";
import { DEFAULT_KUBE_PROXY_CONFIG, type KubeProxyConfig, type LocalDetector } from "../../ir/service.js";
import { FieldPath } from "../field-path.js";
import type { RawObject } from "../objects.js";
import { FieldReporter } from "../report.js";
import type { Schemas } from "../schema.js";
import { dns1123Subdomain } from "../validation/names.js";
import { canonicalCIDR } from "./common.js";

interface ConfigJson {
  readonly metadata?: { readonly name?: string };
  readonly mode?: string;
  readonly clusterCIDR?: string;
  readonly hostnameOverride?: string;
  readonly detectLocalMode?: string;
  readonly detectLocal?: { readonly bridgeInterface?: string; readonly interfaceNamePrefix?: string };
  readonly nodePortAddresses?: readonly string[];
  readonly iptables?: { readonly masqueradeAll?: boolean; readonly masqueradeBit?: number; readonly localhostNodePorts?: boolean };
  readonly nftables?: { readonly masqueradeAll?: boolean; readonly masqueradeBit?: number };
}

export interface DeclaredKubeProxyConfig extends KubeProxyConfig {
  readonly name: string;
}

const MODES = ["", "iptables", "nftables"];
const LOCAL_MODES = ["BridgeInterface", "ClusterCIDR", "InterfaceNamePrefix", "NodeCIDR"];
// Linux IFNAMSIZ (16 with the NUL); the name reaches `-i <name>` in rule text, so nothing beyond the usual characters.
const IFACE = /^[A-Za-z0-9_.-]{1,15}$/;
const CIDR_DETAIL = "must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)";
/** nodePortAddresses may name the node's primary addresses instead of CIDRs (kube-proxy ≥1.29). */
export const PRIMARY_NODE_ADDRESSES = "primary";

export function decodeKubeProxyConfiguration(o: RawObject, diag: DiagnosticSink, schemas: Schemas): DeclaredKubeProxyConfig | null {
  const json = schemas.decode("kubeproxyconfiguration", o.root, diag) as ConfigJson | null;
  if (!json) return null;
  const rep = new FieldReporter(diag, o.root, "kubeproxyconfiguration");
  if (!MODES.includes(json.mode ?? "")) rep.notSupported(FieldPath.root("mode"), json.mode ?? "", MODES);
  const clusterCIDRs = (json.clusterCIDR ?? "").split(",").filter((c) => c.trim() !== "")
    .flatMap((c) => canonicalCIDR(c.trim(), FieldPath.root("clusterCIDR"), rep, CIDR_DETAIL) ?? []);
  const nodePortAddresses = (json.nodePortAddresses ?? []).flatMap((c, i) =>
    c === PRIMARY_NODE_ADDRESSES ? [c] : (canonicalCIDR(c, FieldPath.root("nodePortAddresses").index(i), rep, CIDR_DETAIL) ?? []));
  const mode = json.mode === "nftables" ? "nftables" : json.mode === "iptables" ? "iptables" : null;
  // The proxier reads config.NFTables in nftables mode and config.IPTables otherwise (cmd/kube-proxy server_linux.go).
  const section = mode === "nftables" ? "nftables" : "iptables";
  const masq = mode === "nftables" ? json.nftables : json.iptables;
  const bit = masq?.masqueradeBit ?? DEFAULT_KUBE_PROXY_CONFIG.masqueradeBit;
  if (bit < 0 || bit > 31) rep.invalid(FieldPath.root(section).child("masqueradeBit"), bit, "must be within the range [0, 31]");
  const hostname = json.hostnameOverride ?? "";
  if (hostname) rep.invalidEach(FieldPath.root("hostnameOverride"), hostname, dns1123Subdomain(hostname));
  const detectLocal = detectorOf(json, clusterCIDRs, rep);
  if (rep.errorCount > 0) return null;
  return {
    name: json.metadata?.name ?? "",
    detectLocal,
    clusterCIDRs,
    nodePortAddresses,
    mode,
    masqueradeAll: masq?.masqueradeAll ?? false,
    masqueradeBit: bit,
    localhostNodePorts: json.iptables?.localhostNodePorts ?? true,
    hostnameOverride: hostname || null,
    span: o.root.span,
  };
}

/** detectLocalMode "" means ClusterCIDR; with no clusterCIDR there is no detector (spec §3.3(g), F9/F10). */
function detectorOf(json: ConfigJson, clusterCIDRs: readonly string[], rep: FieldReporter): LocalDetector {
  const mode = json.detectLocalMode || "ClusterCIDR";
  const path = FieldPath.root("detectLocalMode");
  if (!LOCAL_MODES.includes(mode)) {
    rep.notSupported(path, mode, LOCAL_MODES);
    return { kind: "none" };
  }
  if (mode === "ClusterCIDR") return clusterCIDRs.length ? { kind: "cidr", cidrs: clusterCIDRs } : { kind: "none" };
  if (mode === "NodeCIDR") {
    rep.other("kubeproxyconfiguration/unsupported", path, `detectLocalMode: NodeCIDR needs each Node's spec.podCIDR, which netpolc does not read; use ClusterCIDR`);
    return { kind: "none" };
  }
  const local = FieldPath.root("detectLocal");
  if (mode === "BridgeInterface") {
    const iface = json.detectLocal?.bridgeInterface ?? "";
    if (!IFACE.test(iface)) rep.invalid(local.child("bridgeInterface"), iface, "must be a valid interface name");
    return { kind: "bridge", iface };
  }
  const prefix = json.detectLocal?.interfaceNamePrefix ?? "";
  if (!IFACE.test(prefix)) rep.invalid(local.child("interfaceNamePrefix"), prefix, "must be a valid interface name");
  return { kind: "interface-prefix", prefix };
}

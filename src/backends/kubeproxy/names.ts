// Every chain name, comment text and number spelling of the kube-proxy
// backend (STYLE.md "Names in one place"). Hash recipes: spec
// kubeproxy-format §2; comment texts: §3.1, §3.3 and §5.1; probability and
// mark spelling: §3.3(j), §3.1, §5.1.
import { createHash } from "node:crypto";

/** RFC 4648 base32 alphabet (Go's base32.StdEncoding). */
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

/** First 16 characters of base32(sha256(text)) (§2; padding never reaches them). */
export function hash16(text: string): string {
  return base32(createHash("sha256").update(text, "utf8").digest()).slice(0, 16);
}

/**
 * The service-port hash shared by SVC/SVL/EXT/FW/XLB: spn + lower-case
 * protocol, no separator (§2). `spn` already has the ≥1.19 or ≤1.18 form.
 */
export function servicePortHash(spn: string, protocol: string): string {
  return hash16(spn + protocol.toLowerCase());
}

/** ServicePortName.String(): `ns/name:port`, `ns/name` for an unnamed port (≥1.19), `ns/name:` before (§2, §5). */
export function spnString(namespace: string, name: string, portName: string, trailingColon: boolean): string {
  return portName || trailingColon ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

export const chain = {
  svc: (h: string): string => `KUBE-SVC-${h}`,
  svl: (h: string): string => `KUBE-SVL-${h}`,
  ext: (h: string): string => `KUBE-EXT-${h}`,
  fw: (h: string): string => `KUBE-FW-${h}`,
  xlb: (h: string): string => `KUBE-XLB-${h}`,
  /** KUBE-SEP-<hash(spn + protocol + endpoint string)> (§2). */
  sep: (spn: string, protocol: string, endpoint: string): string => `KUBE-SEP-${hash16(spn + protocol.toLowerCase() + endpoint)}`,
};

/** Fixed chain names (§1.1). */
export const KUBE = {
  services: "KUBE-SERVICES",
  externalServices: "KUBE-EXTERNAL-SERVICES",
  nodePorts: "KUBE-NODEPORTS",
  postrouting: "KUBE-POSTROUTING",
  markMasq: "KUBE-MARK-MASQ",
  markDrop: "KUBE-MARK-DROP",
  forward: "KUBE-FORWARD",
  proxyFirewall: "KUBE-PROXY-FIREWALL",
  firewall: "KUBE-FIREWALL",
  proxyCanary: "KUBE-PROXY-CANARY",
  kubeletCanary: "KUBE-KUBELET-CANARY",
  iptablesHint: "KUBE-IPTABLES-HINT",
} as const;

/** Comment texts, exactly as kube-proxy writes them (quotes are the writer's business). */
export const comment = {
  clusterIP: (spn: string): string => `${spn} cluster IP`,
  externalIP: (spn: string): string => `${spn} external IP`,
  loadBalancerIP: (spn: string): string => `${spn} loadbalancer IP`,
  noEndpoints: (spn: string): string => `${spn} has no endpoints`,
  noLocalEndpoints: (spn: string): string => `${spn} has no local endpoints`,
  healthCheck: (spn: string): string => `${spn} health check node port`,
  notAcceptedByFw: (spn: string, fw: string): string => `${spn} traffic not accepted by ${fw}`,
  fwOther: (spn: string): string => `other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL`,
  extMasq: (spn: string): string => `masquerade traffic for ${spn} external destinations`,
  extPod: (spn: string): string => `pod traffic for ${spn} external destinations`,
  extLocalMasq: (spn: string): string => `masquerade LOCAL traffic for ${spn} external destinations`,
  extLocalRoute: (spn: string): string => `route LOCAL traffic for ${spn} external destinations`,
  toEndpoint: (spn: string, endpoint: string): string => `${spn} -> ${endpoint}`,
  xlbRedirect: "Redirect pods trying to reach external loadbalancer VIP to clusterIP",
  xlbBalance: (i: number, spn: string): string => `Balancing rule ${i} for ${spn}`,
  nodePortsTail: "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
  snat: "kubernetes service traffic requiring SNAT",
  forwardRules: "kubernetes forwarding rules",
  forwardConntrack: "kubernetes forwarding conntrack rule",
  forwardPodSource: "kubernetes forwarding conntrack pod source rule",
  forwardPodDestination: "kubernetes forwarding conntrack pod destination rule",
  localnet: "block incoming localnet connections",
  kubeletDrop: "kubernetes firewall for dropping marked packets",
  servicePortals: "kubernetes service portals",
  externalPortals: "kubernetes externally-visible service portals",
  healthCheckPorts: "kubernetes health check service ports",
  lbFirewall: "kubernetes load balancer firewall",
  postrouting: "kubernetes postrouting rules",
};

/** nfacct counter names (§3.1, §3.3(e); ≈1.30/1.31). */
export const NFACCT = {
  invalidDropped: "ct_state_invalid_dropped_pkts",
  localhostNodePorts: "localhost_nps_accepted_pkts",
};

/**
 * Go's (and C's) %.<digits>f of a double: the exact binary value rounded half
 * to even (§7: JS toFixed rounds exact ties up, which differs at 1/2048).
 * x = mant·2^exp, so x·10^d = mant·10^d / 2^-exp, rounded with BigInt.
 */
export function fixed(x: number, digits: number): string {
  const [mant, exp] = decompose(x);
  const num = BigInt(mant) * 10n ** BigInt(digits);
  const den = 1n << BigInt(Math.max(0, -exp));
  const scaled = exp > 0 ? num << BigInt(exp) : num;
  let q = scaled / den;
  const r2 = (scaled % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, "0");
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** The statistic probability of the i-th of k remaining endpoints, `%0.10f` (≥1.17) or `%0.5f` (§3.3(j), §5). */
export function probability(k: number, digits: number): string {
  return fixed(1 / k, digits);
}

/** A non-negative finite double as (integer mantissa, binary exponent). */
function decompose(x: number): [number, number] {
  let exp = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2;
    exp -= 1;
  }
  return [m, exp];
}

/**
 * The masquerade mark `1 << bit` as kube-proxy writes it: `%#08x`-style
 * zero-padded `0x00004000` on real nodes, `0x4000` in its unit tests (§3.1).
 */
export function markText(bit: number, padded: boolean): string {
  const hex = ((1 << bit) >>> 0).toString(16);
  return `0x${padded ? hex.padStart(8, "0") : hex}`;
}

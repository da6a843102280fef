// Options of the kube-proxy backend and the version profiles they select
// (spec kubeproxy-format §5 history, §7 "Version profiles").

export type KubeProxyVersion = "1.13" | "1.29" | "1.31";
export const KUBE_PROXY_VERSIONS: readonly KubeProxyVersion[] = ["1.13", "1.29", "1.31"];

export interface KubeProxyOptions {
  /** Which kube-proxy's output to reproduce (default 1.29: fixtures F2–F10). */
  readonly version: KubeProxyVersion;
  /** MASQUERADE --random-fully (iptables ≥1.6.2, kube-proxy ≥1.16; §3.1, F12). */
  readonly randomFully: boolean;
  /** Restore-text mark spelling: `0x00004000` (real kube-proxy) or `0x4000` (its unit tests, the fixtures). */
  readonly paddedMark: boolean;
  /** The proxier's address family: kube-proxy runs one iptables proxier and one ip6tables proxier. */
  readonly family: 4 | 6;
  /**
   * Service ports ("ns/name:port") in the order kube-proxy happened to walk
   * them; the rest follow sorted. kube-proxy iterates a Go map (random per
   * sync, §4.1.5), so only a captured node can say; the test-sorted layout
   * re-sorts by service name anyway (§4.2).
   */
  readonly serviceOrder: readonly string[];
  /**
   * kube-proxy's --proxy-mode: which rules to reproduce. Absent means
   * iptables; "nftables" is rendered by renderKubeProxyNft, with the layout
   * `version` selects (1.31–1.33, else 1.34+; nft/context.ts nftLayoutOf).
   */
  readonly mode?: "iptables" | "nftables";
}

export const DEFAULT_KUBE_PROXY_OPTIONS: KubeProxyOptions = {
  version: "1.29",
  randomFully: false,
  paddedMark: false,
  family: 4,
  serviceOrder: [],
};

/** What differs between the versions netpolc reproduces. */
export interface Profile {
  /** ≤1.23 templates (§5.1): XLB, masquerade in KUBE-SERVICES, FW with KUBE-MARK-DROP, `/32` masks, `%0.5f`. */
  readonly legacy: boolean;
  /** Digits of the statistic probability (§3.3(j), §5 ≈1.17). */
  readonly probabilityDigits: number;
  /** Unnamed ports print as `ns/name:` (≤1.18, §2). */
  readonly trailingColon: boolean;
  /** nfacct on the KUBE-FORWARD INVALID drop (≈1.30, §3.1). */
  readonly nfacctInvalid: boolean;
  /** The extra localhost nodePort rule with nfacct (≈1.31, §3.3(e), F1). */
  readonly nfacctLocalhostNodePorts: boolean;
}

export function profileOf(version: KubeProxyVersion): Profile {
  switch (version) {
    case "1.13":
      return { legacy: true, probabilityDigits: 5, trailingColon: true, nfacctInvalid: false, nfacctLocalhostNodePorts: false };
    case "1.29":
      return { legacy: false, probabilityDigits: 10, trailingColon: false, nfacctInvalid: false, nfacctLocalhostNodePorts: false };
    case "1.31":
      return { legacy: false, probabilityDigits: 10, trailingColon: false, nfacctInvalid: true, nfacctLocalhostNodePorts: true };
  }
}

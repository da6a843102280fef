// Felix version profiles (spec felix-format §0, Appendix B): what changed in
// the iptables output between Calico v3.27 and v3.32, as data. The backend
// builds one rule model whatever the version; names, marks, comments and the
// few rewrites Felix itself applies (policy groups, trailing RETURNs) are read
// from the profile of the compile's `--calico-version`.
import type { Direction } from "./names.js";

export const CALICO_VERSIONS = ["3.27", "3.28", "3.29", "3.30", "3.31", "3.32"] as const;
export type CalicoVersion = (typeof CALICO_VERSIONS)[number];
/** The newest profile the spec covers. */
export const NEWEST_CALICO_VERSION: CalicoVersion = "3.32";

export interface FelixMarks {
  readonly accept: number;
  readonly pass: number;
  /** P30+: the bit Calico deny rules set before dropping (k8s NetworkPolicy never denies). */
  readonly drop: number | null;
  readonly scratch0: number;
  readonly scratch1: number;
  /** allCalicoMarkBits = accept|pass|scratch0|scratch1 (the drop bit is not among them). */
  readonly all: number;
  /** Everything but accept, cleared at the top of cali-FORWARD. */
  readonly allButAccept: number;
}

/** How a Kubernetes NetworkPolicy is named inside Felix (§1, §4.1, §10.1). */
export type PolicyNaming = "knp.default" | "tiered-knp.default" | "kind";

export interface FelixProfile {
  readonly version: CalicoVersion;
  /**
   * The address family of the tables rendered (ipv6-and-policy A2): Felix renders its IPv6 tables with the same
   * functions, so a family is a profile dimension. Every memo keyed by profile keeps the families apart.
   */
  readonly family: 4 | 6;
  /**
   * P30+ with flow logs on (FelixConfiguration flowLogsGoldmaneServer or flowLogsLocalReporter: Enabled; operator
   * installs with Goldmane): NFLOG rules after each policy and profile verdict and before the endpoint chains'
   * drops (felix-format App. B). Never before P30 (open-source Felix had none).
   */
  readonly flowLogs: boolean;
  /** 27 … 32: the spec's P-number. */
  readonly p: number;
  readonly marks: FelixMarks;
  readonly naming: PolicyNaming;
  /** The endpoint chain's first MARK clear (§3.2 step 3): accept (P27) or accept|pass (P28+). */
  readonly endpointFirstClear: number;
  /** The rule that opens the policy list (§3.2 step 5): its comment, or null when there is none (P28). */
  readonly startOfPolicies: string | null;
  readonly dropIfNoPolicies: string;
  /** P28+: consecutive policies with the same selector jump through a `cali-gi-`/`cali-go-` group chain (§4.6). */
  readonly policyGroups: boolean;
  /** P28+: trailing RETURN rules of a policy chain are removed (§4.1). */
  readonly stripTrailingReturn: boolean;
  /** The IP set of every pool's CIDR, named in cali-nat-outgoing (§7.1): `all-ipam-pools`, P31+ `network-ip-pools`. */
  readonly poolsSetId: "all-ipam-pools" | "network-ip-pools";
  /** P31+: mangle cali-POSTROUTING starts with the DSCP rule (§8.3, §8.4). */
  readonly dscpRule: boolean;
  /**
   * P28+: nat POSTROUTING's `-j cali-POSTROUTING` is appended, after other agents' rules (kube-proxy's
   * KUBE-POSTROUTING jump), and hashed under `POSTROUTING*appends*` (§2.2): felix/dataplane/linux/int_dataplane.go
   * setUpIptablesNormal `AppendRules("POSTROUTING", …)`, "We must go last", since v3.29.0 (d0b66a4cf9) and
   * backported to v3.28.2 (256fd48505); v3.27.x and v3.28.0–v3.28.1 insert it. P28 follows the last 3.28 releases.
   */
  readonly natPostroutingAppended: boolean;
  /**
   * P29+: with VXLAN on, raw cali-PREROUTING (after the mark clear) and cali-OUTPUT (after the host-endpoint jump)
   * have `-p udp --dport <VXLANPort> -j NOTRACK` (felix/rules/static.go StaticRawPreroutingChain /
   * StaticRawOutputChain, since v3.29.0, 4f55a016c2; no 3.28.x has it).
   */
  readonly vxlanNotrack: boolean;
}

const P27_MARKS: FelixMarks = { accept: 0x10000, pass: 0x20000, drop: null, scratch0: 0x40000, scratch1: 0x80000, all: 0xf0000, allButAccept: 0xe0000 };
const P30_MARKS: FelixMarks = { accept: 0x10000, pass: 0x20000, drop: 0x40000, scratch0: 0x80000, scratch1: 0x100000, all: 0x1b0000, allButAccept: 0x1a0000 };

const P27: FelixProfile = {
  version: "3.27",
  family: 4,
  flowLogs: false,
  p: 27,
  marks: P27_MARKS,
  naming: "knp.default",
  endpointFirstClear: P27_MARKS.accept,
  startOfPolicies: "Start of policies",
  dropIfNoPolicies: "Drop if no policies passed packet",
  policyGroups: false,
  stripTrailingReturn: false,
  poolsSetId: "all-ipam-pools",
  dscpRule: false,
  natPostroutingAppended: false,
  vxlanNotrack: false,
};

const P28: FelixProfile = { ...P27, version: "3.28", p: 28, endpointFirstClear: P27_MARKS.accept | P27_MARKS.pass, startOfPolicies: null, policyGroups: true, stripTrailingReturn: true, natPostroutingAppended: true };
const P29: FelixProfile = { ...P28, version: "3.29", p: 29, naming: "tiered-knp.default", startOfPolicies: "Start of tier default", vxlanNotrack: true };
const P30: FelixProfile = { ...P29, version: "3.30", p: 30, marks: P30_MARKS, dropIfNoPolicies: "End of tier default. Drop if no policies passed packet" };
const P31: FelixProfile = { ...P30, version: "3.31", p: 31, poolsSetId: "network-ip-pools", dscpRule: true };
const P32: FelixProfile = { ...P31, version: "3.32", p: 32, naming: "kind" };

const PROFILES: Readonly<Record<CalicoVersion, FelixProfile>> = { "3.27": P27, "3.28": P28, "3.29": P29, "3.30": P30, "3.31": P31, "3.32": P32 };
/** Every (version, family, flow logs) variant, one frozen object each (memo keys); flow logs only from P30. */
const VARIANTS: ReadonlyMap<string, FelixProfile> = new Map(
  Object.values(PROFILES).flatMap((p) =>
    ([4, 6] as const).flatMap((family) => [false, true].map((flowLogs) => [`${p.version}/${family}/${flowLogs}`, Object.freeze({ ...p, family, flowLogs: flowLogs && p.p >= 30 })] as const)),
  ),
);

/** The profile of a Calico release (major.minor): its own when covered, else the nearest (`exact` false). */
export function versionOfRelease(major: number, minor: number): { readonly version: CalicoVersion; readonly exact: boolean } {
  const own = CALICO_VERSIONS.find((v) => v === `${major}.${minor}`);
  if (own) return { version: own, exact: true };
  const older = major < 3 || (major === 3 && minor < 27);
  return { version: older ? CALICO_VERSIONS[0] : NEWEST_CALICO_VERSION, exact: false };
}

/** The profile of a release for the tables of one address family, with flow logs or not (one object per variant: memo keys). */
export function profileOf(version: CalicoVersion, family: 4 | 6 = 4, flowLogs = false): FelixProfile {
  if (family === 4 && !flowLogs) return PROFILES[version];
  return VARIANTS.get(`${version}/${family}/${flowLogs && PROFILES[version].p >= 30}`)!;
}

/** Whether Felix of this release programs flow-log NFLOG rules when flow logs are on (P30+). */
export function profileHasFlowLogs(version: CalicoVersion): boolean {
  return PROFILES[version].p >= 30;
}

/**
 * The ID Felix's NFLOG prefixes name a k8s NetworkPolicy by (felix/rules/nflogprefix.go): the v1 key name
 * `<ns>/knp.default.<n>` through P31, `PolicyID.ID()` = `knp/<ns>/<n>` at P32.
 */
export function nflogPolicyId(profile: FelixProfile, namespace: string, k8sName: string): string {
  return profile.naming === "kind" ? `knp/${namespace}/${k8sName}` : `${namespace}/knp.default.${k8sName}`;
}

/** The P27 profile: what every caller without options renders. */
export const CLASSIC_PROFILE: FelixProfile = P27;

/** Felix's name of a k8s NetworkPolicy (§10.1): `knp.default.<name>` through P31, the name itself at P32. */
export function calicoPolicyNameIn(profile: FelixProfile, k8sName: string): string {
  return profile.naming === "kind" ? k8sName : `knp.default.${k8sName}`;
}

/** The policy chain's suffix (App. B): `<ns>/knp.default.<n>`, P29+ `default/<ns>/knp.default.<n>`, P32+ `knp/<ns>/<n>`. */
export function policyChainSuffix(profile: FelixProfile, namespace: string, k8sName: string): string {
  switch (profile.naming) {
    case "knp.default":
      return `${namespace}/knp.default.${k8sName}`;
    case "tiered-knp.default":
      return `default/${namespace}/knp.default.${k8sName}`;
    case "kind":
      return `knp/${namespace}/${k8sName}`;
  }
}

/** The policy chain comment (§4.1): `Policy <ns>/knp.default.<n> ingress`, P32+ `KubernetesNetworkPolicy <ns>/<n> ingress`. */
export function policyCommentIn(profile: FelixProfile, dir: Direction, namespace: string, k8sName: string): string {
  return profile.naming === "kind" ? `KubernetesNetworkPolicy ${namespace}/${k8sName} ${dir}` : `Policy ${namespace}/knp.default.${k8sName} ${dir}`;
}

/** The tie-break among policies of equal order (§3.3): the key name, P32+ `<name>/<namespace>/<kind>`. */
export function policySortKey(profile: FelixProfile, namespace: string, k8sName: string): string {
  return profile.naming === "kind" ? `${k8sName}/${namespace}/KubernetesNetworkPolicy` : `${namespace}/knp.default.${k8sName}`;
}

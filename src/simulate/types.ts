// The packet simulator's vocabulary (iptables words only): a packet, the
// host it is walked through, and what happened to it.
import type { IpSet } from "../rules/ipset.js";
import type { Rule, TableName } from "../rules/types.js";

/** Conntrack states as `-m conntrack --ctstate` names them; DNAT/SNAT are added by NAT targets. */
export type CtState = "NEW" | "ESTABLISHED" | "RELATED" | "INVALID" | "UNTRACKED";

export interface Packet {
  readonly src: string;
  readonly dst: string;
  /** Lower-case protocol name ("tcp", "udp", "sctp", "icmp") or a number as a string ("4"). */
  readonly protocol: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly ctstate: CtState;
  /** The packet's nfmark (32 bits). */
  readonly mark: number;
  /** Whether the connection's original destination was rewritten (conntrack DNAT status). */
  readonly dnat: boolean;
  readonly snat: boolean;
  /** ICMP type and code, for `-m icmp --icmp-type` and ICMP entries of port sets; absent = not known. */
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/** The host a packet is walked through: what the ruleset's matches ask about. */
export interface HostContext {
  /** Addresses addrtype LOCAL is true for (node IP, tunnel address, 127.0.0.0/8 is implied). */
  readonly localAddresses: ReadonlySet<string>;
  /** The host's ipsets by name. A match on a set that does not exist makes the result unknown. */
  readonly ipsets: ReadonlyMap<string, IpSet>;
  /** Reverse-path check used by `-m rpfilter`: would a reply to `src` leave through `iface`? */
  readonly rpfilterOk: (src: string, iface: string) => boolean;
  /**
   * Addresses per interface, for `-m addrtype --limit-iface-in/out`. Absent:
   * the LOCAL test is host-wide (localAddresses), an approximation.
   */
  readonly interfaceAddresses?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * State of `-m recent` lists: is `addr` in list `name` (within the rule's
   * --seconds/--hitcount)? Absent: `--rcheck`/`--update` make the outcome
   * UNKNOWN. `() => false` models a client with no history.
   */
  readonly recent?: (name: string, addr: string) => boolean;
}

/** The netfilter path a packet takes through one host. */
export type HookPath =
  /** Arrives on inIface, leaves on outIface: raw/mangle/nat PREROUTING, filter FORWARD, mangle/nat POSTROUTING. */
  | { readonly kind: "forward"; readonly inIface: string; readonly outIface: string }
  /** Arrives on inIface for the host itself: PREROUTING chains, then mangle/filter INPUT. */
  | { readonly kind: "input"; readonly inIface: string }
  /**
   * Sent by the host itself: raw/mangle/nat/filter OUTPUT, then POSTROUTING. Every OUTPUT chain sees the device of
   * the route the packet took when it was sent (`outIface`), even after nat OUTPUT's DNAT routed it again
   * (__ip_local_out fixes the hook state's device once; ip_route_me_harder changes only the packet's route); only
   * POSTROUTING sees where that DNAT sent it: `postIface` (absent: `outIface`).
   */
  | { readonly kind: "output"; readonly outIface: string; readonly postIface?: string };

/** One rule a packet was tested against and matched (or the policy of a built-in chain). */
export interface TraceStep {
  readonly table: TableName;
  readonly chain: string;
  /** 0-based index in the chain; -1 for the built-in chain's policy. */
  readonly index: number;
  /** 1-based line in the ruleset text, when the ruleset was parsed. */
  readonly line: number | null;
  readonly rule: Rule | null;
  /**
   * What the rule did: "jump", "goto", "return", "accept", "drop", "reject",
   * "mark", "log", "nflog", "notrack", "counter" (no target), "dnat", "snat",
   * "masquerade", "policy" (index -1), or "unknown" (the rule the simulator
   * could not model; always the last step of an UNKNOWN outcome).
   */
  readonly action: string;
  /** The step's chain as the format it was read from names it (a chain lowered from `.nft`); absent otherwise. */
  readonly origin?: { readonly table: string; readonly chain: string };
}

export type SimVerdict = "ACCEPT" | "DROP" | "REJECT" | "UNKNOWN";

export interface SimOutcome {
  readonly verdict: SimVerdict;
  /** Every rule that matched, in order, across all hooks of the path (empty from a walk asked for no trace). */
  readonly trace: readonly TraceStep[];
  /** The packet as it leaves (marks, NAT applied). */
  readonly packet: Packet;
  /** For UNKNOWN: what the simulator does not model ("match module 'owner'"), loudly. */
  readonly unknown: string | null;
  /** For statistic branches: the probability of this branch (1 when there was no branch). */
  readonly probability: number;
  /**
   * The step that decided the verdict: the filter-table rule or policy that
   * accepted (ACCEPT), the DROP/REJECT rule or policy, or the rule the
   * simulator could not model (UNKNOWN). Null if no chain decided (no filter table).
   */
  readonly decisive?: TraceStep | null;
}

/** The path a packet its destination NAT translated goes on along, by its new destination (Simulator.simulatePath). */
export type Reroute = (dst: string, dstPort: number) => HookPath;

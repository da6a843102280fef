// IP sets as data, and the one `ipset restore` / `ipset save` writer.
import { byteCompare, Renderer, type ByteSink } from "./writer.js";

export type IpSetType = "hash:net" | "hash:ip" | "hash:ip,port" | "hash:net,port" | "hash:ip,port,ip" | "bitmap:port";

export interface IpSetMember {
  /** As ipset prints it: "10.0.0.1", "10.0.0.0/8", "10.0.0.1,tcp:80". */
  readonly value: string;
  readonly nomatch?: boolean;
}

export interface IpSet {
  readonly name: string;
  readonly type: IpSetType;
  /** Header options after the type, e.g. ["family","inet","hashsize","1024","maxelem","1048576"]. */
  readonly options: readonly string[];
  readonly members: readonly IpSetMember[];
}

function ipv4Key(s: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)/.exec(s);
  if (!m) return null;
  return ((+m[1]! * 256 + +m[2]!) * 256 + +m[3]!) * 256 + +m[4]!;
}

/** Members in address order (numeric), then by the rest of the text; sorted for determinism. */
export function compareMembers(a: IpSetMember, b: IpSetMember): number {
  const ka = ipv4Key(a.value);
  const kb = ipv4Key(b.value);
  if (ka !== null && kb !== null && ka !== kb) return ka - kb;
  return byteCompare(a.value, b.value);
}

/** `ipset restore` input: sets by name, members in address order; identical to what `ipset save` prints back. */
export function writeIpSets(sets: readonly IpSet[], renderer: Renderer = new Renderer()): string {
  return [...sets].sort((a, b) => byteCompare(a.name, b.name)).map((s) => renderer.setText(s, setText)).join("");
}

/** writeIpSets' bytes, appended to `sink`; a set shared by many nodes (a selector's members) is written out once per renderer. */
export function writeIpSetsTo(sets: readonly IpSet[], sink: ByteSink, renderer: Renderer = new Renderer()): void {
  for (const s of [...sets].sort((a, b) => byteCompare(a.name, b.name))) sink.write(renderer.setText(s, setText));
}

function setText(s: IpSet): string {
  const out = [["create", s.name, s.type, ...s.options].join(" ")];
  const seen = new Set<string>();
  for (const mem of [...s.members].sort(compareMembers)) {
    if (seen.has(mem.value)) continue;
    seen.add(mem.value);
    out.push(`add ${s.name} ${mem.value}${mem.nomatch ? " nomatch" : ""}`);
  }
  return out.join("\n") + "\n";
}

// Single-rule mutations shared by the class-vs-exhaustive tests: a verdict
// flipped, a destination port moved by one.
import type { Rule } from "../../src/rules/types.js";

/** ACCEPT ↔ DROP; null for any other target. */
export function flipped(r: Rule): Rule | null {
  const t = r.target;
  if (t?.kind !== "jump" || (t.name !== "ACCEPT" && t.name !== "DROP")) return null;
  return { ...r, target: { ...t, name: t.name === "ACCEPT" ? "DROP" : "ACCEPT" } };
}

/** The rule with its first destination port one higher (`--dport 80` → 81, `--dports 80,443` → 81,443); null without one. */
export function movedPort(r: Rule): Rule | null {
  let moved = false;
  const parts = r.parts.map((p) => {
    if (moved || p.kind !== "match") return p;
    const options = p.options.map((o) => {
      if (moved || !/^(dport|dports|destination-ports?)$/.test(o.name)) return o;
      const m = /^(\d+)(.*)$/.exec(o.args[0] ?? "");
      if (!m) return o;
      moved = true;
      return { ...o, args: [`${Number(m[1]) + 1}${m[2]}`, ...o.args.slice(1)] };
    });
    return { ...p, options };
  });
  return moved ? { ...r, parts } : null;
}

// Plain-scalar resolution as kubectl does it. kubectl reads YAML through
// sigs.k8s.io/yaml over a go-yaml v2 fork, i.e. YAML 1.1 rules: `yes`/`on`/`y`
// are booleans and `0x1F`/`017` are integers. A YAML 1.2 reading would
// silently accept `matchLabels: {env: yes}` that the API server rejects
// (spec/netpol-semantics.md "YAML input pitfalls"). Quoted and block scalars
// never get here: they are always strings.
import type { ScalarValue } from "./tree.js";

// go-yaml v2 resolve.go: the exact spellings, no other case variants.
const BOOLS: ReadonlyMap<string, boolean> = new Map<string, boolean>([
  ..."y Y yes Yes YES true True TRUE on On ON".split(" ").map((s) => [s, true] as const),
  ..."n N no No NO false False FALSE off Off OFF".split(" ").map((s) => [s, false] as const),
]);

const NULLS: ReadonlySet<string> = new Set(["", "~", "null", "Null", "NULL"]);

const DECIMAL = /^[-+]?(0|[1-9][0-9]*)$/;
const HEX = /^([-+]?)0[xX]([0-9a-fA-F]+)$/;
const OCTAL = /^([-+]?)0[oO]?([0-7]+)$/;
const BINARY = /^([-+]?)0[bB]([01]+)$/;
// go-yaml's yamlStyleFloat; it also catches "08" and "09" (not octal, so a float 8).
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map<string, number>([
  ...".inf .Inf .INF +.inf +.Inf +.INF".split(" ").map((s) => [s, Infinity] as const),
  ..."-.inf -.Inf -.INF".split(" ").map((s) => [s, -Infinity] as const),
  ...".nan .NaN .NAN".split(" ").map((s) => [s, NaN] as const),
]);

/** Resolve the decoded text of a plain scalar to its YAML 1.1 value. */
export function resolvePlain(text: string): ScalarValue {
  if (NULLS.has(text)) return null;
  const b = BOOLS.get(text);
  if (b !== undefined) return b;
  return resolveNumber(text) ?? text;
}

// Every numeric spelling above (and .inf/.nan) starts with one of these; most
// plain scalars (names, labels) do not, and skip the five regular expressions.
const NUMBER_START = /^[-+.0-9]/;

export function resolveNumber(text: string): number | undefined {
  if (!NUMBER_START.test(text)) return undefined;
  if (DECIMAL.test(text)) return Number(text);
  const radix = radixMatch(text);
  if (radix !== undefined) return radix;
  if (FLOAT.test(text)) return Number(text);
  return SPECIAL_FLOATS.get(text);
}

function radixMatch(text: string): number | undefined {
  for (const [re, base] of [[HEX, 16], [OCTAL, 8], [BINARY, 2]] as const) {
    const m = re.exec(text);
    if (m) {
      const v = parseInt(m[2] ?? "", base);
      return m[1] === "-" ? -v : v;
    }
  }
  return undefined;
}

// A tiny YAML writer for generated test inputs. The property tests feed YAML
// text (not IR) to the compiler so the frontend is exercised too; the text
// must read the same under kubectl's YAML 1.1 rules (netpol-semantics §2
// "YAML input pitfalls"), so every string value is double-quoted (JSON string
// syntax is valid YAML) and keys are bare only when YAML 1.1 cannot read them
// as anything but a string.
export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [k: string]: YamlValue };

/** Block style everywhere, or flow style (`{a: "b"}`) for maps and lists holding only scalars. */
export type YamlStyle = "block" | "flow-leaves";

// YAML 1.1 booleans and nulls (go-yaml's list, lower-cased): bare, they are not strings.
const SPECIAL = new Set(["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]);

function key(k: string): string {
  return /^[a-zA-Z][a-zA-Z0-9]*$/.test(k) && !SPECIAL.has(k.toLowerCase()) ? k : JSON.stringify(k);
}

function scalar(v: YamlValue): string | null {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.length === 0) return "[]";
  if (!Array.isArray(v) && typeof v === "object" && Object.keys(v).length === 0) return "{}";
  return null;
}

const isMap = (v: YamlValue): v is { readonly [k: string]: YamlValue } => v !== null && typeof v === "object" && !Array.isArray(v);

function flowLeaf(v: YamlValue): string | null {
  if (Array.isArray(v)) {
    const parts = v.map(scalar);
    return parts.every((p) => p !== null) ? `[${parts.join(", ")}]` : null;
  }
  if (isMap(v)) {
    const entries = Object.entries(v).map(([k, x]) => [k, scalar(x)] as const);
    return entries.every(([, p]) => p !== null) ? `{${entries.map(([k, p]) => `${key(k)}: ${p}`).join(", ")}}` : null;
  }
  return null;
}

function inline(v: YamlValue, style: YamlStyle): string | null {
  return scalar(v) ?? (style === "flow-leaves" ? flowLeaf(v) : null);
}

function emit(v: YamlValue, indent: string, style: YamlStyle, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v as readonly YamlValue[]) {
      const s = inline(item, style);
      if (s !== null) {
        out.push(`${indent}- ${s}`);
        continue;
      }
      // The first line of a nested block goes right after the dash.
      const sub: string[] = [];
      emit(item, indent + "  ", style, sub);
      out.push(`${indent}- ${(sub[0] ?? "").trimStart()}`, ...sub.slice(1));
    }
    return;
  }
  if (isMap(v)) {
    for (const [k, x] of Object.entries(v)) {
      const s = inline(x, style);
      if (s !== null) out.push(`${indent}${key(k)}: ${s}`);
      else {
        out.push(`${indent}${key(k)}:`);
        emit(x, indent + "  ", style, out);
      }
    }
    return;
  }
  out.push(`${indent}${scalar(v) ?? ""}`);
}

/** One YAML document (no `---`). */
export function toYaml(doc: YamlValue, style: YamlStyle = "block"): string {
  const out: string[] = [];
  emit(doc, "", style, out);
  return out.join("\n") + "\n";
}

/** A multi-document file whose first line is the `# ` comment the golden runner requires. */
export function yamlFile(comment: string, docs: readonly YamlValue[], style: YamlStyle = "block"): string {
  return `# ${comment}\n` + docs.map((d) => "---\n" + toYaml(d, style)).join("");
}

// Command-line parsing without dependencies: flags are declared once, with
// their help text, so `--help` can never drift from what is accepted.
import { didYouMean } from "./suggest.js";

export interface FlagSpec {
  readonly name: string; // long name without dashes
  readonly short?: string;
  readonly value?: string; // metavariable; absent = boolean flag
  readonly repeatable?: boolean;
  readonly choices?: readonly string[];
  /** What shell completion offers for the value when there are no choices: paths, directories, or these words. */
  readonly complete?: "file" | "dir" | readonly string[];
  readonly help: string;
}

export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

export class UsageError extends Error {}

/** Inputs that cannot be what the user meant (a directory without YAML): exit 1, like invalid input. */
export class InputError extends Error {}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-" || !a.startsWith("-")) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = a.startsWith("--") ? a.slice(2, eq > 0 ? eq : undefined) : a.slice(1);
    let spec = a.startsWith("--") ? byLong.get(key) : byShort.get(key);
    // A short option with a value may carry it attached, as compilers take `-O2`.
    let attached: string | undefined;
    if (!spec && !a.startsWith("--") && byShort.get(key.slice(0, 1))?.value) {
      spec = byShort.get(key.slice(0, 1));
      attached = key.slice(1);
    }
    if (!spec) throw new UsageError(`unknown option '${a}'${unknownOptionHint(a, specs)}`);
    let value = "true";
    if (spec.value) {
      if (attached !== undefined) value = attached;
      else if (eq > 0 && a.startsWith("--")) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i] as string;
      else throw new UsageError(`option '--${spec.name}' needs a value (${spec.value})`);
      if (spec.choices && !spec.choices.includes(value)) {
        throw new UsageError(`option '--${spec.name}' must be one of ${spec.choices.join(", ")}, not '${value}'${didYouMean(value, spec.choices)}`);
      }
    } else if (eq > 0) {
      throw new UsageError(`option '--${spec.name}' takes no value`);
    }
    const list = flags.get(spec.name) ?? [];
    if (list.length && !spec.repeatable) throw new UsageError(`option '--${spec.name}' given twice`);
    list.push(value);
    flags.set(spec.name, list);
  }
  return { flags, positionals };
}

/** ` (did you mean --output?)` for a misspelt long option (`--ouput`, `-output`), nothing otherwise. */
function unknownOptionHint(a: string, specs: readonly FlagSpec[]): string {
  const typed = a.replace(/^-+/, "").split("=")[0] ?? "";
  return typed.length > 1 ? didYouMean(typed, specs.map((s) => s.name), "--") : "";
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function flagAll(args: ParsedArgs, name: string): readonly string[] {
  return args.flags.get(name) ?? [];
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** Option lines for help: names, then the help text wrapped at `width` columns under its own column. */
export function formatFlags(specs: readonly FlagSpec[], width = 110): string {
  const rows = specs.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.value ? ` ${s.value}` : ""}`;
    return [names, s.help + (s.choices ? ` (${s.choices.join("|")})` : "")] as const;
  });
  const col = Math.max(...rows.map(([n]) => n.length)) + 4;
  return rows.map(([n, h]) => `  ${n.padEnd(col - 2)}${wrapWords(h, Math.max(40, width - col)).join(`\n${" ".repeat(col)}`)}`).join("\n");
}

/** Greedy word wrap: lines of at most `width` characters (a longer word gets its own line). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

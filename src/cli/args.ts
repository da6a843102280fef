// Command-line parsing without dependencies: flags are declared once, with
// their help text, so `--help` can never drift from what is accepted.

export interface FlagSpec {
  readonly name: string; // long name without dashes
  readonly short?: string;
  readonly value?: string; // metavariable; absent = boolean flag
  readonly repeatable?: boolean;
  readonly choices?: readonly string[];
  readonly help: string;
}

export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

export class UsageError extends Error {}

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
    if (!spec) throw new UsageError(`unknown option '${a}'`);
    let value = "true";
    if (spec.value) {
      if (attached !== undefined) value = attached;
      else if (eq > 0 && a.startsWith("--")) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i] as string;
      else throw new UsageError(`option '--${spec.name}' needs a value (${spec.value})`);
      if (spec.choices && !spec.choices.includes(value)) {
        throw new UsageError(`option '--${spec.name}' must be one of ${spec.choices.join(", ")}, not '${value}'`);
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

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function flagAll(args: ParsedArgs, name: string): readonly string[] {
  return args.flags.get(name) ?? [];
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.value ? ` ${s.value}` : ""}`;
    return [names, s.help + (s.choices ? ` (${s.choices.join("|")})` : "")] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  return rows.map(([n, h]) => `  ${n.padEnd(width)}${h}`).join("\n");
}

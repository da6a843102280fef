// Run counts and seeds for the property tests, from the environment, so a
// long soak (`NETPOLC_PROPERTY_RUNS=5000 npx vitest run test/property`) and the
// replay of a reported failure (`NETPOLC_PROPERTY_SEED=<seed>`, plus
// NETPOLC_PROPERTY_PATH=<path> to jump to the shrunk case) need no code change.
import type fc from "fast-check";

function intFromEnv(name: string): number | null {
  const v = process.env[name];
  if (v === undefined || v === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n) || (n <= 0 && name.endsWith("RUNS"))) throw new Error(`${name} must be an integer, not ${JSON.stringify(v)}`);
  return n;
}

/** `defaultRuns` scaled by `share` when NETPOLC_PROPERTY_RUNS is set (cheaper properties take a share of it). */
export function propertyParams<T>(defaultRuns: number, share = 1): fc.Parameters<T> {
  const runs = intFromEnv("NETPOLC_PROPERTY_RUNS");
  const seed = intFromEnv("NETPOLC_PROPERTY_SEED");
  const path = process.env["NETPOLC_PROPERTY_PATH"];
  return {
    numRuns: runs === null ? defaultRuns : Math.max(1, Math.round(runs * share)),
    ...(seed !== null ? { seed } : {}),
    ...(path ? { path } : {}),
    endOnFailure: false,
  };
}

// How the schemas are compiled, shared by the build-time generator
// (scripts/gen-validators.ts, ajv standalone) and the run-time decoder
// (schema.ts), so the generated validators are the ones the options describe.

// logger: false — ajv would otherwise print strict-mode notes to the console; verbose: errors carry the
// data and the parent schema (the x-go-* names Go's error text needs).
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true, logger: false } as const;

/** Schema keywords of ours that ajv's strict mode must accept (and ignore). */
export const AJV_VOCABULARY = ["x-go-struct", "x-go-type", "x-go-map"] as const;

/** The generated module's export for a schema file's stem (`blockaffinity-v3` → `blockaffinity_v3`). */
export const exportName = (stem: string): string => stem.replace(/-/g, "_");

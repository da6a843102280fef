import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 20000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/kernel/**"], sequence: { groupOrder: 0 } },
      },
      {
        // Kernel tests build network namespaces and probe with short
        // timeouts: they run after the unit project has finished (groupOrder)
        // and one file at a time, so they share the CPU with nothing heavy
        // and never contend with each other for the xtables lock.
        extends: true,
        test: {
          name: "kernel",
          include: ["test/kernel/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

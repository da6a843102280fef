import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20000,
    // Kernel tests create network namespaces and must not run concurrently
    // with each other; they serialise themselves inside their own file.
    pool: "forks",
  },
});

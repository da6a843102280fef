// Scratch directories for tests, removed when the test file is done (also when a test fails): a CI run used to
// leave about a hundred netpolc-* directories in the temporary directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];

// Evaluated while the importing test file is collected, so the hook belongs to that file's root suite.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory `<tmpdir>/<prefix>XXXXXX`, removed after the importing test file's last test. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

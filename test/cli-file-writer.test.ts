// Output files are created on a helper thread (src/cli/file-writer.ts). The
// bytes must be what one thread writes, and a file that cannot be written must
// fail the compile before anything is renamed into place. The worker exists
// only as compiled code, so this drives the built CLI (npm test builds dist/).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { generateCluster, writeCluster } from "../scripts/gen-cluster.js";
import { tempDir } from "./helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin", "netpolc.js");
type Writer = typeof import("../src/cli/file-writer.js");
const { fileWriter } = (await import(join(ROOT, "dist", "src", "cli", "file-writer.js"))) as Writer;

const netpolc = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
const files = (dir: string) => new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));

describe("file writer thread", () => {
  test("a compile writes the same bytes by default as with --jobs 1 (one thread throughout)", () => {
    const root = tempDir("netpolc-writer-");
    // 12 nodes: 36 files, enough for the writer thread to be used.
    writeCluster(join(root, "in"), generateCluster({ pods: 120, policies: 12, nodes: 12 }));
    const threaded = netpolc("compile", join(root, "in"), "-o", join(root, "a"));
    const single = netpolc("compile", join(root, "in"), "-o", join(root, "b"), "--jobs", "1");
    expect([threaded.status, threaded.stderr, single.status, single.stderr]).toEqual([0, "", 0, ""]);
    const a = files(join(root, "a"));
    expect(a.size).toBe(36);
    expect(a).toEqual(files(join(root, "b")));
  });

  test("a file that cannot be written fails finish(), naming the error", () => {
    const dir = tempDir("netpolc-writer-");
    mkdirSync(join(dir, "n7.iptables"));
    const sink = fileWriter(dir, 100, true, 0);
    expect(() => {
      for (let i = 0; i < 100; i++) sink.write(`n${i}.iptables`, Buffer.from(`file ${i}\n`));
      sink.finish();
    }).toThrow(/writing .* failed: EISDIR/);
    expect(existsSync(join(dir, "n6.iptables"))).toBe(true);
  });

  test("every file is on disk when finish() returns", () => {
    const dir = tempDir("netpolc-writer-");
    const sink = fileWriter(dir, 200, true, 0);
    for (let i = 0; i < 200; i++) sink.write(`n${i}.ipsets`, Buffer.from(`set ${i}\n`.repeat(i + 1)));
    sink.finish();
    expect(readdirSync(dir).length).toBe(200);
    expect(readFileSync(join(dir, "n199.ipsets"), "utf8")).toBe("set 199\n".repeat(200));
  });

  test("files written here, then through the thread's reused slots, each hold their own bytes", () => {
    const dir = tempDir("netpolc-writer-");
    // The thread takes over after ~20 files; slots are reused every 16 files and grow past 1 MiB.
    const body = (i: number) => Buffer.alloc(i % 7 === 0 ? (1 << 20) + i * 4096 : 1000 + i, 97 + (i % 26));
    const sink = fileWriter(dir, 100, true, 20_000);
    // One reused buffer, as the compile's byte sink hands over: a file's bytes must be copied before the next is written.
    const reused = Buffer.alloc(2 << 20);
    for (let i = 0; i < 100; i++) {
      const b = body(i);
      b.copy(reused);
      sink.write(`n${i}.iptables`, reused.subarray(0, b.length));
    }
    sink.finish();
    for (let i = 0; i < 100; i++) expect(readFileSync(join(dir, `n${i}.iptables`)).equals(body(i)), `n${i}`).toBe(true);
  });

  test("embedded by `node --input-type=module -e`, whose option a worker started from a file rejects, the thread still writes", () => {
    const dir = tempDir("netpolc-writer-");
    const url = new URL(`file://${join(ROOT, "dist", "src", "cli", "file-writer.js")}`).href;
    const code = `const { fileWriter } = await import(${JSON.stringify(url)}); const s = fileWriter(${JSON.stringify(dir)}, 40, true, 0); for (let i = 0; i < 40; i++) s.write("n" + i, Buffer.from("x" + i)); s.finish();`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(readdirSync(dir).length).toBe(40);
    expect(readFileSync(join(dir, "n39"), "utf8")).toBe("x39");
  });

  test("a writer thread that cannot start is given up after its start time, and every file is written here", () => {
    const dir = tempDir("netpolc-writer-");
    const script = join(tempDir("netpolc-worker-"), "broken.mjs");
    writeFileSync(script, 'throw new Error("this writer cannot start");\n');
    const t0 = Date.now();
    const sink = fileWriter(dir, 40, true, 0, { url: new URL(`file://${script}`), startMs: 300 });
    for (let i = 0; i < 40; i++) sink.write(`n${i}`, Buffer.from(`x${i}`));
    sink.finish();
    // Waited for the thread once (0.3 s), not the two-minute stall of a writer that stopped.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(readdirSync(dir).length).toBe(40);
    for (let i = 0; i < 40; i++) expect(readFileSync(join(dir, `n${i}`), "utf8")).toBe(`x${i}`);
  });

  test("a compile of few files writes them here: an unwritable one fails at once", () => {
    const dir = tempDir("netpolc-writer-");
    mkdirSync(join(dir, "n3.iptables"));
    // 50 files: at most DIRECT_FILES, so none goes through the thread.
    const sink = fileWriter(dir, 50, true);
    expect(() => {
      for (let i = 0; i < 50; i++) sink.write(`n${i}.iptables`, Buffer.from(`file ${i}\n`));
    }).toThrow(/EISDIR/);
    expect(existsSync(join(dir, "n2.iptables"))).toBe(true);
    expect(existsSync(join(dir, "n4.iptables"))).toBe(false);
  });
});

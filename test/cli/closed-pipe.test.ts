// A reader that stops reading (`netpolc matrix … | head`): the launcher stops
// quietly with the status of a command killed by SIGPIPE (141), as cat or
// grep would; before, Node threw an unhandled EPIPE with a stack trace.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "netpolc.js");
const BOOKINFO = join(ROOT, "examples", "bookinfo");

function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  // Closed before the first write: every write the command makes meets a pipe without a reader.
  child.stdout.destroy();
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, err })));
}

describe("stdout closed by its reader", () => {
  it.each([
    ["matrix --format json", ["matrix", BOOKINFO, "--format", "json"]],
    ["compile --emit", ["compile", BOOKINFO, "--emit", "iptables", "--node", "ubuntu1"]],
  ])("%s: exit 141, nothing on stderr", async (_name, args) => {
    expect(await runWithClosedStdout(args)).toEqual({ code: 141, err: "" });
  }, 60_000);
});

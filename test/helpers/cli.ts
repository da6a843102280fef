// The CLI in-process, as the CLI tests drive it: argv in; exit code, stdout and stderr out.
import { main, type Io } from "../../src/cli/main.js";

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(argv: readonly string[], stdin = ""): Promise<CliRun> {
  let out = "";
  let err = "";
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), readStdin: () => stdin };
  const code = await main(argv, io);
  return { code, out, err };
}

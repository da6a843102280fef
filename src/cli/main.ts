// netpolc's entry point: the only module that touches argv, stdio and the exit
// code (but for the launcher, bin/netpolc.js, which ends the process with 141
// when stdout's reader has closed it). It loads nothing but the command table:
// a command's implementation is imported when it runs (commands.ts), so
// `--version`, help and completion start in milliseconds.
import { readFileSync } from "node:fs";
import { InputError, UsageError } from "./args.js";
import { COMMAND_NAMES, findCommand } from "./commands.js";
import { commandHelp, overview, shortList } from "./help.js";
import type { Io } from "./io.js";
import { didYouMean } from "./suggest.js";
import { VERSION } from "./version.js";

export type { Io } from "./io.js";
export { VERSION } from "./version.js";

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: () => readFileSync(0, "utf8"),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  progressStream: process.stderr,
};

/** `-h`/`--help` anywhere before `--` asks for the command's help. */
function wantsHelp(rest: readonly string[]): boolean {
  const end = rest.indexOf("--");
  return (end < 0 ? rest : rest.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    io.stderr(shortList());
    return 2;
  }
  if (cmd === "--help" || cmd === "-h") {
    io.stdout(overview());
    return 0;
  }
  if (cmd === "--version" || cmd === "-V") {
    io.stdout(`netpolc ${VERSION}\n`);
    return 0;
  }
  const spec = findCommand(cmd);
  if (!spec) {
    if (cmd.startsWith("-")) throw new UsageError(`unknown option '${cmd}' before a command${didYouMean(cmd.replace(/^-+/, ""), ["help", "version"], "--")}`);
    throw new UsageError(`unknown command '${cmd}'${didYouMean(cmd, COMMAND_NAMES)}`);
  }
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(spec));
    return 0;
  }
  const run = await spec.load();
  return await run(rest, io);
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr(`netpolc: ${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      const cmd = argv[0] !== undefined && findCommand(argv[0]) ? ` ${argv[0]}` : "";
      io.stderr(`netpolc: ${e.message}\nTry 'netpolc${cmd} --help'.\n`);
      return 2;
    }
    io.stderr(`netpolc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 2;
  }
}

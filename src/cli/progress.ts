// Progress for long runs: one self-redrawing line on stderr (stage, done /
// total, rate, ETA), drawn by cli-progress, cleared when the work ends. Never
// where it would be noise or break a reader: not in pipes or files, not in CI,
// not with --format json, not with NO_COLOR or TERM=dumb; and only once the
// work has taken about two seconds, so short runs stay silent. --progress
// forces it (at once, even off a terminal, where it is a new line every
// NO_TTY_EVERY_MS: a log's reader sees it move); --no-progress suppresses it.
// Progress never changes stdout or the exit status.
import { createRequire } from "node:module";
import type { SingleBar } from "cli-progress";
import { has, type ParsedArgs } from "./args.js";
import type { Io } from "./io.js";

/** Work shorter than this shows nothing (the "longer than about two seconds"). */
export const PROGRESS_DELAY_MS = 2000;

export interface Progress {
  /** A new stage of `total` units; replaces the one before. */
  stage(name: string, total: number, unit: string): void;
  tick(n?: number): void;
  /** Clears the line; safe to call twice. */
  done(): void;
}

export const NO_PROGRESS: Progress = { stage: () => {}, tick: () => {}, done: () => {} };

/** Whether progress is shown for this run: the flags first, then the terminal and the environment. */
export function progressWanted(io: Io, args: ParsedArgs, format: string | undefined): "forced" | "auto" | "off" {
  if (has(args, "no-progress")) return "off";
  if (has(args, "progress")) return "forced";
  const env = io.env ?? {};
  const quiet = !io.stderrIsTTY || !!env["CI"] || env["NO_COLOR"] !== undefined || env["TERM"] === "dumb" || format === "json";
  return quiet ? "off" : "auto";
}

/**
 * Off a terminal (forced), a line at most this often. cli-progress draws off a terminal only from a timer, and a
 * timer never fires while a long verify runs synchronously: such lines are drawn here, as the work ticks.
 */
export const NO_TTY_EVERY_MS = 2000;

/** A clock, injectable so tests need not wait two seconds. */
export type Clock = () => number;

/** cli-progress is CommonJS; loaded only when a bar is drawn. */
const load = (): typeof import("cli-progress") => createRequire(import.meta.url)("cli-progress") as typeof import("cli-progress");

export function progressFor(io: Io, args: ParsedArgs, format?: string, clock: Clock = Date.now): Progress {
  const mode = progressWanted(io, args, format);
  const stream = io.progressStream;
  if (mode === "off" || !stream) return NO_PROGRESS;
  const delay = mode === "forced" ? 0 : PROGRESS_DELAY_MS;
  const began = clock();
  let bar: SingleBar | null = null;
  let current = { name: "", total: 0, unit: "", done: 0, since: began };
  let drawn = -Infinity;
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  let lastLine = -Infinity;
  const draw = (force = false): void => {
    // At most ten updates a second: a verify ticks hundreds of thousands of times.
    const now = clock();
    if (!force && now - drawn < 100) return;
    drawn = now;
    if (!bar) {
      if (now - began < delay) return;
      const { SingleBar, Presets } = load();
      bar = new SingleBar(
        {
          stream: stream as NodeJS.WritableStream,
          format: "{stage} [{bar}] {value}/{total} {unit} | {rate}/s | ETA {eta_formatted}",
          clearOnComplete: true,
          hideCursor: false,
          noTTYOutput: mode === "forced",
          etaBuffer: 50,
          fps: 5,
        },
        Presets.shades_classic,
      );
      bar.start(current.total, current.done, payload());
      lastLine = now; // start drew the first line
    }
    bar.setTotal(current.total);
    bar.update(current.done, payload());
    if (!tty && now - lastLine >= NO_TTY_EVERY_MS) {
      lastLine = now;
      bar.render();
    }
  };
  const payload = (): Record<string, string> => {
    const secs = Math.max((clock() - current.since) / 1000, 0.001);
    return { stage: current.name, unit: current.unit, rate: (current.done / secs).toFixed(current.done / secs < 10 ? 1 : 0) };
  };
  return {
    stage(name, total, unit) {
      current = { name, total, unit, done: 0, since: clock() };
      draw(true);
    },
    tick(n = 1) {
      current.done += n;
      draw();
    },
    done() {
      bar?.stop();
      bar = null;
    },
  };
}

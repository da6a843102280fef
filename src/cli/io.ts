// The streams a command writes to and reads from: process stdio in the
// binary, strings in the in-process CLI tests (test/helpers/cli.ts).
export interface Io {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readStdin: () => string;
  /** Whether stderr is a terminal (progress is drawn only there, progress.ts); absent = no. */
  readonly stderrIsTTY?: boolean;
  /** The environment progress and colour decisions read (CI, NO_COLOR, TERM); absent = empty. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where progress is drawn (process.stderr in the binary); absent = nowhere. */
  readonly progressStream?: { write(s: string): unknown; readonly columns?: number };
}

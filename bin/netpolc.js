#!/usr/bin/env -S node --max-semi-space-size=64 --no-allocation-site-pretenuring
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` via the
// `prepare` script, or `npm run build`).
// --max-semi-space-size=64: rendering many nodes and class verify's pair loop
// make short-lived garbage that a larger young generation collects far more
// cheaply. 32 (the earlier value) gave 10k pods 10–20 % less wall time than
// V8's default; 64 gave a 50k-pod verify's pair loop 24 % more pairs a second
// than 32 (~25 % fewer scavenge milliseconds), left the medium and 50k
// compiles and the medium and 10k verifies within this VM's noise (the 10k
// compile perhaps ~5 % slower), and costs 40–110 MiB of peak RSS (README
// "Performance"). V8 sizes it at process start, so it must be a node
// flag here, not v8.setFlagsFromString.
// --no-allocation-site-pretenuring: V8 otherwise allocates straight in the old
// generation from an allocation site whose objects survived for a while, and a
// site whose objects live long in one phase and die young in the next then
// fills the old generation with garbage: a medium verify grew to ~680 MiB and
// ran ~1.5 s longer in about one run in three, and a 50k compile peaked at
// ~690 MiB, against ~320 MiB and ~500 MiB without pretenuring, and no slower
// at any size measured (README "Performance"). V8's trace names the sites by
// address only, so which of netpolc's allocations they are is not known.
// scripts/bench.ts starts its children with the flags of the line above.
import { main } from "../dist/src/cli/main.js";

// A reader that stops reading (`netpolc matrix … | head`) closes the pipe: stop
// quietly with the status of a command killed by SIGPIPE (128 + 13), as cat or
// grep would, instead of an unhandled EPIPE and a stack trace.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(141);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));

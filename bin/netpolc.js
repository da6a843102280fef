#!/usr/bin/env -S node --max-semi-space-size=32
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` via the
// `prepare` script, or `npm run build`).
// --max-semi-space-size=32: rendering many nodes makes short-lived garbage
// that a larger young generation collects far more cheaply (10k pods: 10–20 %
// less wall time, same peak RSS; README "Performance"). V8 sizes it at process
// start, so it must be a node flag here, not v8.setFlagsFromString.
import { main } from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));

// Parse-time benchmark for src/rules/parser.ts on a synthetic Felix-like
// ruleset (700k-line rulesets are the target; this measures 100k rules by default).
// Not a test: it prints figures and checks only that the round trip holds.
//
//   TS_NODE_TRANSPILE_ONLY=1 node --loader ts-node/esm scripts/bench-parser.ts [rules=100000]
import { performance } from "node:perf_hooks";
import { parseRuleSet } from "../src/rules/parser.js";
import { writeRuleSet } from "../src/rules/writer.js";

const RULES_PER_CHAIN = 50;

/** Policy-chain shaped rules: hash comment, set match, multiport, mark, MARK/RETURN targets. */
function synthetic(rules: number): string {
  const chains = Math.ceil(rules / RULES_PER_CHAIN);
  const names = Array.from({ length: chains }, (_, i) => `cali-pi-_${i.toString(36).padStart(19, "_")}`).sort();
  const out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"];
  for (const n of names) out.push(`:${n} - [0:0]`);
  let left = rules;
  for (const n of names) {
    for (let r = 0; r < RULES_PER_CHAIN && left > 0; r++, left--) {
      const k = (r * 7919 + n.length) % 1000;
      out.push(
        r % 2 === 0
          ? `-A ${n} -p tcp -m comment --comment "cali:${k.toString(36).padStart(16, "A")}" -m set --match-set cali40s:Lr${k}VD8vMIGQDyv8Y7sPFB src -m multiport --dports 80,443,8000:8080 -j MARK --set-xmark 0x10000/0x10000`
          : `-A ${n} -s 10.${r}.0.0/16 -m comment --comment "cali:${k.toString(36).padStart(16, "B")}" -m mark --mark 0x10000/0x10000 -j RETURN`,
      );
    }
  }
  out.push("COMMIT");
  return out.join("\n") + "\n";
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

const rules = Number(process.argv[2] ?? 100_000);
const REPS = 5;
const text = synthetic(rules);
const lines = text.split("\n").length - 1;
console.log(`input: ${rules} rules, ${lines} lines, ${(text.length / 1048576).toFixed(1)} MiB; best and median of ${REPS} runs`);
parseRuleSet(synthetic(2000)); // warm up the JIT and chevrotain's lookahead caches
const parseTimes: number[] = [];
const writeTimes: number[] = [];
let parsed = parseRuleSet("");
let written = "";
let heapMiB = 0;
for (let i = 0; i < REPS; i++) {
  const heap0 = process.memoryUsage().heapUsed;
  [parsed, parseTimes[i]] = time(() => parseRuleSet(text));
  if (i === 0) heapMiB = (process.memoryUsage().heapUsed - heap0) / 1048576;
  [written, writeTimes[i]] = time(() => writeRuleSet(parsed.ruleset));
}
// Sorted for the median; the machine may be shared, so the best run is the figure to compare.
const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `best ${s[0]!.toFixed(0)} ms, median ${s[s.length >> 1]!.toFixed(0)} ms`;
};
const best = Math.min(...parseTimes);
console.log(`parse: ${fmt(parseTimes)} (${((lines / best) * 1000).toFixed(0)} lines/s at best); heap ≈ +${heapMiB.toFixed(0)} MiB`);
console.log(`write: ${fmt(writeTimes)}`);
console.log(`diagnostics: ${parsed.diagnostics.length}; round trip: ${written === text ? "identical" : "DIFFERENT"}`);
if (written !== text || parsed.diagnostics.length > 0) process.exitCode = 1;

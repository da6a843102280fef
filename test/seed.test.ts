// The seed talk's `calicoctl get workloadendpoint` table (../shared/seed/):
// every workload must get exactly its interface name, chains and route on
// its node when examples/bookinfo is compiled.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS, emitText } from "../src/pipeline.js";

// WORKLOAD, NODE, NETWORKS, INTERFACE — as printed in the talk.
const SEED = `
details-v1-68c7c8666d-x57tf      ubuntu2 192.168.1.62/32 cali8c5ecab8e58
main-699dd9dc98-6fz62            ubuntu3 192.168.2.54/32 calib6d81851da5
main-699dd9dc98-nlxss            ubuntu2 192.168.1.67/32 cali4d4a0d13a0e
main-699dd9dc98-vb9c5            ubuntu1 192.168.0.56/32 cali6d8add8d729
productpage-v1-54d799c966-h96dv  ubuntu3 192.168.2.63/32 calic30c889d0d0
ratings-v1-8558d4458d-86mtm      ubuntu3 192.168.2.55/32 cali21230f2dafe
reviews-v1-cb8655c75-9tz9q       ubuntu1 192.168.0.52/32 calida284fa5314
reviews-v2-7fc9bb6dcf-45d6z      ubuntu2 192.168.1.66/32 calie03b469bdcb
reviews-v3-c995979bc-78g8r       ubuntu3 192.168.2.58/32 cali3ce30d54769
`.trim().split("\n").map((l) => l.trim().split(/\s+/) as [string, string, string, string]);

const EXAMPLE = join(import.meta.dirname, "..", "examples", "bookinfo");

function files(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return files(p);
    return /\.ya?ml$/.test(n) ? [{ path: p, text: readFileSync(p, "utf8") }] : [];
  });
}

describe("seed workloads in examples/bookinfo", () => {
  const res = compile(files(EXAMPLE), DEFAULT_COMPILE_OPTIONS);
  const out = new Map(res.outputs.map((o) => [o.node, { iptables: emitText(o, "iptables"), routes: emitText(o, "routes") }]));

  it("compiles without errors for the three seed nodes", () => {
    expect(res.diag.hasErrors()).toBe(false);
    expect([...out.keys()]).toEqual(["ubuntu1", "ubuntu2", "ubuntu3"]);
  });

  for (const [pod, node, cidr, iface] of SEED) {
    it(`${pod} is ${iface} on ${node}`, () => {
      for (const [n, o] of out) {
        const here = n === node;
        expect(o.iptables.includes(`:cali-tw-${iface} - [0:0]`), `${n} tw chain`).toBe(here);
        expect(o.iptables.includes(`:cali-fw-${iface} - [0:0]`), `${n} fw chain`).toBe(here);
        expect(o.routes.includes(`route replace ${cidr} dev ${iface} scope link\n`), `${n} route`).toBe(here);
      }
      expect(out.get(node)!.iptables).toContain(`-A cali-to-wl-dispatch`);
    });
  }
});

// The seed talk's `calicoctl get workloadendpoint` table (../shared/seed/):
// every workload must get exactly its interface name, chains and route on
// its node when examples/bookinfo is compiled.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, DEFAULT_COMPILE_OPTIONS, emitText } from "../src/pipeline.js";
import { SEED_WORKLOADS } from "./helpers/seed.js";
import { inputsOf } from "./helpers/golden-cases.js";

const EXAMPLE = join(import.meta.dirname, "..", "examples", "bookinfo");

describe("seed workloads in examples/bookinfo", () => {
  const res = compile(inputsOf(EXAMPLE), DEFAULT_COMPILE_OPTIONS);
  const out = new Map(res.outputs.map((o) => [o.node, { iptables: emitText(o, "iptables"), routes: emitText(o, "routes") }]));

  it("compiles without errors for the three seed nodes", () => {
    expect(res.diag.hasErrors()).toBe(false);
    expect([...out.keys()]).toEqual(["ubuntu1", "ubuntu2", "ubuntu3"]);
  });

  for (const [pod, node, cidr, iface] of SEED_WORKLOADS) {
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

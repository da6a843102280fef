// The connectivity matrix of examples/bookinfo from the evaluator: ports,
// verdicts, deciding rules with positions, --against, determinism.
import { describe, expect, it } from "vitest";
import { buildMatrix, changed, mentionedPorts, type Cell, type Matrix } from "../../src/views/matrix.js";
import { matrixText } from "../../src/views/matrix-text.js";
import { matrixDoc, matrixJson, matrixJsonChunks } from "../../src/views/matrix-json.js";
import { matrixHtml, matrixHtmlChunks } from "../../src/views/matrix-html.js";
import { BOOKINFO, bookinfoEdited, readTree, side } from "./helpers.js";

const now = side(readTree(BOOKINFO));
function key(m: Matrix, label: string, from: string, to: string): Cell {
  const t = m.tables.find((x) => x.label === label);
  const r = m.parties.findIndex((p) => p.key.startsWith(`default/${from}`));
  const d = m.parties.findIndex((p) => p.key.startsWith(`default/${to}`));
  const c = t?.cells[r]?.[d];
  if (!c) throw new Error(`no cell ${label} ${from} ${to}`);
  return c;
}

describe("matrix of examples/bookinfo", () => {
  const m = buildMatrix(now, "pod");

  it("has a table per port class: each mentioned port, each named port, and per protocol the rest as the set it is", () => {
    expect(mentionedPorts(now.model).map((p) => `${p.port}/${p.protocol}${p.mentioned ? "" : "?"}`)).toEqual([
      "53/TCP", "9080/TCP", "http/TCP", "1/TCP?", "53/UDP", "1/UDP?",
    ]);
    // The rest leaves out 8080 too: the named port http resolves to it on some pods, so it is not like the others.
    expect(m.tables.map((t) => t.label)).toEqual(["53/TCP", "9080/TCP", "http/TCP", "every TCP port but 53, 8080, 9080", "53/UDP", "every UDP port but 53"]);
    // The talk's nine pods of namespace default, dev/sandbox and kube-system's CoreDNS.
    expect(m.parties).toHaveLength(11);
    for (const t of m.tables) expect(t.cells.map((r) => r.length)).toEqual(Array(11).fill(11));
  });

  it("cells follow the policies, with the deciding rule and its position", () => {
    const toRatings = key(m, "9080/TCP", "reviews-v1", "ratings");
    expect(toRatings.state).toBe("allowed");
    expect(toRatings.why).toContainEqual(expect.stringMatching(
      /^ingress allowed by default\/ratings-from-reviews ingress\[0\] \(.*policies\/bookinfo-allow\.yaml:\d+:\d+\)$/,
    ));
    expect(toRatings.why).toContain("egress allowed: not isolated");
    const denied = key(m, "9080/TCP", "details", "ratings");
    expect(denied.state).toBe("denied");
    expect(denied.why.join("\n")).toMatch(/^ingress denied: no rule matched in .*default\/default-deny-ingress \(.*default-deny-ingress\.yaml:\d+:\d+\)/);
    expect(denied.why.join("\n")).not.toContain("egress");
    expect(key(m, "every TCP port but 53, 8080, 9080", "reviews-v1", "ratings").state).toBe("denied");
    expect(key(m, "http/TCP", "reviews-v1", "ratings").state).toBe("allowed");
    expect(key(m, "9080/TCP", "productpage", "productpage").why).toEqual(["egress allowed: same pod", "ingress allowed: same pod"]);
  });

  it("a named port a destination lacks is n/a, not a verdict", () => {
    const s = side(readTree(BOOKINFO));
    const m2 = buildMatrix(s, "pod", [{ protocol: "TCP", port: "metrics", mentioned: true }]);
    // Only CoreDNS (the last party) has a port named metrics (9153/TCP): a verdict in its column, n/a everywhere else.
    const dns = m2.parties.findIndex((p) => p.key.startsWith("kube-system/coredns-"));
    expect(dns).toBe(10);
    const cells = m2.tables[0]!.cells;
    expect(new Set(cells.flatMap((row) => row.filter((_, d) => d !== dns)).map((c) => c.state))).toEqual(new Set(["n/a"]));
    // No policy selects kube-system, so only the egress-isolated main pods are denied.
    expect(cells.map((row) => row[dns]!.state)).toEqual(m2.parties.map((p) => (p.key.startsWith("default/main-") ? "denied" : "allowed")));
    expect(matrixText(m2)).toContain("metrics/TCP: 8 allowed, 3 denied\n");
  });

  it("by namespace aggregates pod pairs", () => {
    const ns = buildMatrix(now, "namespace", [{ protocol: "TCP", port: 9080, mentioned: true }]);
    expect(ns.parties.map((p) => p.key)).toEqual(["default", "dev", "kube-system"]);
    const cell = (r: number, d: number): unknown[] => {
      const c = ns.tables[0]!.cells[r]![d]!;
      return [c.state, c.allowed, c.denied];
    };
    expect(cell(0, 0)).toEqual(["mixed", 21, 60]);
    expect(cell(0, 1)).toEqual(["allowed", 9, 0]); // main's prevent-egress opens role=dev
    expect(cell(0, 2)).toEqual(["mixed", 6, 3]); // main may reach CoreDNS on 53 only
    expect(cell(1, 0)).toEqual(["mixed", 1, 8]); // the sandbox reaches productpage only
  });

  it("text is a compact cyclonus-like table", () => {
    const text = matrixText(buildMatrix(now, "pod", [{ protocol: "TCP", port: 9080, mentioned: true }]));
    expect(text).toBe(
      [
        "rows: sources, columns: destinations (by pod); . allowed, X denied, ~ some pods allowed, - no such port",
        "",
        "9080/TCP: 42 allowed, 79 denied",
        "                                             1  2  3  4  5  6  7  8  9 10 11",
        " 1 default/details-v1-68c7c8666d-x57tf      .  X  X  X  .  X  X  X  X  .  .",
        " 2 default/main-699dd9dc98-6fz62            X  .  X  X  X  X  X  X  X  .  X",
        " 3 default/main-699dd9dc98-nlxss            X  X  .  X  X  X  X  X  X  .  X",
        " 4 default/main-699dd9dc98-vb9c5            X  X  X  .  X  X  X  X  X  .  X",
        " 5 default/productpage-v1-54d799c966-h96dv  .  X  X  X  .  X  .  .  .  .  .",
        " 6 default/ratings-v1-8558d4458d-86mtm      X  X  X  X  .  .  X  X  X  .  .",
        " 7 default/reviews-v1-cb8655c75-9tz9q       X  X  X  X  .  .  .  X  X  .  .",
        " 8 default/reviews-v2-7fc9bb6dcf-45d6z      X  X  X  X  .  .  X  .  X  .  .",
        " 9 default/reviews-v3-c995979bc-78g8r       X  X  X  X  .  .  X  X  .  .  .",
        "10 dev/sandbox                              X  X  X  X  .  X  X  X  X  .  .",
        "11 kube-system/coredns-5dd5756b68-7xk9t     X  X  X  X  .  X  X  X  X  .  .",
        "",
      ].join("\n"),
    );
  });

  it("json is stable: same bytes whatever the input order", () => {
    const reversed = side([...readTree(BOOKINFO)].reverse());
    const a = matrixJson(m);
    expect(matrixJson(buildMatrix(reversed, "pod"))).toBe(a);
    const doc = JSON.parse(a) as { tables: { port: unknown; protocol: string; rows: { from: string; cells: { to: string; verdict: string }[] }[] }[] };
    expect(doc.tables.map((t) => `${String(t.port)}/${t.protocol}`)).toEqual(["53/TCP", "9080/TCP", "http/TCP", "1/TCP", "53/UDP", "1/UDP"]);
    const froms = doc.tables[0]!.rows.map((r) => r.from);
    expect(froms).toEqual([...froms].sort());
    expect(matrixHtml(buildMatrix(reversed, "pod"))).toBe(matrixHtml(m));
  });
});

describe("matrix --against", () => {
  const edited = side(bookinfoEdited());
  const m = buildMatrix(edited, "pod", undefined, now);

  it("marks exactly the flows whose verdict changed", () => {
    const t = m.tables.find((x) => x.label === "9080/TCP")!;
    const changedPairs = t.cells.flatMap((row, r) => row.flatMap((c, d) => (changed(c) ? [`${m.parties[r]!.key.split("-")[0]}→${m.parties[d]!.key.split("-")[0]}:${c.was}→${c.state}`] : [])));
    expect(changedPairs.sort()).toEqual([
      "default/productpage→default/details:allowed→denied",
      "default/reviews→default/details:denied→allowed",
      "default/reviews→default/details:denied→allowed",
      "default/reviews→default/details:denied→allowed",
    ]);
    expect(m.tables.find((x) => x.label === "53/UDP")!.cells.flat().some(changed)).toBe(false);
  });

  it("shows the change in text (*), JSON (was/changed) and HTML (outlined cells)", () => {
    expect(matrixText(m)).toContain("* verdict changed");
    expect(matrixText(m)).toMatch(/9080\/TCP: \d+ allowed, \d+ denied, 4 changed/);
    const json = JSON.parse(matrixJson(m)) as { tables: { rows: { cells: { changed: boolean; was: string }[] }[] }[] };
    expect(json.tables.flatMap((t) => t.rows.flatMap((r) => r.cells)).filter((c) => c.changed)).toHaveLength(8);
    const html = matrixHtml(m);
    expect(html.match(/class="cell [a-z]+ changed"/g)).toHaveLength(8);
    expect(html).toContain("9080/TCP (4 changed)");
  });

  it("a pod missing from the old snapshot is absent, not changed", () => {
    const oldModel = { ...now.model, cluster: { ...now.model.cluster, pods: now.model.cluster.pods.slice(1) } };
    const m2 = buildMatrix(now, "pod", [{ protocol: "TCP", port: 9080, mentioned: true }], { model: oldModel, sources: now.sources });
    const row0 = m2.tables[0]!.cells[0]!;
    expect(row0.every((c) => c.was === "absent" && !changed(c))).toBe(true);
  });
});

describe("port classes", () => {
  it("a named port's container port splits a mentioned range, and the rest leaves both out", () => {
    const text = `apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {app: a}}
spec: {nodeName: n1, containers: [{name: c, image: x, ports: [{name: web, containerPort: 8080}]}]}
status: {podIP: 192.168.0.2, phase: Running}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: default}
spec: {podSelector: {}, ingress: [{ports: [{port: 8000, endPort: 9000}, {port: web}]}]}
`;
    const s = side([{ path: "in.yaml", text }]);
    expect(mentionedPorts(s.model).map((p) => p.label ?? `${p.port}/${p.protocol}`)).toEqual([
      "8000-8079/TCP", "8080/TCP", "8081-9000/TCP", "web/TCP", "every TCP port but 8000-9000",
    ]);
  });
});

describe("matrix by namespace judges one pod pair per class", () => {
  it("every cell's counts equal those of every pod pair judged one by one (synthetic `small` cluster)", async () => {
    const { generateCluster, SIZES } = await import("../../scripts/gen-cluster.js");
    const s = side(generateCluster(SIZES.small).files.map((f) => ({ path: f.path, text: f.text })));
    const m = buildMatrix(s, "namespace");
    const { createEvaluator } = await import("../../src/semantics/index.js");
    const { isEndpoint } = await import("../../src/ir/cluster.js");
    const { resolveNamedPort } = await import("../../src/semantics/index.js");
    const ev = createEvaluator(s.model);
    const pods = s.model.cluster.pods.filter(isEndpoint);
    let checked = 0;
    for (const t of m.tables) {
      t.cells.forEach((row, i) =>
        row.forEach((cell, j) => {
          const [src, dst] = [m.parties[i]!.key, m.parties[j]!.key];
          let [allowed, denied] = [0, 0];
          for (const a of pods.filter((p) => p.namespace === src)) {
            for (const b of pods.filter((p) => p.namespace === dst)) {
              const port = typeof t.port.port === "number" ? t.port.port : [...resolveNamedPort(b, t.port.port, t.port.protocol)].sort((x, y) => x - y)[0];
              if (port === undefined) continue;
              if (ev.evaluate({ src: { kind: "pod", pod: a }, dst: { kind: "pod", pod: b }, protocol: t.port.protocol, port }).allowed) allowed++;
              else denied++;
            }
          }
          expect({ cell: `${t.label} ${src} → ${dst}`, allowed: cell.allowed, denied: cell.denied }).toEqual({ cell: `${t.label} ${src} → ${dst}`, allowed, denied });
          checked++;
        }),
      );
    }
    expect(checked).toBeGreaterThan(100);
  }, 120_000);
});

describe("matrix of some namespaces (--namespace)", () => {
  it("rows and columns are those namespaces' pods, and every cell is the whole matrix's cell", () => {
    const all = buildMatrix(now, "pod");
    const some = buildMatrix(now, "pod", undefined, undefined, { why: true, namespaces: new Set(["dev", "kube-system"]) });
    expect(some.parties.map((p) => p.key.split("/")[0])).toEqual(["dev", "kube-system"]);
    expect(some.tables.map((t) => t.label)).toEqual(all.tables.map((t) => t.label));
    const at = some.parties.map((p) => all.parties.findIndex((q) => q.key === p.key));
    some.tables.forEach((t, k) => t.cells.forEach((row, r) => row.forEach((c, d) => expect(c).toEqual(all.tables[k]!.cells[at[r]!]![at[d]!]))));
  });

  it("by namespace: the chosen namespaces only, in the whole matrix's order", () => {
    const all = buildMatrix(now, "namespace");
    const some = buildMatrix(now, "namespace", undefined, undefined, { why: false, namespaces: new Set(["kube-system", "default"]) });
    expect(some.parties.map((p) => p.key)).toEqual(["default", "kube-system"]);
    expect(some.tables[0]!.cells[1]![0]!.state).toBe(all.tables[0]!.cells[2]![0]!.state);
  });
});

describe("matrix memory", () => {
  it("cells with the same why-lines hold one array (a namespace matrix of 50k pods has millions of cells over far fewer lists)", () => {
    for (const m of [buildMatrix(now, "pod"), buildMatrix(now, "namespace")]) {
      const byText = new Map<string, Set<readonly string[]>>();
      for (const t of m.tables) for (const row of t.cells) for (const c of row) {
        const k = c.why.join("\n");
        const arrays = byText.get(k) ?? new Set();
        arrays.add(c.why);
        byText.set(k, arrays);
      }
      expect(byText.size).toBeGreaterThan(1);
      for (const [k, arrays] of byText) expect(arrays.size, k).toBe(1);
    }
  });
});

describe("matrix documents in chunks (a 50k-pod cluster's JSON and HTML are gigabytes: written as they are made)", () => {
  const edited = side(bookinfoEdited());
  const cases: Array<[string, Matrix]> = [
    ["pods", buildMatrix(now, "pod")],
    ["namespaces", buildMatrix(now, "namespace")],
    ["--against", buildMatrix(edited, "pod", undefined, now)],
    ["no table", buildMatrix(now, "pod", [])],
    ["no party", { ...buildMatrix(now, "pod"), parties: [], tables: buildMatrix(now, "pod").tables.map((t) => ({ ...t, cells: [] })) }],
  ];

  it.each(cases)("%s: the JSON chunks parse to the whole document, each ending a line, a cell per line", (_name, m) => {
    const chunks = [...matrixJsonChunks(m)];
    const text = chunks.join("");
    expect(JSON.parse(text)).toEqual(matrixDoc(m));
    expect(text).toBe(matrixJson(m));
    for (const c of chunks) expect(c.endsWith("\n")).toBe(true);
    // Pretty above the cells (JSON.stringify's own indentation), one compact line per cell.
    const doc = matrixDoc(m);
    expect(text.startsWith(`{\n  "by": ${JSON.stringify(m.by)},\n  "parties": ${JSON.stringify(doc.parties, null, 2).replace(/\n/g, "\n  ")},\n`)).toBe(true);
    const cellLines = text.split("\n").filter((l) => l.startsWith('            {"to":'));
    expect(cellLines).toHaveLength(m.tables.reduce((n, t) => n + t.cells.reduce((k, row) => k + row.length, 0), 0));
    // A row per chunk, besides the head and the tails.
    expect(chunks.length).toBeGreaterThanOrEqual(m.tables.length === 0 ? 1 : m.tables.reduce((n, t) => n + t.cells.length, 0));
  });

  it.each(cases)("%s: every why-line is printed once, and each cell's numbers name its own lines in order", (_name, m) => {
    const doc = matrixDoc(m);
    expect(new Set(doc.reasons).size).toBe(doc.reasons.length);
    const all = new Set(m.tables.flatMap((t) => t.cells.flatMap((row) => row.flatMap((c) => c.why))));
    expect(new Set(doc.reasons)).toEqual(all);
    m.tables.forEach((t, i) =>
      t.cells.forEach((row, r) => row.forEach((c, d) => expect(doc.tables[i]!.rows[r]!.cells[d]!.why.map((n) => doc.reasons[n])).toEqual(c.why))),
    );
  });

  it.each(cases)("%s: the page carries each cell's why-lines by number, and the lines once, in its reasons block", (_name, m) => {
    const html = matrixHtml(m);
    const block = /<script type="application\/json" id="reasons">(.*)<\/script>/.exec(html);
    expect(block).not.toBeNull();
    expect(JSON.parse(block![1]!)).toEqual(matrixDoc(m).reasons);
    // No cell repeats a line: its numbers only.
    expect(html).not.toMatch(/<td [^>]*title=/);
    const { reasons } = matrixDoc(m);
    const tds = [...html.matchAll(/<td class="cell [^"]*"(?: data-w="([\d ]+)")?/g)].map((x) => x[1] ?? "");
    const want = m.parties.length ? m.tables.flatMap((t) => t.cells.flatMap((row) => row.map((c) => c.why.map((w) => reasons.indexOf(w)).join(" ")))) : [];
    expect(tds).toEqual(want);
  });

  it.each(cases)("%s: the HTML chunks join to matrixHtml, a row per chunk", (_name, m) => {
    const chunks = [...matrixHtmlChunks(m)];
    expect(chunks.join("")).toBe(matrixHtml(m));
    if (m.parties.length > 0) expect(chunks.filter((c) => c.startsWith("<tr>"))).toHaveLength(m.parties.length * m.tables.length);
  });
});

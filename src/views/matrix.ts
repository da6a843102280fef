// The connectivity matrix: sources × destinations (pods or namespaces), one
// table per port/protocol, every cell decided by the reference evaluator
// (src/semantics), never by the compiled rules. Pure: model in, data out; the
// text, JSON and HTML renderers only format what is computed here.
//
// Which ports get a table (when none is asked for): one per port class the
// policies tell apart (src/semantics/classes.ts) — each mentioned port or
// range (`80/TCP`, `8080-8090/TCP`), each named port, and, per protocol, the
// rest as one class labelled as the set it is (`every TCP port but 80,
// 8080-8090`), never one representative port shown as if it were the only one.
// A named port is resolved on each destination pod (spec netpol-semantics §5);
// a destination without that port has no flow to judge and gets "n/a".
import { isEndpoint, type Pod, type Protocol } from "../ir/cluster.js";
import type { Model, NetworkPolicy } from "../ir/policy.js";
import type { SourceMap } from "../diagnostics/sources.js";
import { createEvaluator, resolveNamedPort, type Direction, type DirectionVerdict, type Evaluator, type Flow, type FlowSides } from "../semantics/index.js";
import { comparePods } from "../semantics/model-index.js";
import { byteCompare } from "../rules/writer.js";
import { complementRanges, portClasses, portCuts, portSetText, type PortRange } from "../semantics/classes.js";
import { position } from "../verify/views.js";

export type MatrixBy = "pod" | "namespace";
export type CellState = "allowed" | "denied" | "mixed" | "n/a";

/**
 * A destination port class: a number (the class's first port, which decides
 * for all of it), or a container port name resolved per destination pod.
 */
export interface PortCase {
  readonly protocol: Protocol;
  readonly port: number | string;
  /** False for the class of the ports no policy mentions. */
  readonly mentioned: boolean;
  /** The ports it stands for, as a reader takes them (`8080-8090/TCP`, `every TCP port but 80`); default `port/protocol`. */
  readonly label?: string;
}

export interface Party {
  /** `ns/pod` or `ns`. */
  readonly key: string;
  /** Pods: `node`, `ip`; namespaces: `pods` (count). Shown on hover. */
  readonly detail: string;
  /** Sorted `k=v` labels, shown on hover (hostile text: escape before HTML). */
  readonly labels: readonly string[];
}

export interface Cell {
  readonly state: CellState;
  /** Pod pairs allowed / denied behind this cell (1 and 0, or 0 and 1, for pods). */
  readonly allowed: number;
  readonly denied: number;
  /** What decided it, one line each: policy rule or isolating policies, with file:line:col. Sorted, de-duplicated. */
  readonly why: readonly string[];
  /** With --against: the old verdict ("absent" when a party is new); undefined otherwise. */
  readonly was?: CellState | "absent";
  /** With --against: the old allowed/denied pair counts (a namespace cell can stay "mixed" and still change). */
  readonly wasCounts?: { readonly allowed: number; readonly denied: number };
}

export interface MatrixTable {
  readonly port: PortCase;
  /** `9080/TCP`, `http/TCP`. */
  readonly label: string;
  /** rows = sources, columns = destinations, in `parties` order. */
  readonly cells: readonly (readonly Cell[])[];
}

export interface Matrix {
  readonly by: MatrixBy;
  readonly parties: readonly Party[];
  readonly tables: readonly MatrixTable[];
  /** Whether cells carry `was` (an --against model was given). */
  readonly against: boolean;
}

const PROTOCOL_ORDER: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

export const portLabel = (p: PortCase): string => p.label ?? `${p.port}/${p.protocol}`;

function comparePortCases(a: PortCase, b: PortCase): number {
  const pa = PROTOCOL_ORDER.indexOf(a.protocol) - PROTOCOL_ORDER.indexOf(b.protocol);
  if (pa !== 0) return pa;
  // The rest of the protocol's ports last.
  if (a.mentioned !== b.mentioned) return a.mentioned ? -1 : 1;
  // Numbers first, ascending; then names in byte order.
  if (typeof a.port === "number" && typeof b.port === "number") return a.port - b.port;
  if (typeof a.port === "number") return -1;
  if (typeof b.port === "number") return 1;
  return byteCompare(a.port, b.port);
}

/**
 * The port classes the policies tell apart, per protocol (TCP always): each
 * mentioned port or range, each named port, and the rest as one class — the
 * ports no rule mentions and no named port of theirs resolves to on any pod,
 * so that one representative decides for every port it stands for. Sorted
 * for determinism.
 */
export function mentionedPorts(model: Model): PortCase[] {
  const cuts = portCuts(model);
  const numeric = new Map<Protocol, PortRange[]>();
  for (const p of model.policies) {
    for (const rule of [...p.ingress, ...p.egress]) {
      if (rule.ports.kind === "any") continue;
      for (const e of rule.ports.ports) {
        if (e.port.kind === "number") numeric.set(e.protocol, [...(numeric.get(e.protocol) ?? []), { from: e.port.port, to: e.port.endPort ?? e.port.port }]);
      }
    }
  }
  const out: PortCase[] = [];
  for (const protocol of PROTOCOL_ORDER) {
    if (protocol !== "TCP" && !cuts.numeric.has(protocol) && !cuts.named.has(protocol)) continue;
    const mentioned = numeric.get(protocol) ?? [];
    // Every container port a named port of this protocol may resolve to (on some pod) is a class of its own.
    const names = cuts.named.get(protocol) ?? new Set<string>();
    const named = model.cluster.pods.flatMap((pod) => pod.ports.filter((cp) => cp.protocol === protocol && cp.name !== null && names.has(cp.name)).map((cp) => cp.containerPort));
    const at = new Set([...(cuts.numeric.get(protocol) ?? []), ...named.flatMap((n) => [n, n + 1])]);
    const covered = (c: PortRange): boolean => mentioned.some((m) => m.from <= c.from && c.to <= m.to);
    const classes = portClasses({ numeric: new Map([[protocol, at]]), named: new Map() }, protocol, []);
    for (const c of classes.filter(covered)) out.push({ protocol, port: c.from, mentioned: true, label: portSetText(protocol, [c]) });
    for (const name of [...names].sort(byteCompare)) out.push({ protocol, port: name, mentioned: true });
    // The rest, minus the container ports named ports resolve to.
    const rest = complementRanges([...mentioned, ...named.map((n) => ({ from: n, to: n }))]);
    if (rest.length) out.push({ protocol, port: rest[0]!.from, mentioned: false, label: portSetText(protocol, rest) });
  }
  return out.sort(comparePortCases);
}

export interface MatrixSide {
  readonly model: Model;
  readonly sources: SourceMap;
}

/**
 * A side being drawn: its sources, one evaluator for all its cells, and each group's pods in classes (computed once
 * per group, and per port case for destinations, not once per cell).
 */
interface Judged {
  readonly evaluator: Evaluator;
  readonly sources: SourceMap;
  /** Whether cells say what decided them (the HTML and JSON views show it; the text view does not). */
  readonly why: boolean;
  readonly srcClasses: Map<readonly Pod[], Pod[][]>;
  readonly dstClasses: Map<readonly Pod[], Map<PortCase, Pod[][]>>;
  /**
   * Why-lines made once: a class's representative pod is the same in every cell of its row (or column), so its
   * isolating policies are one array there, and a rule's line is one string (a cell's set of lines then hashes each
   * string once).
   */
  readonly deniedLines: Record<Direction, WeakMap<readonly NetworkPolicy[], string>>;
  /** A rule's line, by policy, then the direction judged, the rule's own direction and its index (no key string built per cell). */
  readonly ruleLines: Map<NetworkPolicy, Record<Direction, Record<Direction, string[]>>>;
  /**
   * A cell's why-lines, one array per distinct list: a namespace matrix of 50k pods has millions of cells over far
   * fewer lists (10k pods: 104,040 cells, 20,749 lists), held for as long as the matrix is. Keyed by the lines'
   * numbers in `lineIds`.
   */
  readonly whyLists: Map<string, readonly string[]>;
  readonly lineIds: Map<string, number>;
}

const judged = (side: MatrixSide, why: boolean): Judged => ({
  evaluator: createEvaluator(side.model), sources: side.sources, why, srcClasses: new Map(), dstClasses: new Map(),
  deniedLines: { egress: new WeakMap(), ingress: new WeakMap() }, ruleLines: new Map(), whyLists: new Map(), lineIds: new Map(),
});

const policyAt = (s: SourceMap, p: NetworkPolicy): string => {
  const at = position(s, p.span);
  return `${p.namespace}/${p.name}${at ? ` (${at})` : ""}`;
};

/** One direction's deciding policy/rule as short lines. */
function directionWhy(side: Judged, dir: Direction, v: DirectionVerdict): string[] {
  const s = side.sources;
  if (v.allowedBy.length > 0) {
    const out: string[] = [];
    for (const r of v.allowedBy) {
      let byDir = side.ruleLines.get(r.policy);
      if (!byDir) side.ruleLines.set(r.policy, (byDir = { egress: { egress: [], ingress: [] }, ingress: { egress: [], ingress: [] } }));
      const lines = byDir[dir][r.direction];
      let line = lines[r.ruleIndex];
      if (line === undefined) {
        const rule = r.policy[r.direction].find((x) => x.index === r.ruleIndex);
        const at = position(s, rule?.span ?? r.policy.span);
        lines[r.ruleIndex] = line = `${dir} allowed by ${r.policy.namespace}/${r.policy.name} ${r.direction}[${r.ruleIndex}]${at ? ` (${at})` : ""}`;
      }
      out.push(line);
    }
    return out;
  }
  if (v.allowed) return [`${dir} allowed: ${v.reason}`];
  let line = side.deniedLines[dir].get(v.isolatedBy);
  if (line === undefined) side.deniedLines[dir].set(v.isolatedBy, (line = `${dir} denied: no rule matched in ${v.isolatedBy.map((p) => policyAt(s, p)).join(", ")}`));
  return [line];
}

/** The destination port of a case on one pod: null when a named port does not resolve there. */
function portOn(dst: Pod, c: PortCase): number | null {
  if (typeof c.port === "number") return c.port;
  // Sorted for determinism: a name can resolve to several container ports; the lowest is probed.
  const ports = [...resolveNamedPort(dst, c.port, c.protocol)].sort((a, b) => a - b);
  return ports[0] ?? null;
}

interface PodVerdict {
  readonly allowed: boolean;
  readonly why: readonly string[];
}

const NO_WHY: readonly string[] = [];

/** The verdict of src → dst on the case's port, from the pair's sides (the same for every port case). */
function podVerdict(side: Judged, src: Pod, dst: Pod, c: PortCase, sides: FlowSides): PodVerdict | null {
  const port = portOn(dst, c);
  if (port === null) return null;
  const flow: Flow = { src: { kind: "pod", pod: src }, dst: { kind: "pod", pod: dst }, protocol: c.protocol, port };
  const v = side.evaluator.verdictWith(flow, sides);
  if (!side.why) return { allowed: v.allowed, why: NO_WHY };
  // A denied flow is explained by the side(s) that denied it; an allowed one by both (egress first). Written out, not
  // filtered and flat-mapped: a namespace matrix of a large cluster asks this millions of times.
  const egress = v.allowed || !v.egress.allowed ? directionWhy(side, "egress", v.egress) : NO_WHY;
  const ingress = v.allowed || !v.ingress.allowed ? directionWhy(side, "ingress", v.ingress) : NO_WHY;
  return { allowed: v.allowed, why: ingress.length === 0 ? egress : egress.length === 0 ? ingress : [...egress, ...ingress] };
}

const podKey = (p: Pod): string => `${p.namespace}/${p.name}`;
const groupKey = (by: MatrixBy, p: Pod): string => (by === "pod" ? podKey(p) : p.namespace);

function endpointPods(model: Model): Pod[] {
  // Sorted for determinism (the IR is sorted already; this keeps the promise local).
  return model.cluster.pods.filter(isEndpoint).sort(comparePods);
}

function groups(model: Model, by: MatrixBy, only: ReadonlySet<string> | null): Map<string, Pod[]> {
  const m = new Map<string, Pod[]>();
  for (const p of endpointPods(model)) {
    if (only !== null && !only.has(p.namespace)) continue;
    const k = groupKey(by, p);
    const g = m.get(k);
    if (g) g.push(p);
    else m.set(k, [p]);
  }
  return m;
}

const labelList = (l: ReadonlyMap<string, string>): string[] => [...l].map(([k, v]) => `${k}=${v}`).sort(byteCompare);

function parties(model: Model, by: MatrixBy, only: ReadonlySet<string> | null): Party[] {
  const out: Party[] = [];
  for (const [key, pods] of groups(model, by, only)) {
    const first = pods[0]!;
    if (by === "pod") out.push({ key, detail: `node ${first.nodeName ?? "?"}, ${first.ips.join(", ")}`, labels: labelList(first.labels) });
    else {
      const ns = model.cluster.namespaces.find((n) => n.name === key);
      out.push({ key, detail: `${pods.length} pod(s)`, labels: ns ? labelList(ns.labels) : [] });
    }
  }
  return out;
}

/** Cyclonus caps nothing; a namespace cell over many pods keeps its first lines and says how many more there are. */
const MAX_WHY = 12;

/** Pods grouped by `key`, groups in the order of their first pod. */
function byClass(pods: readonly Pod[], key: (p: Pod) => string): Pod[][] {
  const m = new Map<string, Pod[]>();
  for (const p of pods) {
    const k = key(p);
    const g = m.get(k);
    if (g) g.push(p);
    else m.set(k, [p]);
  }
  return [...m.values()];
}

function srcClassesOf(side: Judged, pods: readonly Pod[]): Pod[][] {
  let got = side.srcClasses.get(pods);
  if (!got) side.srcClasses.set(pods, (got = byClass(pods, (p) => side.evaluator.signature(p))));
  return got;
}

/** The port a case names resolves on the destination: part of its class. */
function dstClassesOf(side: Judged, pods: readonly Pod[], c: PortCase): Pod[][] {
  let byCase = side.dstClasses.get(pods);
  if (!byCase) side.dstClasses.set(pods, (byCase = new Map()));
  let got = byCase.get(c);
  if (!got) byCase.set(c, (got = byClass(pods, (p) => `${side.evaluator.signature(p)}\u0000${portOn(p, c)}`)));
  return got;
}

/** `lines` as the one array of the side that holds the same lines (Judged.whyLists). */
function internWhy(side: Judged, lines: readonly string[]): readonly string[] {
  if (lines.length === 0) return NO_WHY;
  let key = "";
  for (const line of lines) {
    let id = side.lineIds.get(line);
    if (id === undefined) side.lineIds.set(line, (id = side.lineIds.size));
    key += `${id},`;
  }
  let got = side.whyLists.get(key);
  if (got === undefined) side.whyLists.set(key, (got = lines));
  return got;
}

/**
 * The cells of `srcs` × `dsts` (two groups of the side), one per port case: every pod pair judged one pair per class.
 * Pods with the same evaluator signature (semantics/signature.ts: policies that select them, their peer matches,
 * addresses, named ports) get the same verdict with the same deciding rules, so a namespace-by-namespace matrix of a
 * large cluster costs a pair of classes, not a pair of pods; and a pair's sides (semantics/evaluate.ts: every rule's
 * peers matched) are the same on every port, so they are matched once for all the cases. A pod and itself (the
 * same-pod exemption) is judged apart.
 */
function cellsOf(side: Judged, srcs: readonly Pod[], dsts: readonly Pod[], cases: readonly PortCase[]): Cell[] {
  const sidesMemo = new Map<Pod, Map<Pod, FlowSides>>();
  const sidesOf = (s: Pod, d: Pod): FlowSides => {
    let byDst = sidesMemo.get(s);
    if (!byDst) sidesMemo.set(s, (byDst = new Map()));
    let got = byDst.get(d);
    if (!got) byDst.set(d, (got = side.evaluator.sides({ src: { kind: "pod", pod: s }, dst: { kind: "pod", pod: d }, protocol: "TCP", port: 0 })));
    return got;
  };
  // Two groups of one side hold different pods: only a cell of a group with itself has pairs of a pod with itself.
  const self = srcs === dsts;
  const srcClasses = srcClassesOf(side, srcs);
  return cases.map((c): Cell => {
    let allowed = 0;
    let denied = 0;
    const why = new Set<string>();
    const add = (v: PodVerdict | null, n: number): void => {
      if (!v || n === 0) return;
      if (v.allowed) allowed += n;
      else denied += n;
      for (const w of v.why) why.add(w);
    };
    const judge = (s: Pod, d: Pod, n: number): void => add(podVerdict(side, s, d, c, sidesOf(s, d)), n);
    for (const gs of srcClasses) {
      for (const gd of dstClassesOf(side, dsts, c)) {
        if (!self) {
          judge(gs[0]!, gd[0]!, gs.length * gd.length);
          continue;
        }
        const inDst = new Set(gd);
        const inBoth = gs.filter((p) => inDst.has(p));
        const pairs = gs.length * gd.length - inBoth.length;
        if (pairs > 0) {
          const s = gs.find((x) => gd.some((y) => y !== x)) ?? gs[0]!;
          judge(s, gd.find((y) => y !== s)!, pairs);
        }
        if (inBoth.length) judge(inBoth[0]!, inBoth[0]!, inBoth.length);
      }
    }
    const state: CellState = allowed + denied === 0 ? "n/a" : denied === 0 ? "allowed" : allowed === 0 ? "denied" : "mixed";
    // Sorted for determinism: the set fills in class order.
    const lines = [...why].sort(byteCompare);
    const shown = lines.length > MAX_WHY ? [...lines.slice(0, MAX_WHY), `… and ${lines.length - MAX_WHY} more`] : lines;
    return { state, allowed, denied, why: internWhy(side, shown) };
  });
}

/**
 * The matrix of `side`, on `ports` (default: mentionedPorts). With `old`, every
 * cell also carries the old model's verdict on the same port (`was`), and a
 * party missing from the old snapshot gives "absent". `why: false` leaves every
 * cell's `why` empty (a view that does not show it need not build it).
 * `namespaces`: only the endpoint pods of these namespaces are rows and
 * columns (every verdict is still the whole snapshot's policies').
 */
export function buildMatrix(
  side: MatrixSide, by: MatrixBy, ports?: readonly PortCase[], old?: MatrixSide,
  opts: { readonly why: boolean; readonly namespaces?: ReadonlySet<string> } = { why: true },
): Matrix {
  const cases = ports ?? mentionedPorts(side.model);
  const only = opts.namespaces ?? null;
  const now = groups(side.model, by, only);
  const before = old ? groups(old.model, by, only) : null;
  const keys = [...now.keys()];
  const [judgeNow, judgeOld] = [judged(side, opts.why), old ? judged(old, opts.why) : null];
  const cells: Cell[][][] = cases.map(() => keys.map(() => new Array<Cell>(keys.length)));
  keys.forEach((sk, i) => {
    keys.forEach((dk, j) => {
      const nowCells = cellsOf(judgeNow, now.get(sk)!, now.get(dk)!, cases);
      const [os, od] = [before?.get(sk), before?.get(dk)];
      const oldCells = before && judgeOld && os && od ? cellsOf(judgeOld, os, od, cases) : null;
      nowCells.forEach((cell, k) => {
        const prev = oldCells?.[k];
        cells[k]![i]![j] = !before ? cell : !prev ? { ...cell, was: "absent" } : { ...cell, was: prev.state, wasCounts: { allowed: prev.allowed, denied: prev.denied } };
      });
    });
  });
  const tables = cases.map((c, k): MatrixTable => ({ port: c, label: portLabel(c), cells: cells[k]! }));
  return { by, parties: parties(side.model, by, only), tables, against: old !== undefined };
}

/** Whether a cell's verdict differs from the --against model's (new parties are not "changed"). */
export const changed = (c: Cell): boolean =>
  c.was !== undefined && c.was !== "absent" &&
  (c.was !== c.state || c.wasCounts?.allowed !== c.allowed || c.wasCounts.denied !== c.denied);

/**
 * The why-lines of a matrix, each once: a namespace matrix of a large cluster repeats a thousand distinct lines in
 * every one of its millions of cells (10k pods: 210 MB of why text in the JSON, 1,126 distinct lines, 0.25 MB), so
 * the JSON and the page print each line once and let cells name lines by number. Numbered in the order first met
 * (tables, rows, cells, then a cell's own order), so the same matrix gives the same numbers.
 */
export class MatrixReasons {
  readonly lines: string[] = [];
  private readonly ids = new Map<string, number>();
  /** Cells share their why arrays (matrix.ts memoizes them), so most lookups hit here. */
  private readonly lists = new Map<readonly string[], readonly number[]>();

  constructor(m: Matrix) {
    for (const t of m.tables) for (const row of t.cells) for (const c of row) this.of(c.why);
  }

  /** The numbers of a cell's lines. */
  of(why: readonly string[]): readonly number[] {
    let got = this.lists.get(why);
    if (got === undefined) {
      got = why.map((line) => {
        let id = this.ids.get(line);
        if (id === undefined) {
          this.ids.set(line, (id = this.lines.length));
          this.lines.push(line);
        }
        return id;
      });
      this.lists.set(why, got);
    }
    return got;
  }
}

// Shape validation ("decode") with ajv against the JSON Schemas in schemas/.
//
// The schemas stand in for Go's strict JSON decoding into the typed object,
// so errors are worded as kubectl words them (spec netpol-validation.md §8):
//   strict decoding error: unknown field "spec.ingress[0].form"
//   json: cannot unmarshal string into Go struct field NetworkPolicyPort.spec.ingress.ports.endPort of type int32
// The Go struct and type names come from x-go-* annotations in the schemas.
// ajv reports JSON pointers; they are mapped back to YAML nodes for spans.
// The validators are ajv's standalone code, compiled from the same schemas at
// development time (validators.generated.ts, scripts/gen-validators.ts): no
// schema is compiled when netpolc starts.
import type { ErrorObject } from "ajv";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { formatPath } from "./field-path.js";
import { isNull, keySpanAt, nodeAt, type Segment, type YNode } from "./yaml/tree.js";
import { exportName } from "./schema-options.js";
import * as generated from "./validators.generated.js";
import meta from "../../schemas/meta.schema.json" with { type: "json" };
import networkpolicy from "../../schemas/networkpolicy.schema.json" with { type: "json" };
import pod from "../../schemas/pod.schema.json" with { type: "json" };
import node from "../../schemas/node.schema.json" with { type: "json" };
import namespace from "../../schemas/namespace.schema.json" with { type: "json" };
import serviceaccount from "../../schemas/serviceaccount.schema.json" with { type: "json" };
import ippool from "../../schemas/ippool.schema.json" with { type: "json" };
import service from "../../schemas/service.schema.json" with { type: "json" };
import endpointslice from "../../schemas/endpointslice.schema.json" with { type: "json" };
import endpoints from "../../schemas/endpoints.schema.json" with { type: "json" };
import kubeproxyconfiguration from "../../schemas/kubeproxyconfiguration.schema.json" with { type: "json" };
import servicecidr from "../../schemas/servicecidr.schema.json" with { type: "json" };
import ipamblock from "../../schemas/ipamblock.schema.json" with { type: "json" };
import blockaffinity from "../../schemas/blockaffinity.schema.json" with { type: "json" };
import blockaffinityV3 from "../../schemas/blockaffinity-v3.schema.json" with { type: "json" };
import ipamhandle from "../../schemas/ipamhandle.schema.json" with { type: "json" };
import ipamconfig from "../../schemas/ipamconfig.schema.json" with { type: "json" };
import ipamconfiguration from "../../schemas/ipamconfiguration.schema.json" with { type: "json" };
import clusterinformation from "../../schemas/clusterinformation.schema.json" with { type: "json" };

export type SchemaName =
  | "networkpolicy" | "pod" | "node" | "namespace" | "serviceaccount" | "ippool"
  | "service" | "endpointslice" | "endpoints" | "kubeproxyconfiguration" | "servicecidr"
  | "ipamblock" | "blockaffinity" | "blockaffinity-v3" | "ipamhandle" | "ipamconfig" | "ipamconfiguration" | "clusterinformation";

type SchemaObj = Record<string, unknown>;

const DOCS: Record<string, SchemaObj> = {
  "meta.schema.json": meta,
  "networkpolicy.schema.json": networkpolicy,
  "pod.schema.json": pod,
  "node.schema.json": node,
  "namespace.schema.json": namespace,
  "serviceaccount.schema.json": serviceaccount,
  "ippool.schema.json": ippool,
  "service.schema.json": service,
  "endpointslice.schema.json": endpointslice,
  "endpoints.schema.json": endpoints,
  "kubeproxyconfiguration.schema.json": kubeproxyconfiguration,
  "servicecidr.schema.json": servicecidr,
  "ipamblock.schema.json": ipamblock,
  "blockaffinity.schema.json": blockaffinity,
  "blockaffinity-v3.schema.json": blockaffinityV3,
  "ipamhandle.schema.json": ipamhandle,
  "ipamconfig.schema.json": ipamconfig,
  "ipamconfiguration.schema.json": ipamconfiguration,
  "clusterinformation.schema.json": clusterinformation,
};

/** An ajv validating function: true or false, with `errors` set after false. */
interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const VALIDATORS = generated as unknown as Readonly<Record<string, Validator>>;

function validator(name: SchemaName): Validator {
  const v = VALIDATORS[exportName(name)];
  if (!v) throw new Error(`no generated validator for schema ${name}: run npm run validators`);
  return v;
}

/**
 * A schema together with the document its local $refs resolve in. Schema
 * navigation runs for every node of every object (toJson walks the tree and
 * the schema together), so each (schema, document) pair is one interned At
 * and what deref and stepSchema find is remembered on it. An At belongs to
 * the table it was interned in (one per Schemas), and every At reached from
 * it is interned there too.
 */
interface At {
  readonly schema: SchemaObj;
  readonly doc: string;
  readonly table: AtTable;
  /** deref's answer, once asked. */
  target?: At;
  /** Steps by declared property name. */
  props?: Map<string, Step | undefined>;
  /** The step for any array index, and for any undeclared map key (undefined = not yet computed, null = none). */
  item?: Step | null;
  other?: Step | null;
}

/** The interned At of every (schema object, document) pair met so far. */
type AtTable = Map<SchemaObj, Map<string, At>>;

type Step = { readonly at: At; readonly field: boolean };

function atOf(table: AtTable, schema: SchemaObj, doc: string): At {
  let byDoc = table.get(schema);
  if (!byDoc) table.set(schema, (byDoc = new Map()));
  let at = byDoc.get(doc);
  if (!at) byDoc.set(doc, (at = { schema, doc, table }));
  return at;
}

function deref(at: At): At {
  if (at.target) return at.target;
  let cur = at;
  for (let guard = 0; typeof cur.schema.$ref === "string" && guard < 16; guard++) {
    const [file, pointer = ""] = cur.schema.$ref.split("#");
    const doc = file || cur.doc;
    let s: unknown = DOCS[doc];
    for (const part of pointer.split("/").filter(Boolean)) s = (s as SchemaObj | undefined)?.[part];
    cur = atOf(at.table, (s as SchemaObj | undefined) ?? {}, doc);
  }
  return (at.target = atOf(at.table, cur.schema, cur.doc));
}

/** One step down the schema: a property, a map value or an array item. */
function stepSchema(at: At, seg: Segment): Step | undefined {
  const s = deref(at);
  if (typeof seg === "number") {
    if (s.item === undefined) s.item = computeStep(s, seg) ?? null;
    return s.item ?? undefined;
  }
  const props = s.schema.properties as SchemaObj | undefined;
  if (props && Object.hasOwn(props, seg)) {
    s.props ??= new Map();
    if (!s.props.has(seg)) s.props.set(seg, computeStep(s, seg));
    return s.props.get(seg);
  }
  // Every key of a map that is not a declared property steps the same way.
  if (s.other === undefined) s.other = computeStep(s, seg) ?? null;
  return s.other ?? undefined;
}

function computeStep(s: At, seg: Segment): Step | undefined {
  const sub = (v: unknown): At | undefined => (v && typeof v === "object" ? atOf(s.table, v as SchemaObj, s.doc) : undefined);
  if (typeof seg === "number") {
    const items = sub(s.schema.items);
    return items && { at: items, field: false };
  }
  const props = s.schema.properties as SchemaObj | undefined;
  const prop = props && Object.hasOwn(props, seg) ? sub(props[seg]) : undefined;
  if (prop) return { at: prop, field: true };
  const map = s.schema["x-go-map"] ? sub(s.schema.additionalProperties) : undefined;
  return map && { at: map, field: false };
}

/**
 * The YAML tree as the JSON value Go would decode. A null mapping value is an
 * absent field (Go leaves the zero value); a null sequence item or map value
 * becomes the element's zero value, as encoding/json does.
 */
function toJson(n: YNode, at: At | undefined): unknown {
  if (n.kind === "scalar") return n.value;
  if (n.kind === "seq") {
    const item = at && stepSchema(at, 0)?.at;
    return n.items.map((it) => (isNull(it) ? zeroOf(item) : toJson(it, item)));
  }
  const isMap = at !== undefined && deref(at).schema["x-go-map"] === true;
  const out: Record<string, unknown> = {};
  for (const e of n.entries) {
    const sub = at && stepSchema(at, e.key)?.at;
    if (!isNull(e.value)) define(out, e.key, toJson(e.value, sub));
    else if (isMap) define(out, e.key, zeroOf(sub));
  }
  return out;
}

/** An own property even for "__proto__", which plain assignment would send to the prototype. */
function define(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

function zeroOf(at: At | undefined): unknown {
  const t = at && deref(at).schema.type;
  return t === "object" ? {} : t === "string" ? "" : t === "integer" ? 0 : t === "boolean" ? false : t === "array" ? [] : null;
}

/**
 * Decoding for one load (collect.ts: one per file): it owns the schema
 * navigation tables its decodes fill, so nothing is remembered between loads
 * and each worker thread has its own.
 */
export class Schemas {
  private readonly table: AtTable = new Map();

  /** Decode-check `root` against the named schema; returns the JSON value, or null after reporting errors. */
  decode(name: SchemaName, root: YNode, diag: DiagnosticSink): Record<string, unknown> | null {
    const top = atOf(this.table, DOCS[`${name}.schema.json`] ?? {}, `${name}.schema.json`);
    const json = toJson(root, top) as Record<string, unknown>;
    const v = validator(name);
    if (v(json)) return json;
    const reported = (v.errors ?? []).map((e) => describe(e, top, json, root));
    // Sorted for determinism: ajv's order follows schema traversal, ours follows the file.
    reported.sort((a, b) => a.span.start - b.span.start);
    for (const r of reported) diag.error(r.id, r.span, r.message);
    return null;
  }
}

function segmentsOf(pointer: string, json: unknown): Segment[] {
  const out: Segment[] = [];
  let cur = json;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const seg: Segment = Array.isArray(cur) ? Number(key) : key;
    out.push(seg);
    cur = (cur as Record<string | number, unknown> | undefined)?.[seg];
  }
  return out;
}

function describe(e: ErrorObject, top: At, json: unknown, root: YNode) {
  const segs = segmentsOf(e.instancePath, json);
  if (e.keyword === "additionalProperties") {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    return { id: "schema/unknown-field", span: keySpanAt(root, segs, key), message: `strict decoding error: unknown field "${formatPath([...segs, key])}"` };
  }
  const { node } = nodeAt(root, segs);
  if (e.keyword === "enum") {
    const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((a) => JSON.stringify(a)).join(", ");
    return { id: "schema/unsupported-value", span: node.span, message: `${formatPath(segs)}: Unsupported value: ${JSON.stringify(e.data)}: supported values: ${allowed}` };
  }
  if (e.keyword === "type" || e.keyword === "minimum" || e.keyword === "maximum") {
    return { id: "schema/type", span: node.span, message: unmarshalMessage(e, segs, top, node) };
  }
  return { id: "schema/invalid", span: node.span, message: `${formatPath(segs)}: ${e.message ?? "invalid"}` };
}

/** Go's UnmarshalTypeError text: the JSON kind, then the struct field path without indices or map keys. */
function unmarshalMessage(e: ErrorObject, segs: readonly Segment[], top: At, node: YNode): string {
  const parent = (e.parentSchema as SchemaObj | undefined) ?? {};
  const goType = String(parent["x-go-type"] ?? "unknown");
  let struct = String(top.schema["x-go-struct"] ?? "object");
  const fields: string[] = [];
  let at: At | undefined = top;
  for (const seg of segs) {
    if (!at) break;
    const next = stepSchema(at, seg);
    if (next?.field && typeof seg === "string") {
      struct = String(deref(at).schema["x-go-struct"] ?? struct);
      fields.push(seg);
    }
    at = next?.at;
  }
  return `json: cannot unmarshal ${jsonKind(e, parent, node)} into Go struct field ${struct}.${fields.join(".")} of type ${goType}`;
}

/** "string", "bool", "array", "object", "number" — or "number 80.5" when a number does not fit the integer type (Go quotes the literal then). */
function jsonKind(e: ErrorObject, parent: SchemaObj, node: YNode): string {
  const d = e.data;
  if (Array.isArray(d)) return "array";
  if (d === null) return "null";
  if (typeof d === "boolean") return "bool";
  if (typeof d !== "number") return typeof d;
  const wantsInt = parent.type === "integer" || (Array.isArray(parent.type) && parent.type.includes("integer"));
  const misfit = wantsInt && (e.keyword !== "type" || !Number.isInteger(d));
  return misfit ? `number ${node.kind === "scalar" ? node.text : String(d)}` : "number";
}

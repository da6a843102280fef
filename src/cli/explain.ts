// `netpolc explain`: one flow, both verdicts, and the packet's walk through
// the chains of every node it crosses ("which policy dropped my packet?").
import { isEndpoint, podIPv4, type Protocol } from "../ir/cluster.js";
import type { Model } from "../ir/policy.js";
import type { InputFile } from "../frontend/index.js";
import { endpointAt, type Flow, type FlowEndpoint } from "../semantics/index.js";
import { explainAgrees, explainFlow, explainProbes, explainService, explainText, hopsFor, hostToNodePort, serviceExplainAgrees, serviceExplainText, stableJson, type Simulate, type VerifyContext } from "../verify/index.js";
import { flag, UsageError, type ParsedArgs } from "./args.js";
import { EXPLAIN_FLAGS } from "./flags.js";
import type { Io } from "./io.js";
import { loadRules, runChecker, type ReadFile, type TextResult } from "./verify.js";
import { imageContext, type Image6 } from "../verify/ipv6.js";
import { formatIP, parseIP } from "../frontend/validation/ip.js";


const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

export function parsePort(text: string): { port: number; protocol: Protocol } {
  const [num = "", proto = "TCP"] = text.split("/");
  const protocol = proto.toUpperCase() as Protocol;
  const port = /^[0-9]{1,5}$/.test(num) ? Number(num) : NaN;
  if (!(port >= 1 && port <= 65535) || !PROTOCOLS.includes(protocol)) {
    throw new UsageError(`--port must be PORT or PORT/PROTO with PORT in 1-65535 and PROTO one of ${PROTOCOLS.join(", ")}, not '${text}'`);
  }
  return { port, protocol };
}

/** `ns/pod` names an endpoint pod; anything else must be an IPv4 address (a pod's own address becomes that pod). */
function parseEndpoint(model: Model, text: string, what: string): FlowEndpoint {
  if (text.includes("/")) {
    const [ns, name] = text.split("/");
    const pod = model.cluster.pods.find((p) => p.namespace === ns && p.name === name);
    if (!pod) throw new UsageError(`--${what}: no pod ${text} in the snapshot`);
    if (!isEndpoint(pod)) throw new UsageError(`--${what}: ${text} is not a policy endpoint (hostNetwork, no address, no node, or finished)`);
    if (podIPv4(pod) === null) throw new UsageError(`--${what}: ${text} has IPv6 addresses only: explain its IPv6 traffic with --family 6`);
    return { kind: "pod", pod };
  }
  if (!/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(text)) throw new UsageError(`--${what} must be NS/POD or an IPv4 address, not '${text}'`);
  return endpointAt(model, text);
}

function flowFrom(model: Model, args: ParsedArgs): Flow {
  const need = (n: string): string => {
    const v = flag(args, n);
    if (v === undefined) throw new UsageError(`explain needs --from, --to and --port (missing --${n})`);
    return v;
  };
  const src = parseEndpoint(model, need("from"), "from");
  const dst = parseEndpoint(model, need("to"), "to");
  if (src.kind === "pod" && dst.kind === "pod" && src.pod === dst.pod) {
    throw new UsageError("a pod's traffic to itself never crosses its veth: no rule and no policy can apply (netpol-semantics §7)");
  }
  return { src, dst, ...parsePort(need("port")) };
}

/** The nodes the flow crosses over the compiled routes (which files --rules must hold). */
function nodesOf(ctx: VerifyContext, flow: Flow): string[] {
  const topo = ctx.topology(new Map());
  // To a Service entry: the client's node and the nodes of the endpoints it may be sent to (every node when one has none).
  const probes = flow.dst.kind === "ip" ? explainProbes(ctx.model, topo, flow.src, flow.dst.ip, flow.port, flow.protocol) : [];
  if (probes.length) {
    const eps = probes.flatMap((p) => p.port.endpoints);
    if (eps.some((e) => e.nodeName === null)) return ctx.model.cluster.nodes.map((n) => n.name);
    return [...new Set([...probes.map((p) => p.from.node), ...eps.map((e) => e.nodeName!)])];
  }
  const routed = hopsFor(topo, flow);
  if (routed === null) throw new UsageError("the flow crosses no workload: one end must be a pod, and the other a node or an address outside the cluster");
  return [...new Set(routed.hops.map((h) => h.node))];
}

/**
 * `--to 10.96.0.10:53` (or `[fd00::10]:53`): an address with a port, refused with the spelling explain takes. Without
 * this the colon read as IPv6, and an IPv4 snapshot answered that IPv6 was off.
 */
function refusePortInAddress(args: ParsedArgs): void {
  for (const what of ["from", "to"] as const) {
    const text = flag(args, what);
    const m = text === undefined ? null : (/^([0-9]{1,3}(?:\.[0-9]{1,3}){3}):([0-9]+)$/.exec(text) ?? /^\[([0-9A-Fa-f:.]+)\]:([0-9]+)$/.exec(text));
    if (m) throw new UsageError(`--${what} takes an address without its port: --${what} ${m[1]} --port ${m[2]}, not '${text}'`);
  }
}

/** The flow's family: --family, else 6 when --from or --to is an IPv6 address. */
function familyOf(args: ParsedArgs): 4 | 6 {
  refusePortInAddress(args);
  const given = flag(args, "family");
  if (given) return given === "6" ? 6 : 4;
  return [flag(args, "from"), flag(args, "to")].some((t) => t !== undefined && !t.includes("/") && t.includes(":")) ? 6 : 4;
}

/** `ns/pod` or an IPv6 address, in the IPv4 image of the IPv6 side (src/verify/ipv6.ts). */
function parseEndpoint6(model: Model, img: Image6, text: string, what: string): FlowEndpoint {
  if (text.includes("/")) {
    const [ns, name] = text.split("/");
    const pod = model.cluster.pods.find((p) => p.namespace === ns && p.name === name);
    if (!pod) throw new UsageError(`--${what}: no pod ${text} in the snapshot`);
    if (!isEndpoint(pod)) throw new UsageError(`--${what}: ${text} has no IPv6 address (or is not a policy endpoint): it has no IPv6 traffic`);
    return { kind: "pod", pod };
  }
  const ip = parseIP(text);
  if (!ip || ip.family !== 6) throw new UsageError(`--${what} must be NS/POD or an IPv6 address with --family 6, not '${text}'`);
  return endpointAt(model, img.addr(formatIP(6, ip.value))!);
}

/** explain of an IPv6 flow: walked through each node's `.ip6tables` in the IPv4 image, shown in IPv6 terms. */
function runExplain6(files: readonly InputFile[], args: ParsedArgs, simulate: Simulate, readFile: ReadFile): TextResult {
  const loaded = loadRules(files, args, simulate, readFile, (ctx) => ctx.model.cluster.nodes.map((n) => n.name));
  if ("exitCode" in loaded) return loaded;
  if (!loaded.v6) throw new UsageError("--family 6: IPv6 is off for these inputs (no IPv6 pool or pod address; --ipv6 on turns it on)");
  const extra = [flag(args, "from"), flag(args, "to")].flatMap((t) => {
    const ip = t !== undefined && !t.includes("/") ? parseIP(t) : null;
    return ip && ip.family === 6 ? [formatIP(6, ip.value)] : [];
  });
  const image = imageContext(loaded.v6.snapshot, loaded.v6.places, loaded.v6.rules, simulate, extra);
  if (image.kind === "unknown") return { exitCode: 1, stdout: `UNKNOWN: IPv6: ${image.reason}\n`, stderr: loaded.stderr };
  const { ctx, rules, img } = image;
  const need = (n: string): string => {
    const v = flag(args, n);
    if (v === undefined) throw new UsageError(`explain needs --from, --to and --port (missing --${n})`);
    return v;
  };
  const src = parseEndpoint6(ctx.model, img, need("from"), "from");
  const dst = parseEndpoint6(ctx.model, img, need("to"), "to");
  if (src.kind === "pod" && dst.kind === "pod" && src.pod === dst.pod) {
    throw new UsageError("a pod's traffic to itself never crosses its veth: no rule and no policy can apply (netpol-semantics §7)");
  }
  const flow: Flow = { src, dst, ...parsePort(need("port")) };
  const json = flag(args, "format") === "json";
  // To an IPv6 Service entry: kube-proxy's IPv6 DNAT picks the backend, each branch judged on its backend pod (as for IPv4).
  const service = explainService(ctx, rules, flow);
  if (service !== null) {
    const stdout = img.display(json ? stableJson(service.length === 1 ? service[0] : service) : service.map(serviceExplainText).join("\n"));
    return { exitCode: service.every(serviceExplainAgrees) ? 0 : 1, stdout, stderr: loaded.stderr };
  }
  if (dst.kind === "ip") {
    const why = hostToNodePort(ctx.model, ctx.topology(rules), src, dst.ip, flow.port, flow.protocol);
    if (why !== null) return { exitCode: 1, stdout: img.display(`UNKNOWN: ${why}\n`), stderr: loaded.stderr };
  }
  const view = explainFlow(ctx, rules, flow);
  const stdout = img.display(json ? stableJson(view) : explainText(view));
  return { exitCode: explainAgrees(view) ? 0 : 1, stdout, stderr: loaded.stderr };
}

/** Exit 0 when the rules agree with the policies (the flow, and the reply of an allowed one), 1 when they disagree or the simulator cannot tell. */
export function runExplain(files: readonly InputFile[], args: ParsedArgs, simulate: Simulate, readFile: ReadFile): TextResult {
  if (familyOf(args) === 6) return runExplain6(files, args, simulate, readFile);
  // Compiled rules are read back only for the nodes the walk reaches (the flow's, its reply's, a Service's backends').
  const loaded = loadRules(files, args, simulate, readFile, (ctx) => nodesOf(ctx, flowFrom(ctx.model, args)), undefined, true);
  if ("exitCode" in loaded) return loaded;
  const flow = flowFrom(loaded.ctx.model, args);
  // To a Service entry: kube-proxy's DNAT picks the backend, and each branch is judged on its backend pod.
  const service = explainService(loaded.ctx, loaded.rules, flow);
  if (service !== null) {
    const json = flag(args, "format") === "json";
    const stdout = json ? stableJson(service.length === 1 ? service[0] : service) : service.map(serviceExplainText).join("\n");
    return { exitCode: service.every(serviceExplainAgrees) ? 0 : 1, stdout, stderr: loaded.stderr };
  }
  // Not modelled: said as UNKNOWN, never walked as if the node's address were a plain host.
  if (flow.dst.kind === "ip") {
    const why = hostToNodePort(loaded.ctx.model, loaded.ctx.topology(loaded.rules), flow.src, flow.dst.ip, flow.port, flow.protocol);
    if (why !== null) return { exitCode: 1, stdout: `UNKNOWN: ${why}\n`, stderr: loaded.stderr };
  }
  const view = explainFlow(loaded.ctx, loaded.rules, flow);
  const stdout = flag(args, "format") === "json" ? stableJson(view) : explainText(view);
  return { exitCode: explainAgrees(view) ? 0 : 1, stdout, stderr: loaded.stderr };
}

export function explainCommand(rest: readonly string[], io: Io): number {
  return runChecker("explain", rest, io, EXPLAIN_FLAGS, runExplain);
}

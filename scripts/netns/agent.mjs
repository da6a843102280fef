// Pod agent for the kernel harness: started inside one pod network namespace
// (`ip netns exec <pod-ns> node agent.mjs --ports 80,81`). It serves TCP and
// UDP on every port (TCP: accept and close; UDP: echo) and doubles as that
// pod's prober, so no process has to be spawned per scenario.
//
// Protocol (newline-delimited JSON):
//   stdout  {"ready":true}                        once every server listens
//   stdin   {"id":1,"timeoutMs":400,"probes":[{"ip":"192.168.1.2","port":80,"proto":"tcp","sport":20001}, ...]}
//           (optional "sip": bind that source address, for the anti-spoofing check)
//   stdout  {"id":1,"results":[true,false,...]}   same order as the probes
//
// Every probe binds the source port the harness chose: the harness never
// reuses a (source port, destination) pair in a run, so a conntrack entry
// left by an earlier scenario can never make a probe look ESTABLISHED.
// The agent exits when stdin closes and, as a backstop, after --max-seconds.
// With --ipv6 it also serves every port on [::] (IPv6-only sockets, beside the
// IPv4 ones), and a probe whose "ip" is an IPv6 address goes out over IPv6.
import net from "node:net";
import dgram from "node:dgram";
import readline from "node:readline";

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const ports = arg("ports", "80,81").split(",").map(Number);
const maxSeconds = Number(arg("max-seconds", "1800"));
const ipv6 = process.argv.includes("--ipv6");
// Keep probes bounded: a runaway harness cannot make one agent send more than this at once.
const MAX_PROBES_PER_REQUEST = 256;
const MAX_TIMEOUT_MS = 5000;

function listenTcp(port, host = "0.0.0.0") {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((sock) => {
      sock.on("error", () => {});
      sock.end();
    });
    srv.on("error", reject);
    srv.listen({ port, host, ...(host === "::" ? { ipv6Only: true } : {}) }, () => resolve(srv));
  });
}

function listenUdp(port, host = "0.0.0.0") {
  return new Promise((resolve, reject) => {
    const sock = host === "::" ? dgram.createSocket({ type: "udp6", ipv6Only: true }) : dgram.createSocket("udp4");
    sock.on("error", reject);
    sock.on("message", (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
    sock.bind({ port, address: host }, () => resolve(sock));
  });
}

function probeTcp(p, timeoutMs) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const sock = net.connect({ host: p.ip, port: p.port, localPort: p.sport, ...(p.sip ? { localAddress: p.sip } : {}) });
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on("connect", () => finish(true));
    sock.on("error", () => finish(false));
  });
}

function probeUdp(p, timeoutMs) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(p.ip) ? "udp6" : "udp4");
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const payload = Buffer.from(`probe ${p.sport}`);
    sock.on("error", () => finish(false));
    sock.on("message", (msg) => finish(msg.equals(payload)));
    sock.bind({ port: p.sport, ...(p.sip ? { address: p.sip } : {}) }, () => sock.send(payload, p.port, p.ip));
  });
}

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  const timeoutMs = Math.min(Number(req.timeoutMs) || 400, MAX_TIMEOUT_MS);
  const probes = (req.probes ?? []).slice(0, MAX_PROBES_PER_REQUEST);
  const results = await Promise.all(
    probes.map((p) => (p.proto === "udp" ? probeUdp(p, timeoutMs) : probeTcp(p, timeoutMs))),
  );
  process.stdout.write(JSON.stringify({ id: req.id, results }) + "\n");
}

const servers = [];
for (const port of ports) {
  servers.push(await listenTcp(port));
  servers.push(await listenUdp(port));
  if (ipv6) {
    servers.push(await listenTcp(port, "::"));
    servers.push(await listenUdp(port, "::"));
  }
}
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => void handle(line));
rl.on("close", () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true }) + "\n");

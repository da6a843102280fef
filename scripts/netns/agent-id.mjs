// Identity agent for the kernel Service tests (test/kernel/services.test.ts),
// beside agent.mjs, which stays as it is. Two modes, both inside one of the
// test's network namespaces:
//
//   --serve PORT --id NAME   TCP server: writes "NAME\n" to every connection, then closes it.
//                            Prints {"ready":true} once listening; exits when stdin closes.
//   --probe IP:PORT --count N --timeout MS
//                            N concurrent TCP connections (each from a fresh ephemeral port, so
//                            each is its own conntrack entry and kube-proxy's statistic draws
//                            anew); prints one JSON array: {"id":NAME} or {"error":CODE,"ms":elapsed}.
import net from "node:net";

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const MAX_COUNT = 256;
const MAX_TIMEOUT_MS = 5000;

function serve(port, id) {
  const srv = net.createServer((sock) => {
    sock.on("error", () => {});
    sock.end(`${id}\n`);
  });
  srv.listen({ port, host: "0.0.0.0" }, () => process.stdout.write(JSON.stringify({ ready: true }) + "\n"));
  process.stdin.on("data", () => {});
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("close", () => process.exit(0));
  setTimeout(() => process.exit(0), 1800 * 1000).unref();
}

function once(host, port, timeoutMs) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let data = "";
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => finish({ error: "TIMEOUT", ms: Date.now() - t0 }), timeoutMs);
    sock.on("data", (d) => (data += d.toString()));
    sock.on("end", () => finish(data.includes("\n") ? { id: data.trim() } : { error: "EMPTY", ms: Date.now() - t0 }));
    sock.on("error", (e) => finish({ error: e.code ?? String(e), ms: Date.now() - t0 }));
  });
}

async function probe(target, count, timeoutMs) {
  const i = target.lastIndexOf(":");
  const host = target.slice(0, i);
  const port = Number(target.slice(i + 1));
  const results = await Promise.all(Array.from({ length: count }, () => once(host, port, timeoutMs)));
  process.stdout.write(JSON.stringify(results) + "\n");
}

const servePort = arg("serve", null);
if (servePort !== null) serve(Number(servePort), arg("id", "unknown"));
else {
  const target = arg("probe", null);
  if (!target) {
    process.stderr.write("usage: agent-id.mjs --serve PORT --id NAME | --probe IP:PORT [--count N] [--timeout MS]\n");
    process.exit(2);
  }
  await probe(target, Math.min(Number(arg("count", "1")), MAX_COUNT), Math.min(Number(arg("timeout", "1000")), MAX_TIMEOUT_MS));
}

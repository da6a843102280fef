// Address arithmetic the templates need: whether a node address lies in a
// loadBalancerSourceRange (§3.3(i)) or in nodePortAddresses (§3.1).

/** Whether an address lies in a CIDR (both canonical, same family). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net = "", len = "0"] = cidr.split("/");
  if (net.includes(":") !== ip.includes(":")) return false;
  const bits = net.includes(":") ? 128 : 32;
  const prefix = BigInt(len);
  const shift = BigInt(bits) - prefix;
  return toBig(net) >> shift === toBig(ip) >> shift;
}

function toBig(ip: string): bigint {
  if (!ip.includes(":")) return ip.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [h = "", t] = ip.split("::");
  const head = h ? h.split(":") : [];
  const tail = t ? t.split(":") : [];
  const groups = t === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

// The seed talk's `iptables --list-rules | grep KUBE` (../shared/seed/), as
// the PDF extraction left it, mended, must come out exactly from a snapshot
// holding the seed's services (golden/seed-kube-proxy-1-13-list-rules).
import { describe, expect, it } from "vitest";
import { caseArgs, caseFiles, emitCase, GOLDEN } from "./helpers.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

// Copied from the seed, typos and all.
const SEED = String.raw`
-N KUBE-EXTERNAL-SERVICES
-N KUBE-FIREWALL
-N KUBE-FORWARD
-N KUBE-SERVICES
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVI CES
-A INPUT | KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -s 192.168.0.0/16 -m comment --comment "kubernetes forwarding conntrack pod source rule" -m conntrack --ctstate RELATED, ESTABLISHED -j ACCEPT
-A KUBE-FORWARD -d 192.168.0.0/16 -m comment --comment "kubernetes forwarding conntrack pod destination rule" -m conntrack --ct state RELATED, ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.101.168.10/32 -p tcp -m comment --comment "knative-monitoring/fluentd-ds:fluentd-tcp has no endpoints" m tcp --dport 24224 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-SERVICES -d 10.101.168.10/32 -p udp -m comment --comment "knative-monitoring/fluentd-ds:fluentd-udp has no endpoints" m udp --dport 24224 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-SERVICES -d 10.102.7.108/32 -p tcp -m comment --comment "default/helloworld-go-00001-service:metrics has no endpoints" -m tcp --dport 9090 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-SERVICES -d 10.102.215.106/32 -p tcp -m comment --comment "kube-system/calico-typha:calico-typha has no endpoints" -m tcp --dport 5473 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-SERVICES -d 10.102.7.108/32 -p tcp -m comment --comment "default/helloworld-go-00001-service:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
`.trim().split("\n");

/** The PDF extraction's damage, undone: a split word, a lost "-j", a space after a comma, a split option, a lost dash. */
function mend(line: string): string {
  return line
    .replace("KUBE-EXTERNAL-SERVI CES", "KUBE-EXTERNAL-SERVICES")
    .replace("-A INPUT | KUBE-FIREWALL", "-A INPUT -j KUBE-FIREWALL")
    .replace("RELATED, ESTABLISHED", "RELATED,ESTABLISHED")
    .replace("--ct state", "--ctstate")
    .replace(/" m (tcp|udp) /, '" -m $1 ');
}

const CASE = "seed-kube-proxy-1-13-list-rules";

describe("seed: iptables --list-rules | grep KUBE on a kube-proxy 1.13 node", () => {
  const printed = emitCase(caseFiles(CASE), caseArgs(CASE));

  it("prints the seed's lines exactly, in order", () => {
    expect(printed.split("\n").filter((l) => l.includes("KUBE"))).toEqual(SEED.map(mend));
  });

  it("is what the golden case expects", () => {
    expect(readFileSync(join(GOLDEN, CASE, "expected", "ubuntu1.iptables"), "utf8")).toBe(printed);
  });

  it("without --service-order the same lines come sorted by (namespace, name, port)", () => {
    const args = caseArgs(CASE).filter((a, i, all) => a !== "--service-order" && all[i - 1] !== "--service-order");
    const services = emitCase(caseFiles(CASE), args).split("\n").filter((l) => l.startsWith("-A KUBE-SERVICES"));
    expect(services.map((l) => /"([^ ]+) has/.exec(l)?.[1])).toEqual([
      "default/helloworld-go-00001-service:http",
      "default/helloworld-go-00001-service:metrics",
      "knative-monitoring/fluentd-ds:fluentd-tcp",
      "knative-monitoring/fluentd-ds:fluentd-udp",
      "kube-system/calico-typha:calico-typha",
    ]);
  });
});

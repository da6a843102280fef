// Names, hashes and number spellings of the kube-proxy backend (spec
// kubeproxy-format §2 test vectors, §3.3(j) probabilities, §3.1 marks).
import { describe, expect, it } from "vitest";
import { base32, chain, hash16, markText, probability, servicePortHash, spnString } from "../../../src/backends/kubeproxy/names.js";

describe("§2 hashes", () => {
  const vectors: [string, string][] = [
    ["ns1/svc1:p80tcp", "XPGD46QRK7WJZT7O"],
    ["ns1/svc1:p80tcp10.180.0.1:80", "SXIVWICOYRO3J4NJ"],
    ["ns1/svc1:p80tcp[ff06::c1]:80", "LIGRYQQLSZN4UWQ5"],
    ["ns1/svc1tcp", "AQI2S6QIMU7PVVRP"],
    ["ns1/svc1:tcp", "AHZNAGK3SCETOS2T"],
    ["ns2/svc2:p80tcp", "GNZBNJ2PO5MGZ6GT"],
    ["ns5/svc5:p80tcp", "NUKIZ6OKUXPJNT4C"],
    ["ns1/svc1:p80udp", "OJWW7NSBVZTDHXNW"],
    ["ns1/svc1:p80sctp", "GFCIFIA5VTFSTMSM"],
    ["ns1/svc1:p80TCP", "3UP2Z6VMNQ3MME3P"],
    ["default/kubernetes:httpstcp", "NPX46M4PTMTKRN6Y"],
    ["kube-system/kube-dns:dnsudp", "TCOU7JCQXEZGVUNU"],
    ["kube-system/kube-dns:dns-tcptcp", "ERIFXISQEP7F7OF4"],
    ["kube-system/kube-dns:metricstcp", "JD5MR3NA4I4DYORP"],
    ["default/web-servicetcp", "SZGXCNNBZLC4E3DM"],
  ];
  for (const [input, want] of vectors) it(`${input} → ${want}`, () => expect(hash16(input)).toBe(want));

  it("protocols are hashed in lower case whatever the IR says", () => {
    expect(servicePortHash("ns1/svc1:p80", "TCP")).toBe("XPGD46QRK7WJZT7O");
    expect(chain.sep("ns1/svc1:p80", "TCP", "10.180.0.1:80")).toBe("KUBE-SEP-SXIVWICOYRO3J4NJ");
  });

  it("chain names share one hash and stay within iptables' 28 characters", () => {
    const h = servicePortHash("a-very-long-namespace-name/a-very-long-service-name:a-port-name", "sctp");
    for (const name of [chain.svc(h), chain.svl(h), chain.ext(h), chain.fw(h), chain.xlb(h), chain.sep("x", "tcp", "[ff06::c1]:80")]) {
      expect(name.length).toBeLessThanOrEqual(28);
    }
  });

  it("base32 is RFC 4648 (with padding)", () => {
    const enc = (s: string): string => base32(new TextEncoder().encode(s));
    expect(["", "f", "fo", "foo", "foob", "fooba", "foobar"].map(enc)).toEqual(["", "MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=", "MZXW6YTB", "MZXW6YTBOI======"]);
  });

  it("service-port names: unnamed ports have no colon from 1.19 on, a trailing one before", () => {
    expect(spnString("ns1", "svc1", "p80", false)).toBe("ns1/svc1:p80");
    expect(spnString("ns1", "svc1", "", false)).toBe("ns1/svc1");
    expect(spnString("ns1", "svc1", "", true)).toBe("ns1/svc1:");
  });
});

describe("§3.3(j) probabilities", () => {
  it("Go %0.10f of 1/k", () => {
    expect([2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => probability(k, 10))).toEqual([
      "0.5000000000", "0.3333333333", "0.2500000000", "0.2000000000", "0.1666666667", "0.1428571429", "0.1250000000", "0.1111111111", "0.1000000000",
    ]);
  });

  it("rounds exact ties half to even, as Go does (k = 2048, §7), unlike toFixed", () => {
    expect(probability(2048, 10)).toBe("0.0004882812");
    expect((1 / 2048).toFixed(10)).toBe("0.0004882813");
  });

  it("the ≈1.13 spelling %0.5f", () => {
    expect([2, 3, 4].map((k) => probability(k, 5))).toEqual(["0.50000", "0.33333", "0.25000"]);
  });
});

describe("§3.1 mark", () => {
  it("short in kube-proxy's tests, zero-padded on real nodes", () => {
    expect(markText(14, false)).toBe("0x4000");
    expect(markText(14, true)).toBe("0x00004000");
    expect(markText(31, true)).toBe("0x80000000");
  });
});

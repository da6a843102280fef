// names.ts against the values verified in spec felix-format §1, §6, §7, §9.5.
import { describe, expect, test } from "vitest";
import {
  escapeComment,
  ipSetName,
  lengthLimitedId,
  makeUniqueId,
  namedPortSetId,
  policyChainName,
  profileChainName,
  endpointChainName,
  selectorSetId,
} from "../../../src/backends/calico/names.js";
import { workloadInterfaceName } from "../../../src/backends/calico/index.js";
import { RuleHasher } from "../../../src/rules/felix.js";

const ruleHashes = (chain: string, bodies: readonly string[]): string[] => new RuleHasher().hashes(chain, bodies);

describe("GetLengthLimitedID and chain names (§1)", () => {
  test.each([
    ["cali-pi-", "default/knp.default.allow-db-access", "cali-pi-_tTE-E7yY40ogArNVgKt"],
    ["cali-po-", "kube-system/knp.default.konnectivity-agent", "cali-po-_rWDSk9LLgWIl_lpnJE2"],
    ["cali-pi-", "knp/team-b/deny-from-other-ns", "cali-pi-_qA9lGysOzwIsyVf0V23"],
    ["cali-pi-", "knp/default/allow-a", "cali-pi-knp/default/allow-a"],
    ["cali-pri-", "ksa.default.default", "cali-pri-ksa.default.default"],
    ["cali-pri-", "ksa.kube-system.metrics-server", "cali-pri-_CVSZITRyIpEmH8AB6H"],
    ["cali-tw-", "cali95aa86cbb2a", "cali-tw-cali95aa86cbb2a"],
  ])("%s + %s → %s", (prefix, suffix, want) => {
    expect(lengthLimitedId(prefix, suffix)).toBe(want);
  });
  test("exactly 28 chars with a leading _ is hashed, so it cannot collide with a hashed name", () => {
    const suffix = "_" + "x".repeat(19);
    expect(("cali-pi-" + suffix).length).toBe(28);
    expect(lengthLimitedId("cali-pi-", suffix)).not.toBe("cali-pi-" + suffix);
    expect(lengthLimitedId("cali-pi-", suffix)).toHaveLength(28);
  });
  test("typed helpers", () => {
    expect(policyChainName("ingress", "default", "allow-db-access")).toBe("cali-pi-_tTE-E7yY40ogArNVgKt");
    expect(policyChainName("egress", "kube-system", "konnectivity-agent")).toBe("cali-po-_rWDSk9LLgWIl_lpnJE2");
    expect(policyChainName("ingress", "default", "default-deny")).toBe("cali-pi-_R3gvoG4sTTQrQ1d4clb");
    expect(profileChainName("egress", "kns.default")).toBe("cali-pro-kns.default");
    expect(endpointChainName("egress", "cali95aa86cbb2a")).toBe("cali-fw-cali95aa86cbb2a");
  });
  test("a hostile short suffix is hashed rather than printed", () => {
    const name = profileChainName("ingress", 'kns.a "b"');
    expect(name).toMatch(/^cali-pri-_[A-Za-z0-9_-]{18}$/);
  });
});

describe("rule hashes (§6)", () => {
  test("worked checks", () => {
    expect(ruleHashes("FORWARD", ["--jump cali-FORWARD"])).toEqual(["wUHhoiAYhphO9Mso"]);
    const input1 =
      '-m comment --comment "Allow IPIP packets from Calico hosts" -p 4 -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL --jump ACCEPT';
    expect(ruleHashes("cali-INPUT", [input1])).toEqual(["PajejrV4aFdkZojI"]);
  });
  test("hashes chain: a rule's hash depends on the rules before it", () => {
    const [a] = ruleHashes("c", ["--jump ACCEPT"]);
    const [, b] = ruleHashes("c", ["--jump DROP", "--jump ACCEPT"]);
    expect(a).not.toBe(b);
  });
  test("appended hooks hash under FORWARD*appends*", () => {
    expect(
      ruleHashes("FORWARD*appends*", [
        '-m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 --jump ACCEPT',
        "--jump MARK --set-mark 0x10000/0x10000",
      ]),
    ).toEqual(["S93hcgKJrXEqnTfs", "mp77cMpurHhyjLrM"]);
  });
});

describe("IP set IDs and names (§7)", () => {
  test("all() check value", () => {
    expect(makeUniqueId("s", "all()")).toBe("s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug");
  });
  test("F1 selector set", () => {
    const id = selectorSetId(
      '(projectcalico.org/namespace == "default" && (projectcalico.org/orchestrator == "k8s" && networking/allow-db-access == "true"))',
    );
    expect(id).toBe("s:LrVD8vMIGQDyv8Y7sPFB1GezRBswirYVYq1Wfw");
    expect(ipSetName(id)).toBe("cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge");
    expect(ipSetName(id)).toHaveLength(31);
  });
  test("F4 named-port set", () => {
    expect(ipSetName(namedPortSetId("s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug", "tcp", "http"))).toBe(
      "cali40n:cl9_Kgeu4H0OGLbhovVR3NB",
    );
  });
  test("fixed sets", () => {
    expect(ipSetName("all-hosts-net")).toBe("cali40all-hosts-net");
  });
});

describe("workload interface names (§9.5)", () => {
  test.each([
    ["default", "db-8d66ff5f7-bp6kf", "cali95aa86cbb2a"],
    ["default", "backend-867fd6dff-mjf92", "cali2b1490aa46a"],
    ["team-b", "nettest2", "calicd14548c312"],
    ["default", "details-v1-68c7c8666d-x57tf", "cali8c5ecab8e58"],
    ["default", "main-699dd9dc98-6fz62", "calib6d81851da5"],
    ["default", "main-699dd9dc98-nlxss", "cali4d4a0d13a0e"],
    ["default", "main-699dd9dc98-vb9c5", "cali6d8add8d729"],
    ["default", "productpage-v1-54d799c966-h96dv", "calic30c889d0d0"],
    ["default", "ratings-v1-8558d4458d-86mtm", "cali21230f2dafe"],
    ["default", "reviews-v1-cb8655c75-9tz9q", "calida284fa5314"],
    ["default", "reviews-v2-7fc9bb6dcf-45d6z", "calie03b469bdcb"],
    ["default", "reviews-v3-c995979bc-78g8r", "cali3ce30d54769"],
  ])("%s.%s → %s", (ns, pod, want) => {
    expect(workloadInterfaceName(ns, pod)).toBe(want);
  });
  test("prefix option", () => {
    expect(workloadInterfaceName("default", "db-8d66ff5f7-bp6kf", "wl")).toBe("wl95aa86cbb2a");
  });
});

describe("comment escaping (§6)", () => {
  test("keeps the allowed alphabet", () => {
    expect(escapeComment("Policy default/knp.default.a-b_c ingress @%+=:,")).toBe("Policy default/knp.default.a-b_c ingress @%+=:,");
  });
  test("quotes, backslashes, newlines and non-ASCII become _ (one per character)", () => {
    expect(escapeComment('a"b\\c\nd\'e$fé')).toBe("a_b_c_d_e_f_");
  });
  test("truncated to 256", () => {
    expect(escapeComment("x".repeat(300))).toHaveLength(256);
  });
  test("long comments: the same as escaping every code point (Go's runes) and cutting after", () => {
    // The recipe spelled out: one `_` per code point outside the alphabet (a surrogate pair is one, a lone surrogate
    // too), then the first 256 characters.
    const reference = (text: string): string => Array.from(text, (c) => (/^[A-Za-z0-9_ @%+=:,./-]$/.test(c) ? c : "_")).join("").slice(0, 256);
    const pair = "\u{1F600}";
    const cases = [
      "Shared by " + Array.from({ length: 400 }, (_, i) => `ns${i}/knp.default.default-deny`).join(" "),
      pair.repeat(300),
      "a" + pair.repeat(300),
      "x".repeat(255) + pair + "y".repeat(300),
      "x".repeat(511) + pair + "z",
      "x".repeat(510) + "\uD83D",
      "\uDE00" + "q".repeat(600),
      pair.repeat(255) + "é" + "x".repeat(10),
      "x".repeat(256) + '"',
      "x".repeat(257) + '"',
      'é'.repeat(600),
    ];
    for (const c of cases) expect(escapeComment(c)).toBe(reference(c));
  });
});

describe("ruleHashes against the recipe spelled out (§6)", () => {
  test("long, empty and non-ASCII bodies, a long chain name", async () => {
    const { createHash } = await import("node:crypto");
    const reference = (chain: string, bodies: string[]): string[] => {
      let h = createHash("sha224").update(chain).digest();
      return bodies.map((b) => {
        h = createHash("sha224").update(Buffer.concat([h, Buffer.from(`-A ${chain} HASH` + (b ? " " + b : ""))])).digest();
        return h.toString("base64url").slice(0, 16);
      });
    };
    const chain = "cali-tw-" + "x".repeat(5000);
    const bodies = ["", "--jump ACCEPT", "-m comment --comment \"é ünïcode ✓\"", "y".repeat(20000), "", "--jump DROP"];
    expect(ruleHashes(chain, bodies)).toEqual(reference(chain, bodies));
    expect(ruleHashes("c", bodies)).toEqual(reference("c", bodies));
  });
});

// `ipset save` / `ipset restore` text → IpSet[] and back.
import { describe, expect, it } from "vitest";
import { parseIpSets } from "../../src/rules/ipset-parser.js";
import { writeIpSets } from "../../src/rules/ipset.js";
import { formatParseDiagnostic } from "../../src/rules/parser.js";
import { specFixture } from "./spec-text.js";

const messages = (text: string): string[] => parseIpSets(text, { file: "n1.ipsets" }).diagnostics.map(formatParseDiagnostic);

describe("round trip", () => {
  it("F5's ipsets", () => {
    const text = specFixture("f5-ipsets.txt");
    const r = parseIpSets(text);
    expect(r.diagnostics).toEqual([]);
    expect(writeIpSets(r.sets)).toBe(text);
  });

  it("keeps header options, port members and nomatch", () => {
    const text = [
      "create cali40s:AbC-_x hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x3c45bc81",
      "add cali40s:AbC-_x 10.0.0.0/8",
      "add cali40s:AbC-_x 10.1.0.0/16 nomatch",
      "create cali40n:ports hash:ip,port family inet hashsize 1024 maxelem 1048576",
      "add cali40n:ports 10.0.0.1,tcp:80",
      "add cali40n:ports 10.0.0.2,udp:53",
      "create empty hash:ip family inet hashsize 1024 maxelem 65536",
      "",
    ].join("\n");
    const r = parseIpSets(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.sets[0]).toEqual({
      name: "cali40s:AbC-_x",
      type: "hash:net",
      options: ["family", "inet", "hashsize", "1024", "maxelem", "1048576", "bucketsize", "12", "initval", "0x3c45bc81"],
      members: [{ value: "10.0.0.0/8" }, { value: "10.1.0.0/16", nomatch: true }],
    });
    // writeIpSets sorts sets by name and members by address.
    expect(parseIpSets(writeIpSets(r.sets)).sets.map((s) => s.name)).toEqual(["cali40n:ports", "cali40s:AbC-_x", "empty"]);
    expect(writeIpSets(parseIpSets(writeIpSets(r.sets)).sets)).toBe(writeIpSets(r.sets));
  });
});

describe("restore semantics", () => {
  it("comments, -exist, del, flush, destroy and swap apply in order", () => {
    const text = [
      "# Felix-style restore input",
      "-exist create a hash:ip family inet",
      "create b hash:ip family inet -exist",
      "create b hash:ip family inet -exist",
      "add a 10.0.0.1",
      "add a 10.0.0.2",
      "del a 10.0.0.1",
      "add b 10.0.0.9",
      "swap a b",
      "create c hash:net family inet",
      "add c 10.9.0.0/16",
      "flush c",
      "create d hash:net family inet",
      "destroy d",
      "",
    ].join("\n");
    const r = parseIpSets(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.sets).toEqual([
      { name: "a", type: "hash:ip", options: ["family", "inet"], members: [{ value: "10.0.0.9" }] },
      { name: "b", type: "hash:ip", options: ["family", "inet"], members: [{ value: "10.0.0.2" }] },
      { name: "c", type: "hash:net", options: ["family", "inet"], members: [] },
    ]);
  });
});

describe("errors and warnings with positions", () => {
  it.each([
    ["add nope 10.0.0.1\n", "n1.ipsets:1:5: error: set nope is not created (expected a create line before it)"],
    ["create s hash:mac\n", "n1.ipsets:1:10: error: unsupported set type 'hash:mac'; expected one of hash:net, hash:ip, hash:ip,port, hash:net,port, hash:ip,port,ip, bitmap:port"],
    ["create s\n", "n1.ipsets:1:9: error: expected a set type after the set name, found end of line"],
    ["insert s 1.2.3.4\n", "n1.ipsets:1:1: error: expected create, add, del, flush, destroy or swap, found 'insert'"],
    ["create s hash:ip\ncreate s hash:ip\n", "n1.ipsets:2:8: error: set s is created twice (use -exist to allow it)"],
    ["create s hash:ip\nadd s 10.0.0.1 timeout 0 comment \"x\"\n", "n1.ipsets:2:16: warning: member options 'timeout 0 comment \"x\"' are not kept"],
    ['create s hash:ip comment "open\n', "n1.ipsets:1:26: error: unterminated quoted string"],
  ])("%j", (text, expected) => {
    expect(messages(text)).toEqual([expected]);
  });
});

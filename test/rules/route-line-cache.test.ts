// RouteLineCache: route parses that share it give exactly what parses without it give — commands with their
// line numbers, and diagnostics — while lines seen before are not lexed again.
import { describe, expect, it } from "vitest";
import { goldenExpectedFiles } from "../helpers/golden-files.js";
import { parseRoutes, RouteLineCache } from "../../src/rules/route-parser.js";

const goldenRouteFiles = (): { path: string; text: string }[] => goldenExpectedFiles([".routes"]);

describe("RouteLineCache", () => {
  it("gives every golden routes file exactly the uncached parse, one cache across all of them", () => {
    const files = goldenRouteFiles();
    expect(files.length).toBeGreaterThan(20);
    const lines = new RouteLineCache();
    for (const f of files) expect(parseRoutes(f.text, { file: f.path, lines }), f.path).toEqual(parseRoutes(f.text, { file: f.path }));
    // Nodes route to each other's blocks alike: the cache holds far fewer lines than were parsed.
    const parsed = files.reduce((n, f) => n + f.text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).length, 0);
    expect(lines.commands.size).toBeGreaterThan(0);
    expect(lines.commands.size).toBeLessThan(parsed / 2);
  });

  it("a cached line lands at its own line number; a line with an error is reported every time, at its own place", () => {
    const lines = new RouteLineCache();
    const first = "route replace 10.0.1.0/26 via 192.168.0.2 dev tunl0 proto bird onlink\nroute replace 10.0.9.0/26 via 192.168.0.300 dev tunl0\n";
    const second = "# node two\n\nroute replace 10.0.9.0/26 via 192.168.0.300 dev tunl0\n  route replace 10.0.1.0/26 via 192.168.0.2 dev tunl0 proto bird onlink\nroute replace 10.0.1.0/26 via 192.168.0.2 dev tunl0 proto bird onlink";
    for (const text of [first, second, first, second]) expect(parseRoutes(text, { file: "n", lines })).toEqual(parseRoutes(text, { file: "n" }));
    const again = parseRoutes(second, { file: "n", lines });
    expect(again.commands.map((c) => c.line)).toEqual([4, 5]);
    expect(again.diagnostics.map((d) => [d.line, d.col])).toEqual([[3, 31]]);
    // The line with the error is never kept; the indented one is looked up whole (with its indent) and lexed.
    expect([...lines.commands.keys()]).toEqual(["route replace 10.0.1.0/26 via 192.168.0.2 dev tunl0 proto bird onlink"]);
  });

  it("CRLF line ends and a last line without a newline parse as without the cache", () => {
    const lines = new RouteLineCache();
    const texts = ["address replace 10.0.0.1/32 dev tunl0\r\nroute replace 10.0.2.0/26 dev tunl0 scope link\r\n", "route replace 10.0.2.0/26 dev tunl0 scope link\r\naddress replace 10.0.0.1/32 dev tunl0"];
    for (const text of [...texts, ...texts]) expect(parseRoutes(text, { file: "crlf", lines })).toEqual(parseRoutes(text, { file: "crlf" }));
  });
});

// The matrix page in a real browser: headless Chromium (Debian's `chromium`
// package) loads examples/bookinfo's page from a file:// URL, runs its
// script, and we check the DOM it ends with (cells rendered, `#tab=N`
// switching tabs) and that a screenshot is a real picture, not a blank page.
//
// Skipped with a loud warning when Chromium is absent, except under
// NETPOLC_BROWSER_TESTS=required (CI, .ci/run), which makes that a failure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { main, type Io } from "../../src/cli/main.js";
import { buildMatrix, type Matrix } from "../../src/views/matrix.js";
import { cellTitle } from "../../src/views/matrix-html.js";
import { BOOKINFO, readTree, side } from "./helpers.js";

const CHROMIUM = process.env["NETPOLC_CHROMIUM"] ?? "/usr/bin/chromium";
const required = process.env["NETPOLC_BROWSER_TESTS"] === "required";
const present = existsSync(CHROMIUM);

if (!present && !required) {
  console.warn(
    `\n!!!!!!!! BROWSER TESTS SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium).\n` +
      `!!!!!!!! NETPOLC_BROWSER_TESTS=required makes this a failure.\n`,
  );
}

const dir = mkdtempSync(join(tmpdir(), "netpolc-browser-"));
const page = join(dir, "matrix.html");

/** Flags that keep a headless run hermetic: no network of its own, no profile, no GPU. */
function chromium(extra: readonly string[], url: string): string {
  const profile = mkdtempSync(join(dir, "profile-"));
  const args = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, "--window-size=1400,1000", ...extra, url,
  ];
  return execFileSync(CHROMIUM, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
}

/** The decompressed scanlines of a PNG (filter bytes included): enough to tell a picture from a blank page. */
function pngPixels(png: Buffer): Buffer {
  expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    if (png.toString("latin1", off + 4, off + 8) === "IDAT") idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  return inflateSync(Buffer.concat(idat));
}

describe.skipIf(!present && !required)("matrix page in headless Chromium", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("generates the page for examples/bookinfo", async () => {
    if (!present) throw new Error(`NETPOLC_BROWSER_TESTS=required but there is no Chromium at ${CHROMIUM}`);
    let err = "";
    const io: Io = { stdout: () => undefined, stderr: (s) => void (err += s), readStdin: () => "" };
    expect(await main(["matrix", BOOKINFO, "--html", page], io)).toBe(0);
    expect(err).toBe("");
    expect(readFileSync(page, "utf8")).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("renders every cell, and #tab=2 switches to the second tab through the page's script", () => {
    const dom = chromium(["--dump-dom"], `file://${page}#tab=2`);
    // 6 tables (53/TCP, 9080/TCP, http/TCP, the rest of TCP, 53/UDP, the rest of UDP) of 11 × 11 pods.
    expect(dom.match(/<td class="cell /g)).toHaveLength(6 * 121);
    expect(dom).toContain('<body data-tab="2">');
    expect(dom).toMatch(/<button type="button" data-tab="2" class="active">9080\/TCP<\/button>/);
    expect(dom).toMatch(/<section class="panel active" id="tab-2" data-port="9080\/TCP">/);
    expect(dom).toMatch(/<section class="panel" id="tab-4" data-port="every TCP port but 53, 8080, 9080">/);
    expect(dom).toContain("ingress allowed by default/ratings-from-reviews ingress[0]");
  }, 90_000);

  /** The text the page's script put under the tabs, as the DOM dump spells it (text nodes escape &, < and >). */
  const infoOf = (dom: string): string => {
    const m = /<div id="info">([\s\S]*?)<\/div>/.exec(dom);
    if (!m) throw new Error("no #info in the DOM");
    return m[1]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  };
  /** Cells by what the test needs of them: the first cell of `state` whose why-lines mention `needle`. */
  const find = (m: Matrix, tab: number, state: string, needle: string): [number, number] => {
    const rows = m.tables[tab]!.cells;
    for (let r = 0; r < rows.length; r++) {
      const d = rows[r]!.findIndex((c) => c.state === state && c.why.some((w) => w.includes(needle)));
      if (d >= 0) return [r, d];
    }
    throw new Error(`no ${state} cell mentioning ${needle}`);
  };

  it("#tab=N&cell=R,C shows that cell's explanation, made by the page's script from the cell's numbers, as cellTitle spells it", () => {
    const m = buildMatrix(side(readTree(BOOKINFO)), "pod");
    const tab = m.tables.findIndex((t) => t.label === "9080/TCP");
    for (const [state, needle] of [["allowed", "ratings-from-reviews"], ["denied", "no rule matched"]] as const) {
      const [r, d] = find(m, tab, state, needle);
      const dom = chromium(["--dump-dom"], `file://${page}#tab=${tab + 1}&cell=${r + 1},${d + 1}`);
      const want = cellTitle(m, m.tables[tab]!, r, d, m.tables[tab]!.cells[r]![d]!);
      expect(want).toContain(needle);
      expect(infoOf(dom)).toBe(want);
    }
  }, 90_000);

  it("a namespace page: the cell's pod pair counts come from the cell too", async () => {
    const nsPage = join(dir, "ns.html");
    const io: Io = { stdout: () => undefined, stderr: () => undefined, readStdin: () => "" };
    expect(await main(["matrix", BOOKINFO, "--by", "namespace", "--html", nsPage], io)).toBe(0);
    const m = buildMatrix(side(readTree(BOOKINFO)), "namespace");
    const tab = m.tables.findIndex((t) => t.label === "53/UDP");
    const [r, d] = find(m, tab, "mixed", "");
    const dom = chromium(["--dump-dom"], `file://${nsPage}#tab=${tab + 1}&cell=${r + 1},${d + 1}`);
    const want = cellTitle(m, m.tables[tab]!, r, d, m.tables[tab]!.cells[r]![d]!);
    expect(want).toMatch(/\d+ pod pair\(s\) allowed, \d+ denied/);
    expect(infoOf(dom)).toBe(want);
  }, 90_000);

  it("an unknown tab falls back to the first", () => {
    const dom = chromium(["--dump-dom"], `file://${page}#tab=99`);
    expect(dom).toContain('<body data-tab="1">');
  }, 90_000);

  it("takes a non-trivial screenshot", () => {
    const png = join(dir, "matrix.png");
    chromium([`--screenshot=${png}`], `file://${page}#tab=3`);
    expect(existsSync(png)).toBe(true);
    expect(statSync(png).size).toBeGreaterThan(20_000);
    const buf = readFileSync(png);
    expect([buf.readUInt32BE(16), buf.readUInt32BE(20)]).toEqual([1400, 1000]);
    // A blank page compresses to a handful of byte values; the matrix's colours and text give many.
    const distinct = new Set(pngPixels(buf)).size;
    expect(distinct).toBeGreaterThan(64);
    if (process.env["NETPOLC_KEEP_SCREENSHOT"]) execFileSync("cp", [png, process.env["NETPOLC_KEEP_SCREENSHOT"]]);
  }, 90_000);
});

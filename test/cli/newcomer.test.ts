// A newcomer's first hour (issue 13): no silent success on empty or wrong
// inputs, help per command, nearest-spelling hints, completion scripts.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";
import { completionScript } from "../../src/cli/completion.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const ROOT = join(import.meta.dirname, "..", "..");
const F1 = join(ROOT, "golden", "f1-ingress-from-pod-selector");
const tmp = (): string => tempDir("netpolc-newcomer-");

describe("nothing in is never success", () => {
  it("an empty file, or stdin with nothing: exit 1, the inputs named, nothing written", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "empty.yaml"), "# only a comment\n---\n");
    for (const cmd of ["compile", "check", "verify"]) {
      const argv = cmd === "compile" ? [cmd, join(dir, "empty.yaml"), "-o", join(dir, "out")] : [cmd, join(dir, "empty.yaml")];
      const r = await runCli(argv);
      expect([cmd, r.code]).toEqual([cmd, 1]);
      expect(r.err + r.out).toContain(`no Kubernetes object in the inputs (read: ${join(dir, "empty.yaml")})`);
    }
    expect((await runCli(["compile", "-", "-o", join(dir, "out")], "\n")).code).toBe(1);
  });

  it("a directory without YAML: exit 1 naming it; a path that does not exist: exit 2 naming it", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "some-dir"));
    writeFileSync(join(dir, "some-dir", "README.md"), "not an input\n");
    const r = await runCli(["check", join(dir, "some-dir")]);
    expect([r.code, r.out]).toEqual([1, ""]);
    expect(r.err).toBe(`netpolc: ${join(dir, "some-dir")}: a directory without any *.yaml, *.yml or *.json file (searched recursively)\n`);
    const m = await runCli(["check", join(dir, "typo")]);
    expect(m.code).toBe(2);
    expect(m.err).toContain(`cannot read '${join(dir, "typo")}': no such file or directory`);
  });

  it("an empty file among other inputs is a warning, and the compile goes on", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "zz-empty.yaml"), "");
    const r = await runCli(["compile", F1, join(dir, "zz-empty.yaml"), "-o", join(dir, "out")]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning[input/empty-file]: ${join(dir, "zz-empty.yaml")} holds no Kubernetes object`);
  });
});

describe("help", () => {
  it("every command's --help and `help CMD` print the same usage, options and examples on stdout (exit 0)", async () => {
    for (const c of COMMANDS) {
      const a = await runCli([c.name, "--help"]);
      const b = await runCli(["help", c.name]);
      expect([c.name, a.code, a.err]).toEqual([c.name, 0, ""]);
      expect(b.out).toBe(a.out);
      expect(a.out).toMatch(new RegExp(`^Usage: netpolc ${c.name}`));
      expect(a.out).toContain("\nOptions:\n");
      expect(a.out).toContain("\nExamples:\n  ");
      for (const f of c.flags) expect(a.out, `${c.name} --${f.name}`).toContain(`--${f.name}`);
    }
  });

  it("netpolc --help is the overview (one line per command), not every option at once", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(`\n  ${c.name} `);
    expect(r.out).not.toContain("--endpoint-to-host-action");
    expect(r.out.split("\n").length).toBeLessThan(40);
  });

  it("bare netpolc: a short command list on stderr, exit 2", async () => {
    const r = await runCli([]);
    expect([r.code, r.out]).toEqual([2, ""]);
    expect(r.err).toContain("Commands: compile, verify, explain, check, diff, matrix, workloads, ipam, rules, completion, help\n");
  });

  it("a misspelt command, option or value: exit 2 with the nearest valid spelling", async () => {
    const cases: [string[], string][] = [
      [["complie", F1], "unknown command 'complie' (did you mean compile?)"],
      [["compile", "--ouput", "x", F1], "unknown option '--ouput' (did you mean --output?)"],
      [["verify", "--fromat", "json", F1], "unknown option '--fromat' (did you mean --format?)"],
      [["compile", "--backend", "calcio", F1], "option '--backend' must be one of both, calico, kube-proxy, not 'calcio' (did you mean calico?)"],
      [["help", "verfy"], "unknown command 'verfy' (did you mean verify?)"],
    ];
    for (const [argv, msg] of cases) {
      const r = await runCli(argv);
      expect([argv.join(" "), r.code, r.out]).toEqual([argv.join(" "), 2, ""]);
      expect(r.err).toContain(`netpolc: ${msg}\n`);
    }
  });
});

describe("completion", () => {
  it("prints bash, zsh and fish scripts from the option tables; anything else is a usage error", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await runCli(["completion", shell]);
      expect([shell, r.code, r.err]).toEqual([shell, 0, ""]);
      expect(r.out).toBe(completionScript(shell as "bash"));
      expect(r.out).toContain(shell === "fish" ? "-l route-programmer -x -a 'bird felix'" : "--route-programmer");
    }
    expect((await runCli(["completion", "tcsh"])).code).toBe(2);
    expect((await runCli(["completion"])).code).toBe(2);
  });

  it("bash: commands, options, choices and directories complete", () => {
    const script = completionScript("bash");
    const complete = (line: string): string[] => {
      const words = line.split(" ");
      const prog = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _netpolc; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync("bash", ["-c", prog], { encoding: "utf8", cwd: ROOT });
      expect(r.stderr).toBe("");
      return r.stdout.split("\n").filter(Boolean);
    };
    expect(complete("netpolc ver")).toEqual(["verify"]);
    expect(complete("netpolc compile --back")).toEqual(["--backend"]);
    expect(complete("netpolc compile --backend ")).toEqual(["both", "calico", "kube-proxy"]);
    expect(complete("netpolc verify --route-programmer f")).toEqual(["felix"]);
    expect(complete("netpolc compile -O2 --no-pass dead")).toEqual(["dead-tail"]);
    expect(complete("netpolc compile -o exa")).toEqual(["examples"]);
    expect(complete("netpolc completion z")).toEqual(["zsh"]);
  });

  it("zsh and fish scripts parse (where those shells are installed)", () => {
    for (const [shell, args] of [["zsh", ["-n"]], ["fish", ["--no-execute"]]] as const) {
      const r = spawnSync(shell, [...args], { input: completionScript(shell), encoding: "utf8" });
      if (r.error) continue;
      expect([shell, r.status, r.stderr]).toEqual([shell, 0, ""]);
    }
  });
});

describe("progress through the CLI", () => {
  const BOOKINFO = join(ROOT, "examples", "bookinfo");
  async function run(argv: string[], tty: boolean): Promise<{ code: number; drawn: string; out: string }> {
    const { main } = await import("../../src/cli/main.js");
    let drawn = "";
    let out = "";
    const io = { stdout: (s: string) => void (out += s), stderr: () => {}, readStdin: () => "", stderrIsTTY: tty, env: {}, progressStream: { isTTY: tty, write: (s: string) => void (drawn += s) } };
    return { code: await main(argv, io), drawn, out };
  }
  it("--progress draws the compile's and the verify's stages even off a terminal; stdout is unchanged", async () => {
    const c = await run(["compile", BOOKINFO, "-o", join(tmp(), "out"), "--progress"], false);
    expect(c.code).toBe(0);
    expect(c.drawn).toMatch(/compiling \[.*\] \d+\/3 nodes/);
    const v = await run(["verify", BOOKINFO, "--progress"], false);
    const plain = await run(["verify", BOOKINFO], false);
    expect(v.drawn).toMatch(/verifying \[.*\] \d+\/\d+ class pairs/);
    expect(v.out).toBe(plain.out);
  });
  it("off a terminal, or with --no-progress, nothing is drawn; a short run on a terminal draws nothing either", async () => {
    expect((await run(["verify", BOOKINFO], false)).drawn).toBe("");
    expect((await run(["verify", BOOKINFO, "--no-progress"], true)).drawn).toBe("");
    expect((await run(["compile", BOOKINFO, "-o", join(tmp(), "out")], true)).drawn).toBe("");
  });
});

describe("the bundled example", () => {
  it("passes its own check: nothing printed, exit 0 (it is what every newcomer runs first)", async () => {
    const r = await runCli(["check", join(ROOT, "examples", "bookinfo")]);
    expect(r).toEqual({ code: 0, out: "", err: "" });
  });
});

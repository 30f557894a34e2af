// The `evident` command follows CLI conventions (issue 16): every command and subcommand has
// --help (exit 0, usage, options, examples), --version, --json wherever a command reports
// something, exit 2 with a clear message for bad usage, a progress bar with rate and ETA on a
// terminal and plain lines otherwise, bash completion, and it runs compiled (dist/cli, built by
// scripts/build/cli.mjs) so that it starts fast, falling back to the sources when the build is stale.
import { readFileSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../scripts/stack/config.ts";
import { buildProgram } from "../src/cli/main.ts";
import { progress } from "../src/cli/progress.ts";
import { appendAs, createOrganization, sampleEvent, serviceToken } from "./support/api.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const packageVersion = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version as string;

/** Every command path of the CLI, from its own definition: ["verify"], ["sor", "submit"], … */
function commandPaths(): string[][] {
  const program = buildProgram(async () => {});
  const paths: string[][] = [];
  const walk = (command: Command, prefix: string[]) => {
    for (const sub of command.commands) {
      const path = [...prefix, sub.name()];
      paths.push(path);
      walk(sub, path);
    }
  };
  walk(program, []);
  return paths;
}

const leaves = () => {
  const program = buildProgram(async () => {});
  const found: Array<{ path: string; command: Command }> = [];
  const walk = (command: Command, prefix: string) => {
    for (const sub of command.commands) {
      const name = `${prefix}${sub.name()}`;
      if (sub.commands.length === 0) found.push({ path: name, command: sub });
      walk(sub, `${name} `);
    }
  };
  walk(program, "");
  return found;
};

describe("--help and --version", () => {
  it("knows the 16 commands and their subcommands", () => {
    const names = commandPaths().map((p) => p.join(" "));
    expect(names).toEqual(expect.arrayContaining([
      "maintain", "verify", "checkpoint", "seal", "rehydrate", "retention check", "retention drop", "archive verify",
      "verify-export", "transparency-report", "verify-report", "keys generate", "keys show", "keys public-der", "keys record-rotation", "holds list", "holds apply",
      "holds release", "gdpr erase", "gdpr anonymise", "gdpr consent", "sor validate", "sor status", "sor submit", "sor retry",
      "sor replay", "completion",
    ]));
  });

  it("every command and subcommand answers --help with exit 0, its usage, its options and examples", () => {
    for (const path of commandPaths()) {
      const run = evident([...path, "--help"]);
      const label = `evident ${path.join(" ")} --help`;
      expect(run.code, `${label}: ${run.stderr}`).toBe(0);
      expect(run.stdout, label).toContain(`Usage: evident ${path.join(" ")}`);
      expect(run.stdout, label).toMatch(/Options:\n[\s\S]*-h, --help/);
      expect(run.stdout, label).toMatch(/Examples:\n\s+\$ evident /);
    }
  });

  it("evident --help, -h and help <command> exit 0; --version and -V print the package version", () => {
    for (const args of [["--help"], ["-h"], ["help", "seal"]]) {
      const run = evident(args);
      expect(run.code, args.join(" ")).toBe(0);
      expect(run.stdout).toMatch(/Usage: evident/);
    }
    expect(evident(["--help"]).stdout).toMatch(/Commands:[\s\S]*verify[\s\S]*Exit codes: 0/);
    for (const flag of ["--version", "-V"]) {
      const run = evident([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(packageVersion);
    }
  });
});

describe("bad usage exits 2 with a clear message", () => {
  const cases: Array<[string[], RegExp]> = [
    [["verify", "--no-such-option"], /unknown option '--no-such-option'[\s\S]*--help/],
    [["seal"], /required option '--month <YYYY-MM>' not specified/],
    [["keys", "generate", "--kind", "rsa"], /argument 'rsa' is invalid\. Allowed choices are hmac, ed25519/],
    [["keys", "frobnicate"], /unknown command 'frobnicate'/],
    [["sail"], /unknown command sail/],
    [["verify", "--jobs"], /option '--jobs <n>' argument missing/],
    [["sor", "replay"], /missing required argument 'outbox-id'/],
    [["verify-export", "export.json"], /required option '--public-key <key\.pem>' not specified/],
    [["keys"], /Usage: evident keys/],
    [[], /Usage: evident/],
  ];
  for (const [args, message] of cases) {
    it(`evident ${args.join(" ") || "(nothing)"}`, () => {
      const run = evident(args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
    });
  }
});

describe("--json", () => {
  it("every command that reports something takes --json", () => {
    const without = leaves().filter(({ command }) => !command.options.some((o) => o.long === "--json")).map((l) => l.path);
    expect(without).toEqual(["completion"]);
  });

  it("keys generate, keys public-der and maintain print parseable JSON with --json", () => {
    const hmac = evident(["keys", "generate", "--kind", "hmac", "--id", "json-test-1", "--json"]);
    expect(hmac.code, hmac.stderr).toBe(0);
    expect(JSON.parse(hmac.stdout)).toMatchObject({ kind: "hmac", key_id: "json-test-1", key: expect.stringMatching(/^json-test-1:[A-Za-z0-9_-]{43}$/) });
    const ed = evident(["keys", "generate", "--kind", "ed25519", "--json"]);
    expect(ed.code, ed.stderr).toBe(0);
    expect(JSON.parse(ed.stdout)).toMatchObject({ kind: "ed25519", key_id: expect.any(String), key: expect.any(String) });
    const maintain = evident(["maintain", "--months", "3", "--json"], { DB_URL: testStack.dbUrl });
    expect(maintain.code, maintain.stderr).toBe(0);
    expect(JSON.parse(maintain.stdout).months_ahead).toBeGreaterThanOrEqual(3);
  });
});

describe("progress", () => {
  const sql = adminSql();
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "cli progress");
    for (let i = 0; i < 3; i++) {
      expect((await appendAs(serviceToken(), org, Array.from({ length: 1000 }, () => sampleEvent()))).status).toBe(201);
    }
  });
  afterAll(() => sql.end());
  const env = { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys };

  it("plain lines with count, percentage, rate and ETA when stderr is not a terminal", () => {
    const run = evident(["verify", "--org", org, "--jobs", "1"], { ...env, EVIDENT_PROGRESS_INTERVAL_MS: "1" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`verifying ${org}: \\d+/3000 entries \\(\\d+%\\), \\d+/s, ETA \\d+`));
    expect(run.stderr).toMatch(new RegExp(`verifying ${org}: 3000/3000 entries \\(100%\\), \\d+/s, done in`));
    expect(run.stdout).toMatch(/3000 entries verified/);
  });

  it("a bar with percentage, rate and ETA on a terminal (forced here with EVIDENT_PROGRESS=bar)", () => {
    const run = evident(["verify", "--org", org, "--jobs", "1"], { ...env, EVIDENT_PROGRESS: "bar" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`verifying ${org} \\[[#.]{30}\\] \\d+% \\d+/3000 entries \\| \\d+/s \\| ETA`));
  });

  it("nothing with --json: stdout is the JSON, stderr stays empty", () => {
    const run = evident(["verify", "--org", org, "--jobs", "1", "--json"], { ...env, EVIDENT_PROGRESS_INTERVAL_MS: "1" });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).valid).toBe(true);
    expect(run.stderr).toBe("");
  });

  describe("in process", () => {
    const saved = { mode: process.env.EVIDENT_PROGRESS, interval: process.env.EVIDENT_PROGRESS_INTERVAL_MS };
    let written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    beforeAll(() => {
      process.stderr.write = ((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
    });
    afterEach(() => {
      written = [];
    });
    afterAll(() => {
      process.stderr.write = original;
      for (const [name, value] of [["EVIDENT_PROGRESS", saved.mode], ["EVIDENT_PROGRESS_INTERVAL_MS", saved.interval]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it("lines: nothing for short work, periodic lines and a last one for long work; custom units", async () => {
      process.env.EVIDENT_PROGRESS = "lines";
      process.env.EVIDENT_PROGRESS_INTERVAL_MS = "60000";
      const quick = progress("sealing 2026-10", 100, false);
      quick.update(100);
      quick.done();
      expect(written).toEqual([]);

      process.env.EVIDENT_PROGRESS_INTERVAL_MS = "1";
      const slow = progress("submitting statements", 40, false, "statements");
      await new Promise((resolve) => setTimeout(resolve, 5));
      slow.increment(10);
      await new Promise((resolve) => setTimeout(resolve, 5));
      slow.increment(30);
      slow.done();
      expect(written[0]).toMatch(/^submitting statements: 10\/40 statements \(25%\), \d+\/s, ETA \d+s\n$/);
      expect(written.at(-1)).toMatch(/^submitting statements: 40\/40 statements \(100%\), \d+\/s, done in \d+s\n$/);
    });

    it("off when quiet (--json), whatever EVIDENT_PROGRESS says", () => {
      process.env.EVIDENT_PROGRESS = "bar";
      const bar = progress("restoring 2026-10", 10, true);
      bar.update(10);
      bar.done();
      expect(written).toEqual([]);
    });
  });
});

describe("bash completion", () => {
  it("prints a completion function covering commands, subcommands and options", () => {
    const run = evident(["completion"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^complete -o default -F _evident evident$/m);
    expect(run.stdout).toContain('"sor submit") opts="--max-batches --batch-size --lease-seconds --json --help"');
    expect(run.stdout).toMatch(/""\) opts="maintain verify checkpoint seal /);
  });
});

describe("the compiled CLI", () => {
  const currentBuild = () => path.join(repoRoot, "dist/cli", JSON.parse(readFileSync(path.join(repoRoot, "dist/cli/current.json"), "utf8")).build);
  const inputs = () => JSON.parse(readFileSync(path.join(currentBuild(), "inputs.json"), "utf8")).inputs as string[];

  it("npm test built dist/cli from the current sources, and bin/evident.mjs runs it", () => {
    expect(inputs()).toEqual(expect.arrayContaining(["src/cli/main.ts", "src/cli/verify/worker.ts", "supabase/functions/_shared/chain.ts"]));
    const run = evident(["--version"], { EVIDENT_CLI_TRACE: "1" });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/running the build in dist\/cli/);
  });

  it("falls back to the sources when one is newer than the build, with the same behaviour", () => {
    const compiled = evident(["sor", "submit", "--help"], { EVIDENT_CLI_TRACE: "1" });
    expect(compiled.stderr).toMatch(/running the build in dist\/cli/);
    const built = statSync(path.join(currentBuild(), "evident.mjs")).mtime;
    const source = path.join(repoRoot, "src/cli/progress.ts");
    const { atime, mtime } = statSync(source);
    try {
      // Just newer than the build: the next build (every npm test) is newer again.
      utimesSync(source, atime, new Date(built.getTime() + 1000));
      const run = evident(["sor", "submit", "--help"], { EVIDENT_CLI_TRACE: "1" });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/running the sources through tsx/);
      expect(run.stdout).toBe(compiled.stdout);
    } finally {
      utimesSync(source, atime, mtime);
    }
  });

  // The target is < 150 ms on an idle machine (measured: README); under a loaded test run the
  // comparison with the sources is what cannot flake.
  it("evident --help starts in well under half the time the sources take", () => {
    const time = (env: Record<string, string>) => {
      const samples = Array.from({ length: 5 }, () => {
        const started = performance.now();
        expect(evident(["--help"], env).code).toBe(0);
        return performance.now() - started;
      }).sort((a, b) => a - b);
      return samples[2];
    };
    const compiled = time({});
    const sources = time({ EVIDENT_CLI_FROM_SOURCE: "1" });
    expect(compiled, `compiled ${compiled.toFixed(0)} ms, sources ${sources.toFixed(0)} ms`).toBeLessThan(sources / 2);
    expect(compiled, `compiled ${compiled.toFixed(0)} ms`).toBeLessThan(300);
  });
});

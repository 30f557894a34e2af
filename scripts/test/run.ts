// npm test: a fresh throwaway stack (embedded PostgreSQL 17, or a new database on the server
// DATABASE_URL names), then every check against it: pgTAP through pg_prove, vitest over SQL and
// HTTP, deno check and lint, tsc, and the Supabase advisors. Stops at nothing: runs every check,
// prints a summary, exits non-zero if any failed.
//
//   npm test                      everything
//   npm test -- pgtap vitest      only the named checks (pgtap, vitest, deno, tsc, advisors)
//   npm test -- vitest -- tests/x.test.ts   extra arguments after a second -- go to vitest
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { bin, repoRoot } from "../stack/config.ts";
import { installPgtapIntoEmbedded } from "../stack/database.ts";
import { generateLocalSecrets } from "../stack/secrets.ts";
import { freePort, startThrowawayStack } from "../stack/stack.ts";
import { runAdvisors } from "./advisors.ts";

const allChecks = ["pgtap", "vitest", "deno", "tsc", "advisors"] as const;
type Check = (typeof allChecks)[number];

const argv = process.argv.slice(2);
const split = argv.indexOf("--");
const named = (split === -1 ? argv : argv.slice(0, split)).filter((a) => a !== "--");
const vitestArgs = split === -1 ? [] : argv.slice(split + 1);
for (const name of named) {
  if (!allChecks.includes(name as Check)) {
    console.error(`unknown check ${name}; choose from ${allChecks.join(", ")}`);
    process.exit(2);
  }
}
const selected = new Set<Check>(named.length ? (named as Check[]) : allChecks);

if (selected.has("pgtap") && (!existsSync("/usr/share/postgresql/15/extension/pgtap.control") || !onPath("pg_prove"))) {
  console.error("pgTAP or pg_prove is missing: sudo apt-get install -y postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl");
  process.exit(2);
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => existsSync(path.join(dir, command)));
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("error", (error) => {
      console.error(`${command}: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const started = Date.now();
const needsStack = [...selected].some((check) => check === "pgtap" || check === "vitest" || check === "advisors");
const results: Array<{ check: Check; ok: boolean; seconds: number }> = [];
// CI keeps only the tail of the output: the summary names each failed test and its first error line.
const failures: string[] = [];
const vitestReport = path.join(mkdtempSync(path.join(tmpdir(), "evident-vitest-")), "report.json");

// The functions reach the test Transparency Database (tests/support/tdb-server.ts) here; the SoR
// tests start it on this port with this token (EVIDENT_TEST_DSA_TDB_URL / _TOKEN).
// An export key "rotated out" before the run: the functions know only its public half (as after
// a real rotation); the tests get its private half to seal a month with it.
const retiredExportKey = generateKeyPairSync("ed25519");
const functionEnv = {
  ...generateLocalSecrets(),
  AUDIT_EXPORT_RETIRED_PUBLIC_KEYS: retiredExportKey.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
  DSA_TDB_URL: `http://127.0.0.1:${await freePort()}`,
  DSA_TDB_TOKEN: randomBytes(24).toString("base64url"),
  DSA_TDB_TIMEOUT_MS: "3000",
};
const stack = needsStack ? await startThrowawayStack(functionEnv, (line) => console.log(`[stack] ${line}`)) : undefined;

try {
  if (stack) {
    const serverVersion = await withSql(stack.dbUrl, async (sql) => {
      if (!process.env.DATABASE_URL) await installPgtapIntoEmbedded();
      await sql`create extension if not exists pgtap with schema extensions`;
      const [{ version }] = await sql`select current_setting('server_version') as version`;
      return version as string;
    });
    console.log(`[stack] ready: PostgreSQL ${serverVersion}, functions at ${stack.apiUrl}/functions/v1`);
  }

  const env = stack
    ? {
      EVIDENT_TEST_DB_URL: stack.dbUrl,
      EVIDENT_TEST_API_URL: stack.apiUrl,
      EVIDENT_TEST_ANON_KEY: stack.anonKey,
      EVIDENT_TEST_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      EVIDENT_TEST_PUBLISHABLE_KEY: stack.publishableKey,
      EVIDENT_TEST_SECRET_KEY: stack.secretKey,
      EVIDENT_TEST_JWT_SECRET: stack.jwtSecret,
      ...Object.fromEntries(Object.entries(functionEnv).map(([k, v]) => [`EVIDENT_TEST_${k}`, v])),
      EVIDENT_TEST_RETIRED_EXPORT_SIGNING_KEY: retiredExportKey.privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
    }
    : {};

  const steps: Record<Check, () => Promise<number>> = {
    pgtap: () => {
      const url = new URL(stack!.dbUrl);
      return run("pg_prove", ["--ext", ".sql", "-r", "supabase/tests/database"], {
        PGHOST: url.hostname,
        PGPORT: url.port,
        PGUSER: decodeURIComponent(url.username),
        PGPASSWORD: decodeURIComponent(url.password),
        PGDATABASE: url.pathname.slice(1),
      });
    },
    vitest: async () => {
      // The tests run the `evident` command as users do, compiled (scripts/build/cli.mjs): build it
      // from the sources as they are now, so no test runs an older build.
      const built = await run(process.execPath, ["scripts/build/cli.mjs", "--quiet"]);
      if (built !== 0) return built;
      const code = await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestReport}`, ...vitestArgs], env);
      failures.push(...vitestFailures(vitestReport));
      return code;
    },
    deno: async () => {
      const check = await run(bin("deno"), ["check", "supabase/functions/", "scripts/stack/gateway.ts", "tests/deno/"]);
      const lint = await run(bin("deno"), ["lint"]);
      const test = await run(bin("deno"), ["test", "--allow-read", "--allow-env", "tests/deno/"]);
      return check || lint || test;
    },
    tsc: () => run(bin("tsc"), ["--noEmit", "-p", "."]),
    advisors: async () => (await runAdvisors(stack!.dbUrl)) ? 0 : 1,
  };

  for (const check of allChecks) {
    if (!selected.has(check)) continue;
    console.log(`\n=== ${check} ===`);
    const t0 = Date.now();
    const code = await steps[check]();
    results.push({ check, ok: code === 0, seconds: (Date.now() - t0) / 1000 });
  }
} finally {
  await stack?.stop();
}

function vitestFailures(reportPath: string): string[] {
  try {
    return failuresIn(JSON.parse(readFileSync(reportPath, "utf8")));
  } catch (error) {
    // No report (vitest never started) or a partial one: the run goes on, the summary says so.
    return existsSync(reportPath) ? [`vitest: its JSON report could not be read (${(error as Error).message})`] : [];
  } finally {
    rmSync(path.dirname(reportPath), { recursive: true, force: true });
  }
}

function failuresIn(report: unknown): string[] {
  type Report = {
    testResults: Array<{
      name: string;
      message?: string;
      assertionResults: Array<{ status: string; fullName: string; failureMessages: string[] }>;
    }>;
  };
  const { testResults } = report as Report;
  const firstLine = (text = "") => text.trim().split("\n")[0].slice(0, 240);
  return testResults.flatMap((file) => {
    const where = path.relative(repoRoot, file.name);
    const failedTests = file.assertionResults.filter((test) => test.status === "failed");
    if (failedTests.length === 0 && file.message) return [`vitest ${where}: ${firstLine(file.message)}`];
    return failedTests.map((test) => `vitest ${where} > ${test.fullName}: ${firstLine(test.failureMessages[0])}`);
  });
}

async function withSql<T>(url: string, body: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await body(sql);
  } finally {
    await sql.end();
  }
}

console.log("\n=== summary ===");
for (const { check, ok, seconds } of results) console.log(`${ok ? "ok  " : "FAIL"} ${check} (${seconds.toFixed(1)} s)`);
for (const failure of failures) console.log(`  ${failure}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`checks: ${results.length - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(failed ? 1 : 0);

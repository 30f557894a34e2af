// The whole local stack as one object: database, Supabase bootstrap, migrations through the
// Supabase CLI, and the functions gateway on Deno. `npm start` runs it persistently on the
// default ports; `npm test` runs a throwaway one on free ports.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { bin, localJwtSecret, repoRoot } from "./config.ts";
import {
  bootstrapSupabase,
  createDatabase,
  type Database,
  dropDatabase,
  redact,
  startEmbedded,
  waitForDatabase,
} from "./database.ts";
import { localApiKeys } from "./jwt.ts";
import { pushMigrations } from "./migrate.ts";

export interface StackOptions {
  /** An existing server to use instead of the embedded one. */
  databaseUrl?: string;
  /** With databaseUrl: create a new database on that server for this stack, dropped on stop. */
  freshDatabase?: boolean;
  dataDir: string;
  persistent: boolean;
  dbPort: number;
  apiPort: number;
  /** Extra variables for the edge functions (signing keys and the like). */
  functionEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Stack {
  dbUrl: string;
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  /** The new API keys (not JWTs): sb_publishable_… acts as anon, sb_secret_… as the service role. */
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  /** The names `supabase status -o env` uses. */
  statusEnv(): Record<string, string>;
  stop(): Promise<void>;
}

/** What `npm run status` prints, named as `supabase status -o env` names it. */
export function statusVariables(stack: Pick<Stack, "apiUrl" | "dbUrl" | "anonKey" | "serviceRoleKey" | "publishableKey" | "secretKey" | "jwtSecret">) {
  return {
    API_URL: stack.apiUrl,
    FUNCTIONS_URL: `${stack.apiUrl}/functions/v1`,
    DB_URL: stack.dbUrl,
    ANON_KEY: stack.anonKey,
    SERVICE_ROLE_KEY: stack.serviceRoleKey,
    PUBLISHABLE_KEY: stack.publishableKey,
    SECRET_KEY: stack.secretKey,
    JWT_SECRET: stack.jwtSecret,
  };
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`while stopping: ${error}`);
      }
    }
  };

  try {
    let dbUrl: string;
    if (options.databaseUrl) {
      await waitForDatabase(options.databaseUrl);
      if (options.freshDatabase) {
        const name = `evident_test_${randomBytes(4).toString("hex")}`;
        dbUrl = await createDatabase(options.databaseUrl, name);
        cleanups.push(() => dropDatabase(options.databaseUrl!, name));
        log(`database: created ${name} on ${redact(options.databaseUrl)}`);
      } else {
        dbUrl = options.databaseUrl;
        log(`database: ${redact(dbUrl)}`);
      }
    } else {
      const db: Database = await startEmbedded({
        dataDir: options.dataDir,
        port: options.dbPort,
        persistent: options.persistent,
      });
      cleanups.push(() => db.stop());
      dbUrl = db.url;
      log(`database: embedded PostgreSQL on port ${options.dbPort} (${options.dataDir})`);
    }

    if (await bootstrapSupabase(dbUrl)) log("bootstrap: created Supabase roles, auth helpers and schemas");
    await pushMigrations(dbUrl, (line) => log(`migrations: ${line}`));

    const jwtSecret = localJwtSecret;
    const { anonKey, serviceRoleKey, publishableKey, secretKey } = await localApiKeys(jwtSecret);
    const apiUrl = `http://127.0.0.1:${options.apiPort}`;
    const gateway = await startGateway({
      PORT: String(options.apiPort),
      JWT_SECRET: jwtSecret,
      // Functions verify tokens themselves too (supabase/functions/_shared/auth.ts).
      EVIDENT_JWT_SECRET: jwtSecret,
      SUPABASE_URL: apiUrl,
      SUPABASE_DB_URL: dbUrl,
      SUPABASE_ANON_KEY: anonKey,
      SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
      // As hosted Supabase gives them to functions: JSON dictionaries, key name to key.
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: publishableKey }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: secretKey }),
      ...options.functionEnv,
    }, log);
    cleanups.push(() => stopProcess(gateway));

    return {
      dbUrl,
      apiUrl,
      anonKey,
      serviceRoleKey,
      publishableKey,
      secretKey,
      jwtSecret,
      statusEnv: () => statusVariables({ apiUrl, dbUrl, anonKey, serviceRoleKey, publishableKey, secretKey, jwtSecret }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A stack for one run of tests or benchmarks: free ports, a fresh database (embedded in a scratch
 * folder, or a new database on the server DATABASE_URL names), removed again by stop().
 */
export async function startThrowawayStack(
  functionEnv: Record<string, string>,
  log: (line: string) => void,
): Promise<Stack> {
  const scratch = mkdtempSync(path.join(tmpdir(), "evident-run-"));
  // The embedded server runs as the unprivileged `postgres` user when we are root.
  chmodSync(scratch, 0o755);
  try {
    const stack = await startStack({
      databaseUrl: process.env.DATABASE_URL || undefined,
      freshDatabase: true,
      dataDir: path.join(scratch, "data"),
      persistent: false,
      dbPort: await freePort(),
      apiPort: await freePort(),
      functionEnv,
      log,
    });
    return {
      ...stack,
      stop: async () => {
        await stack.stop();
        rmSync(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

async function startGateway(env: Record<string, string>, log: (line: string) => void): Promise<ChildProcess> {
  const child = spawn(
    bin("deno"),
    ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys", "scripts/stack/gateway.ts"],
    { cwd: repoRoot, env: { ...process.env, ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output.push(text);
      for (const line of text.split("\n")) if (line.trim()) log(`functions: ${line.trimEnd()}`);
      if (text.includes("functions gateway on")) resolve();
    };
    child.stdout!.on("data", onLine);
    child.stderr!.on("data", onLine);
    child.on("exit", (code) => reject(new Error(`functions gateway exited (${code}) before listening:\n${output.join("")}`)));
    setTimeout(() => reject(new Error(`functions gateway did not start in 60 s:\n${output.join("")}`)), 60_000).unref();
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

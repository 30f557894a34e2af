// PostgreSQL killed with SIGKILL (every process of the cluster, as a power cut would) in the middle
// of a write load: no acknowledged event is lost, the chain verifies, and appends continue after the
// restart. Runs its own embedded server, because it has to kill one.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded, type Database } from "../scripts/stack/database.ts";
import { generateLocalSecrets } from "../scripts/stack/secrets.ts";
import { freePort, type Stack, startStack } from "../scripts/stack/stack.ts";
import { ChainVerifier } from "../supabase/functions/_shared/chain.ts";
import { Keyring } from "../supabase/functions/_shared/keyring.ts";
import { entryColumns, toEntry } from "../supabase/functions/_shared/trail.ts";
import { sampleEvent } from "./support/api.ts";

const signingKeys = `crash-1:${"k".repeat(40)}`;
const keyring = Keyring.parse(signingKeys, "crash-1");
const scratch = mkdtempSync(path.join(tmpdir(), "evident-crash-"));
chmodSync(scratch, 0o755);
const dataDir = path.join(scratch, "data");

let dbPort: number;
let database: Database;
let stack: Stack;
let sql: postgres.Sql;

beforeAll(async () => {
  dbPort = await freePort();
  database = await startEmbedded({ dataDir, port: dbPort, persistent: true });
  stack = await startStack({
    databaseUrl: database.url,
    dataDir,
    persistent: true,
    dbPort,
    apiPort: await freePort(),
    functionEnv: { ...generateLocalSecrets(), AUDIT_SIGNING_KEYS: signingKeys, AUDIT_ACTIVE_KEY_ID: "crash-1" },
  });
  sql = postgres(database.url, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await stack?.stop();
  await database?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function killCluster() {
  const postmaster = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = execFileSync("pgrep", ["-P", String(postmaster)], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  for (const pid of [postmaster, ...children.map(Number)]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* already gone */ }
  }
}

async function append(org: string, events: unknown[]) {
  const response = await fetch(`${stack.apiUrl}/functions/v1/audit-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.serviceRoleKey}`, "content-type": "application/json" },
    body: JSON.stringify({ organization_id: org, events }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

describe("a database crash during a write load", () => {
  it("loses no acknowledged event and the chain continues after restart", async () => {
    const [{ id: org }] = await sql`insert into public.organizations (name) values ('crash') returning id`;
    const acknowledged: string[] = [];
    let failures = 0;
    let stop = false;
    const writers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          const response = await append(org, Array.from({ length: 5 }, () => sampleEvent()));
          if (response.status === 201) acknowledged.push(...response.body.events.map((e: { id: string }) => e.id));
          else failures++;
        } catch {
          failures++;
        }
        if (failures > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });

    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 20));
    killCluster();
    const acknowledgedAtKill = acknowledged.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop = true;
    await Promise.all(writers);
    expect(failures).toBeGreaterThan(0); // the load really did run into the crash

    await sql.end({ timeout: 1 });
    database = await startEmbedded({ dataDir, port: dbPort, persistent: true });
    sql = postgres(database.url, { max: 2, onnotice: () => {} });

    const stored = new Set((await sql`select id from public.audit_events where organization_id = ${org}`).map((r) => r.id));
    expect(acknowledged.length).toBeGreaterThanOrEqual(acknowledgedAtKill);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

    // The function's pool reconnects by itself; the chain picks up where the trail ends.
    let after = await append(org, [sampleEvent()]);
    for (let attempt = 0; after.status !== 201 && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await append(org, [sampleEvent()]);
    }
    expect(after.status).toBe(201);
    expect(after.body.events[0].seq).toBe(stored.size + 1);

    const verifier = new ChainVerifier(org, keyring);
    for (const row of await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries where organization_id = ${org} order by seq`) {
      verifier.push(toEntry(row));
    }
    expect(verifier.summary()).toMatchObject({ valid: true, checked: stored.size + 1 });
  });
});

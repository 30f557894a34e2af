// npm run bench:archive: archiving, checking and restoring a month, with peak memory.
//   BENCH_EVENTS   entries in the month (default 200,000)
// Writes the month's events to the archive (the part of `evident seal` after the manifest), runs
// the backup drill's check on the file (`evident archive verify`) and restores it
// (`evident rehydrate`), each timed, while sampling RSS: all three stream, so the peak should not
// grow with the month.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { generateLocalSecrets } from "../stack/secrets.ts";
import { startThrowawayStack } from "../stack/stack.ts";
import { sealEntry } from "../../supabase/functions/_shared/entry.ts";
import { ExportSigner } from "../../supabase/functions/_shared/export-key.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { monthBounds, sealMonth } from "../../supabase/functions/_shared/seal.ts";
import { addYears } from "../../supabase/functions/_shared/time.ts";
import { checkArchivedMonth, writeMonthEvents } from "../../src/cli/month-archive.ts";
import { rehydrate } from "../../src/cli/commands/rehydrate.ts";
import { publishKey } from "../../src/cli/archive.ts";
import { writeFileSync, mkdirSync } from "node:fs";

const total = Number(process.env.BENCH_EVENTS ?? 200_000);
const month = "2026-01";
const bounds = monthBounds(month)!;
const secrets = generateLocalSecrets();
const keyring = Keyring.parse(secrets.AUDIT_SIGNING_KEYS, secrets.AUDIT_ACTIVE_KEY_ID);
const signer = ExportSigner.parse(secrets.AUDIT_EXPORT_SIGNING_KEY);
const stack = await startThrowawayStack(secrets, (line) => process.stderr.write(`[stack] ${line}\n`));
const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
const archive = mkdtempSync(path.join(tmpdir(), "evident-bench-archive-"));

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
async function measure<T>(label: string, work: () => Promise<T>): Promise<T> {
  peakRss = process.memoryUsage().rss;
  const before = peakRss;
  const start = performance.now();
  const result = await work();
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label}: ${seconds.toFixed(1)} s, ${(total / seconds).toFixed(0)} entries/s; RSS ${mb(before)} MB before, peak ${mb(peakRss)} MB`);
  return result;
}

try {
  console.log(`bench:archive on PostgreSQL ${(await sql`select current_setting('server_version') as v`)[0].v}, ${total.toLocaleString("en")} entries\n`);
  const [{ id: org }] = await sql`insert into public.organizations (name) values ('bench archive') returning id`;
  await sql`select evident.create_audit_partition(${`${month}-01`}::date)`;
  let previous: string | null = null;
  const monthStart = Date.parse(`${month}-01T00:00:00Z`);
  for (let from = 0; from < total; from += 5000) {
    const rows: Array<ReturnType<typeof sealEntry>> = [];
    for (let i = from; i < Math.min(total, from + 5000); i++) {
      const createdAt = `${new Date(monthStart + Math.floor(i / 1000) * 1000).toISOString().slice(0, 19)}.${String(i % 1000).padStart(6, "0")}Z`;
      const entry = sealEntry({
        id: crypto.randomUUID(), organization_id: org, seq: i + 1, previous_hash: previous, key_id: keyring.activeKeyId,
        event_type: "decision_made", actor_id: `moderator-${i % 50}`, actor_type: "user", target_id: `post-${i}`, target_type: "content",
        action: "remove", metadata: { action: "content_removed", reason: "illegal_content", score: (i % 100) / 7 },
        timestamp: createdAt, created_at: createdAt, retention_until: addYears(createdAt, 7), pii_tagged: i % 10 === 0,
      }, keyring);
      previous = entry.entry_hash;
      rows.push(entry);
    }
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into public.audit_events (id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
          event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at)
        select r.id, r.organization_id, r.seq, r.previous_hash, r.entry_hash, r.signature, r.key_id, r.canonical_version,
          r.event_type, r.actor_id, r.actor_type, r.target_id, r.target_type, r.action, r.metadata, r."timestamp",
          r.retention_until, r.pii_tagged, r.created_at
        from jsonb_to_recordset(${tx.json(rows as never)}) as r(id uuid, organization_id uuid, seq bigint, previous_hash text,
          entry_hash text, signature text, key_id text, canonical_version smallint, event_type text, actor_id text,
          actor_type text, target_id text, target_type text, action text, metadata jsonb, "timestamp" timestamptz,
          retention_until timestamptz, pii_tagged boolean, created_at timestamptz)`;
    });
    process.stderr.write(`\rloading ${Math.min(total, from + 5000)}/${total}`);
  }
  process.stderr.write("\n");
  await sql`vacuum analyze public.audit_events`;

  const outcome = await sealMonth(sql, bounds, keyring, signer);
  if (outcome.status !== "sealed") throw new Error(`seal did not happen: ${outcome.status}`);
  mkdirSync(path.join(archive, "manifests"), { recursive: true });
  writeFileSync(path.join(archive, "manifests", `${month}.json`), JSON.stringify({ manifest: outcome.manifest, signature: outcome.signature }));
  publishKey(archive, signer);

  const written = await measure("archive (evident seal's events file)", () => writeMonthEvents(sql, archive, bounds, outcome.manifest));
  if (written.status !== "written") throw new Error("not written");
  console.log(`  ${written.file}: ${(statSync(written.file).size / 1024 / 1024).toFixed(1)} MB gzip, ${(statSync(written.file).size / total).toFixed(0)} bytes an entry`);
  const check = await measure("check (evident archive verify)", () => checkArchivedMonth(archive, bounds, keyring));
  if (!check.valid) throw new Error(`archive check failed: ${check.problems.join("; ")}`);
  process.env.DB_URL = stack.dbUrl;
  process.env.AUDIT_SIGNING_KEYS = secrets.AUDIT_SIGNING_KEYS;
  const code = await measure("restore (evident rehydrate)", () => rehydrate(["--month", month, "--archive", archive]));
  if (code !== 0) throw new Error(`rehydrate exited ${code}`);
} finally {
  clearInterval(sampler);
  rmSync(archive, { recursive: true, force: true });
  await sql.end();
  await stack.stop();
}

// A valid, signed chain of synthetic moderation decisions in a finished month, written as a
// restore would (triggers off, batches of 5,000), for the benchmarks that need a real trail:
// verification, sealing, archiving. Entry i is created i/1000 seconds into the month.
import type postgres from "postgres";
import { sealEntry } from "../../supabase/functions/_shared/entry.ts";
import type { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { addYears } from "../../supabase/functions/_shared/time.ts";

export async function loadSignedMonth(sql: postgres.Sql, organizationId: string, month: string, total: number, keyring: Keyring): Promise<void> {
  await sql`select evident.create_audit_partition(${`${month}-01`}::date)`;
  let previous: string | null = null;
  const monthStart = Date.parse(`${month}-01T00:00:00Z`);
  for (let from = 0; from < total; from += 5000) {
    const rows: Array<ReturnType<typeof sealEntry>> = [];
    for (let i = from; i < Math.min(total, from + 5000); i++) {
      const createdAt = `${new Date(monthStart + Math.floor(i / 1000) * 1000).toISOString().slice(0, 19)}.${String(i % 1000).padStart(6, "0")}Z`;
      const entry = sealEntry({
        id: crypto.randomUUID(), organization_id: organizationId, seq: i + 1, previous_hash: previous, key_id: keyring.activeKeyId,
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
      const last = rows[rows.length - 1];
      await tx`insert into evident.chain_heads (organization_id, seq, entry_hash, created_at)
        values (${organizationId}, ${last.seq}, ${last.entry_hash}, ${last.created_at}::text::timestamptz)
        on conflict (organization_id) do update set seq = excluded.seq, entry_hash = excluded.entry_hash, created_at = excluded.created_at`;
    });
    process.stderr.write(`\rloading ${Math.min(total, from + 5000)}/${total}`);
  }
  process.stderr.write("\n");
  await sql`vacuum analyze public.audit_events`;
}

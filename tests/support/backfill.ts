// Writes a correctly chained, correctly signed trail into a past month, the way only a superuser
// restoring data could (the chain check refuses created_at outside the inserting transaction).
// Sealing needs finished months; the real append path can only ever write the current one.
import type postgres from "postgres";
import { sealEntry } from "../../supabase/functions/_shared/entry.ts";
import type { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import type { EventInput } from "../../supabase/functions/_shared/schemas/events.ts";
import { addYears } from "../../supabase/functions/_shared/time.ts";

export async function backfillMonth(
  sql: postgres.Sql,
  organizationId: string,
  month: string,
  events: EventInput[],
  ring: Keyring,
) {
  await sql`select evident.create_audit_partition(${`${month}-01`}::date)`;
  const [head] = await sql`select seq, entry_hash from evident.chain_heads where organization_id = ${organizationId}`;
  let seq = head ? Number(head.seq) : 0;
  let previous: string | null = head?.entry_hash ?? null;
  const monthStart = Date.parse(`${month}-01T00:00:00Z`);
  const rows = events.map((event, i) => {
    // One entry a second from the month's start: created_at rises with seq, as the chain requires.
    const createdAt = `${new Date(monthStart + (i + 1) * 1000).toISOString().slice(0, 23)}000Z`;
    seq += 1;
    const sealed = sealEntry({
      id: crypto.randomUUID(), organization_id: organizationId, seq, previous_hash: previous, key_id: ring.activeKeyId,
      event_type: event.event_type, actor_id: event.actor_id, actor_type: event.actor_type, target_id: event.target_id,
      target_type: event.target_type, action: event.action, metadata: event.metadata,
      timestamp: event.timestamp ?? createdAt, created_at: createdAt, retention_until: event.retention_until ?? addYears(createdAt, 7),
      pii_tagged: event.pii_tagged ?? false,
    }, ring);
    previous = sealed.entry_hash;
    return sealed;
  });
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    // A few thousand rows per statement: large backfills (benchmarks, six-figure trails) stay quick.
    for (let i = 0; i < rows.length; i += 2000) {
      await tx`
        insert into public.audit_events (id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
          event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at)
        select id, organization_id, seq, previous_hash, entry_hash, signature, key_id, 1,
          event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at
        from jsonb_to_recordset(${tx.json(rows.slice(i, i + 2000) as unknown as postgres.JSONValue)}) as r(
          id uuid, organization_id uuid, seq bigint, previous_hash text, entry_hash text, signature text, key_id text,
          event_type text, actor_id text, actor_type text, target_id text, target_type text, action text, metadata jsonb,
          "timestamp" timestamptz, retention_until timestamptz, pii_tagged boolean, created_at timestamptz)`;
    }
    const last = rows[rows.length - 1];
    await tx`
      insert into evident.chain_heads (organization_id, seq, entry_hash, created_at)
      values (${organizationId}, ${last.seq}, ${last.entry_hash}, ${last.created_at}::text::timestamptz)
      on conflict (organization_id) do update set seq = excluded.seq, entry_hash = excluded.entry_hash, created_at = excluded.created_at`;
  });
  return rows;
}

// Writes a correctly chained, correctly signed trail with personal data (canonical form v2) into a
// past month, as backfill.ts does for v1: the append path can only write the current month, and
// the 30-day anonymisation needs personal data older than that.
import type postgres from "postgres";
import { sealEntry } from "../../supabase/functions/_shared/entry.ts";
import type { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { CommitmentKey, commitPersonalData, type PersonalRow } from "../../supabase/functions/_shared/personal.ts";
import type { EventInput } from "../../supabase/functions/_shared/schemas/events.ts";
import { addYears } from "../../supabase/functions/_shared/time.ts";
import { testStack } from "./stack.ts";

export const commitmentKey = () => CommitmentKey.parse(testStack.piiCommitmentKey);

export async function backfillPersonalMonth(
  sql: postgres.Sql, organizationId: string, month: string, events: EventInput[], ring: Keyring, key: CommitmentKey = commitmentKey(),
) {
  await sql`select evident.create_audit_partition(${`${month}-01`}::date)`;
  const [head] = await sql`select seq, entry_hash from evident.chain_heads where organization_id = ${organizationId}`;
  let seq = head ? Number(head.seq) : 0;
  let previous: string | null = head?.entry_hash ?? null;
  const monthStart = Date.parse(`${month}-01T00:00:00Z`);
  const personal: PersonalRow[] = [];
  const rows = events.map((event, i) => {
    const createdAt = `${new Date(monthStart + (i + 1) * 1000).toISOString().slice(0, 23)}000Z`;
    seq += 1;
    const fields = {
      id: crypto.randomUUID(), organization_id: organizationId, seq, previous_hash: previous, key_id: ring.activeKeyId,
      event_type: event.event_type, actor_id: event.actor_id, actor_type: event.actor_type, target_id: event.target_id,
      target_type: event.target_type, action: event.action, metadata: event.metadata,
      timestamp: event.timestamp ?? createdAt, created_at: createdAt, retention_until: event.retention_until ?? addYears(createdAt, 7),
      pii_tagged: event.pii_tagged ?? false,
    } as Parameters<typeof sealEntry>[0];
    if (event.personal_data) {
      const committed = commitPersonalData(key, fields, event.personal_data);
      fields.personal_commitments = committed.commitments;
      personal.push(...committed.rows);
    }
    const sealed = sealEntry(fields, ring);
    previous = sealed.entry_hash;
    return sealed;
  });
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`
      insert into public.audit_events (id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
        event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at,
        personal_commitments)
      select id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
        event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at,
        personal_commitments
      from jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) as r(
        id uuid, organization_id uuid, seq bigint, previous_hash text, entry_hash text, signature text, key_id text, canonical_version smallint,
        event_type text, actor_id text, actor_type text, target_id text, target_type text, action text, metadata jsonb,
        "timestamp" timestamptz, retention_until timestamptz, pii_tagged boolean, created_at timestamptz, personal_commitments jsonb)`;
    await tx`
      insert into evident.personal_data (organization_id, event_id, name, subject_id, value, nonce, commitment,
        event_created_at, event_timestamp, actor_id, target_id, pii_tagged)
      select organization_id, event_id, name, subject_id, value, nonce, commitment, event_created_at, event_timestamp, actor_id, target_id, pii_tagged
      from jsonb_to_recordset(${tx.json(personal as unknown as postgres.JSONValue)}) as r(
        organization_id uuid, event_id uuid, name text, subject_id text, value jsonb, nonce text, commitment text,
        event_created_at timestamptz, event_timestamp timestamptz, actor_id text, target_id text, pii_tagged boolean)`;
    const last = rows[rows.length - 1];
    await tx`
      insert into evident.chain_heads (organization_id, seq, entry_hash, created_at)
      values (${organizationId}, ${last.seq}, ${last.entry_hash}, ${last.created_at}::text::timestamptz)
      on conflict (organization_id) do update set seq = excluded.seq, entry_hash = excluded.entry_hash, created_at = excluded.created_at`;
  });
  return rows;
}

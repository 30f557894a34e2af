// Data API reads into the chain. public.read_audit_events records each read in evident.access_log
// in the transaction that reads, but signs nothing: no SQL may, the HMAC key never enters the
// database. This is the signing half: each pending record becomes one signed audit_access event in
// its organisation's chain, with the idempotency key data-api-read:<record id>, so signing twice
// (two overlapping runs, a retry after a crash) appends it once, and the key is how a record is
// known to be signed (evident.pending_access_records). The audit-maintenance function runs it
// before every checkpoint and on {"task": "access_log"}.
import { appendEvents } from "./append.ts";
import { asWriter, type Sql } from "./db.ts";
import type { Keyring } from "./keyring.ts";
import { eventInput } from "./schemas/events.ts";

/** At most this many records per organisation per transaction (appendEvents' batch limit). */
const batchSize = 1000;

export const accessLogKey = (id: string) => `data-api-read:${id}`;

export interface AccessLogRun {
  /** Records signed into the chain by this run (not those another run had signed). */
  signed: number;
  /** Organisations whose records could not be appended (a chain that refuses appends), with why. */
  refused: Array<{ organization_id: string; reason: string }>;
}

interface PendingRecord {
  id: string;
  organization_id: string;
  actor_id: string;
  accessor_type: "member" | "service_role";
  member_role: string | null;
  purpose: string;
  query_parameters: Record<string, unknown>;
  returned: number;
  read_at: string;
}

/** Signs every pending Data API access record (or one organisation's) into its chain. */
export async function signPendingAccessRecords(sql: Sql, keyring: Keyring, organizationId?: string): Promise<AccessLogRun> {
  const run: AccessLogRun = { signed: 0, refused: [] };
  const organizations = await asWriter(sql, async (tx) =>
    (await tx`select distinct organization_id from evident.pending_access_records(${organizationId ?? null}::uuid)`)
      .map((row) => row.organization_id as string));
  for (const organization of organizations) {
    try {
      for (let more = true; more;) {
        const batch = await asWriter(sql, async (tx) => {
          const records = await tx<PendingRecord[]>`
            select id, organization_id, actor_id, accessor_type, member_role, purpose, query_parameters, returned,
              evident.canonical_timestamp(read_at) as read_at
            from evident.pending_access_records(${organization}::uuid)
            limit ${batchSize}`;
          if (records.length === 0) return { signed: 0, more: false };
          const events = records.map((record) => eventInput.parse({
            event_type: "audit_access",
            actor_id: record.actor_id,
            actor_type: record.accessor_type === "service_role" ? "service" : "user",
            target_id: record.organization_id,
            target_type: "audit_trail",
            action: "query",
            timestamp: record.read_at,
            idempotency_key: accessLogKey(record.id),
            metadata: {
              accessor_type: record.accessor_type,
              purpose: record.purpose,
              query_parameters: {
                ...record.query_parameters,
                via: "data_api",
                access_log_id: record.id,
                read_at: record.read_at,
                returned: record.returned,
                ...(record.member_role ? { member_role: record.member_role } : {}),
              },
              permission_verified: true,
            },
          }));
          const appended = await appendEvents(tx, organization, events, keyring);
          return { signed: appended.filter((event) => !event.replayed).length, more: records.length === batchSize };
        });
        run.signed += batch.signed;
        more = batch.more;
      }
    } catch (error) {
      // One organisation whose chain refuses appends does not stop the others; its records stay
      // pending (and visible as such) until it can be appended to again.
      run.refused.push({ organization_id: organization, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return run;
}

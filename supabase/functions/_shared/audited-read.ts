// Reading the trail through the API is itself audited: the read and its audit_access event are one
// transaction, so there is no read without its record (chain of custody).
import type { WriterTransaction } from "./db.ts";
import { appendEvents, type AppendedEvent } from "./append.ts";
import type { Caller } from "./auth.ts";
import type { Keyring } from "./keyring.ts";
import { eventInput, type ReadQuery } from "./schemas/events.ts";
import { type PersonalView } from "./personal.ts";
import { entryColumns, type StoredEntry, toEntry } from "./trail.ts";

export const defaultPageSize = 100;

/** An entry as readers get it: the signed fields, and its personal data joined back (v2 only). */
export type ReadEntry = StoredEntry & { personal_data?: Record<string, PersonalView> };

/** toEntry plus the personal_data column (evident.personal_data_of), when the event has any. */
export function toReadEntry(row: Record<string, unknown>): ReadEntry {
  const entry: ReadEntry = toEntry(row);
  if (row.personal_data != null) entry.personal_data = row.personal_data as Record<string, PersonalView>;
  return entry;
}

export interface TrailPage {
  events: ReadEntry[];
  next_cursor: string | null;
  access_event: AppendedEvent;
}

export async function readTrailAudited(
  tx: WriterTransaction,
  caller: Caller,
  query: ReadQuery,
  keyring: Keyring,
): Promise<TrailPage> {
  const limit = query.limit ?? defaultPageSize;
  const after = query.after_seq;
  const rows = await tx`
    select ${tx(entryColumns as unknown as string[])}, evident.personal_data_of(id) as personal_data from evident.audit_entries
    where organization_id = ${query.organization_id}::uuid
      and ${after?.createdAt
        ? tx`(seq, created_at_instant) > (${after.seq}, ${after.createdAt}::text::timestamptz)`
        : tx`seq > ${after?.seq ?? 0}`}
      ${query.start ? tx`and timestamp_instant >= ${query.start}::text::timestamptz` : tx``}
      ${query.end ? tx`and timestamp_instant < ${query.end}::text::timestamptz` : tx``}
      ${query.event_type ? tx`and event_type = ${query.event_type}` : tx``}
      ${query.target_id ? tx`and target_id = ${query.target_id}` : tx``}
    order by seq, created_at_instant
    limit ${limit + 1}`;
  const events = rows.slice(0, limit).map(toReadEntry);
  // The cursor is the last seq; when the next row repeats that seq (a row planted beside it), it
  // also names the last created_at, so the next page starts at that row instead of skipping it.
  let next_cursor: string | null = null;
  if (rows.length > limit) {
    const last = events[events.length - 1];
    next_cursor = Number(rows[limit].seq) === last.seq ? `${last.seq}@${last.created_at}` : String(last.seq);
  }

  const { organization_id: _organization, purpose, after_seq: _after, ...filters } = query;
  const cursor = after === undefined ? {} : { after_seq: after.createdAt ? `${after.seq}@${after.createdAt}` : after.seq };
  const access_event = await recordAccess(tx, caller, query.organization_id, purpose, { ...filters, ...cursor, returned: events.length }, keyring);
  return { events, next_cursor, access_event };
}

/**
 * Records one read of an organisation's audit data (a page of the trail, a report, an export, an
 * authority's certified export) as an audit_access event, with the caller's purpose and what was
 * asked for. Call it in the transaction that reads, or before the read is handed out; no read goes
 * unrecorded.
 */
export async function recordAccess(
  tx: WriterTransaction,
  caller: Caller,
  organizationId: string,
  purpose: string,
  queryParameters: Record<string, unknown>,
  keyring: Keyring,
): Promise<AppendedEvent> {
  const access = eventInput.parse({
    event_type: "audit_access",
    actor_id: caller.actorId,
    actor_type: caller.kind === "service" ? "service" : "user",
    target_id: organizationId,
    target_type: "audit_trail",
    action: "query",
    metadata: {
      accessor_type: caller.kind === "service" ? "service_role" : "member",
      purpose,
      query_parameters: queryParameters,
      permission_verified: true,
    },
  });
  const [event] = await appendEvents(tx, organizationId, [access], keyring);
  return event;
}

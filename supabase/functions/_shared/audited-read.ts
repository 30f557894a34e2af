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
  const rows = await tx`
    select ${tx(entryColumns as unknown as string[])}, evident.personal_data_of(id) as personal_data from evident.audit_entries
    where organization_id = ${query.organization_id}::uuid
      and seq > ${query.after_seq ?? 0}
      ${query.start ? tx`and timestamp_instant >= ${query.start}::text::timestamptz` : tx``}
      ${query.end ? tx`and timestamp_instant < ${query.end}::text::timestamptz` : tx``}
      ${query.event_type ? tx`and event_type = ${query.event_type}` : tx``}
      ${query.target_id ? tx`and target_id = ${query.target_id}` : tx``}
    order by seq
    limit ${limit + 1}`;
  const events = rows.slice(0, limit).map(toReadEntry);
  const next_cursor = rows.length > limit ? String(events[events.length - 1].seq) : null;

  const { organization_id: _organization, purpose, ...filters } = query;
  const access_event = await recordAccess(tx, caller, query.organization_id, purpose, { ...filters, returned: events.length }, keyring);
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

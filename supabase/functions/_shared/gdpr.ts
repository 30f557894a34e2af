// GDPR operations on the erasable personal-data store (docs/gdpr.md): Art. 17 erasure of one data
// subject, the 30-day anonymisation of pii_tagged personal data, and consent history per subject.
// Each removal runs in one writer transaction with its audit event (which names neither the values
// nor the subject), after the legal-hold check; a hold, or a hold lookup that fails, refuses it.
// The signed entries are never touched: their commitments stay, so the trail keeps verifying.
import { appendEvents, type AppendedEvent } from "./append.ts";
import { toReadEntry, type ReadEntry } from "./audited-read.ts";
import type { WriterTransaction } from "./db.ts";
import { ApiError } from "./errors.ts";
import { blockingHolds, describeHolds } from "./holds.ts";
import type { Keyring } from "./keyring.ts";
import type { CommitmentKey } from "./personal.ts";
import { consentEventTypes, eventInput } from "./schemas/events.ts";
import { entryColumns, type Queryable } from "./trail.ts";

/** Who asks for an erasure: a member or the service role (functions), an operator (CLI). */
export interface GdprActor {
  actorId: string;
  actorType: string;
}

export interface ErasureResult {
  organization_id: string;
  subject_reference: string;
  values_erased: number;
  events_affected: number;
  erasure_event: AppendedEvent;
}

/**
 * Art. 17: clears every personal value of the subject in the organisation (value, subject id and
 * nonce; the row stays, marked erased) and records a gdpr_erasure event. Refused with 409 when a
 * legal hold covers the subject or any event holding the subject's data.
 */
export async function eraseSubject(
  tx: WriterTransaction,
  actor: GdprActor,
  organizationId: string,
  subjectId: string,
  requestReference: string | undefined,
  keyring: Keyring,
  key: CommitmentKey,
): Promise<ErasureResult> {
  // Locked first, so no concurrent erasure or anonymisation clears the same rows.
  const rows = await tx`
    select event_id, name, actor_id, target_id, evident.canonical_timestamp(event_timestamp) as event_timestamp
      from evident.personal_data
     where organization_id = ${organizationId}::uuid and subject_id = ${subjectId} and erased_at is null
     order by event_created_at, event_id, name
     for update`;
  const targets = [...new Set(rows.map((r) => r.target_id as string))];
  const subjects = [...new Set([subjectId, ...rows.map((r) => r.actor_id as string), ...targets])];
  const times = rows.map((r) => r.event_timestamp as string).sort();
  const [range] = times.length === 0 ? [undefined] : await tx`
    select evident.canonical_timestamp(${times[0]}::text::timestamptz) as start,
           evident.canonical_timestamp(${times[times.length - 1]}::text::timestamptz + interval '1 microsecond') as end`;
  // A lookup that fails throws here and rolls everything back: an unknown hold state never erases.
  const holds = await blockingHolds(tx, organizationId, { subjectIds: subjects, targetIds: targets, range: range as { start: string; end: string } | undefined });
  if (holds.length > 0) {
    throw new ApiError(409, "conflict", `erasure refused: ${describeHolds(holds)}`, { holds: holds.map((h) => h.id) });
  }
  const reference = key.subjectReference(organizationId, subjectId);
  const eventIds = new Set(rows.map((r) => r.event_id as string));
  const [event] = await appendEvents(tx, organizationId, [eventInput.parse({
    event_type: "gdpr_erasure",
    actor_id: actor.actorId,
    actor_type: actor.actorType,
    target_id: reference,
    target_type: "data_subject",
    action: "erase",
    metadata: {
      legal_basis: "GDPR Art. 17",
      subject_reference: reference,
      values_erased: rows.length,
      events_affected: eventIds.size,
      ...(requestReference !== undefined ? { request_reference: requestReference } : {}),
    },
  })], keyring);
  if (rows.length > 0) {
    // Exactly the rows that were locked, counted and checked against the holds above.
    await tx`
      update evident.personal_data p
         set value = null, subject_id = null, nonce = null, erased_at = now(), erasure = 'erased', erasure_event_id = ${event.id}::uuid
        from jsonb_to_recordset(${tx.json(rows.map((r) => ({ event_id: r.event_id, name: r.name })))}) as d(event_id uuid, name text)
       where p.event_id = d.event_id and p.name = d.name and p.erased_at is null`;
  }
  return { organization_id: organizationId, subject_reference: reference, values_erased: rows.length, events_affected: eventIds.size, erasure_event: event };
}

export const anonymiseAfterDays = 30;

export interface AnonymisationResult {
  organization_id: string;
  values_anonymised: number;
  values_held: number;
  cutoff: string;
  event: AppendedEvent | null;
}

/** Organisations with pii_tagged personal data older than the cutoff that is not yet anonymised. */
export async function organizationsToAnonymise(sql: Queryable): Promise<string[]> {
  const rows = await sql`
    select distinct organization_id from evident.personal_data
     where erased_at is null and pii_tagged and event_created_at < now() - make_interval(days => ${anonymiseAfterDays})
     order by organization_id`;
  return rows.map((r) => r.organization_id as string);
}

/**
 * The 30-day job for one organisation: anonymises the personal values of pii_tagged events
 * recorded more than 30 days ago, except what an active legal hold covers (by the value's subject,
 * the event's actor or target, or the event's time), and records one gdpr_anonymisation event.
 * Nothing to do: no event. A hold lookup that fails throws and nothing is anonymised.
 */
export async function anonymiseOrganization(tx: WriterTransaction, actor: GdprActor, organizationId: string, keyring: Keyring): Promise<AnonymisationResult> {
  const [{ cutoff }] = await tx`select evident.canonical_timestamp(now() - make_interval(days => ${anonymiseAfterDays})) as cutoff`;
  const rows = await tx`
    select event_id, name,
           evident.active_holds_cover(organization_id, array[subject_id, actor_id, target_id], array[target_id],
             event_timestamp, event_timestamp + interval '1 microsecond') as held
      from evident.personal_data
     where organization_id = ${organizationId}::uuid and erased_at is null and pii_tagged
       and event_created_at < ${cutoff}::text::timestamptz
     order by event_created_at, event_id, name
     for update`;
  const due = rows.filter((r) => r.held === false);
  const held = rows.length - due.length;
  if (due.length === 0) return { organization_id: organizationId, values_anonymised: 0, values_held: held, cutoff, event: null };
  const [event] = await appendEvents(tx, organizationId, [eventInput.parse({
    event_type: "gdpr_anonymisation",
    actor_id: actor.actorId,
    actor_type: actor.actorType,
    target_id: organizationId,
    target_type: "personal_data",
    action: "anonymise",
    metadata: {
      policy: `pii_tagged personal data is anonymised ${anonymiseAfterDays} days after it was recorded`,
      cutoff,
      values_anonymised: due.length,
      values_held: held,
      events_affected: new Set(due.map((r) => r.event_id)).size,
    },
  })], keyring);
  await tx`
    update evident.personal_data p
       set value = null, subject_id = null, nonce = null, erased_at = now(), erasure = 'anonymised', erasure_event_id = ${event.id}::uuid
      from jsonb_to_recordset(${tx.json(due.map((r) => ({ event_id: r.event_id, name: r.name })))}) as d(event_id uuid, name text)
     where p.event_id = d.event_id and p.name = d.name and p.erased_at is null`;
  return { organization_id: organizationId, values_anonymised: due.length, values_held: held, cutoff, event };
}

export interface ConsentState {
  purpose: string;
  status: "granted" | "withdrawn";
  consent_version: string | null;
  since: string;
  event_id: string;
  seq: number;
}

/** A subject's consent events (oldest first) with their personal data, and the current state per purpose. */
export async function consentHistory(
  sql: Queryable,
  organizationId: string,
  subjectId: string,
  purpose?: string,
): Promise<{ events: ReadEntry[]; current: ConsentState[] }> {
  const rows = await sql`
    select ${sql(entryColumns as unknown as string[])}, evident.personal_data_of(id) as personal_data
      from evident.audit_entries
     where organization_id = ${organizationId}::uuid
       and event_type = any(${[...consentEventTypes]}::text[])
       and id in (select p.event_id from evident.personal_data p
                   where p.organization_id = ${organizationId}::uuid and p.subject_id = ${subjectId})
       ${purpose !== undefined ? sql`and metadata ->> 'purpose' = ${purpose}` : sql``}
     order by seq`;
  const events = rows.map(toReadEntry);
  const latest = new Map<string, ConsentState>();
  for (const event of events) {
    const p = String(event.metadata.purpose);
    latest.set(p, {
      purpose: p,
      status: event.event_type === "consent_granted" ? "granted" : "withdrawn",
      consent_version: typeof event.metadata.consent_version === "string" ? event.metadata.consent_version : null,
      since: event.timestamp,
      event_id: event.id,
      seq: event.seq,
    });
  }
  return { events, current: [...latest.values()].sort((a, b) => a.purpose.localeCompare(b.purpose)) };
}

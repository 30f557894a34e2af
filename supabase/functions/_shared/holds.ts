// Legal holds (docs/legal-holds.md): what blocks erasure, anonymisation and retention drops.
// Every caller that is about to remove or alter data asks blockingHolds first, in the same
// transaction, and refuses when anything comes back. A lookup that fails throws: an unknown hold
// state never lets the removal through.
import { appendEvents } from "./append.ts";
import type { WriterTransaction } from "./db.ts";
import { ApiError } from "./errors.ts";
import type { Keyring } from "./keyring.ts";
import type { ApplyHold } from "./schemas/legal-holds.ts";
import { eventInput } from "./schemas/events.ts";
import type { Queryable } from "./trail.ts";

export type HoldScope = "subject" | "target" | "time_range";

export interface Hold {
  id: string;
  organization_id: string;
  scope: HoldScope;
  subject_id: string | null;
  target_id: string | null;
  range_start: string | null;
  range_end: string | null;
  reason: string;
  applied_by: string;
  applied_at: string;
  released_at: string | null;
  released_by: string | null;
  release_reason: string | null;
}

export interface HoldCoverage {
  /** Data subjects: matched against holds on a subject (an event's actor_id or target_id). */
  subjectIds?: string[];
  targetIds?: string[];
  /** Event time, [start, end): matched against time-range holds that overlap it. */
  range?: { start: string; end: string };
}

export const holdColumns = (sql: Queryable) => sql`
  id, organization_id, scope, subject_id, target_id,
  evident.canonical_timestamp(range_start) as range_start, evident.canonical_timestamp(range_end) as range_end,
  reason, applied_by, evident.canonical_timestamp(applied_at) as applied_at,
  evident.canonical_timestamp(released_at) as released_at, released_by, release_reason`;

/** The organisation's active holds that cover any of what is given (none asked: none returned). */
export async function blockingHolds(sql: Queryable, organizationId: string, covers: HoldCoverage): Promise<Hold[]> {
  const subjects = covers.subjectIds ?? [];
  const targets = covers.targetIds ?? [];
  return await sql<Hold[]>`
    select ${holdColumns(sql)} from evident.legal_holds h
    where h.organization_id = ${organizationId}::uuid
      and h.released_at is null
      and (
        (h.scope = 'subject' and h.subject_id = any(${subjects}::text[]))
        or (h.scope = 'target' and h.target_id = any(${targets}::text[]))
        or (h.scope = 'time_range' and ${covers.range?.start ?? null}::text::timestamptz is not null
            and h.range_start < ${covers.range?.end ?? null}::text::timestamptz
            and ${covers.range?.start ?? null}::text::timestamptz < h.range_end)
      )
    order by h.applied_at, h.id`;
}

/** One line per hold, for refusals: "hold <id> (subject user-1, applied … by …: reason)". */
export function describeHolds(holds: Hold[]): string {
  return holds.map((h) => {
    const what = h.scope === "subject" ? `subject ${h.subject_id}` : h.scope === "target" ? `target ${h.target_id}` : `events from ${h.range_start} to ${h.range_end}`;
    return `hold ${h.id} on ${what} (applied ${h.applied_at} by ${h.applied_by}: ${h.reason})`;
  }).join("; ");
}

/** Who applies or releases a hold: a member or the service role (functions), an operator (CLI). */
export interface HoldActor {
  actorId: string;
  actorType: string;
}

/** Records a hold and its legal_hold event (action applied), in the caller's writer transaction. */
export async function applyLegalHold(tx: WriterTransaction, actor: HoldActor, input: ApplyHold, keyring: Keyring) {
  const [hold] = await tx<Hold[]>`
    insert into evident.legal_holds (organization_id, scope, subject_id, target_id, range_start, range_end, reason, applied_by)
    values (${input.organization_id}::uuid, ${input.scope},
      ${input.scope === "subject" ? input.subject_id : null}, ${input.scope === "target" ? input.target_id : null},
      ${input.scope === "time_range" ? input.range.start : null}::text::timestamptz,
      ${input.scope === "time_range" ? input.range.end : null}::text::timestamptz,
      ${input.reason}, ${actor.actorId})
    returning ${holdColumns(tx)}`;
  return { hold, event: await recordHoldEvent(tx, actor, hold, "applied", hold.reason, keyring) };
}

/** The hold, locked for release; undefined if there is none with that id. */
export async function lockHold(tx: WriterTransaction, id: string): Promise<Hold | undefined> {
  const [hold] = await tx<Hold[]>`select ${holdColumns(tx)} from evident.legal_holds where id = ${id}::uuid for update`;
  return hold;
}

/** Releases a locked, active hold and records its legal_hold event (action released). */
export async function releaseLegalHold(tx: WriterTransaction, actor: HoldActor, existing: Hold, reason: string, keyring: Keyring) {
  if (existing.released_at !== null) {
    throw new ApiError(409, "conflict", `legal hold ${existing.id} was released at ${existing.released_at} by ${existing.released_by}`);
  }
  const [hold] = await tx<Hold[]>`
    update evident.legal_holds set released_at = now(), released_by = ${actor.actorId}, release_reason = ${reason}
    where id = ${existing.id}::uuid
    returning ${holdColumns(tx)}`;
  return { hold, event: await recordHoldEvent(tx, actor, hold, "released", reason, keyring) };
}

/** A legal_hold event: what the hold covers, and why it was applied or released. */
async function recordHoldEvent(tx: WriterTransaction, actor: HoldActor, hold: Hold, action: "applied" | "released", reason: string, keyring: Keyring) {
  const event = eventInput.parse({
    event_type: "legal_hold",
    actor_id: actor.actorId,
    actor_type: actor.actorType,
    target_id: hold.id,
    target_type: "legal_hold",
    action,
    metadata: {
      hold_id: hold.id,
      scope: hold.scope,
      ...(hold.subject_id !== null ? { subject_id: hold.subject_id } : {}),
      ...(hold.target_id !== null ? { target_id: hold.target_id } : {}),
      ...(hold.range_start !== null ? { range: { start: hold.range_start, end: hold.range_end } } : {}),
      reason,
    },
  });
  const [appended] = await appendEvents(tx, hold.organization_id, [event], keyring);
  return appended;
}

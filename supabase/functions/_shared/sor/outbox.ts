// The Statements of Reasons outbox (evident.sor_outbox, migration 20261130001500): queueing a
// statement, and the operator's view of the queue. Every call runs inside a writer transaction
// (asWriter), like the append path.
import canonicalize from "canonicalize";
import { sha256Hex } from "../crypto.ts";
import type { Sql, WriterTransaction } from "../db.ts";
import { asWriter } from "../db.ts";
import { ApiError } from "../errors.ts";
import { laravelInput, laravelMessage, statementErrors } from "./contract.ts";

export type OutboxState = "pending" | "submitting" | "submitted" | "dead_letter";

export interface OutboxRow {
  id: string;
  organization_id: string;
  puid: string;
  payload: string;
  payload_sha256: string;
  decision_event_id: string | null;
  decision_event_seq: string | null;
  state: OutboxState;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_status: number | null;
  last_error: unknown;
  commission_uuid: string | null;
  reconciled: boolean;
  submitted_at: string | null;
  submitted_event_id: string | null;
  created_at: string;
}

/** The exact text submitted for a statement: RFC 8785 canonical JSON, and its SHA-256. */
export function statementPayload(statement: Record<string, unknown>): { text: string; sha256: string } {
  const text = canonicalize(statement);
  if (text === undefined) throw new ApiError(400, "invalid_request", "the statement is not representable as JSON");
  return { text, sha256: sha256Hex(text) };
}

export interface Enqueued {
  id: string;
  puid: string;
  payload_sha256: string;
}

/**
 * Queues one statement, refusing (400, nothing written) one the Commission would refuse. The same
 * puid with the same statement again returns the queued row; with another statement, 409.
 */
export async function enqueueStatement(
  tx: WriterTransaction,
  organizationId: string,
  statement: unknown,
  decision?: { id: string; seq: number },
  path = "statement",
): Promise<Enqueued> {
  const errors = statementErrors(statement, "multi");
  if (Object.keys(errors).length > 0) {
    throw new ApiError(400, "invalid_request", `${path} would be refused by the Transparency Database: ${laravelMessage(errors)}`, {
      issues: Object.entries(errors).flatMap(([field, messages]) => messages.map((message) => ({ path: `${path}.${field}`, message }))),
    });
  }
  const record = statement as Record<string, unknown>;
  const { text, sha256 } = statementPayload(record);
  // The puid as the Commission keys it: after Laravel trims it (existing-puid looks it up so).
  const puid = (laravelInput(record) as { puid: string }).puid;
  const [row] = await tx`
    select evident.enqueue_statement(${organizationId}::uuid, ${puid}, ${text}, ${sha256},
      ${decision?.id ?? null}::uuid, ${decision?.seq ?? null}::bigint) as id`;
  return { id: row.id, puid, payload_sha256: sha256 };
}

export interface OutboxStatus {
  counts: Record<OutboxState, number>;
  due_now: number;
  oldest_pending_at: string | null;
  expired_leases: number;
  dead_letters: Array<Pick<OutboxRow, "id" | "organization_id" | "puid" | "attempts" | "last_status" | "last_error">>;
}

export async function outboxStatus(sql: Sql): Promise<OutboxStatus> {
  return await asWriter(sql, async (tx) => {
    const [summary] = await tx`
      select
        count(*) filter (where state = 'pending')::int as pending,
        count(*) filter (where state = 'submitting')::int as submitting,
        count(*) filter (where state = 'submitted')::int as submitted,
        count(*) filter (where state = 'dead_letter')::int as dead_letter,
        count(*) filter (where state = 'pending' and next_attempt_at <= now())::int as due_now,
        count(*) filter (where state = 'submitting' and lease_expires_at < now())::int as expired_leases,
        to_char(min(created_at) filter (where state = 'pending') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as oldest_pending_at
      from evident.sor_outbox`;
    const dead = await tx`
      select id, organization_id, puid, attempts, last_status, last_error
      from evident.sor_outbox where state = 'dead_letter' order by updated_at limit 50`;
    return {
      counts: { pending: summary.pending, submitting: summary.submitting, submitted: summary.submitted, dead_letter: summary.dead_letter },
      due_now: summary.due_now,
      oldest_pending_at: summary.oldest_pending_at,
      expired_leases: summary.expired_leases,
      dead_letters: dead.map((r) => ({ ...r }) as OutboxStatus["dead_letters"][number]),
    };
  });
}

/** Dead letters (all, or one by id) back to pending, due now. Returns the ids requeued. */
export async function requeueStatements(sql: Sql, onlyId?: string): Promise<string[]> {
  return await asWriter(sql, async (tx) => {
    const rows = await tx`select evident.requeue_statements(${onlyId ?? null}::uuid) as id`;
    return rows.map((r) => r.id as string);
  });
}

export async function findStatement(sql: Sql, id: string): Promise<OutboxRow | undefined> {
  return await asWriter(sql, async (tx) => {
    const [row] = await tx`select * from evident.sor_outbox where id = ${id}::uuid`;
    return row as OutboxRow | undefined;
  });
}

/** Whether appending the event queues a Statement of Reasons (enqueueDecisionStatements). */
export function queuesStatement(event: { event_type: string; metadata: Record<string, unknown> }): boolean {
  return event.event_type === "decision_made" && event.metadata.statement_of_reasons !== undefined;
}

/**
 * The opt-in from the append path: each newly written decision_made event whose metadata holds a
 * `statement_of_reasons` queues it, in the append's own transaction (a replayed event queues
 * nothing again). The statement was validated with the event.
 */
export async function enqueueDecisionStatements(
  tx: WriterTransaction,
  organizationId: string,
  events: Array<{ event_type: string; metadata: Record<string, unknown> }>,
  appended: Array<{ id: string; seq: number; replayed: boolean }>,
): Promise<void> {
  for (const [index, event] of events.entries()) {
    if (!queuesStatement(event) || appended[index].replayed) continue;
    await enqueueStatement(tx, organizationId, event.metadata.statement_of_reasons, { id: appended[index].id, seq: appended[index].seq },
      `events[${index}].metadata.statement_of_reasons`);
  }
}

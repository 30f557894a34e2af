// One submission pass over the outbox, shared by the sor-submit edge function and `evident sor`:
//   claim due statements (lease, FOR UPDATE SKIP LOCKED) → validate → for statements that may have
//   reached the Commission already (re-claimed after a crash, or after a timeout or 5xx) ask
//   existing-puid first → POST the rest in one batch of ≤100 → record what was accepted.
// Failures: 429, 5xx, timeouts and network errors are retried with exponential backoff and full
// jitter (inline while the pass has time, otherwise by next_attempt_at); a permanent 4xx sends the
// statement to dead_letter with the API's body; 401/403 stop the pass and leave every statement
// pending (a token problem is not the statement's fault). Every accepted statement gets one
// sor_submitted event through appendEvents, in the same transaction that marks it submitted, and
// only while the worker still holds its lease: a worker that lost its lease records nothing.
import { appendEvents } from "../append.ts";
import { asWriter, type Sql } from "../db.ts";
import type { Keyring } from "../keyring.ts";
import { eventInput } from "../schemas/events.ts";
import type { TdbClient, TdbResult } from "./client.ts";
import { laravelMessage, maxStatementsPerBatch, statementErrors } from "./contract.ts";
import type { OutboxRow } from "./outbox.ts";

export interface SubmitOptions {
  /** Names the lease holder; unique per running worker. */
  workerId: string;
  batchSize?: number;
  leaseSeconds?: number;
  /** The pass stops claiming new batches after this long. */
  budgetMs?: number;
  maxBatches?: number;
  /** After this many claims a statement that still fails transiently goes to dead_letter. */
  maxAttempts?: number;
  /** In-pass retries of one batch after 429/5xx/timeout before it is left for a later pass. */
  inlineRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Submit only this statement (evident sor replay). */
  onlyId?: string;
  random?: () => number;
}

export interface SubmitReport {
  worker: string;
  batches: number;
  claimed: number;
  submitted: number;
  reconciled: number;
  dead_lettered: number;
  retry_later: number;
  lease_lost: number;
  /** Claimed but not sent or asked about: too little of the lease or the pass was left; due again at once. */
  deferred: number;
  /** Set when the pass stopped early: the token was refused, or the API kept failing. */
  stopped?: string;
}

interface Accepted {
  row: OutboxRow;
  commissionUuid: string | null;
  reconciled: boolean;
  status: number;
}

/** Kept free at the end of a lease to record what the batch did. */
const leaseRecordMarginMs = 1_000;

const defaults = {
  batchSize: maxStatementsPerBatch,
  leaseSeconds: 300,
  budgetMs: 50_000,
  maxBatches: 20,
  maxAttempts: 12,
  inlineRetries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 3_600_000,
};

/** Full-jitter exponential backoff: a random delay up to base·2^(n−1), capped; Retry-After is a floor. */
export function backoffMs(attempt: number, o: { baseDelayMs: number; maxDelayMs: number; random: () => number }, retryAfterSeconds?: number): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + o.random() * (ceiling / 2));
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

const transient = (r: TdbResult) =>
  r.kind !== "response" || r.status === 429 || r.status >= 500 || r.status === 408;
/** A failure after which the statements may nevertheless have been stored. */
const ambiguous = (r: TdbResult) => r.kind !== "response" || r.status >= 500;

function describe(r: TdbResult): { status: number | null; error: Record<string, unknown> } {
  if (r.kind === "timeout") return { status: null, error: { kind: "timeout", message: "the Transparency Database did not answer in time" } };
  if (r.kind === "network") return { status: null, error: { kind: "network", message: r.message } };
  return { status: r.status, error: { kind: "http", status: r.status, body: r.body } };
}

export async function submitDue(sql: Sql, keyring: Keyring, client: TdbClient, options: SubmitOptions): Promise<SubmitReport> {
  const o = { ...defaults, random: Math.random, ...options };
  o.batchSize = Math.max(1, Math.min(maxStatementsPerBatch, o.batchSize));
  const started = Date.now();
  const report: SubmitReport = {
    worker: o.workerId, batches: 0, claimed: 0, submitted: 0, reconciled: 0, dead_lettered: 0, retry_later: 0, lease_lost: 0,
    deferred: 0,
  };
  // A lease must hold a whole request and the recording after it, or nothing could ever be sent.
  if (o.leaseSeconds * 1000 <= client.timeoutMs + leaseRecordMarginMs) {
    throw new RangeError(`a lease of ${o.leaseSeconds} s cannot hold one request (timeout ${client.timeoutMs} ms) and its recording (${leaseRecordMarginMs} ms)`);
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const timeLeft = () => o.budgetMs - (Date.now() - started);
  // What a batch may still spend: within the pass's budget and within its lease, with room left to
  // record the outcome. Past its lease another worker may claim the batch, and this one could then
  // record nothing of what it sent.
  let leaseEnds = 0;
  const batchTimeLeft = () => Math.min(timeLeft(), leaseEnds - leaseRecordMarginMs - Date.now());

  const release = async (row: OutboxRow, to: "pending" | "dead_letter", status: number | null, error: unknown, delayMs = 0, counted: "retry_later" | "deferred" = "retry_later") => {
    const [moved] = await asWriter(sql, (tx) => tx`
      select evident.release_statement(${o.workerId}, ${row.id}::uuid, ${to},
        now() + make_interval(secs => ${delayMs / 1000}), ${status}::int, ${tx.json(error as never)}) as ok`);
    if (!moved.ok) report.lease_lost += 1;
    else if (to === "dead_letter") report.dead_lettered += 1;
    else report[counted] += 1;
  };

  /** Leaves rows nothing was sent or asked for to the next pass, due at once and without a failure to count against them. */
  const defer = async (rows: OutboxRow[]) => {
    for (const row of rows) {
      await release(row, "pending", null, {
        kind: "deferred", message: "not sent: too little of the lease or the pass was left for a whole request",
      }, 0, "deferred");
    }
  };

  /** Leaves rows for a later pass; those out of attempts go to the dead letter instead. */
  const retryLater = async (rows: OutboxRow[], result: TdbResult) => {
    const { status, error } = describe(result);
    for (const row of rows) {
      if (row.attempts >= o.maxAttempts) {
        await release(row, "dead_letter", status, { ...error, gave_up_after_attempts: row.attempts });
      } else {
        const delay = backoffMs(row.attempts, o, result.kind === "response" ? result.retryAfterSeconds : undefined);
        await release(row, "pending", status, error, delay);
      }
    }
  };

  const record = async (accepted: Accepted[]) => {
    const byOrganization = new Map<string, Accepted[]>();
    for (const a of accepted) byOrganization.set(a.row.organization_id, [...(byOrganization.get(a.row.organization_id) ?? []), a]);
    for (const [organizationId, group] of byOrganization) {
      const written = await asWriter(sql, async (tx) => {
        // Lock the rows this worker still leases; a claim by another worker skips locked rows.
        const held = new Set((await tx`
          select id from evident.sor_outbox
          where id = any(${group.map((a) => a.row.id)}::uuid[]) and state = 'submitting' and lease_owner = ${o.workerId}
          for update`).map((r) => r.id as string));
        const mine = group.filter((a) => held.has(a.row.id));
        if (mine.length === 0) return { mine, lost: group.length };
        const events = mine.map((a) => eventInput.parse({
          event_type: "sor_submitted",
          actor_id: "sor-submit",
          actor_type: "service",
          target_id: a.row.puid,
          target_type: "statement_of_reasons",
          action: "submit",
          metadata: {
            puid: a.row.puid,
            commission_uuid: a.commissionUuid,
            reconciled: a.reconciled,
            outbox_id: a.row.id,
            payload_sha256: a.row.payload_sha256,
            decision_event_id: a.row.decision_event_id,
            attempts: a.row.attempts,
            api_status: a.status,
            worker: o.workerId,
          },
          idempotency_key: `sor_submitted:${a.row.id}`,
        }));
        const appended = await appendEvents(tx, organizationId, events, keyring);
        const done = await tx`
          select evident.complete_statements(${o.workerId}, ${tx.json(mine.map((a, i) => ({
            id: a.row.id, commission_uuid: a.commissionUuid, reconciled: a.reconciled, event_id: appended[i].id, status: a.status,
          })))}) as id`;
        if (done.length !== mine.length) throw new Error("an outbox row changed while it was locked");
        return { mine, lost: group.length - mine.length };
      });
      report.lease_lost += written.lost;
      for (const a of written.mine) {
        if (a.reconciled) report.reconciled += 1;
        else report.submitted += 1;
      }
    }
  };

  /** existing-puid for each row: found → accepted (reconciled); not found → still to send. */
  const reconcile = async (rows: OutboxRow[]): Promise<{ found: Accepted[]; missing: OutboxRow[]; failed: Array<[OutboxRow, TdbResult]>; deferred: OutboxRow[] }> => {
    const found: Accepted[] = [];
    const missing: OutboxRow[] = [];
    const failed: Array<[OutboxRow, TdbResult]> = [];
    const deferred: OutboxRow[] = [];
    for (const row of rows) {
      if (batchTimeLeft() < client.timeoutMs) {
        // Out of time: leave the rest for a later pass rather than outlive the lease.
        deferred.push(row);
        continue;
      }
      const r = await client.existingPuid(row.puid);
      if (r.kind === "response" && r.status === 302) found.push({ row, commissionUuid: null, reconciled: true, status: 302 });
      else if (r.kind === "response" && r.status === 404) missing.push(row);
      else failed.push([row, r]);
    }
    return { found, missing, failed, deferred };
  };

  // A batch is claimed only while the pass can still wait out one whole request and record it.
  while (report.batches < o.maxBatches && timeLeft() > client.timeoutMs + leaseRecordMarginMs) {
    leaseEnds = Date.now() + o.leaseSeconds * 1000;
    const claimed = await asWriter(sql, (tx) => tx`
      select * from evident.claim_statements(${o.workerId}, ${o.batchSize}, make_interval(secs => ${o.leaseSeconds}), ${o.onlyId ?? null}::uuid)`) as unknown as OutboxRow[];
    if (claimed.length === 0) break;
    report.batches += 1;
    report.claimed += claimed.length;

    // 1. Refuse locally what the Commission would refuse (the rules may have changed since queueing).
    let toSend: OutboxRow[] = [];
    for (const row of claimed) {
      const errors = statementErrors(JSON.parse(row.payload), "multi");
      if (Object.keys(errors).length > 0) {
        await release(row, "dead_letter", null, { kind: "local_validation", message: laravelMessage(errors), errors });
      } else toSend.push(row);
    }

    // 2. A statement claimed before may already be at the Commission (its worker died after
    //    sending, or the answer was lost): ask before sending it again.
    let maybeSent = new Set(toSend.filter((row) => row.attempts > 1).map((row) => row.id));
    const accepted: Accepted[] = [];
    let inline = 0;
    while (toSend.length > 0) {
      if (maybeSent.size > 0) {
        const { found, missing, failed, deferred } = await reconcile(toSend.filter((row) => maybeSent.has(row.id)));
        accepted.push(...found);
        for (const [row, r] of failed) await retryLater([row], r);
        await defer(deferred);
        const gone = new Set([...found.map((a) => a.row.id), ...failed.map(([row]) => row.id), ...deferred.map((row) => row.id)]);
        toSend = toSend.filter((row) => !gone.has(row.id));
        void missing;
        maybeSent = new Set();
        if (toSend.length === 0) break;
      }

      if (batchTimeLeft() < client.timeoutMs) {
        // Not even one whole request fits before the lease (or the pass) ends: send nothing.
        await defer(toSend);
        toSend = [];
        break;
      }
      const result = await client.submitBatch(toSend.map((row) => row.payload));
      if (result.kind === "response" && result.status === 201) {
        const out = (result.body as { statements?: Array<{ uuid?: string; puid?: string }> } | null)?.statements ?? [];
        toSend.forEach((row, i) => {
          const stored = out[i];
          accepted.push({ row, commissionUuid: stored && stored.puid === row.puid ? stored.uuid ?? null : null, reconciled: false, status: 201 });
        });
        toSend = [];
        break;
      }
      if (result.kind === "response" && result.status === 422) {
        const errors = ((result.body as { errors?: Record<string, unknown> } | null)?.errors) ?? {};
        const perStatement = Object.keys(errors).filter((key) => /^statement_\d+$/.test(key));
        if (perStatement.length > 0) {
          // The batch was refused as a whole; nothing was stored. Dead-letter the refused ones with
          // their errors, send the others again.
          const refused = new Set(perStatement.map((key) => Number(key.slice("statement_".length))).filter((i) => i < toSend.length));
          if (refused.size === 0) {
            // Errors for statements we did not send: nothing to narrow down, so nothing to resend.
            for (const row of toSend) await release(row, "dead_letter", 422, { kind: "http", status: 422, body: result.body });
            toSend = [];
            break;
          }
          for (const index of refused) {
            const row = toSend[index];
            if (row) await release(row, "dead_letter", 422, { kind: "http", status: 422, body: { errors: { [`statement_${index}`]: errors[`statement_${index}`] } }, batch_index: index });
          }
          toSend = toSend.filter((_, index) => !refused.has(index));
          continue;
        }
        if (Array.isArray(errors.existing_puids) && errors.existing_puids.length > 0) {
          // Some puids are already at the Commission: confirm each, then send the rest.
          const existing = new Set((errors.existing_puids as unknown[]).map(String));
          maybeSent = new Set(toSend.filter((row) => existing.has(row.puid)).map((row) => row.id));
          if (maybeSent.size > 0) {
            const { found, missing, failed, deferred } = await reconcile(toSend.filter((row) => maybeSent.has(row.id)));
            accepted.push(...found);
            for (const [row, r] of failed) await retryLater([row], r);
            await defer(deferred);
            // Reported as duplicate but not found: the Commission's puid cache disagrees with its
            // database. Leave them for a later pass rather than loop.
            await retryLater(missing, result);
            const gone = new Set(toSend.filter((row) => maybeSent.has(row.id)).map((row) => row.id));
            toSend = toSend.filter((row) => !gone.has(row.id));
            maybeSent = new Set();
            continue;
          }
        }
        for (const row of toSend) await release(row, "dead_letter", 422, { kind: "http", status: 422, body: result.body });
        toSend = [];
        break;
      }
      if (result.kind === "response" && (result.status === 401 || result.status === 403)) {
        await retryLater(toSend.map((row) => ({ ...row, attempts: Math.min(row.attempts, o.maxAttempts - 1) })), result);
        toSend = [];
        report.stopped = `the Transparency Database refused the token (HTTP ${result.status}); check DSA_TDB_TOKEN`;
        break;
      }
      if (transient(result)) {
        if (ambiguous(result)) maybeSent = new Set(toSend.map((row) => row.id));
        const delay = backoffMs(inline + 1, o, result.kind === "response" ? result.retryAfterSeconds : undefined);
        // Retry now only if the wait and a whole request still fit in this pass and this lease.
        if (inline < o.inlineRetries && delay + client.timeoutMs < batchTimeLeft()) {
          inline += 1;
          await sleep(delay);
          continue;
        }
        await retryLater(toSend, result);
        toSend = [];
        break;
      }
      // Any other answer (400, 404, 405, 413, an unexpected 2xx): permanent for these statements.
      const { status, error } = describe(result);
      for (const row of toSend) await release(row, "dead_letter", status, error);
      toSend = [];
    }

    if (accepted.length > 0) await record(accepted);
    if (report.stopped) break;
  }
  return report;
}

// How sealed entries reach audit_events: the last step of the append path (append.ts).
//
// A few entries go in one INSERT that also records their idempotency keys. A large batch goes in
// parts: each part is copied (COPY) into a session-local staging table and moved into audit_events
// by one INSERT ... SELECT, and the next part is sealed while PostgreSQL works on the one before,
// so PostgreSQL's core and this process's core work at the same time. COPY cannot load
// audit_events directly: PostgreSQL refuses COPY FROM into a table whose row security applies to
// the copying role, and row security is forced on the trail for every role (docs/architecture.md). Either way the rows
// enter audit_events through INSERT statements, so the chain check runs over every statement's rows
// as before, and the last of them travel with the COMMIT (db.ts, sendWithCommit).
import type { Writable } from "node:stream";
import { copyLine } from "./copy-text.ts";
import { sendWithCommit, type WriterTransaction } from "./db.ts";
import type { SealedEntry } from "./entry.ts";

export interface StagedEntry {
  sealed: SealedEntry;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/**
 * From this many entries on, a batch goes through COPY. Chosen, not tuned: below it the COPY's own
 * round trip is a large share of the work; above it, parsing one JSON array grows with the batch.
 */
export const copyFromEntries = 32;
/**
 * Entries per part of a bulk batch. PostgreSQL inserts one part while this process seals the next,
 * so the two cores overlap. The first part is small, because PostgreSQL waits for it; the others
 * are large enough that a part's fixed costs (two statements, one chain check) stay small.
 */
export const firstPartEntries = 64;
export const copyPartEntries = 256;

const stagedColumns = [
  "part", "id", "organization_id", "seq", "previous_hash", "entry_hash", "signature", "key_id", "canonical_version",
  "event_type", "actor_id", "actor_type", "target_id", "target_type", "action", "metadata", "timestamp",
  "retention_until", "pii_tagged", "created_at", "personal_commitments", "idempotency_key", "request_hash",
] as const;
/** The staging table's column types, in stagedColumns' order. */
const stagedTypes = [
  "integer", "uuid", "uuid", "bigint", "text", "text", "text", "text", "smallint", "text", "text", "text", "text", "text",
  "text", "jsonb", "timestamptz", "timestamptz", "boolean", "timestamptz", "jsonb", "text", "text",
] as const;
const stagingDefinition = stagedColumns.map((name, i) => `"${name}" ${stagedTypes[i]}`).join(", ");
/** The same without the part column: the shape of a small batch's rows. */
const rowDefinition = stagedColumns.slice(1).map((name, i) => `"${name}" ${stagedTypes[i + 1]}`).join(", ");
const entryColumns = stagedColumns.slice(1, 21);
const entryColumnList = entryColumns.map((name) => `"${name}"`).join(", ");
const stagedColumnList = stagedColumns.map((name) => `"${name}"`).join(", ");

/**
 * Makes sure the staging table exists when a batch of `count` entries will need it. Issued without
 * waiting, in the same round trip as the head lock, so that PostgreSQL creates it (and runs the DDL
 * guard's event trigger over it) while this process seals the first entries. Session-local and
 * emptied at every commit, it is created once per connection; the name is ours alone, in the
 * session's own temporary schema.
 */
export function prepareStaging(tx: WriterTransaction, count: number): void {
  if (count < copyFromEntries) return;
  // Its failure, if any, fails the COPY that needs the table.
  tx.unsafe(`create temporary table if not exists evident_append_staging (${stagingDefinition}) on commit delete rows`)
    .execute().catch(() => {});
}

/** Writes the entries, in the order given, with their idempotency keys. */
export async function writeEntries(tx: WriterTransaction, entries: Iterable<StagedEntry>, count: number): Promise<void> {
  if (count < copyFromEntries) await insertEntries(tx, [...entries]);
  else await copyEntries(tx, entries);
}

/**
 * A few entries: one INSERT from a JSON array (jsonb_to_recordset), recording their idempotency
 * keys in the same statement. One prepared statement for every batch size; timestamps travel as
 * JSON strings and are cast in SQL (postgres.js would turn a timestamptz parameter into a
 * JavaScript Date, which has no microseconds). Measured against one INSERT ... VALUES with every
 * value bound as text: 0.29 against 0.22 of plain INSERTs for single events with 8 clients.
 */
async function insertEntries(tx: WriterTransaction, entries: StagedEntry[]): Promise<void> {
  const rows = entries.map(({ sealed, idempotencyKey, requestHash }) => ({
    ...sealed,
    personal_commitments: sealed.personal_commitments ?? null,
    idempotency_key: idempotencyKey,
    request_hash: requestHash,
  }));
  await sendWithCommit(tx, tx`
    with staged as (
      select * from jsonb_to_recordset(${tx.json(rows as unknown as Parameters<typeof tx.json>[0])}) as r(${tx.unsafe(rowDefinition)})
    ), appended as (
      insert into public.audit_events (${tx.unsafe(entryColumnList)})
      select ${tx.unsafe(entryColumnList)} from staged
    )
    insert into evident.idempotency_keys (organization_id, idempotency_key, request_hash, seq, created_at)
    select organization_id, idempotency_key, request_hash, seq, created_at from staged where idempotency_key is not null`);
}

async function copyEntries(tx: WriterTransaction, entries: Iterable<StagedEntry>): Promise<void> {
  let part = 0;
  let text = "";
  let rows = 0;
  // The INSERT of the part before: the next part is sealed while it runs, and its COPY is sent once
  // it is done (postgres.js cannot queue a COPY behind a statement still running; PostgreSQL would
  // run them in that order anyway).
  let previous: Promise<unknown> | undefined;
  for (const entry of entries) {
    text += stagedLine(part, entry);
    if (++rows === (part === 0 ? firstPartEntries : copyPartEntries)) {
      await previous;
      previous = (await sendPart(tx, part++, text)).move;
      text = "";
      rows = 0;
    }
  }
  if (rows > 0) {
    await previous;
    await sendPart(tx, part, text);
  }
}

/**
 * One part: COPY it into staging and queue the INSERT that moves it into audit_events, without
 * waiting for either; hands back that INSERT. Each part's INSERT is one statement, so the chain check
 * runs once per part and moves the head part by part; all of them commit or none (db.ts,
 * sendWithCommit).
 */
async function sendPart(tx: WriterTransaction, part: number, text: string): Promise<{ move: Promise<unknown> }> {
  const copy = await tx`copy pg_temp.evident_append_staging (${tx.unsafe(stagedColumnList)}) from stdin`.writable();
  // Failures reach the caller through the INSERT queued behind the COPY: postgres.js reports a COPY
  // that PostgreSQL refuses after its data neither to the stream nor to its query, so nothing here
  // waits for the COPY's own answer (which would then never come), while the INSERT then fails too
  // (25P02, or a connection error). This listener only keeps a stream error from being unhandled.
  copy.on("error", () => {});
  const copyDoneSent = whenFinalRuns(copy);
  copy.end(text);
  // postgres.js takes the next statement only once it has sent CopyDone.
  await copyDoneSent;
  const move = tx`
    with staged as (
      select * from pg_temp.evident_append_staging where part = ${part}
    ), appended as (
      insert into public.audit_events (${tx.unsafe(entryColumnList)})
      -- Staged in seq order; the chain check does not depend on the order rows are inserted in.
      select ${tx.unsafe(entryColumnList)} from staged
    )
    insert into evident.idempotency_keys (organization_id, idempotency_key, request_hash, seq, created_at)
    select organization_id, idempotency_key, request_hash, seq, created_at from staged where idempotency_key is not null`;
  await sendWithCommit(tx, move);
  // Wrapped: an async function returning the query itself would wait for it.
  return { move };
}

/**
 * Resolves once the stream's final step has run: for postgres.js, once CopyDone is written and the
 * connection takes statements again. Its "finish" waits for PostgreSQL's answer instead, which a
 * refused COPY never gives it.
 */
function whenFinalRuns(stream: Writable): Promise<void> {
  const writable = stream as Writable & { _final: (callback: (error?: Error | null) => void) => void };
  const final = writable._final;
  return new Promise((resolve) => {
    writable._final = (callback) => {
      final.call(writable, callback);
      resolve();
    };
  });
}

/** A staged row as a COPY line, its values in stagedColumns' order. */
function stagedLine(part: number, { sealed, idempotencyKey, requestHash }: StagedEntry): string {
  return copyLine([
    String(part), sealed.id, sealed.organization_id, String(sealed.seq), sealed.previous_hash, sealed.entry_hash, sealed.signature,
    sealed.key_id, String(sealed.canonical_version), sealed.event_type, sealed.actor_id, sealed.actor_type,
    sealed.target_id, sealed.target_type, sealed.action, JSON.stringify(sealed.metadata), sealed.timestamp,
    sealed.retention_until, sealed.pii_tagged ? "t" : "f", sealed.created_at,
    sealed.personal_commitments == null ? null : JSON.stringify(sealed.personal_commitments), idempotencyKey, requestHash,
  ]);
}

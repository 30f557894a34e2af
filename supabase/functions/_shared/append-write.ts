// How sealed entries reach audit_events: the last step of the append path (append.ts).
//
// A few entries go in one INSERT that also records their idempotency keys. A large batch streams
// through COPY into a session-local staging table while it is still being sealed, so PostgreSQL
// parses rows on one core while this process hashes and signs the next ones on another; one
// INSERT ... SELECT then moves the batch into audit_events. COPY cannot load audit_events directly:
// PostgreSQL refuses COPY FROM into a table whose row security applies to the copying role, and
// row security is forced on the trail for every role (docs/architecture.md). Either way the rows
// enter audit_events through one INSERT statement, so the chain check runs once over the whole
// batch, exactly as before, and that INSERT travels with the COMMIT (db.ts, sendWithCommit).
import type { Writable } from "node:stream";
import type postgres from "postgres";
import { copyLine } from "./copy-text.ts";
import { sendWithCommit, type WriterTransaction } from "./db.ts";
import type { SealedEntry } from "./entry.ts";

export interface StagedEntry {
  sealed: SealedEntry;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/**
 * From this many entries on, a batch goes through COPY: below it, the staging table's extra round
 * trip costs more than COPY saves (measured with `npm run bench:append`).
 */
export const copyFromEntries = 32;
/** Bytes of COPY text sent at a time: large enough to keep PostgreSQL busy, small enough to overlap. */
const copyChunkBytes = 64 * 1024;

const stagedColumns = [
  "id", "organization_id", "seq", "previous_hash", "entry_hash", "signature", "key_id", "canonical_version",
  "event_type", "actor_id", "actor_type", "target_id", "target_type", "action", "metadata", "timestamp",
  "retention_until", "pii_tagged", "created_at", "personal_commitments", "idempotency_key", "request_hash",
] as const;
const entryColumnList = stagedColumns.slice(0, 20).map((name) => `"${name}"`).join(", ");

/** Writes the entries, in the order given, with their idempotency keys. */
export async function writeEntries(tx: WriterTransaction, entries: Iterable<StagedEntry>, count: number): Promise<void> {
  if (count < copyFromEntries) await insertEntries(tx, [...entries]);
  else await copyEntries(tx, entries);
}

async function insertEntries(tx: WriterTransaction, entries: StagedEntry[]): Promise<void> {
  const rows = entries.map(({ sealed, idempotencyKey, requestHash }) => ({
    ...sealed,
    personal_commitments: sealed.personal_commitments ?? null,
    idempotency_key: idempotencyKey,
    request_hash: requestHash,
  }));
  await sendWithCommit(tx, tx`
    with staged as (
      select * from jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) as r(
        id uuid, organization_id uuid, seq bigint, previous_hash text, entry_hash text, signature text, key_id text,
        canonical_version smallint, event_type text, actor_id text, actor_type text, target_id text, target_type text,
        action text, metadata jsonb, "timestamp" timestamptz, retention_until timestamptz, pii_tagged boolean,
        created_at timestamptz, personal_commitments jsonb, idempotency_key text, request_hash text)
    ), appended as (
      insert into public.audit_events (${tx.unsafe(entryColumnList)})
      select ${tx.unsafe(entryColumnList)} from staged order by seq
    )
    insert into evident.idempotency_keys (organization_id, idempotency_key, request_hash, seq, created_at)
    select organization_id, idempotency_key, request_hash, seq, created_at from staged where idempotency_key is not null`);
}

async function copyEntries(tx: WriterTransaction, entries: Iterable<StagedEntry>): Promise<void> {
  // Session-local, emptied at every commit; created once per connection (the name is ours alone,
  // in the session's own temporary schema).
  void tx`
    create temporary table if not exists evident_append_staging (
      id uuid, organization_id uuid, seq bigint, previous_hash text, entry_hash text, signature text, key_id text,
      canonical_version smallint, event_type text, actor_id text, actor_type text, target_id text, target_type text,
      action text, metadata jsonb, "timestamp" timestamptz, retention_until timestamptz, pii_tagged boolean,
      created_at timestamptz, personal_commitments jsonb, idempotency_key text, request_hash text
    ) on commit delete rows`.execute().catch(() => {});
  const copy = await tx`copy pg_temp.evident_append_staging (${tx.unsafe(stagedColumns.map((name) => `"${name}"`).join(", "))}) from stdin`.writable();
  const finished = new Promise<void>((resolve, reject) => {
    copy.once("finish", resolve);
    copy.once("error", reject);
  });
  finished.catch(() => {});
  const copyDoneSent = whenFinalRuns(copy);
  try {
    let chunk = "";
    for (const entry of entries) {
      chunk += stagedLine(entry);
      if (chunk.length >= copyChunkBytes) {
        // Backpressure: wait until the socket has taken the previous chunk.
        if (!copy.write(chunk)) await drained(copy);
        chunk = "";
      }
    }
    copy.end(chunk);
  } catch (error) {
    // CopyFail: PostgreSQL discards what it received and the transaction fails.
    copy.destroy(error as Error);
    throw error;
  }
  const move = tx`
    with appended as (
      insert into public.audit_events (${tx.unsafe(entryColumnList)})
      select ${tx.unsafe(entryColumnList)} from pg_temp.evident_append_staging order by seq
    )
    insert into evident.idempotency_keys (organization_id, idempotency_key, request_hash, seq, created_at)
    select organization_id, idempotency_key, request_hash, seq, created_at
    from pg_temp.evident_append_staging where idempotency_key is not null`;
  // postgres.js takes the next statement only once it has sent CopyDone.
  await copyDoneSent;
  await sendWithCommit(tx, move);
  // The COPY's own answer comes first. A failure PostgreSQL reports after the last chunk (or a
  // connection lost by then) reaches neither the stream nor its query in postgres.js; the statement
  // queued behind the COPY then fails too (25P02 or a connection error), so waiting for either one
  // can never hang. The transaction is lost either way and nothing is written.
  await Promise.race([finished, move]);
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

/** Resolves when the stream can take more; rejects if it fails or closes first. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => () => {
      stream.off("drain", onDrain).off("error", onError).off("close", onClose);
      outcome();
    };
    const onDrain = settle(resolve);
    const onError = (error: Error) => settle(() => reject(error))();
    const onClose = settle(() => reject(new Error("the COPY stream closed before it took the batch")));
    stream.on("drain", onDrain).on("error", onError).on("close", onClose);
  });
}

function stagedLine({ sealed, idempotencyKey, requestHash }: StagedEntry): string {
  return copyLine([
    sealed.id, sealed.organization_id, String(sealed.seq), sealed.previous_hash, sealed.entry_hash, sealed.signature,
    sealed.key_id, String(sealed.canonical_version), sealed.event_type, sealed.actor_id, sealed.actor_type,
    sealed.target_id, sealed.target_type, sealed.action, JSON.stringify(sealed.metadata), sealed.timestamp,
    sealed.retention_until, sealed.pii_tagged ? "t" : "f", sealed.created_at,
    sealed.personal_commitments == null ? null : JSON.stringify(sealed.personal_commitments), idempotencyKey, requestHash,
  ]);
}

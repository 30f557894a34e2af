// Reading one organisation's entries in (seq, created_at) order as one COPY ... TO STDOUT stream,
// in the exact form they were signed in. One statement instead of a query per page: PostgreSQL
// sends rows as fast as the reader handles them, and the timestamps are rendered inline in the
// canonical form
// (docs/canonical-form.md) rather than through evident.canonical_timestamp, which PostgreSQL cannot
// inline and would call three times a row.
import { copyNull, unescapeCopy } from "./copy-text.ts";
import { type Queryable, type StoredEntry, toEntry } from "./trail.ts";

export interface EntryRange {
  /** Entries after this seq (and, when given, after this created_at at that seq). */
  afterSeq: number;
  afterCreatedAt?: string;
  /** Entries with seq at most this. */
  throughSeq?: number;
  /** Only entries created at or after / before these instants (canonical or ISO timestamps). */
  from?: string;
  to?: string;
}

const canonical = (column: string) => `pg_catalog.to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The columns, in the order parseRow reads them. */
const selectList = [
  "e.id", "e.organization_id", "e.seq", "e.previous_hash", "e.entry_hash", "e.signature", "e.key_id", "e.canonical_version",
  "e.event_type", "e.actor_id", "e.actor_type", "e.target_id", "e.target_type", "e.action", "e.metadata",
  canonical("e.\"timestamp\""), canonical("e.created_at"), canonical("e.retention_until"), "e.pii_tagged", "e.personal_commitments",
].join(", ");

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// What a timestamp argument may look like: COPY takes no bind parameters, so values are inlined as
// literals, and only these characters are let through.
const instantPattern = /^[0-9T:.+\- Z]{10,40}$/;

function literalInstant(value: string): string {
  if (!instantPattern.test(value)) throw new RangeError(`not a timestamp: ${JSON.stringify(value)}`);
  return `'${value}'::timestamptz`;
}

function literalSeq(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a seq: ${value}`);
  return String(value);
}

/** The COPY statement for the range. */
export function entriesCopyStatement(organizationId: string, range: EntryRange): string {
  if (!uuidPattern.test(organizationId)) throw new RangeError(`not an organisation id: ${JSON.stringify(organizationId)}`);
  const where = [`e.organization_id = '${organizationId}'::uuid`];
  where.push(range.afterCreatedAt === undefined
    ? `e.seq > ${literalSeq(range.afterSeq)}`
    : `(e.seq, e.created_at) > (${literalSeq(range.afterSeq)}, ${literalInstant(range.afterCreatedAt)})`);
  if (range.throughSeq !== undefined) where.push(`e.seq <= ${literalSeq(range.throughSeq)}`);
  if (range.from) where.push(`e.created_at >= ${literalInstant(range.from)}`);
  if (range.to) where.push(`e.created_at < ${literalInstant(range.to)}`);
  return `copy (select ${selectList} from public.audit_events e where ${where.join(" and ")} order by e.seq, e.created_at) to stdout`;
}

/**
 * The COPY statement for every organisation's entries created in [from, to) (a month), in
 * (organization_id, seq, created_at) order: the order a month's pass and its Merkle trees take.
 */
export function monthCopyStatement(from: string, to: string): string {
  return `copy (select ${selectList} from public.audit_events e where e.created_at >= ${literalInstant(from)} and e.created_at < ${literalInstant(to)} ` +
    `order by e.organization_id, e.seq, e.created_at) to stdout`;
}

/** Turns COPY text output into entries as it arrives (undefined: the end); a line a chunk cuts waits for the rest. */
function rowReader(): (chunk: Uint8Array | undefined) => StoredEntry[] {
  const decoder = new TextDecoder();
  let carry = "";
  return (chunk) => {
    const lines = (carry + (chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode())).split("\n");
    carry = chunk ? lines.pop()! : "";
    return lines.filter((line) => line.length > 0).map(parseRow);
  };
}

// If the whole output arrived before "data" was listened to, postgres.js paused the socket when the
// stream's buffer filled and, the stream having ended, never asks for more: the connection would
// hang on its next statement. Its read() only resumes the socket.
const resumeSocket = (stream: unknown) => (stream as { _read(size: number): void })._read(0);

/**
 * Hands the entries of the range, in order, to `handle` in batches as they arrive, and resolves
 * when the last was handled. `handle` runs synchronously as rows arrive, so the socket is read only
 * as fast as `handle` works, which keeps memory flat by itself. If `handle` throws, the rest of the stream is read and
 * dropped, so the connection stays usable, and the promise rejects with that error.
 */
export async function forEachEntries(
  sql: Queryable,
  organizationId: string,
  range: EntryRange,
  handle: (entries: StoredEntry[]) => void,
): Promise<void> {
  const stream = await sql.unsafe(entriesCopyStatement(organizationId, range)).readable();
  const read = rowReader();
  let failure: unknown;
  const take = (chunk?: Uint8Array) => {
    if (failure !== undefined) return;
    try {
      const entries = read(chunk);
      if (entries.length > 0) handle(entries);
    } catch (error) {
      failure = error;
    }
  };
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => take(chunk));
    stream.once("error", reject);
    stream.once("end", () => {
      resumeSocket(stream);
      take();
      if (failure !== undefined) reject(failure);
      else resolve();
    });
  });
}

/** One row of COPY text output, as an entry (toEntry maps it, as it maps a query's row). */
export function parseRow(line: string): StoredEntry {
  const f = line.split("\t");
  if (f.length !== 20) throw new Error(`a COPY row with ${f.length} fields, expected 20`);
  return toEntry({
    id: f[0],
    organization_id: f[1],
    seq: f[2],
    previous_hash: f[3] === copyNull ? null : unescapeCopy(f[3]),
    entry_hash: f[4],
    signature: f[5],
    key_id: unescapeCopy(f[6]),
    canonical_version: f[7],
    event_type: unescapeCopy(f[8]),
    actor_id: unescapeCopy(f[9]),
    actor_type: unescapeCopy(f[10]),
    target_id: unescapeCopy(f[11]),
    target_type: unescapeCopy(f[12]),
    action: unescapeCopy(f[13]),
    metadata: JSON.parse(unescapeCopy(f[14])),
    timestamp: f[15],
    created_at: f[16],
    retention_until: f[17],
    pii_tagged: f[18] === "t",
    personal_commitments: f[19] === copyNull ? null : JSON.parse(unescapeCopy(f[19])),
  });
}

/**
 * The entries a COPY statement (entriesCopyStatement, monthCopyStatement) produces, in batches of
 * `batchSize` or so, for a reader that awaits between batches (a month's pass hands them to worker
 * threads): at most two batches wait, and the socket is read no faster than batches are taken, so
 * memory stays flat. A reader that stops early leaves the rest to be read and dropped (the
 * connection stays usable); a row that does not parse ends the batches with its error, after the
 * ones before it, once the stream is read.
 */
export async function* entryBatches(sql: Queryable, statement: string, batchSize = 5000): AsyncGenerator<StoredEntry[]> {
  const stream = await sql.unsafe(statement).readable();
  const read = rowReader();
  const ready: StoredEntry[][] = [];
  let batch: StoredEntry[] = [];
  let failure: unknown;
  let ended = false;
  let dropping = false;
  let wake = () => {};
  const take = (chunk?: Uint8Array) => {
    if (!dropping && failure === undefined) {
      try {
        for (const entry of read(chunk)) batch.push(entry);
      } catch (error) {
        failure = error;
      }
      if (batch.length >= batchSize || (!chunk && batch.length > 0)) {
        ready.push(batch);
        batch = [];
      }
      if (ready.length >= 2) stream.pause();
    }
    wake();
  };
  stream.on("data", (chunk: Uint8Array) => take(chunk));
  stream.once("error", (error) => {
    failure ??= error;
    ended = true;
    wake();
  });
  stream.once("end", () => {
    resumeSocket(stream);
    take();
    ended = true;
    wake();
  });
  try {
    for (;;) {
      if (ready.length > 0) {
        const next = ready.shift()!;
        stream.resume();
        yield next;
      } else if (ended) {
        if (failure !== undefined) throw failure;
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    if (!ended) {
      dropping = true;
      stream.resume();
      await new Promise<void>((resolve) => (wake = () => ended && resolve()));
    }
  }
}

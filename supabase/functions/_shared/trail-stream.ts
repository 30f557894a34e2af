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
  const decoder = new TextDecoder();
  let carry = "";
  let failure: unknown;
  const take = (text: string, final: boolean) => {
    if (failure !== undefined) return;
    try {
      const lines = (carry + text).split("\n");
      carry = final ? "" : lines.pop()!;
      const entries = lines.filter((line) => line.length > 0).map(parseRow);
      if (entries.length > 0) handle(entries);
    } catch (error) {
      failure = error;
    }
  };
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => take(decoder.decode(chunk, { stream: true }), false));
    stream.once("error", reject);
    stream.once("end", () => {
      // If the whole output arrived before "data" was listened to, postgres.js paused the socket
      // when the stream's buffer filled and, the stream having ended, never asks for more: the
      // connection would hang on its next statement. Its read() only resumes the socket.
      (stream as unknown as { _read(size: number): void })._read(0);
      take(decoder.decode(), true);
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

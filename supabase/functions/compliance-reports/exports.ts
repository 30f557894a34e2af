// Exports streamed from a cursor, so a trail of any size leaves in constant memory:
//   the CSV evidence export (every event, every column, and each row's own verification result
//   from the shared chain verifier), and
//   the GDPR Art. 15 access export (everything held about an organisation or one subject, JSON).
// Both read in one REPEATABLE READ, READ ONLY transaction as evident_writer: one consistent
// snapshot from the first row to the last.
import { ChainVerifier } from "../_shared/chain.ts";
import type { Sql } from "../_shared/db.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { toReadEntry } from "../_shared/audited-read.ts";
import { entryColumns, type StoredEntry, toEntry } from "../_shared/trail.ts";
import { walkStart } from "../_shared/verify.ts";
import { csvField } from "../_shared/csv.ts";

const pageSize = 1000;
const encoder = new TextEncoder();

type Row = Record<string, unknown>;

interface Snapshot {
  rows: AsyncIterator<Row[]>;
  close(commit: boolean): Promise<void>;
}

/**
 * Opens a snapshot transaction, runs `prepare` in it (for the header), then streams `query`'s rows
 * through `render`. The transaction ends when the stream ends or the client goes away.
 */
async function streamSnapshot<H>(
  sql: Sql,
  prepare: (tx: Sql) => Promise<H>,
  query: (tx: Sql, header: H) => AsyncIterable<Row[]>,
  render: { head: (header: H) => string; row: (row: Row, index: number) => string; tail: (count: number) => string },
): Promise<ReadableStream<Uint8Array>> {
  const connection = await sql.reserve();
  let snapshot: Snapshot;
  let header: H;
  try {
    await connection`begin isolation level repeatable read read only`;
    await connection`set local role evident_writer`;
    header = await prepare(connection as unknown as Sql);
    const iterator = query(connection as unknown as Sql, header)[Symbol.asyncIterator]();
    let closed = false;
    snapshot = {
      rows: iterator,
      close: async (commit) => {
        if (closed) return;
        closed = true;
        try {
          await iterator.return?.();
        } catch { /* the cursor is closed with the transaction anyway */ }
        await (commit ? connection`commit` : connection`rollback`).catch(() => {});
        connection.release();
      },
    };
  } catch (error) {
    await connection`rollback`.catch(() => {});
    connection.release();
    throw error;
  }
  let count = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(render.head(header)));
          return;
        }
        const { done, value } = await snapshot.rows.next();
        if (done) {
          controller.enqueue(encoder.encode(render.tail(count)));
          await snapshot.close(true);
          controller.close();
          return;
        }
        let chunk = "";
        for (const row of value) chunk += render.row(row, count++);
        controller.enqueue(encoder.encode(chunk));
      } catch (error) {
        console.error("export stream failed:", error instanceof Error ? error.message : error);
        await snapshot.close(false);
        controller.error(error);
      }
    },
    async cancel() {
      await snapshot.close(false);
    },
  });
}


export const csvVerificationColumns = ["verified", "hash_valid", "signature_valid", "chain_valid", "sequence_valid", "failures"] as const;

export interface CsvOptions {
  organizationId: string;
  keyring: Keyring;
  /** created_at bounds, canonical timestamps. */
  start?: string;
  end?: string;
}

/** Every event of the organisation (in the period), every column, and its verification result. */
export function evidenceCsv(sql: Sql, options: CsvOptions): Promise<ReadableStream<Uint8Array>> {
  let verifier: ChainVerifier;
  return streamSnapshot(
    sql,
    async (tx) => {
      // A period that starts mid-chain is anchored on the entry before it, as verifyOrganization does.
      const start = await walkStart(tx, options.organizationId, options.start);
      verifier = new ChainVerifier(options.organizationId, options.keyring, start);
      return undefined;
    },
    (tx) => tx`
      select ${tx(entryColumns as unknown as string[])}, evident.personal_data_of(id) as personal_data from evident.audit_entries
      where organization_id = ${options.organizationId}::uuid
        ${options.start ? tx`and created_at_instant >= ${options.start}::text::timestamptz` : tx``}
        ${options.end ? tx`and created_at_instant < ${options.end}::text::timestamptz` : tx``}
      order by seq`.cursor(pageSize),
    {
      head: () => [...entryColumns, "personal_data", ...csvVerificationColumns].join(",") + "\r\n",
      row: (row) => {
        const entry: StoredEntry = toEntry(row);
        const verdict = verifier.push(entry);
        const cells = [
          ...entryColumns.map((c) => csvField(entry[c as keyof StoredEntry])),
          // Joined back from the erasable store while it exists; erased values show as erased.
          csvField(row.personal_data),
          verdict.failures.length === 0 ? "true" : "false",
          String(verdict.hash_valid), String(verdict.signature_valid), String(verdict.chain_valid), String(verdict.sequence_valid),
          csvField(verdict.failures.join(" ")),
        ];
        return cells.join(",") + "\r\n";
      },
      tail: () => "",
    },
  );
}

export interface AccessExportOptions {
  organizationId: string;
  /** actor_id or target_id; without it, everything about the organisation. */
  subject?: string;
  generatedAt: string;
  purpose: string;
  accessEventSeq: number;
}

/** GDPR Art. 15: everything Evident holds about the organisation or one subject, as one JSON document. */
export function accessExport(sql: Sql, options: AccessExportOptions): Promise<ReadableStream<Uint8Array>> {
  return streamSnapshot(
    sql,
    async (tx) => {
      const [organization] = await tx`
        select id, name, evident.canonical_timestamp(created_at) as created_at from public.organizations
        where id = ${options.organizationId}::uuid`;
      const uuidSubject = options.subject && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(options.subject)
        ? options.subject.toLowerCase() : undefined;
      const members = options.subject
        ? (uuidSubject ? await tx`
            select user_id, role, evident.canonical_timestamp(created_at) as created_at from public.organization_members
            where organization_id = ${options.organizationId}::uuid and user_id = ${uuidSubject}::uuid` : [])
        : await tx`
            select user_id, role, evident.canonical_timestamp(created_at) as created_at from public.organization_members
            where organization_id = ${options.organizationId}::uuid order by created_at, user_id`;
      return {
        export_type: "GDPR Art. 15 access export",
        organization: organization ?? null,
        subject: options.subject ?? null,
        scope: options.subject
          ? "events whose actor_id or target_id is the subject or that hold personal data of the subject, and the subject's membership of this organisation"
          : "the organisation, its memberships and every event of its trail",
        generated_at: options.generatedAt,
        purpose: options.purpose,
        access_event_seq: options.accessEventSeq,
        personal_data_outside_the_trail: "each event's personal_data: values kept in Evident's erasable store (canonical form v2), " +
          "joined back while they exist; erased or anonymised values show only that they were removed",
        memberships: [...members],
      };
    },
    (tx) => tx`
      select ${tx(entryColumns as unknown as string[])}, evident.personal_data_of(id) as personal_data from evident.audit_entries
      where organization_id = ${options.organizationId}::uuid
        ${options.subject ? tx`and (actor_id = ${options.subject} or target_id = ${options.subject} or id in (
          select p.event_id from evident.personal_data p
          where p.organization_id = ${options.organizationId}::uuid and p.subject_id = ${options.subject}))` : tx``}
      order by seq`.cursor(pageSize),
    {
      head: (header) => JSON.stringify(header).slice(0, -1) + ',"events":[',
      row: (row, index) => (index === 0 ? "" : ",") + JSON.stringify(toReadEntry(row)),
      tail: (count) => `],"event_count":${count}}`,
    },
  );
}

// The raw-read baseline of bench:verify, run in a process of its own as the CLI is: reads one
// organisation's entries as verification does (pages of 1,000 by (seq, created_at) from evident.audit_entries,
// the next page requested while this one is handled, each row mapped to an entry), in one
// connection, and checks nothing. Prints {"rows", "seconds", "peak_rss"} as JSON.
//   tsx scripts/bench/read-trail.ts <organization id> [page size]     (DB_URL from the environment)
import postgres from "postgres";
import { entryColumns, toEntry } from "../../supabase/functions/_shared/trail.ts";

const organizationId = process.argv[2];
const pageSize = Number(process.argv[3] ?? 1000);
const sql = postgres(process.env.DB_URL!, { max: 1, onnotice: () => {} });
try {
  await sql`select 1`;
  const started = performance.now();
  const page = (after?: Record<string, unknown>) => sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries
    where organization_id = ${organizationId}::uuid
      and ${after ? sql`(seq, created_at_instant) > (${Number(after.seq)}, ${after.created_at as string}::text::timestamptz)` : sql`seq > 0`}
    order by seq, created_at_instant limit ${pageSize}`.execute();
  let rows = 0;
  let next: ReturnType<typeof page> | undefined = page();
  while (next) {
    const batch: Array<Record<string, unknown>> = await next;
    next = batch.length < pageSize ? undefined : page(batch[batch.length - 1]);
    // Mapped to entries as verification maps them, so the baseline does all but the checking.
    for (const row of batch) toEntry(row);
    rows += batch.length;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ rows, seconds, peak_rss: process.resourceUsage().maxRSS * 1024 }));
} finally {
  await sql.end();
}

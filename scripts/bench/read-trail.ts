// The raw-read baseline of bench:verify, run in a process of its own as the CLI is: reads one
// organisation's entries exactly as verification does (one COPY stream in (seq, created_at) order,
// each row parsed into an entry; trail-stream.ts), over one connection, and checks nothing. Prints
// {"rows", "seconds", "peak_rss"} as JSON.
//   tsx scripts/bench/read-trail.ts <organization id>     (DB_URL from the environment)
import postgres from "postgres";
import { forEachEntries } from "../../supabase/functions/_shared/trail-stream.ts";

const organizationId = process.argv[2];
const sql = postgres(process.env.DB_URL!, { max: 1, onnotice: () => {} });
try {
  await sql`select 1`;
  const started = performance.now();
  let rows = 0;
  await forEachEntries(sql, organizationId, { afterSeq: 0 }, (entries) => {
    rows += entries.length;
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ rows, seconds, peak_rss: process.resourceUsage().maxRSS * 1024 }));
} finally {
  await sql.end();
}

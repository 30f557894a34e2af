// npm run bench:verify: how fast a trail verifies, against reading the same rows without checking
// them, in the same run; peak memory while doing it; and how long sealing the month takes.
//   BENCH_EVENTS   trail length (default 200,000; the issue's seal target is for 1,000,000)
// Targets (issue 4): verification >= 0.5 of the raw read rate and >= 300,000 events/s; peak RSS
// flat and under 256 MB; sealing a 1,000,000-event month under 10 s.
import { generateLocalSecrets } from "../stack/secrets.ts";
import { startThrowawayStack } from "../stack/stack.ts";
import postgres from "postgres";
import { loadSignedMonth } from "./signed-trail.ts";
import { ExportSigner } from "../../supabase/functions/_shared/export-key.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { monthBounds, sealMonth } from "../../supabase/functions/_shared/seal.ts";
import { entryColumns } from "../../supabase/functions/_shared/trail.ts";
import { verifyOrganization } from "../../supabase/functions/_shared/verify.ts";

const total = Number(process.env.BENCH_EVENTS ?? 200_000);
const month = "2026-01";
const secrets = generateLocalSecrets();
const keyring = Keyring.parse(secrets.AUDIT_SIGNING_KEYS, secrets.AUDIT_ACTIVE_KEY_ID);
const signer = ExportSigner.parse(secrets.AUDIT_EXPORT_SIGNING_KEY);
const stack = await startThrowawayStack(secrets, (line) => process.stderr.write(`[stack] ${line}\n`));
const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

try {
  console.log(`bench:verify on PostgreSQL ${(await sql`select current_setting('server_version') as v`)[0].v}, ${total.toLocaleString("en")} events\n`);
  const [{ id: org }] = await sql`insert into public.organizations (name) values ('bench verify') returning id`;
  const t0 = performance.now();
  await loadSignedMonth(sql, org, month, total, keyring);
  console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Baseline: the same rows, read the same way (pages of 5,000 by seq from evident.audit_entries).
  const rssBefore = process.memoryUsage().rss;
  let readStart = performance.now();
  let read = 0;
  for (let after = 0; ;) {
    const rows = await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries
      where organization_id = ${org} and seq > ${after} order by seq limit 5000`;
    if (rows.length === 0) break;
    read += rows.length;
    after = Number(rows[rows.length - 1].seq);
  }
  const readSeconds = (performance.now() - readStart) / 1000;

  peakRss = process.memoryUsage().rss;
  readStart = performance.now();
  const summary = await verifyOrganization(sql, org, keyring);
  const verifySeconds = (performance.now() - readStart) / 1000;
  if (!summary.valid || summary.checked !== total) throw new Error(`verification did not pass: ${JSON.stringify(summary)}`);

  const readRate = read / readSeconds;
  const verifyRate = summary.checked / verifySeconds;
  const ratio = verifyRate / readRate;
  console.log(`verify: ${verifyRate.toFixed(0)} events/s vs raw read ${readRate.toFixed(0)} rows/s = ${ratio.toFixed(2)}` +
    `  [ratio >= 0.5: ${ratio >= 0.5 ? "met" : "MISSED"}; >= 300,000 events/s: ${verifyRate >= 300_000 ? "met" : "MISSED"}]`);
  console.log(`memory: RSS ${mb(rssBefore)} MB before, peak ${mb(peakRss)} MB while verifying ${total.toLocaleString("en")} events` +
    `  [under 256 MB: ${peakRss < 256 * 1024 * 1024 ? "met" : "MISSED"}]`);

  const sealStart = performance.now();
  const outcome = await sealMonth(sql, monthBounds(month)!, keyring, signer);
  const sealSeconds = (performance.now() - sealStart) / 1000;
  if (outcome.status !== "sealed") throw new Error(`seal did not happen: ${outcome.status}`);
  console.log(`seal: ${total.toLocaleString("en")}-event month in ${sealSeconds.toFixed(1)} s (links and signatures over the stored hashes, ` +
    `checked in the same pass that builds the Merkle trees)` + (total >= 1_000_000
      ? `  [1,000,000 under 10 s: ${sealSeconds < 10 ? "met" : "MISSED"}]`
      : `  [the 10 s target is for 1,000,000 events: run with BENCH_EVENTS=1000000]`));

  // Where verification time goes: the same work without the database.
  const sample = await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries where organization_id = ${org} order by seq limit 20000`;
  const { toEntry } = await import("../../supabase/functions/_shared/trail.ts");
  const { checkEntry } = await import("../../supabase/functions/_shared/entry.ts");
  const entries = sample.map(toEntry);
  const cpuStart = performance.now();
  for (const entry of entries) checkEntry(entry, keyring);
  const perEntry = (performance.now() - cpuStart) / entries.length;
  console.log(`where time goes: recomputing one entry (RFC 8785 form, SHA-256, HMAC) takes ${(perEntry * 1000).toFixed(1)} µs of ` +
    `one core, which alone caps verification at ${(1000 / perEntry).toFixed(0)} events/s; reading takes ${(1e6 / readRate).toFixed(1)} µs a row`);
} finally {
  clearInterval(sampler);
  await sql.end();
  await stack.stop();
}

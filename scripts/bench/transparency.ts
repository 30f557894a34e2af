// npm run bench:transparency: the annual DSA metrics view against the GrowBro guide's own DSA query,
// in the same run, on the same trail.
//   BENCH_EVENTS   events to load (default 10,000,000; use 1,000,000 on a shared machine)
//   BENCH_ORGS     organisations (default 10)
//   BENCH_RUNS     timed runs of the view (default 20; the seed query runs 3 times)
//   BENCH_EXPLAIN  print the view's plan (EXPLAIN ANALYZE) at the end
// Targets (issue 5): the annual view under 50 ms, and at least 100 times faster than the seed query.
//
// The trail: events spread evenly over every month from January of last year to now, so last
// year's report reads twelve sealed months plus whatever else is sealed, and the current month
// (live, unsealed) is scanned row by row, with a month's share of the events. Rows are generated in
// SQL (generate_series) as the trail's owner with triggers off, as a restore would write them:
// chained (seq gapless, previous_hash links, chain heads set) but with placeholder hashes and
// signatures, since signing millions of rows would measure the signer, not the views. Finished
// months are then sealed through the real sealing code (monthPass, monthAggregates, the Ed25519
// export signer, evident.record_manifest), minus its refusal of unverified entries, which these placeholder
// signatures would fail; bench:verify measures verification. Events fall on days 1 to 28 of each
// month: the guide's period ends at 31 December 00:00, so this keeps both queries on the same data.
import postgres from "postgres";
import { ExportSigner } from "../../supabase/functions/_shared/export-key.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import {
  canonicalBytes,
  manifestBytes,
  type ManifestPayload,
  manifestVersion,
  sealedOrganizationMonth,
} from "../../supabase/functions/_shared/manifest.ts";
import { buildTransparencyReport } from "../../supabase/functions/_shared/dsa/report.ts";
import { monthAggregates, monthBounds, monthPass } from "../../supabase/functions/_shared/seal.ts";
import { generateLocalSecrets } from "../stack/secrets.ts";
import { startThrowawayStack } from "../stack/stack.ts";
import { percentile } from "./measure.ts";

const total = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const organizations = Number(process.env.BENCH_ORGS ?? 10);
const runs = Number(process.env.BENCH_RUNS ?? 20);
// The template categories the generated notices and decisions carry.
const categories = ["STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_VIOLENCE", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"];

const seedDsaQuery = `-- DSA Art. 15 & 24 Metrics for Transparency Report
WITH reporting_period AS (
  SELECT
    DATE_TRUNC('year', NOW() - INTERVAL '1 year') AS start_date,
    DATE_TRUNC('year', NOW()) - INTERVAL '1 day' AS end_date
)
SELECT
  -- Notices received by category (Art. 16)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as total_notices_received,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.metadata->>'report_type' = 'illegal_content'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as illegal_content_notices,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.metadata->>'report_type' = 'policy_violation'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as policy_violation_notices,

  -- Moderation decisions by action type (Art. 17)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'decision_made'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as total_moderation_decisions,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'decision_made'
   AND ae.metadata->>'action' = 'content_removed'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as content_removal_decisions,

  -- SoR submissions to Commission DB (Art. 24(5))
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'sor_submitted'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as sor_submissions,

  -- Appeals and outcomes (Art. 20)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'appeal_filed'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as appeals_received,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'appeal_decided'
   AND ae.metadata->>'outcome' = 'upheld'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as appeals_upheld,

  -- ODS escalations (Art. 21)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'ods_escalation'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as ods_escalations,

  -- Trusted flagger metrics (Art. 22)
  (SELECT COUNT(DISTINCT ae.metadata->>'trusted_flagger_id')
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.metadata->>'is_trusted_flagger' = 'true'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as active_trusted_flaggers,

  -- Repeat offender actions (Art. 23)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'repeat_offender_action'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as repeat_offender_actions;`;

const secrets = generateLocalSecrets();
const signer = ExportSigner.parse(secrets.AUDIT_EXPORT_SIGNING_KEY);
// BENCH_DB_URL: load into that (migrated, empty) database instead of a throwaway stack.
const stack = process.env.BENCH_DB_URL ? undefined : await startThrowawayStack(secrets, (line) => process.stderr.write(`[stack] ${line}\n`));
const sql = postgres(process.env.BENCH_DB_URL ?? stack!.dbUrl, { max: 4, onnotice: () => {} });

try {
  const [info] = await sql`
    select current_setting('server_version') as version, extract(year from now())::int - 1 as last_year,
      to_char(now() at time zone 'UTC', 'YYYY-MM') as current_month`;
  const lastYear = Number(info.last_year);
  const months: string[] = [];
  for (let d = new Date(Date.UTC(lastYear, 0, 1)); d.toISOString().slice(0, 7) <= info.current_month; d.setUTCMonth(d.getUTCMonth() + 1)) {
    months.push(d.toISOString().slice(0, 7));
  }
  console.log(`bench:transparency on PostgreSQL ${info.version}: ${total.toLocaleString("en")} events, ${organizations} organisations, ` +
    `${months.length} months (${months[0]} to ${months.at(-1)}; all but the current one sealed)\n`);

  const orgs = (await sql`
    insert into public.organizations (name) select 'bench org ' || i from generate_series(1, ${organizations}) i returning id`)
    .map((r) => r.id as string);
  const perBatch = Math.floor(total / (months.length * organizations));
  const seqs = new Map(orgs.map((o) => [o, 0]));

  const loadStart = performance.now();
  const recordMs: number[] = [];
  for (const [index, month] of months.entries()) {
    await sql`select evident.create_audit_partition(${`${month}-01`}::date)`;
    const start = `${month}-01T00:00:00Z`;
    const current = index === months.length - 1;
    // Days 1 to 28 of past months; in the current month, from its start until a minute ago.
    const [{ span }] = await sql`
      select least(28 * 86400, greatest(60, extract(epoch from now() - interval '1 minute' - ${start}::timestamptz)))::float8 as span`;
    for (const org of orgs) {
      const from = seqs.get(org)! + 1;
      const to = from + perBatch - 1;
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`
          insert into public.audit_events (organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
            event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at)
          select ${org}::uuid, s,
            case when s = 1 then null else encode(sha256(convert_to(${org}::text || ':' || (s - 1), 'UTF8')), 'hex') end,
            encode(sha256(convert_to(${org}::text || ':' || s, 'UTF8')), 'hex'),
            encode(sha256(convert_to('signature:' || s, 'UTF8')), 'hex'),
            'bench-1', 1, t.event_type, 'moderator-' || (s % 40), 'user', 'content-' || s, 'content', t.action, t.metadata,
            c.at, c.at + interval '7 years', s % 17 = 0, c.at
          from generate_series(${from}::bigint, ${to}::bigint) s
          cross join lateral (select ${start}::timestamptz + ((s - ${from}) * ${span}::float8 / ${perBatch}) * interval '1 second' as at) c
          cross join lateral (select (s * 7919) % 100 as r) x
          cross join lateral (select
            case when x.r < 30 then 'report_submitted' when x.r < 70 then 'decision_made' when x.r < 75 then 'appeal_filed'
                 when x.r < 80 then 'appeal_decided' when x.r < 90 then 'sor_submitted' when x.r < 92 then 'ods_escalation'
                 when x.r < 95 then 'repeat_offender_action' when x.r < 96 then 'authority_data_request' else 'audit_access' end as event_type,
            case when x.r < 30 then 'report' when x.r < 70 then 'decide' when x.r < 95 then 'record' when x.r < 96 then 'received' else 'query' end as action,
            -- DSA fields (docs/event-types.md#dsa-transparency-fields): cases are numbered by blocks of
            -- ten events, and a decision, complaint decision or dispute decision closes a case of the
            -- block before its own, so most of them find their opening and are timed.
            case
              when x.r < 30 then jsonb_build_object('report_type', case when x.r < 18 then 'illegal_content' else 'policy_violation' end,
                'is_trusted_flagger', x.r % 5 = 0, 'notice_id', 'n-' || (s / 10), 'category', (${categories}::text[])[1 + s % 4])
                || case when x.r % 5 = 0 then jsonb_build_object('trusted_flagger_id', 'tf-' || (s % 50)) else '{}' end
              when x.r < 70 then jsonb_build_object('action', (array['content_removed', 'content_disabled', 'content_demoted', 'content_labelled',
                'account_suspended', 'no_action'])[1 + s % 6], 'reason', 'illegal_content', 'category', (${categories}::text[])[1 + s % 4],
                'decision_ground', case when s % 2 = 0 then 'DECISION_GROUND_ILLEGAL_CONTENT' else 'DECISION_GROUND_INCOMPATIBLE_CONTENT' end,
                'automated_decision', case when s % 3 = 0 then 'AUTOMATED_DECISION_FULLY' else 'AUTOMATED_DECISION_NOT_AUTOMATED' end)
                || case when s % 3 = 0 then jsonb_build_object('source_type', 'SOURCE_VOLUNTARY')
                   else jsonb_build_object('source_type', 'SOURCE_ARTICLE_16', 'notice_id', 'n-' || (s / 10 - 1)) end
              when x.r < 75 then jsonb_build_object('appeal_id', 'a-' || s, 'complaint_id', 'c-' || (s / 10), 'basis', (array['visibility', 'account'])[1 + s % 2])
              when x.r < 80 then jsonb_build_object('outcome', (array['upheld', 'reversed', 'modified'])[1 + s % 3], 'complaint_id', 'c-' || (s / 10 - 1))
              when x.r < 90 then jsonb_build_object('sor_id', 'sor-' || s)
              when x.r < 92 then jsonb_build_object('dispute_id', 'd-' || (s / 10)) || case when s % 2 = 0 then jsonb_build_object('stage', 'submitted')
                else jsonb_build_object('stage', 'decided', 'outcome', 'reversed', 'implemented', true, 'dispute_id', 'd-' || (s / 10 - 1)) end
              when x.r < 95 then jsonb_build_object('reason', 'manifestly_illegal_content')
              when x.r < 96 then jsonb_build_object('request_id', 'r-' || s)
              else jsonb_build_object('accessor_type', 'member', 'purpose', 'review', 'permission_verified', true)
            end as metadata) t`;
        await tx`
          insert into evident.chain_heads (organization_id, seq, entry_hash, created_at)
          values (${org}, ${to}, encode(sha256(convert_to(${org}::text || ':' || ${to}, 'UTF8')), 'hex'),
            (select max(created_at) from public.audit_events where organization_id = ${org} and seq = ${to}))
          on conflict (organization_id) do update set seq = excluded.seq, entry_hash = excluded.entry_hash, created_at = excluded.created_at`;
      });
      seqs.set(org, to);
    }
    process.stderr.write(`\rloading ${month}: ${((index + 1) * perBatch * organizations).toLocaleString("en")} events`);
    if (!current) {
      const bounds = monthBounds(month)!;
      // The placeholder signatures fail the pass's checks; its roots are what the manifest needs.
      const { recordCount, checksum, roots } = await monthPass(sql, bounds, Keyring.forVerification(secrets.AUDIT_SIGNING_KEYS), "links");
      const [{ now }] = await sql`select evident.canonical_timestamp(now()) as now`;
      const sealedMonth = {
        partition_name: bounds.partitionName, partition_start_date: bounds.startDate, partition_end_date: bounds.endDate,
        record_count: recordCount, checksum, sealed_at: now, signing_key_id: signer.keyId,
      };
      const manifest: ManifestPayload = {
        manifest_version: manifestVersion, ...sealedMonth,
        organization_roots: roots.map((root) => ({ ...root, signature: signer.sign(canonicalBytes(sealedOrganizationMonth(sealedMonth, root))) })),
        aggregates: await monthAggregates(sql, bounds),
      };
      const signature = signer.sign(manifestBytes(manifest));
      // Recording the manifest also keeps the month's DSA report facts (its trigger): timed apart.
      const recordStart = performance.now();
      await sql`select evident.record_manifest(${sql.json({ ...manifest, signature } as never)})`;
      recordMs.push(performance.now() - recordStart);
    }
  }
  process.stderr.write("\n");
  await sql`vacuum analyze public.audit_events`;
  await sql`analyze transparency.sealed_counts`;
  const loaded = Number((await sql`select count(*) from public.audit_events`)[0].count);
  const live = Number((await sql`select count(*) from public.audit_events where created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'`)[0].count);
  console.log(`loaded and sealed ${loaded.toLocaleString("en")} events in ${((performance.now() - loadStart) / 1000).toFixed(0)} s; ` +
    `${live.toLocaleString("en")} of them in the live (unsealed) month`);

  // Both queries as evident_analyst, on one connection.
  const analyst = await sql.reserve();
  await analyst`set role evident_analyst`;
  const view = `select * from transparency.dsa_metrics_annual where reporting_year = ${lastYear}`;
  const time = async (query: string) => {
    const t0 = performance.now();
    const rows = await analyst.unsafe(query);
    return { ms: performance.now() - t0, rows };
  };
  for (let i = 0; i < 3; i++) await time(view);
  const viewRuns: number[] = [];
  let viewRows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < runs; i++) {
    const { ms, rows } = await time(view);
    viewRuns.push(ms);
    viewRows = rows as unknown as Array<Record<string, unknown>>;
  }
  const seedRuns: number[] = [];
  let seedRow: Record<string, unknown> = {};
  for (let i = 0; i < 3; i++) {
    const { ms, rows } = await time(seedDsaQuery);
    seedRuns.push(ms);
    seedRow = rows[0] as Record<string, unknown>;
  }
  // The DSA harmonised transparency report (issue 17) of one organisation for last year's second
  // half: six sealed months' kept facts, and a probe of the live month's rows by "timestamp".
  const reportOptions = { organizationId: orgs[0], from: `${lastYear}-07-01`, to: `${lastYear}-12-31` };
  const reportRuns: number[] = [];
  let report: Awaited<ReturnType<typeof buildTransparencyReport>> | undefined;
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    report = await buildTransparencyReport(analyst, reportOptions, signer);
    if (i >= 3) reportRuns.push(performance.now() - t0);
  }
  if (process.env.BENCH_EXPLAIN) {
    const plan = await analyst.unsafe(`explain (analyze, buffers) ${view}`);
    console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));
  }
  analyst.release();

  // Same figures? The view is per organisation; the seed query counts every organisation at once.
  const sum = (column: string) => viewRows.reduce((n, r) => n + Number(r[column]), 0);
  const pairs: Array<[string, string]> = [
    ["total_notices_received", "notices_received"], ["illegal_content_notices", "illegal_content_notices"],
    ["policy_violation_notices", "policy_violation_notices"], ["total_moderation_decisions", "moderation_decisions"],
    ["content_removal_decisions", "content_removal_decisions"], ["sor_submissions", "sor_submissions"],
    ["appeals_received", "appeals_received"], ["appeals_upheld", "appeals_upheld"], ["ods_escalations", "ods_escalations"],
    ["repeat_offender_actions", "repeat_offender_actions"],
  ];
  const mismatches = pairs.filter(([seed, mine]) => Number(seedRow[seed]) !== sum(mine)).map(([seed, mine]) => `${seed} ${seedRow[seed]} vs ${sum(mine)}`);
  console.log(`figures: ${mismatches.length === 0 ? `the view's ${viewRows.length} organisation rows sum to the seed query's figures ` +
    `(notices ${seedRow.total_notices_received}, decisions ${seedRow.total_moderation_decisions}, SoR ${seedRow.sor_submissions})` : `MISMATCH ${mismatches.join("; ")}`}`);
  if (viewRows.length > 0 && !viewRows.every((r) => r.sealed === true)) console.log("note: some figures came from live rows");

  const viewMs = percentile(viewRuns, 0.5);
  const seedMs = percentile(seedRuns, 0.5);
  const ratio = seedMs / viewMs;
  console.log(`annual view (transparency.dsa_metrics_annual, ${lastYear}): median ${viewMs.toFixed(1)} ms, p90 ${percentile(viewRuns, 0.9).toFixed(1)} ms ` +
    `over ${runs} runs  [under 50 ms: ${viewMs < 50 ? "met" : "MISSED"}]`);
  console.log(`seed DSA query: median ${seedMs.toFixed(0)} ms over ${seedRuns.length} runs`);
  console.log(`ratio: the view is ${ratio.toFixed(0)} times faster  [at least 100 times: ${ratio >= 100 ? "met" : "MISSED"}]`);
  const reportMs = percentile(reportRuns, 0.5);
  const [{ counted }] = await sql`
    select count(*)::int as counted from public.audit_events where organization_id = ${orgs[0]}
      and "timestamp" >= ${reportOptions.from}::date::text::timestamptz and "timestamp" < (${reportOptions.to}::date + 1)::text::timestamptz
      and event_type in ('authority_order', 'authority_data_request', 'report_submitted', 'decision_made', 'appeal_filed', 'appeal_decided', 'ods_escalation', 'repeat_offender_action')`;
  console.log(`DSA transparency report (${reportOptions.from}/${reportOptions.to}, one organisation): median ${reportMs.toFixed(1)} ms, ` +
    `p90 ${percentile(reportRuns, 0.9).toFixed(1)} ms over ${runs} runs; ${report!.totals.events_counted.toLocaleString("en")} events counted ` +
    `(${counted.toLocaleString("en")} by counting rows: ${counted === report!.totals.events_counted ? "agree" : "MISMATCH"}) from ${report!.sealed_months.length} sealed months  ` +
    `[under 1 s: ${reportMs < 1000 ? "met" : "MISSED"}]; ${(seedMs / reportMs).toFixed(0)} times faster than the seed query`);
  console.log(`recording a month's manifest, with its DSA facts: median ${percentile(recordMs, 0.5).toFixed(0)} ms, max ${Math.max(...recordMs).toFixed(0)} ms ` +
    `(${Math.round(total / months.length).toLocaleString("en")} events a month)`);
  console.log(`where the view's time goes: ${months.length - 1} sealed months are read from their manifests (a few rows per organisation); ` +
    `the live month's ${live.toLocaleString("en")} rows are probed through the index on "timestamp", one probe per event month, so a ` +
    `report for a past year reads none of them and one for the current year counts only its own rows`);
} finally {
  await sql.end();
  await stack?.stop();
}

-- The transparency views on a dataset with known counts: one sealed month (its figures come from
-- its manifest) and live rows in the current month. The views agree with the GrowBro guide's
-- queries on the same data, read a sealed month from its manifest rather than its rows, and keep
-- organisations apart; anon reads no view, only the public aggregates of an ended year.
begin;
\ir _helpers.psql

select plan(52);

select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.create_user('admin-a@example.test') as admin_a \gset
select tests.create_user('auditor-a@example.test') as auditor_a \gset
select tests.create_user('moderator-a@example.test') as moderator_a \gset
select tests.create_user('admin-b@example.test') as admin_b \gset
select tests.add_member(:'org_a', :'admin_a', 'admin') \gset
select tests.add_member(:'org_a', :'auditor_a', 'auditor') \gset
select tests.add_member(:'org_a', :'moderator_a', 'moderator') \gset
select tests.add_member(:'org_b', :'admin_b', 'admin') \gset

-- Last calendar year, in its middle (clear of time-zone edges and of the guide's period ending at
-- 31 December 00:00); the sealed month, two months back; its partition.
select date_trunc('year', now()) - interval '6 months' as ly,
       extract(year from now() - interval '1 year')::int as last_year,
       extract(year from now())::int as this_year,
       (date_trunc('month', now()) - interval '2 months')::date as sealed_month,
       to_char(date_trunc('year', now()) - interval '6 months', 'YYYY-MM') as ly_key,
       (date_trunc('year', now()) - interval '6 months')::date as ly_month \gset
select evident.create_audit_partition(:'sealed_month') \gset

-- Rows created in the sealed month, the way a restore would put them there (triggers off).
create function tests.plant(org uuid, seq bigint, event_type text, metadata jsonb, ts timestamptz, created timestamptz)
returns void language plpgsql as $$
begin
  perform set_config('session_replication_role', 'replica', true);
  insert into public.audit_events (organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
    event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, created_at)
  values (org, seq, tests.random_hex64(), tests.random_hex64(), tests.random_hex64(), 'test-1', 1,
    event_type, 'moderator-9', 'user', 'content-' || seq, 'content', coalesce(metadata ->> 'action', event_type), metadata,
    ts, created + interval '7 years', created);
  perform set_config('session_replication_role', 'origin', true);
end $$;
select tests.plant(:'org_a', 1001, 'report_submitted', '{"report_type": "illegal_content", "is_trusted_flagger": true, "trusted_flagger_id": "tf-2"}', :'ly'::timestamptz + interval '1 day', :'sealed_month'::timestamptz + interval '1 hour') \gset
select tests.plant(:'org_a', 1002, 'report_submitted', '{"report_type": "illegal_content", "is_trusted_flagger": false}', :'ly'::timestamptz + interval '1 day', :'sealed_month'::timestamptz + interval '2 hours') \gset
select tests.plant(:'org_a', 1003, 'decision_made', '{"action": "content_removed"}', :'ly'::timestamptz + interval '1 day', :'sealed_month'::timestamptz + interval '3 hours') \gset
select tests.plant(:'org_a', 1004, 'appeal_decided', '{"outcome": "reversed"}', :'ly'::timestamptz + interval '1 day', :'sealed_month'::timestamptz + interval '4 hours') \gset
select tests.plant(:'org_b', 1001, 'sor_submitted', '{"sor_id": "sor-b"}', :'ly'::timestamptz + interval '1 day', :'sealed_month'::timestamptz + interval '5 hours') \gset

-- Its manifest, with the counts sealing computes (seal.ts monthAggregates) for those rows.
select set_config('evident.manifest_write', 'seal', true) \gset
insert into public.partition_manifests (partition_name, partition_start_date, partition_end_date, record_count,
  verification_status, last_verified_at, checksum, organization_roots, aggregates, signature, signing_key_id, sealed_at)
values ('audit_events_' || to_char(:'sealed_month'::date, 'YYYY_MM'), :'sealed_month'::date,
  (:'sealed_month'::date + interval '1 month' - interval '1 day')::date, 5, 'sealed', now() - interval '40 days',
  tests.random_hex64(),
  jsonb_build_array(
    jsonb_build_object('organization_id', :'org_a', 'first_seq', 1001, 'last_seq', 1004, 'count', 4, 'root', repeat('a', 64), 'last_hash', repeat('b', 64)),
    jsonb_build_object('organization_id', :'org_b', 'first_seq', 1001, 'last_seq', 1001, 'count', 1, 'root', repeat('c', 64), 'last_hash', repeat('d', 64))),
  jsonb_build_object('by_organization', jsonb_build_object(
    :'org_a', jsonb_build_object(:'ly_key', jsonb_build_object(
      'events', jsonb_build_object('report_submitted', 2, 'decision_made', 1, 'appeal_decided', 1),
      'report_types', jsonb_build_object('illegal_content', 2),
      'decision_actions', jsonb_build_object('content_removed', 1),
      'appeal_outcomes', jsonb_build_object('reversed', 1),
      'trusted_flagger_reports', 1, 'trusted_flagger_ids', jsonb_build_array('tf-2'))),
    :'org_b', jsonb_build_object(:'ly_key', jsonb_build_object(
      'events', jsonb_build_object('sor_submitted', 1), 'report_types', '{}'::jsonb, 'decision_actions', '{}'::jsonb,
      'appeal_outcomes', '{}'::jsonb, 'trusted_flagger_reports', 0, 'trusted_flagger_ids', '[]'::jsonb)))),
  repeat('A', 86) || '==', 'seal-1', now() - interval '40 days');
select set_config('evident.manifest_write', '', true) \gset

-- Live rows (current month), most of them about last year.
select tests.append_event(:'org_a', 'report_submitted', '{"report_type": "illegal_content", "is_trusted_flagger": true, "trusted_flagger_id": "tf-1"}', :'ly'::timestamptz + interval '1 hour') \gset
select tests.append_event(:'org_a', 'report_submitted', '{"report_type": "illegal_content", "is_trusted_flagger": true, "trusted_flagger_id": "tf-1"}', :'ly'::timestamptz + interval '2 hours') \gset
select tests.append_event(:'org_a', 'report_submitted', '{"report_type": "policy_violation", "is_trusted_flagger": false}', :'ly'::timestamptz + interval '3 hours') \gset
select tests.append_event(:'org_a', 'decision_made', '{"action": "content_removed"}', :'ly'::timestamptz + interval '4 hours') \gset
select tests.append_event(:'org_a', 'decision_made', '{"action": "no_action"}', :'ly'::timestamptz + interval '5 hours') \gset
select tests.append_event(:'org_a', 'sor_submitted', '{"sor_id": "sor-1"}', :'ly'::timestamptz + interval '6 hours') \gset
select tests.append_event(:'org_a', 'appeal_filed', '{}', :'ly'::timestamptz + interval '7 hours') \gset
select tests.append_event(:'org_a', 'appeal_decided', '{"outcome": "upheld"}', :'ly'::timestamptz + interval '8 hours') \gset
select tests.append_event(:'org_a', 'repeat_offender_action', '{}', :'ly'::timestamptz + interval '9 hours') \gset
select tests.append_event(:'org_a', 'authority_data_request', '{"request_id": "R-1", "response_deadline": "2026-01-01T00:00:00Z"}', :'ly'::timestamptz + interval '10 hours') \gset
select tests.append_event(:'org_b', 'decision_made', '{"action": "content_removed"}', :'ly'::timestamptz + interval '11 hours') \gset
select tests.append_event(:'org_b', 'ods_escalation', '{}', :'ly'::timestamptz + interval '12 hours') \gset
-- This year: outside last year's report.
select tests.append_event(:'org_a', 'report_submitted', '{"report_type": "illegal_content", "is_trusted_flagger": false}', now()) \gset
-- Retention: one past its seven years; access to the trail: two reads in the last 90 days.
select tests.append_event(:'org_a', 'consent_recorded', '{}', now() - interval '8 years') \gset
select tests.append_event(:'org_a', 'audit_access', '{"accessor_type": "member", "purpose": "quarterly review", "query_parameters": {"limit": 10}, "permission_verified": true}', now() - interval '3 days', 'auditor-1') \gset
select tests.append_event(:'org_a', 'audit_access', '{"accessor_type": "member", "purpose": "DSA report", "query_parameters": {}, "permission_verified": true}', now() - interval '2 days', 'auditor-1') \gset

-- The guide's DSA query, verbatim (as in 008), run as admin of A.
select $dsa$-- DSA Art. 15 & 24 Metrics for Transparency Report
WITH reporting_period AS (
  SELECT
    DATE_TRUNC('year', NOW() - INTERVAL '1 year') AS start_date,
    DATE_TRUNC('year', NOW()) - INTERVAL '1 day' AS end_date
)
SELECT
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'report_submitted' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as total_notices_received,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'report_submitted' AND ae.metadata->>'report_type' = 'illegal_content' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as illegal_content_notices,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'report_submitted' AND ae.metadata->>'report_type' = 'policy_violation' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as policy_violation_notices,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'decision_made' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as total_moderation_decisions,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'decision_made' AND ae.metadata->>'action' = 'content_removed' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as content_removal_decisions,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'sor_submitted' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as sor_submissions,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'appeal_filed' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as appeals_received,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'appeal_decided' AND ae.metadata->>'outcome' = 'upheld' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as appeals_upheld,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'ods_escalation' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as ods_escalations,
  (SELECT COUNT(DISTINCT ae.metadata->>'trusted_flagger_id') FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'report_submitted' AND ae.metadata->>'is_trusted_flagger' = 'true' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as active_trusted_flaggers,
  (SELECT COUNT(*) FROM audit_events ae, reporting_period rp WHERE ae.event_type = 'repeat_offender_action' AND ae.timestamp BETWEEN rp.start_date AND rp.end_date) as repeat_offender_actions;
$dsa$ as dsa \gset
select format($q$select notices_received, illegal_content_notices, policy_violation_notices, moderation_decisions,
  content_removal_decisions, sor_submissions, appeals_received, appeals_upheld, ods_escalations, active_trusted_flaggers,
  repeat_offender_actions from transparency.dsa_metrics_annual where reporting_year = %s$q$, :'last_year') as annual \gset

-- DSA figures -------------------------------------------------------------------------------------
-- Members no longer read the views with their own rights: a direct read of the trail through the
-- Data API would go unrecorded (issue 18), so authenticated holds no SELECT on audit_events nor on
-- the views that read it. Their figures reach members through the compliance-reports function,
-- which reads as evident_writer, one organisation at a time, and records the request. Here the
-- per-organisation figures are read as evident_analyst, filtered to the organisation.
select tests.authenticate_as(:'admin_a') \gset
select throws_ok(:'annual', '42501', null, 'admin of A: the annual view is refused (members get it from compliance-reports, recorded)');
select tests.clear_authentication() \gset

set local role evident_analyst;
select results_eq(format('%s and organization_id = %L', :'annual', :'org_a'),
  $$values (5::bigint, 4::bigint, 1::bigint, 3::bigint, 2::bigint, 1::bigint, 1::bigint, 1::bigint, 0::bigint, 2::bigint, 1::bigint)$$,
  'annual, organisation A: notices 5 (illegal 4, policy 1), decisions 3 (removals 2), SoR 1, appeals 1 (upheld 1), ODS 0, 2 trusted flaggers, 1 repeat offender action');
select results_eq(
  format('select appeals_decided, appeals_reversed, trusted_flagger_notices, authority_request_events, sealed from transparency.dsa_metrics_annual where reporting_year = %s and organization_id = %L', :'last_year', :'org_a'),
  $$values (2::bigint, 1::bigint, 3::bigint, 1::bigint, false)$$,
  'annual, organisation A: 2 appeals decided (1 reversed), 3 trusted-flagger notices, 1 authority request; partly live, so not sealed');
select results_eq(
  format($$select month, notices_received, moderation_decisions from transparency.dsa_metrics_monthly where month >= %L and organization_id = %L order by month$$, :'ly_month', :'org_a'),
  format($$values (%L::date, 5::bigint, 3::bigint), (date_trunc('month', now())::date, 1::bigint, 0::bigint)$$, :'ly_month'),
  'monthly, organisation A: last year''s month and this month');
select results_eq(
  format($$select action, decisions from transparency.dsa_decisions_by_action where month = %L and organization_id = %L order by action$$, :'ly_month', :'org_a'),
  $$values ('content_removed', 2::bigint), ('no_action', 1::bigint)$$,
  'decisions by action, organisation A: 2 removals (1 sealed, 1 live), 1 no_action');
select results_eq(
  format('select source, count(*) from transparency.dsa_month_parts where organization_id = %L group by source order by source', :'org_a'),
  $$values ('live', 3::bigint), ('sealed', 1::bigint)$$,
  'month parts, organisation A: one sealed part (from the manifest), three live (last year, this month, eight years ago)');
reset role;

set local role evident_analyst;
select results_eq(
  format($$select organization_id, moderation_decisions, content_removal_decisions, sor_submissions, ods_escalations
           from transparency.dsa_metrics_annual where reporting_year = %s order by organization_id = %L desc$$, :'last_year', :'org_a'),
  format($$values (%L::uuid, 3::bigint, 2::bigint, 1::bigint, 0::bigint), (%L::uuid, 1::bigint, 1::bigint, 1::bigint, 1::bigint)$$, :'org_a', :'org_b'),
  'annual, analyst: both organisations; B''s SoR comes from the manifest, its decision and ODS escalation from live rows');
select results_eq(
  format($$select sum(notices_received)::bigint, sum(moderation_decisions)::bigint, sum(sor_submissions)::bigint, sum(ods_escalations)::bigint
           from transparency.dsa_metrics_annual where reporting_year = %s$$, :'last_year'),
  format($$select total_notices_received, total_moderation_decisions, sor_submissions, ods_escalations from (%s) d$$, rtrim(:'dsa', E';\n')),
  'annual summed over organisations equals the guide''s query as analyst (all tenants)');
reset role;

-- A sealed month is read from its manifest: a row slipped into it afterwards (triggers off) shows
-- in the guide's row-scanning query, not in the view.
select tests.plant(:'org_a', 1005, 'report_submitted', '{"report_type": "policy_violation", "is_trusted_flagger": false}', :'ly'::timestamptz + interval '1 day', :'sealed_month'::timestamptz + interval '6 hours') \gset
set local role evident_analyst;
select is((select total_notices_received from tests.query_rows(:'dsa') q, jsonb_to_record(q.r) as x(total_notices_received bigint)), 6::bigint,
  'the guide''s query counts the slipped-in row (6 notices)');
select is((select notices_received from transparency.dsa_metrics_annual where reporting_year = :'last_year' and organization_id = :'org_a'), 5::bigint,
  'the annual view keeps the sealed figure (5 notices): sealed months are read from their manifests');
reset role;

-- GDPR RoPA, retention, access audit: the guide's queries agree with the views --------------------
select $ropa$SELECT COUNT(*) as total_events, MIN(timestamp) as earliest_event, MAX(timestamp) as latest_event
FROM audit_events WHERE event_type IN ('decision_made', 'appeal_filed', 'sor_submitted')$ropa$ as ropa \gset
select $ret$WITH retention_analysis AS (
  SELECT event_type, COUNT(*) as total_events, COUNT(*) FILTER (WHERE retention_until < NOW()) as expired_events,
    COUNT(*) FILTER (WHERE pii_tagged = true AND created_at < NOW() - INTERVAL '30 days') as pii_requiring_anonymization
  FROM audit_events GROUP BY event_type)
SELECT event_type, total_events, expired_events, pii_requiring_anonymization,
  CASE WHEN expired_events > 0 THEN 'REQUIRES_CLEANUP' WHEN pii_requiring_anonymization > 0 THEN 'REQUIRES_ANONYMIZATION' ELSE 'COMPLIANT' END as compliance_status
FROM retention_analysis ORDER BY event_type$ret$ as retention \gset
-- The guide's queries, narrowed to organisation A (as a member's row security used to narrow them).
select replace(:'ropa', 'FROM audit_events WHERE', format('FROM audit_events WHERE organization_id = %L AND', :'org_a')) as ropa_a,
       replace(:'retention', 'FROM audit_events GROUP BY', format('FROM audit_events WHERE organization_id = %L GROUP BY', :'org_a')) as retention_a \gset

set local role evident_analyst;
select results_eq(format('select total_events, earliest_event, latest_event from transparency.gdpr_ropa where organization_id = %L', :'org_a'), :'ropa_a',
  'RoPA view equals the guide''s RoPA figures, for organisation A');
select results_eq(format('select total_events from transparency.gdpr_ropa where organization_id = %L', :'org_a'), $$values (5::bigint)$$,
  'RoPA, organisation A: 5 events (3 decisions, one of them in the sealed month; 1 appeal filed; 1 SoR)');
select results_eq(
  format('select event_type, total_events, expired_events, pii_requiring_anonymization, compliance_status from transparency.retention_compliance where organization_id = %L order by event_type', :'org_a'),
  :'retention_a', 'retention view equals the guide''s retention query, for organisation A');
select results_eq(
  format($$select event_type, compliance_status from transparency.retention_compliance where compliance_status <> 'COMPLIANT' and organization_id = %L$$, :'org_a'),
  $$values ('consent_recorded', 'REQUIRES_CLEANUP')$$, 'retention, organisation A: the event past its seven years requires cleanup');
select results_eq(
  format($$select actor_id, access_purpose, permission_verified, total_accesses_by_actor, signed from transparency.access_audit
    where access_timestamp >= now() - interval '90 days' and organization_id = %L order by access_timestamp desc$$, :'org_a'),
  $$values ('auditor-1', 'DSA report', 'true', 2::bigint, true), ('auditor-1', 'quarterly review', 'true', 2::bigint, true)$$,
  'access audit, organisation A: both reads, newest first, counted per actor, both signed into the chain');
select results_eq(
  format('select partition_name, record_count, first_seq, last_seq, verification_status, verification_freshness from transparency.partition_integrity where organization_id = %L', :'org_a'),
  format($$values (%L, 4::bigint, 1001::bigint, 1004::bigint, 'sealed', 'VERIFICATION_OVERDUE')$$, 'audit_events_' || to_char(:'sealed_month'::date, 'YYYY_MM')),
  'partition integrity, organisation A: the sealed month with A''s 4 entries, last verified 40 days ago: overdue');
reset role;

-- Verification updates the manifest; the view follows. (partition_integrity reads manifests and
-- sealed roots, not the trail's rows: members still read it, under row security.)
select set_config('evident.manifest_write', 'verify', true) \gset
update public.partition_manifests set verification_status = 'verified', last_verified_at = now();
select set_config('evident.manifest_write', '', true) \gset
select tests.authenticate_as(:'admin_b') \gset
select results_eq('select record_count, verification_status, verification_freshness from transparency.partition_integrity',
  $$values (1::bigint, 'verified', 'RECENTLY_VERIFIED')$$,
  'partition integrity, admin of B: B''s one entry; the month''s new status and freshness');
select tests.clear_authentication() \gset

-- The guide's integrity query and the view agree: same months, statuses, freshness and checksums,
-- and the organisations' counts add up to the month's record_count.
set local role evident_analyst;
select results_eq(
  $$select partition_name, verification_status, checksum, sum(record_count)::bigint from transparency.partition_integrity
    group by 1, 2, 3 order by 1$$,
  $$SELECT pm.partition_name, pm.verification_status, pm.checksum, pm.record_count FROM partition_manifests pm
    ORDER BY pm.partition_start_date DESC LIMIT 12$$,
  'partition integrity, analyst: the view agrees with the guide''s query (months, statuses, checksums, counts)');
reset role;

-- Who reads which view ----------------------------------------------------------------------------
create function tests.views() returns setof text language sql as $$
  values ('transparency.dsa_month_parts'), ('transparency.dsa_metrics_monthly'), ('transparency.dsa_metrics_annual'),
         ('transparency.dsa_decisions_by_action'), ('transparency.gdpr_ropa'), ('transparency.retention_compliance'),
         ('transparency.access_audit'), ('transparency.partition_integrity')
$$;
grant execute on function tests.views() to public;

-- Members: every view that reads the trail's rows is refused, whatever their role.
select tests.authenticate_as(:'admin_a') \gset
select throws_ok('select organization_id from ' || v, '42501', null, 'admin of A: ' || v || ' is refused')
  from tests.views() v where v <> 'transparency.partition_integrity';
select is((select count(*) from tests.query_rows('select organization_id from transparency.partition_integrity') q
           where q.r ->> 'organization_id' <> :'org_a'), 0::bigint,
  'admin of A: partition_integrity shows no row of another organisation');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'moderator_a') \gset
select is((select count(*) from tests.query_rows('select organization_id from transparency.partition_integrity') q), 0::bigint,
  'moderator of A: partition_integrity is empty (moderators write, they do not read)');
select tests.clear_authentication() \gset


set local role evident_analyst;
select is((select count(distinct q.r ->> 'organization_id') from tests.views() v, lateral tests.query_rows('select organization_id from ' || v) q), 2::bigint,
  'analyst: the views show both organisations');
reset role;

set local role anon;
select throws_ok('select * from transparency.dsa_month_parts', '42501', null, 'anon: dsa_month_parts is refused');
select throws_ok('select * from transparency.dsa_metrics_monthly', '42501', null, 'anon: dsa_metrics_monthly is refused');
select throws_ok('select * from transparency.dsa_metrics_annual', '42501', null, 'anon: dsa_metrics_annual is refused');
select throws_ok('select * from transparency.dsa_decisions_by_action', '42501', null, 'anon: dsa_decisions_by_action is refused');
select throws_ok('select * from transparency.gdpr_ropa', '42501', null, 'anon: gdpr_ropa is refused');
select throws_ok('select * from transparency.retention_compliance', '42501', null, 'anon: retention_compliance is refused');
select throws_ok('select * from transparency.access_audit', '42501', null, 'anon: access_audit is refused');
select throws_ok('select * from transparency.partition_integrity', '42501', null, 'anon: partition_integrity is refused');
select throws_ok('select * from transparency.sealed_counts', '42501', null, 'anon: sealed_counts is refused');
select throws_ok('select * from transparency.sealed_months', '42501', null, 'anon: sealed_months is refused');
select throws_ok('select * from public.audit_events', '42501', null, 'anon: audit_events is still refused');

-- The public figures: counts only, ended years only.
select results_eq(
  format('select notices_received, moderation_decisions, active_trusted_flaggers, sor_submissions from transparency.public_dsa_report(%L, %s)', :'org_a', :'last_year'),
  $$values (5::bigint, 3::bigint, 2::bigint, 1::bigint)$$,
  'anon: public_dsa_report gives A''s figures for last year');
select is_empty(format('select * from transparency.public_dsa_report(%L, %s)', :'org_a', :'this_year'),
  'anon: nothing for the current, unfinished year');
select is_empty(format('select * from transparency.public_dsa_report(%L, %s)', gen_random_uuid(), :'last_year'),
  'anon: nothing for an organisation that does not exist');
reset role;
select is(
  (select array_agg(p.parameter_name::text order by p.parameter_name) from information_schema.parameters p
    join information_schema.routines r on r.specific_name = p.specific_name
   where r.routine_schema = 'transparency' and r.routine_name = 'public_dsa_report' and p.parameter_mode = 'OUT'
     and p.data_type not in ('bigint', 'integer', 'boolean', 'uuid')),
  null, 'public_dsa_report returns only counts, the year, a flag and the organisation id: no text column');
select is((select prosecdef from pg_proc where oid = 'transparency.public_dsa_report(uuid, integer)'::regprocedure), true,
  'public_dsa_report is security definer (anon reads no table)');
select is((select proconfig from pg_proc where oid = 'transparency.public_dsa_report(uuid, integer)'::regprocedure), array['search_path=""'],
  'public_dsa_report runs with an empty search_path');

-- Every view is security_invoker; the copies cannot be written ------------------------------------
select is((select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'transparency' and c.relkind = 'v'
             and not coalesce(c.reloptions @> array['security_invoker=true'], false)), 0::bigint,
  'every view in transparency is security_invoker');
select is((select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'transparency' and c.relkind = 'r' and not (c.relrowsecurity and c.relforcerowsecurity)), 0::bigint,
  'every table in transparency has row security enabled and forced');
select throws_ok('update transparency.sealed_counts set counts = ''{}''', 'EVW01', null, 'owner: sealed_counts is append-only (UPDATE)');
select throws_ok('delete from transparency.sealed_roots', 'EVW01', null, 'owner: sealed_roots is append-only (DELETE)');
select throws_ok('update transparency.sealed_months set verification_status = ''verified''', 'EVW01', null,
  'owner: sealed_months changes only with its manifest');
set local role authenticated;
select throws_ok('insert into transparency.sealed_counts values (''x'', gen_random_uuid(), ''2026-01-01'', ''{}'')', '42501', null,
  'authenticated: cannot write sealed_counts');
reset role;
set local role evident_writer;
select throws_ok('delete from transparency.sealed_months', '42501', null, 'evident_writer: cannot delete sealed_months');
reset role;

select * from finish();
rollback;

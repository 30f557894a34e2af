-- The DSA harmonised transparency report's SQL: which case an event opens, one fact per counted
-- event (kinds, default categories, Member States, durations from the case's opening), the facts
-- a sealed month keeps (written when its manifest is recorded, append-only), the report's facts
-- per partition, sealed or not, and who may read any of it.
begin;
\ir _helpers.psql

select plan(34);

select tests.create_org('DSA org') as org \gset
select tests.create_org('Other org') as other \gset
select evident.create_audit_partition('2013-05-01') \gset
select evident.create_audit_partition('2013-06-01') \gset

create function tests.plant(org uuid, seq bigint, event_type text, action text, metadata jsonb, ts timestamptz, created timestamptz)
returns void language plpgsql as $$
begin
  perform set_config('session_replication_role', 'replica', true);
  insert into public.audit_events (organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
    event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, created_at)
  values (org, seq + 100, tests.random_hex64(), tests.random_hex64(), tests.random_hex64(), 'test-1', 1,
    event_type, 'moderator-9', 'user', 'content-' || seq, 'content', action, metadata, ts, created + interval '7 years', created);
  perform set_config('session_replication_role', 'origin', true);
end $$;

-- May 2013 (to be sealed): a notice and the removal 90 minutes later, an order from Greece and the
-- effect given 2 hours later, a complaint and its decision, a data request and its response, a
-- suspension, a notice with a bad item count, and an event the report does not count.
select tests.plant(:'org', 1, 'report_submitted', 'report', '{"report_type": "illegal_content", "is_trusted_flagger": true, "trusted_flagger_id": "tf", "notice_id": "n-1", "items": 4}', '2013-05-02 10:00Z', '2013-05-02 10:00Z');
select tests.plant(:'org', 2, 'decision_made', 'decide', '{"action": "content_removed", "notice_id": "n-1", "category": "STATEMENT_CATEGORY_VIOLENCE", "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT", "automated_decision": "AUTOMATED_DECISION_FULLY"}', '2013-05-02 11:30Z', '2013-05-02 11:31Z');
select tests.plant(:'org', 3, 'authority_order', 'receive', '{"order_id": "o-1", "stage": "received", "order_type": "act_against_illegal_content", "member_state": "GR", "items": 2}', '2013-05-03 00:00Z', '2013-05-03 00:00Z');
select tests.plant(:'org', 4, 'authority_order', 'effect', '{"order_id": "o-1", "stage": "effect_given"}', '2013-05-03 02:00Z', '2013-05-03 02:01Z');
select tests.plant(:'org', 5, 'appeal_filed', 'file', '{"complaint_id": "c-1", "basis": "account"}', '2013-05-04 00:00Z', '2013-05-04 00:00Z');
select tests.plant(:'org', 6, 'appeal_decided', 'decide', '{"complaint_id": "c-1", "outcome": "reversed", "restriction_imposed": true}', '2013-05-05 00:00Z', '2013-05-05 00:00Z');
select tests.plant(:'org', 7, 'authority_data_request', 'received', '{"request_id": "r-1", "response_deadline": "2013-06-01T00:00:00.000000Z"}', '2013-05-06 00:00Z', '2013-05-06 00:00Z');
select tests.plant(:'org', 8, 'authority_data_request', 'responded', '{"request_id": "r-1"}', '2013-05-06 12:00Z', '2013-05-06 12:00Z');
select tests.plant(:'org', 9, 'repeat_offender_action', 'suspend', '{"reason": "manifestly_unfounded_notices"}', '2013-05-07 00:00Z', '2013-05-07 00:00Z');
select tests.plant(:'org', 10, 'report_submitted', 'report', '{"report_type": "policy_violation", "is_trusted_flagger": false, "items": "many"}', '2013-05-08 00:00Z', '2013-05-08 00:00Z');
select tests.plant(:'org', 11, 'sor_submitted', 'record', '{"sor_id": "s-1"}', '2013-05-09 00:00Z', '2013-05-09 00:00Z');
select tests.plant(:'other', 1, 'report_submitted', 'report', '{"report_type": "illegal_content", "is_trusted_flagger": false}', '2013-05-02 00:00Z', '2013-05-02 00:00Z');
-- June 2013 (not sealed): a decision on May's notice, and a notice dated back into April.
select tests.plant(:'org', 12, 'decision_made', 'decide', '{"action": "no_action", "notice_id": "n-1"}', '2013-06-01 00:00Z', '2013-06-01 00:00Z');
select tests.plant(:'org', 13, 'report_submitted', 'report', '{"report_type": "illegal_content", "is_trusted_flagger": false}', '2013-04-30 23:00Z', '2013-06-02 00:00Z');

-- Which case an event opens.
select is(evident.dsa_case_opened('report_submitted', 'report', '{"notice_id": "n-1"}'), 'notice:n-1', 'a notice opens notice:<notice_id>');
select is(evident.dsa_case_opened('authority_order', 'effect', '{"order_id": "o-1", "stage": "effect_given"}'), null, 'a later stage of an order opens nothing');
select is(evident.dsa_case_opened('authority_data_request', 'received', '{"request_id": "r-1"}'), 'request:r-1', 'a received data request opens request:<request_id>');
select is(evident.dsa_case_opened('decision_made', 'decide', '{"notice_id": "n-1"}'), null, 'a decision opens no case');
select ok(exists (select 1 from pg_indexes where schemaname = 'public' and indexname = 'audit_events_dsa_case_idx'),
  'the index that finds a case''s opening exists');

-- The facts of May, for the organisation.
create temporary table may_facts as
  select * from transparency.dsa_event_facts('2013-05-01 00:00Z', '2013-06-01 00:00Z', :'org');
select is((select count(*)::int from may_facts), 10, 'one fact per counted event; sor_submitted is not counted');
select is((select row(category, dimension, items)::text from may_facts where kind = 'notice' and dimension = 'trusted'),
  '(STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE,trusted,4)', 'a notice without a category counts as not specified by the notifier, with its items');
select is((select items from may_facts where kind = 'notice' and dimension = 'other'), 1::bigint, 'an items value that is not a positive integer counts one item');
select is((select row(category, dimension, seconds)::text from may_facts where kind = 'decision'),
  '(STATEMENT_CATEGORY_VIOLENCE,notice_tf:law:content_removed:fully,5400)', 'a decision on a trusted flagger''s notice: source, ground, action, automation, and 90 minutes since the notice');
select is((select row(scope, dimension, items)::text from may_facts where kind = 'order'  and dimension = 'act_against_illegal_content'),
  '(EL,act_against_illegal_content,2)', 'an order from Greece is reported under EL, with its items');
select is((select row(scope, category, seconds)::text from may_facts where kind = 'order_effect' and dimension = 'act_against_illegal_content'),
  '(EL,STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER,7200)', 'giving effect is counted under its order''s Member State and category, 2 hours after it');
select is((select seconds from may_facts where kind = 'order_effect' and dimension = 'provide_information'), 43200::bigint,
  'a data request''s response counts as giving effect to an order to provide information');
select is((select row(dimension, seconds)::text from may_facts where kind = 'complaint_decision'), '(account:reversed:imposed,86400)',
  'a complaint decision takes its basis from the complaint, and is timed from it');
select is((select dimension from may_facts where kind = 'suspension'), 'manifestly_unfounded_notices', 'a suspension counts under its reason');
select is((select count(*)::int from transparency.dsa_event_facts('2013-05-01 00:00Z', '2013-06-01 00:00Z', :'org', '2013-05-03 00:00Z', '2013-05-05 00:00Z')),
  3, 'facts filtered by the events'' own timestamp');


-- Sealing May keeps its facts, summed by day and shape, for every organisation.
select tests.seal_manifest('2013-05-01');
select is((select sum(events)::int from transparency.sealed_dsa_facts where partition_name = 'audit_events_2013_05' and organization_id = :'org'), 10,
  'recording the manifest keeps the month''s facts');
select is((select array_agg(case_ref order by case_ref) from transparency.sealed_dsa_openings where partition_name = 'audit_events_2013_05' and organization_id = :'org'),
  array['complaint:c-1', 'notice:n-1', 'order:o-1', 'request:r-1'], '... and the cases it opens, where later months find them (June''s decision above)');
select is((select count(*)::int from transparency.sealed_dsa_facts where partition_name = 'audit_events_2013_05' and organization_id = :'other'), 1,
  '... for every organisation in the month');
select is((select row(dimension, seconds)::text from transparency.dsa_event_facts('2013-06-01 00:00Z', '2013-07-01 00:00Z', :'org') where kind = 'decision'),
  '(notice_tf:?:no_action:?,)', 'June''s decision finds May''s trusted notice among the kept openings; not to act is not timed; missing fields show as ?');
select throws_ok($$ update transparency.sealed_dsa_facts set events = 99 $$, 'EVW01', null, 'kept facts cannot be changed, even by the owner');
select throws_ok($$ delete from transparency.sealed_dsa_facts $$, 'EVW01', null, '... nor deleted');

-- The report's facts: May from the kept facts, June from its rows, by the events' own day.
select is((select array_agg(distinct row(partition_name, sealed)::text order by row(partition_name, sealed)::text)
           from transparency.dsa_report_facts(:'org', '2013-04-01', '2013-06-30')),
  array['(audit_events_2013_05,t)', '(audit_events_2013_06,f)'], 'sealed months come from kept facts, the others from rows');
select is((select sum(events)::int from transparency.dsa_report_facts(:'org', '2013-04-01', '2013-06-30')), 12, 'every counted event of the period');
select is((select sum(events)::int from transparency.dsa_report_facts(:'org', '2013-04-30', '2013-04-30') where not sealed), 1,
  'an event dated back is counted on its own day, from the month it was recorded in');

-- Sealing stages a month's facts beside its pass; recording the manifest keeps them if the month
-- still holds the rows they came from.
select is(evident.stage_dsa_facts('audit_events_2013_05'), null, 'a sealed month is not staged again');
select ok(evident.stage_dsa_facts('audit_events_2013_06') > 0, 'a finished, unsealed month is staged');
select is((select record_count from evident.dsa_staged_months where partition_name = 'audit_events_2013_06'), 2::bigint,
  '... with the row count its facts came from');
update evident.dsa_staged_facts set events = 7 where partition_name = 'audit_events_2013_06' and kind = 'notice';
select set_config('evident.manifest_write', 'seal', true);
insert into public.partition_manifests (partition_name, partition_start_date, partition_end_date, record_count, verification_status,
  last_verified_at, checksum, organization_roots, aggregates, signature, signing_key_id, sealed_at)
values ('audit_events_2013_06', '2013-06-01', '2013-06-30', 2, 'sealed', null, tests.random_hex64(), '[]', '{}', repeat('A', 86) || '==', 'seal-1', now());
select set_config('evident.manifest_write', '', true);
select is((select sum(events)::int from transparency.sealed_dsa_facts where partition_name = 'audit_events_2013_06'), 8,
  'recording the manifest keeps the staged facts (here altered on purpose, to show they are the ones kept)');
select is((select count(*)::int from evident.dsa_staged_facts) + (select count(*)::int from evident.dsa_staged_months), 0, '... and empties the staging');
set local role evident_writer;
select throws_ok($$ select * from evident.dsa_staged_facts $$, '42501', null, 'nobody but the owner reads staged facts');
reset role;

-- Who may read: the writer and analysts; no API role.
set local role evident_writer;
select lives_ok($$ select * from transparency.dsa_report_facts('00000000-0000-0000-0000-000000000000', '2013-01-01', '2013-12-31') $$,
  'the edge functions (evident_writer) compute reports');
reset role;
set local role authenticated;
select throws_ok($$ select * from transparency.sealed_dsa_facts $$, '42501', null, 'signed-in users do not read kept facts');
select throws_ok($$ select * from transparency.dsa_report_facts('00000000-0000-0000-0000-000000000000', '2013-01-01', '2013-12-31') $$, '42501', null,
  '... nor compute a report themselves (compliance-reports records every read)');
reset role;
set local role anon;
select throws_ok($$ select * from transparency.dsa_event_facts('2013-05-01', '2013-06-01') $$, '42501', null, 'anon computes no facts');
reset role;

select * from finish();
rollback;

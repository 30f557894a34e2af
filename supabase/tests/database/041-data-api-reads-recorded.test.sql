-- Reads of the trail through the Data API are recorded (issue 18, item 5). No API role may SELECT
-- audit_events or any partition; public.read_audit_events is the Data API's read: it needs an
-- admin or auditor member (or the service role), a purpose, and writes the read into the
-- append-only evident.access_log in the same transaction. The access log is guarded like the trail
-- and its unsigned records show in transparency.access_audit.
begin;
\ir _helpers.psql

select plan(41);

select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.create_user() as admin_a \gset
select tests.create_user() as auditor_a \gset
select tests.create_user() as moderator_a \gset
select tests.create_user() as outsider \gset
select tests.add_member(:'org_a', :'admin_a', 'admin');
select tests.add_member(:'org_a', :'auditor_a', 'auditor');
select tests.add_member(:'org_a', :'moderator_a', 'moderator');
select tests.append_event(:'org_a', 'report_submitted') \gset
select tests.append_event(:'org_a', 'decision_made') \gset
select tests.append_event(:'org_a', 'appeal_filed') \gset
select tests.append_event(:'org_b', 'decision_made') \gset

-- No direct SELECT for API roles, on the trail or any partition ------------------------------------
select ok(not has_table_privilege(r, 'public.audit_events', 'select'), r || ' holds no SELECT on audit_events')
  from unnest(array['anon', 'authenticated', 'service_role']) r;
select is((select count(*) from pg_partition_tree('public.audit_events') p, unnest(array['anon', 'authenticated', 'service_role']) r
           where has_table_privilege(r, p.relid, 'select')), 0::bigint,
  'no API role holds SELECT on any partition of audit_events');
select ok(not exists (select 1 from pg_policies where tablename = 'audit_events' and 'authenticated' = any(roles)),
  'no row-security policy on audit_events names authenticated any more');

select tests.authenticate_as(:'admin_a');
select throws_ok('select count(*) from public.audit_events', '42501', null,
  'admin of A: a direct select on audit_events is refused (it would go unrecorded)');
select throws_ok('select * from transparency.dsa_metrics_annual', '42501', null,
  'admin of A: the transparency views that read the trail are refused too');
select throws_ok('select * from transparency.access_audit', '42501', null, 'admin of A: access_audit is refused');
select tests.clear_authentication();
set local role service_role;
select throws_ok('select count(*) from public.audit_events', '42501', null, 'service_role: a direct select on audit_events is refused');
reset role;
set local role evident_analyst;
select is((select count(*) from public.audit_events), 4::bigint, 'evident_analyst reads every organisation''s trail with SQL, as documented');
reset role;

-- The recorded read ---------------------------------------------------------------------------------
select tests.authenticate_as(:'admin_a');
select results_eq(
  format($$select seq, event_type from public.read_audit_events(%L, 'quarterly DSA review') order by seq$$, :'org_a'),
  $$values (1::bigint, 'report_submitted'::text), (2::bigint, 'decision_made'::text), (3::bigint, 'appeal_filed'::text)$$,
  'admin of A: reads A''s trail through read_audit_events');
select results_eq(
  format($$select seq from public.read_audit_events(%L, 'second page', 1, 1)$$, :'org_a'),
  $$values (2::bigint)$$, 'admin of A: pages with after_seq and max_rows');
select tests.clear_authentication();
select results_eq(
  format($$select actor_id, accessor_type, member_role, purpose, query_parameters, returned from evident.access_log where organization_id = %L order by read_at, returned desc$$, :'org_a'),
  format($$values (%L, 'member', 'admin', 'quarterly DSA review', '{"after_seq": 0, "max_rows": 100}'::jsonb, 3),
                  (%L, 'member', 'admin', 'second page', '{"after_seq": 1, "max_rows": 1}'::jsonb, 1)$$, :'admin_a', :'admin_a'),
  'each read is in the access log, in the same transaction: who, in which role, why, what was asked and how many rows');

select tests.authenticate_as(:'auditor_a');
select is((select count(*) from public.read_audit_events(:'org_a', 'audit sampling')), 3::bigint, 'auditor of A: reads A''s trail');
select tests.clear_authentication();

-- Refusals: one message whether the organisation exists or not, nothing recorded ---------------------
select count(*) as log_before from evident.access_log \gset
select tests.authenticate_as(:'moderator_a');
select throws_ok(format($$select * from public.read_audit_events(%L, 'just looking')$$, :'org_a'), '42501',
  'reading this organization''s audit trail requires the admin or auditor role in it', 'moderator of A: refused');
select tests.clear_authentication();
select tests.authenticate_as(:'admin_a');
select throws_ok(format($$select * from public.read_audit_events(%L, 'just looking')$$, :'org_b'), '42501',
  'reading this organization''s audit trail requires the admin or auditor role in it', 'admin of A asking for B: refused');
select tests.clear_authentication();
select tests.authenticate_as(:'outsider');
select throws_ok(format($$select * from public.read_audit_events(%L, 'just looking')$$, gen_random_uuid()), '42501',
  'reading this organization''s audit trail requires the admin or auditor role in it', 'a non-member asking for an unknown organisation: the same refusal');
select tests.clear_authentication();
set local role authenticated;
select set_config('request.jwt.claims', '', true) \gset
select throws_ok(format($$select * from public.read_audit_events(%L, 'just looking')$$, :'org_a'), '42501', null,
  'authenticated without claims: refused');
reset role;
set local role anon;
select throws_ok(format($$select * from public.read_audit_events(%L, 'just looking')$$, :'org_a'), '42501', null,
  'anon: may not execute read_audit_events');
reset role;
select tests.authenticate_as(:'admin_a');
select throws_ok(format($$select * from public.read_audit_events(%L, ' ')$$, :'org_a'), '22023', null, 'a read without a purpose is refused');
select throws_ok(format($$select * from public.read_audit_events(%L, 'valid purpose', 0, 0)$$, :'org_a'), '22023', null, 'max_rows 0 is refused');
select throws_ok(format($$select * from public.read_audit_events(%L, 'valid purpose', 0, 1001)$$, :'org_a'), '22023', null, 'max_rows over 1000 is refused');
select throws_ok(format($$select * from public.read_audit_events(%L, 'valid purpose', -1)$$, :'org_a'), '22023', null, 'a negative after_seq is refused');
select tests.clear_authentication();
select is((select count(*) from evident.access_log), :'log_before'::bigint, 'no refused read left a record');

-- The service role through the Data API ---------------------------------------------------------------
select set_config('request.jwt.claims', '{"role": "service_role"}', true) \gset
set local role service_role;
select is((select count(*) from public.read_audit_events(:'org_b', 'backend export')), 1::bigint, 'service_role: reads any organisation, recorded');
reset role;
select set_config('request.jwt.claims', '', true) \gset
select results_eq(format($$select actor_id, accessor_type, member_role from evident.access_log where organization_id = %L$$, :'org_b'),
  $$values ('service_role', 'service_role', null::text)$$, 'the service role''s read is recorded as such');

-- The access log is guarded like the trail ---------------------------------------------------------
select throws_ok('update evident.access_log set purpose = ''rewritten''', 'EVW01', null, 'owner: UPDATE of the access log is refused');
select throws_ok('delete from evident.access_log', 'EVW01', null, 'owner: DELETE from the access log is refused');
select throws_ok('truncate evident.access_log', 'EVW01', null, 'owner: TRUNCATE of the access log is refused');
select throws_ok('alter table evident.access_log disable trigger all', 'EVW02', null, 'the DDL guard refuses disabling its triggers');
select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = 'evident.access_log'::regclass), 'row security enabled and forced');
select is((select kind from evident.protected_relations where relid = 'evident.access_log'::regclass), 'access_log', 'registered with the DDL guard');
select is((select count(*) from evident.worm_guard_gaps() where object = 'evident.access_log'), 0::bigint, 'worm_guard_gaps: the access log is fully guarded');
select is((select count(*) from evident.audit_privilege_violations() where relation = 'evident.access_log'), 0::bigint, 'nobody but the owner may write it');
select ok(not has_table_privilege(r, 'evident.access_log', 'select, insert, update, delete, truncate'), r || ': no privilege on the access log')
  from unnest(array['anon', 'authenticated', 'service_role']) r;
set local role evident_writer;
select throws_ok(format($$insert into evident.access_log (organization_id, actor_id, accessor_type, purpose, query_parameters, returned) values (%L, 'x', 'member', 'forged', '{}', 0)$$, :'org_a'),
  '42501', null, 'evident_writer cannot forge an access record');
reset role;

-- Pending records are visible to reports -----------------------------------------------------------
set local role evident_analyst;
select is((select count(*) from evident.pending_access_records(:'org_a')), 3::bigint, 'analyst: A''s three reads are pending signature');
select results_eq(
  format($$select seq, actor_id, access_purpose, signed from transparency.access_audit where organization_id = %L and access_purpose = 'quarterly DSA review'$$, :'org_a'),
  format($$values (null::bigint, %L, 'quarterly DSA review', false)$$, :'admin_a'),
  'access_audit shows a read recorded but not yet signed: no seq, signed false');
reset role;

select is((select proconfig from pg_proc where oid = 'public.read_audit_events(uuid, text, bigint, integer)'::regprocedure), array['search_path=""'],
  'read_audit_events runs with an empty search_path');

select * from finish();
rollback;

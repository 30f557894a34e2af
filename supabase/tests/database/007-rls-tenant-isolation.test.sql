-- Organisations stay apart. A signed-in admin or auditor reads their own organisation's trail
-- (through public.read_audit_events, recorded; never directly) and nothing of any other; a
-- moderator or a non-member reads nothing; anon has no privilege at all; evident_analyst reads
-- every organisation. Memberships and
-- organisations are visible only to the members themselves.
begin;
\ir _helpers.psql

select plan(39);

select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.create_user('admin-a@example.test') as admin_a \gset
select tests.create_user('auditor-a@example.test') as auditor_a \gset
select tests.create_user('moderator-a@example.test') as moderator_a \gset
select tests.create_user('admin-b@example.test') as admin_b \gset
select tests.create_user('both@example.test') as both_orgs \gset
select tests.create_user('outsider@example.test') as outsider \gset
select tests.add_member(:'org_a', :'admin_a', 'admin') \gset
select tests.add_member(:'org_a', :'auditor_a', 'auditor') \gset
select tests.add_member(:'org_a', :'moderator_a', 'moderator') \gset
select tests.add_member(:'org_b', :'admin_b', 'admin') \gset
select tests.add_member(:'org_a', :'both_orgs', 'auditor') \gset
select tests.add_member(:'org_b', :'both_orgs', 'moderator') \gset
select tests.append_event(:'org_a', 'report_submitted') \gset
select tests.append_event(:'org_a', 'decision_made') \gset
select tests.append_event(:'org_a', 'appeal_filed') \gset
select tests.append_event(:'org_b', 'report_submitted') \gset
select tests.append_event(:'org_b', 'decision_made') \gset
select tests.seal_manifest('2026-01-01') \gset

-- audit_events ------------------------------------------------------------------------------------
-- Since issue 18 no signed-in user reads audit_events directly (such a read would go unrecorded);
-- public.read_audit_events is their way, recorded, and keeps organisations apart
-- (041-data-api-reads-recorded.test.sql covers it in full).
select tests.authenticate_as(:'admin_a') \gset
select throws_ok('select * from public.audit_events', '42501', null, 'admin of A: a direct read of the trail is refused');
select results_eq(format($$select organization_id, count(*) from public.read_audit_events(%L, 'isolation test') group by organization_id$$, :'org_a'),
  format('values (%L::uuid, 3::bigint)', :'org_a'),
  'admin of A: reads exactly org A''s three events through read_audit_events');
select throws_ok(format($$select * from public.read_audit_events(%L, 'isolation test')$$, :'org_b'), '42501', null,
  'admin of A: none of org B''s events, even when asking for them');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'auditor_a') \gset
select results_eq(format($$select organization_id, count(*) from public.read_audit_events(%L, 'isolation test') group by organization_id$$, :'org_a'),
  format('values (%L::uuid, 3::bigint)', :'org_a'),
  'auditor of A: reads exactly org A''s three events');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'moderator_a') \gset
select throws_ok(format($$select * from public.read_audit_events(%L, 'isolation test')$$, :'org_a'), '42501', null,
  'moderator of A: reads no events (moderators write, they do not read)');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'admin_b') \gset
select results_eq(format($$select organization_id, count(*) from public.read_audit_events(%L, 'isolation test') group by organization_id$$, :'org_b'),
  format('values (%L::uuid, 2::bigint)', :'org_b'),
  'admin of B: reads exactly org B''s two events');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'both_orgs') \gset
select is((select count(*) from public.read_audit_events(:'org_a', 'isolation test')), 3::bigint,
  'auditor of A and moderator of B: reads A''s events');
select throws_ok(format($$select * from public.read_audit_events(%L, 'isolation test')$$, :'org_b'), '42501', null,
  'auditor of A and moderator of B: not B''s');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'outsider') \gset
select throws_ok('select * from public.audit_events', '42501', null, 'non-member: a direct read is refused');
select tests.clear_authentication() \gset

set local role authenticated;
select set_config('request.jwt.claims', '', true) \gset
select throws_ok('select * from public.audit_events', '42501', null, 'authenticated without a subject claim: refused');
reset role;

select set_config('request.jwt.claims', json_build_object('sub', :'admin_a', 'role', 'anon')::text, true) \gset
set local role anon;
select throws_ok('select * from public.audit_events', '42501', null,
  'anon: has no privilege on audit_events, even carrying a member''s subject claim');
select throws_ok('select count(*) from public.organizations', '42501', null, 'anon: has no privilege on organizations');
select throws_ok('select count(*) from public.organization_members', '42501', null,
  'anon: has no privilege on organization_members');
select throws_ok('select count(*) from public.partition_manifests', '42501', null,
  'anon: has no privilege on partition_manifests');
reset role;
select set_config('request.jwt.claims', '', true) \gset

set local role evident_analyst;
select results_eq(
  'select organization_id, count(*) from public.audit_events group by organization_id order by count(*) desc',
  format('values (%L::uuid, 3::bigint), (%L::uuid, 2::bigint)', :'org_a', :'org_b'),
  'evident_analyst: sees every organisation''s events');
select is((select count(*) from public.partition_manifests), 1::bigint, 'evident_analyst: reads the manifests');
select throws_ok('select count(*) from public.organizations', '42501', null,
  'evident_analyst: has no privilege on organizations');
reset role;

set local role evident_writer;
select is((select count(*) from public.audit_events), 5::bigint,
  'evident_writer: reads every organisation''s events (the edge functions filter by organisation)');
reset role;

-- A change of role takes effect at once.
update public.organization_members set role = 'auditor'
 where organization_id = :'org_a' and user_id = :'moderator_a';
select tests.authenticate_as(:'moderator_a') \gset
select is((select count(*) from public.read_audit_events(:'org_a', 'isolation test')), 3::bigint, 'a moderator promoted to auditor now reads org A''s events');
select tests.clear_authentication() \gset
delete from public.organization_members where organization_id = :'org_a' and user_id = :'admin_a';
select tests.authenticate_as(:'admin_a') \gset
select throws_ok(format($$select * from public.read_audit_events(%L, 'isolation test')$$, :'org_a'), '42501', null,
  'a removed admin no longer reads any event');
select tests.clear_authentication() \gset
insert into public.organization_members (organization_id, user_id, role) values (:'org_a', :'admin_a', 'admin');

-- Other audit objects stay closed to signed-in users.
select tests.authenticate_as(:'admin_a') \gset
select throws_ok('select count(*) from public.partition_manifests', '42501', null,
  'admin of A: has no privilege on partition_manifests');
select throws_ok('select count(*) from evident.chain_heads', '42501', null,
  'admin of A: cannot read chain heads');
select throws_ok(format('select * from evident.lock_chain_head(%L)', :'org_a'), '42501', null,
  'admin of A: cannot lock a chain head');
select throws_ok(tests.event_sql(:'org_a'), '42501', null,
  'admin of A: cannot INSERT into audit_events (writes go through the edge function)');
select tests.clear_authentication() \gset

-- organization_members ---------------------------------------------------------------------------
select tests.authenticate_as(:'admin_a') \gset
select results_eq(
  'select organization_id, user_id, role from public.organization_members',
  format($$values (%L::uuid, %L::uuid, 'admin')$$, :'org_a', :'admin_a'),
  'admin of A: sees only their own membership, not the other members of A');
select throws_ok(
  format($$insert into public.organization_members (organization_id, user_id, role) values (%L, %L, 'admin')$$, :'org_b', :'admin_a'),
  '42501', null, 'admin of A: cannot add themselves to org B');
select throws_ok(
  format($$update public.organization_members set role = 'admin' where user_id = %L$$, :'admin_a'),
  '42501', null, 'admin of A: cannot change a membership');
select throws_ok(
  'delete from public.organization_members', '42501', null, 'admin of A: cannot delete memberships');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'both_orgs') \gset
select results_eq(
  'select organization_id, role from public.organization_members order by role',
  format($$values (%L::uuid, 'auditor'), (%L::uuid, 'moderator')$$, :'org_a', :'org_b'),
  'member of A and B: sees their two memberships');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'outsider') \gset
select is_empty('select * from public.organization_members', 'non-member: sees no memberships');
select tests.clear_authentication() \gset

-- organizations -----------------------------------------------------------------------------------
select tests.authenticate_as(:'admin_a') \gset
select results_eq('select id from public.organizations', format('values (%L::uuid)', :'org_a'),
  'admin of A: sees only org A');
select throws_ok($$insert into public.organizations (name) values ('Mine')$$, '42501', null,
  'admin of A: cannot create an organisation');
select throws_ok($$update public.organizations set name = 'Renamed'$$, '42501', null,
  'admin of A: cannot rename an organisation');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'moderator_a') \gset
select results_eq('select id from public.organizations', format('values (%L::uuid)', :'org_a'),
  'moderator of A: sees org A');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'both_orgs') \gset
-- (results_eq, not set_eq: set_eq drops a temporary table, and as authenticated that DROP fails in
-- the DDL guard; see 006-ddl-guard.test.sql.)
select results_eq('select id from public.organizations order by id',
  format('select id from (values (%L::uuid), (%L::uuid)) v (id) order by id', :'org_a', :'org_b'),
  'member of A and B: sees both organisations');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'outsider') \gset
select is_empty('select * from public.organizations', 'non-member: sees no organisation');
select tests.clear_authentication() \gset

set local role service_role;
select is((select count(*) from public.organizations), 2::bigint,
  'service_role (provisioning backend): sees all organisations');
select lives_ok(
  format($$insert into public.organization_members (organization_id, user_id, role) values (%L, %L, 'auditor')$$, :'org_b', :'outsider'),
  'service_role: provisions a membership');
reset role;

select tests.authenticate_as(:'outsider') \gset
select is((select count(*) from public.read_audit_events(:'org_b', 'isolation test')), 2::bigint,
  'the newly provisioned auditor of B reads org B''s events');
select tests.clear_authentication() \gset

select * from finish();
rollback;

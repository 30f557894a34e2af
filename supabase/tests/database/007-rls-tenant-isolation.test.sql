-- Row-level security keeps organisations apart. A signed-in admin or auditor reads their own
-- organisation's trail and nothing of any other; a moderator or a non-member reads nothing; anon
-- has no privilege at all; evident_analyst reads every organisation. Memberships and
-- organisations are visible only to the members themselves.
begin;
\ir _helpers.psql

select plan(37);

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
select tests.authenticate_as(:'admin_a') \gset
select results_eq(
  'select organization_id, count(*) from public.audit_events group by organization_id',
  format('values (%L::uuid, 3::bigint)', :'org_a'),
  'admin of A: sees exactly org A''s three events');
select is_empty(
  format('select * from public.audit_events where organization_id = %L', :'org_b'),
  'admin of A: sees none of org B''s events, even when asking for them');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'auditor_a') \gset
select results_eq(
  'select organization_id, count(*) from public.audit_events group by organization_id',
  format('values (%L::uuid, 3::bigint)', :'org_a'),
  'auditor of A: sees exactly org A''s three events');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'moderator_a') \gset
select is_empty('select * from public.audit_events', 'moderator of A: sees no events (moderators write, they do not read)');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'admin_b') \gset
select results_eq(
  'select organization_id, count(*) from public.audit_events group by organization_id',
  format('values (%L::uuid, 2::bigint)', :'org_b'),
  'admin of B: sees exactly org B''s two events');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'both_orgs') \gset
select results_eq(
  'select organization_id, count(*) from public.audit_events group by organization_id',
  format('values (%L::uuid, 3::bigint)', :'org_a'),
  'auditor of A and moderator of B: sees A''s events only');
select tests.clear_authentication() \gset

select tests.authenticate_as(:'outsider') \gset
select is_empty('select * from public.audit_events', 'non-member: sees no events');
select tests.clear_authentication() \gset

set local role authenticated;
select set_config('request.jwt.claims', '', true) \gset
select is_empty('select * from public.audit_events', 'authenticated without a subject claim: sees no events');
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
select is((select count(*) from public.audit_events), 3::bigint, 'a moderator promoted to auditor now sees org A''s events');
select tests.clear_authentication() \gset
delete from public.organization_members where organization_id = :'org_a' and user_id = :'admin_a';
select tests.authenticate_as(:'admin_a') \gset
select is_empty('select * from public.audit_events', 'a removed admin no longer sees any event');
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
select results_eq(
  'select organization_id, count(*) from public.audit_events group by organization_id',
  format('values (%L::uuid, 2::bigint)', :'org_b'),
  'the newly provisioned auditor of B sees org B''s events');
select tests.clear_authentication() \gset

select * from finish();
rollback;

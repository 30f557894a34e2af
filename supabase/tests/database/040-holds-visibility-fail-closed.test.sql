-- transparency.may_read_holds fails closed (issue 18, item 3): an API role without JWT claims
-- learns nothing about any organisation's holds; reporting roles without claims and members with
-- the right role still do.
begin;
\ir _helpers.psql

select plan(14);

select tests.create_org('Org Held') as org_h \gset
select tests.create_user() as admin_user \gset
select tests.create_user() as outsider \gset
select tests.add_member(:'org_h', :'admin_user', 'admin');
insert into evident.legal_holds (organization_id, scope, subject_id, reason, applied_by)
values (:'org_h', 'subject', 'user-42', 'litigation hold', 'legal-team');

-- API roles without claims ---------------------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '', true) \gset
select is(transparency.may_read_holds(:'org_h'), false, 'authenticated without claims: may not read holds');
select is(transparency.active_hold_count(:'org_h'), null, 'authenticated without claims: no hold count');
select is(transparency.event_held(:'org_h', 'x', 'user-42', now()), null, 'authenticated without claims: not told whether a subject is held');
reset role;

-- Claims without a user (the anon or service_role key through the Data API) ------------------------
select set_config('request.jwt.claims', '{"role": "anon"}', true) \gset
set local role authenticated;
select is(transparency.may_read_holds(:'org_h'), false, 'claims naming no user: may not read holds');
reset role;
select set_config('request.jwt.claims', '', true) \gset

set local role service_role;
select throws_ok(format('select transparency.may_read_holds(%L)', :'org_h'), '42501', null, 'service_role: may not execute may_read_holds');
select throws_ok(format('select transparency.active_hold_count(%L)', :'org_h'), '42501', null, 'service_role: may not execute active_hold_count');
reset role;
set local role anon;
select throws_ok(format('select transparency.active_hold_count(%L)', :'org_h'), '42501', null, 'anon: may not execute active_hold_count');
reset role;

-- Signed-in users ---------------------------------------------------------------------------------
select tests.authenticate_as(:'admin_user');
select is(transparency.active_hold_count(:'org_h'), 1::bigint, 'the admin member: one active hold');
select is(transparency.event_held(:'org_h', 'x', 'user-42', now()), true, 'the admin member: the subject is held');
select tests.clear_authentication();
select tests.authenticate_as(:'outsider');
select is(transparency.active_hold_count(:'org_h'), null, 'a non-member: no hold count');
select tests.clear_authentication();

-- Reporting roles without claims ------------------------------------------------------------------
set local role evident_analyst;
select is(transparency.active_hold_count(:'org_h'), 1::bigint, 'evident_analyst without claims: the hold count');
reset role;
set local role evident_writer;
select is(transparency.may_read_holds(:'org_h'), true, 'evident_writer without claims (the functions): may read holds');
reset role;
select is(transparency.may_read_holds(:'org_h'), true, 'the owner without claims: may read holds');

select is((select proconfig from pg_proc where oid = 'transparency.may_read_holds(uuid)'::regprocedure), array['search_path=""'],
  'may_read_holds runs with an empty search_path');

select * from finish();
rollback;

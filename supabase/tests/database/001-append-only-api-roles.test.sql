-- The Supabase API roles (anon, a signed-in member, a signed-in non-member, service_role) can
-- neither change nor remove audit data, idempotency keys, chain heads or manifests, and cannot
-- reach partitions by name: every attempt stops at privileges (42501) before any trigger or
-- policy is consulted.
begin;
\ir _helpers.psql

select plan(114);

-- Data in every object, so that an UPDATE or DELETE that got through would have rows to hit.
select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.create_user('admin-a@example.test') as admin_a \gset
select tests.create_user('outsider@example.test') as outsider \gset
select tests.add_member(:'org_a', :'admin_a', 'admin') \gset
select tests.append_event(:'org_a') as e1 \gset
select tests.append_event(:'org_a') as e2 \gset
select tests.append_event(:'org_b') as e3 \gset
select split_part(evident.create_audit_partition('2031-03-01'), '.', 2) as new_part \gset
select tests.plant_row(:'org_a', '2031-03-15 12:00+00') \gset
select tests.seal_manifest('2026-01-01') \gset
select tests.add_idempotency_key(:'org_a') \gset

select is((select count(*) from public.audit_events), 4::bigint, 'setup: the trail holds four events');
select is(
  (select count(*) from evident.audit_events_2031_03), 1::bigint,
  'setup: the partition made after the migrations holds a row');
select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'evident' and c.relname = tests.current_partition()),
  1, 'setup: the current month''s partition exists');
select ok(
  (select count(*) from evident.chain_heads) = 2
    and (select count(*) from public.audit_events
             where tableoid = ('evident.' || tests.current_partition())::regclass) = 3,
  'setup: chain heads exist and this month''s partition holds the appended events');
select is((select count(*) from public.partition_manifests), 1::bigint, 'setup: one sealed manifest exists');
select is((select count(*) from evident.idempotency_keys), 1::bigint, 'setup: one idempotency key exists');

-- anon --------------------------------------------------------------------------------------
set local role anon;
select throws_ok(w.sql, '42501', null, 'anon: ' || w.label || ' is refused')
  from tests.forbidden_writes(:'org_a', :'new_part') w;
select throws_ok(p.sql, '42501', null, 'anon: ' || p.label || ' is refused')
  from tests.direct_partition_access(:'org_a', :'new_part') p;
reset role;

-- authenticated, admin of org A -------------------------------------------------------------
select tests.authenticate_as(:'admin_a') \gset
select is(
  (select count(*) from public.read_audit_events(:'org_a', 'append-only test')), 3::bigint,
  'member: the admin of org A does read org A''s trail, through the recorded read (the session is real)');
select throws_ok(w.sql, '42501', null, 'member: ' || w.label || ' is refused')
  from tests.forbidden_writes(:'org_a', :'new_part') w;
select throws_ok(p.sql, '42501', null, 'member: ' || p.label || ' is refused')
  from tests.direct_partition_access(:'org_a', :'new_part') p;
select tests.clear_authentication() \gset

-- authenticated, member of nothing ------------------------------------------------------------
select tests.authenticate_as(:'outsider') \gset
select throws_ok(w.sql, '42501', null, 'non-member: ' || w.label || ' is refused')
  from tests.forbidden_writes(:'org_a', :'new_part') w;
select throws_ok(p.sql, '42501', null, 'non-member: ' || p.label || ' is refused')
  from tests.direct_partition_access(:'org_a', :'new_part') p;
select tests.clear_authentication() \gset

-- service_role (BYPASSRLS: only privileges stand in its way) -------------------------------------
set local role service_role;
select throws_ok(w.sql, '42501', null, 'service_role: ' || w.label || ' is refused')
  from tests.forbidden_writes(:'org_a', :'new_part') w;
select throws_ok(p.sql, '42501', null, 'service_role: ' || p.label || ' is refused')
  from tests.direct_partition_access(:'org_a', :'new_part') p;
select throws_ok(
  'select * from public.audit_events', '42501', null,
  'service_role: SELECT on the trail is refused despite BYPASSRLS');
reset role;

-- Nothing moved.
select results_eq(
  'select count(*), count(*) filter (where action = ''tampered'') from public.audit_events',
  $$values (4::bigint, 0::bigint)$$,
  'after all attempts the trail is intact');
select results_eq(
  'select seq from evident.chain_heads order by seq',
  $$values (1::bigint), (2::bigint)$$,
  'after all attempts the chain heads are unchanged');

select * from finish();
rollback;

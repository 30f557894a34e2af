-- Monthly partitions exist ahead of time, creating them is idempotent, and every partition,
-- whether made by evident.create_audit_partition or by hand, is as closed as its parent: row
-- security enabled and forced with no policy, its own TRUNCATE trigger, the cloned row triggers,
-- no privilege for any API or Evident role, and registered with the DDL guard.
begin;
\ir _helpers.psql

select plan(57);

-- Ahead of time -----------------------------------------------------------------------------------
select cmp_ok(evident.partition_months_ahead(), '>=', 3,
  'partitions cover the current UTC month and at least three months after it');
select has_table('evident', 'audit_events_' || to_char((now() at time zone 'UTC') + make_interval(months => m), 'YYYY_MM'),
  format('the partition for month +%s exists', m))
  from generate_series(0, 3) as m;

select tests.create_org('Org A') as org_a \gset
select tests.append_event(:'org_a') as e1 \gset
select is(
  (select tableoid::regclass::text from public.audit_events where id = :'e1'),
  'evident.' || tests.current_partition(),
  'an event appended now lands in the current month''s partition');

-- Idempotent ----------------------------------------------------------------------------------------
select count(*) as partitions_before from pg_inherits where inhparent = 'public.audit_events'::regclass \gset
select results_eq(
  'select * from evident.create_audit_partitions(3)',
  $$select 'evident.audit_events_' || to_char((now() at time zone 'UTC') + make_interval(months => m), 'YYYY_MM')
      from generate_series(0, 3) as m$$,
  'create_audit_partitions(3) returns the current month and the three after it');
select results_eq(
  'select * from evident.create_audit_partitions(3)',
  'select * from evident.create_audit_partitions(3)',
  'calling create_audit_partitions(3) again returns the same names');
select lives_ok('select evident.create_audit_partitions(3)', 'and raises nothing');
select is(
  (select count(*) from pg_inherits where inhparent = 'public.audit_events'::regclass),
  :'partitions_before'::bigint,
  'repeated calls created no partition');
select is(
  evident.create_audit_partition((now() at time zone 'UTC')::date),
  'evident.' || tests.current_partition(),
  'create_audit_partition on an existing month returns the existing partition');
select throws_ok('select evident.create_audit_partitions(-1)', '22023', null,
  'a negative number of months is refused');
select lives_ok('select evident.create_audit_partitions(6)', 'partitions can be created further ahead');
select cmp_ok(evident.partition_months_ahead(), '>=', 6, 'and then cover six months ahead');

-- A partition made by the function after the migrations ------------------------------------------------
select split_part(evident.create_audit_partition('2031-03-01'), '.', 2) as new_part \gset
select is(:'new_part'::text, 'audit_events_2031_03', 'create_audit_partition names the month''s partition');
select ok(
  (select relrowsecurity and relforcerowsecurity from pg_class where oid = 'evident.audit_events_2031_03'::regclass),
  'audit_events_2031_03: row security enabled and forced');
select has_trigger('evident', 'audit_events_2031_03', '_010_refuse_truncate', 'audit_events_2031_03: has its TRUNCATE trigger');
select table_privs_are('evident', 'audit_events_2031_03', r, array[]::text[],
  format('audit_events_2031_03: %s holds no privilege', r))
  from unnest(array['anon', 'authenticated', 'service_role', 'evident_writer', 'evident_analyst']) as r;

-- A partition created by hand, in schema evident ------------------------------------------------------
select lives_ok(
  $$create table evident.audit_events_2032_01 partition of public.audit_events
      for values from ('2032-01-01 00:00+00') to ('2032-02-01 00:00+00')$$,
  'a partition created by hand is accepted');
select ok(
  (select relrowsecurity and relforcerowsecurity from pg_class where oid = 'evident.audit_events_2032_01'::regclass),
  'hand-made audit_events_2032_01: row security enabled and forced');
select is_empty(
  $$select polname from pg_policy where polrelid = 'evident.audit_events_2032_01'::regclass$$,
  'hand-made audit_events_2032_01: no policy, so a direct read yields nothing');
select has_trigger('evident', 'audit_events_2032_01', t, 'hand-made audit_events_2032_01: has trigger ' || t)
  from unnest(array['_010_refuse_truncate', '_010_refuse_update', '_010_refuse_delete', '_100_chain']) as t;
select table_privs_are('evident', 'audit_events_2032_01', r, array[]::text[],
  format('hand-made audit_events_2032_01: %s holds no privilege', r))
  from unnest(array['anon', 'authenticated', 'service_role', 'evident_writer', 'evident_analyst']) as r;
select ok(
  exists (select 1 from evident.protected_relations where relid = 'evident.audit_events_2032_01'::regclass),
  'hand-made audit_events_2032_01: listed in evident.protected_relations');
select tests.plant_row(:'org_a', '2032-01-10 12:00+00') \gset
select throws_ok('truncate evident.audit_events_2032_01', 'EVW01', null,
  'hand-made audit_events_2032_01: TRUNCATE is refused');
select throws_ok('delete from evident.audit_events_2032_01', 'EVW01', null,
  'hand-made audit_events_2032_01: DELETE is refused');
select throws_ok('drop table evident.audit_events_2032_01', 'EVW02', null,
  'hand-made audit_events_2032_01: DROP is refused by the DDL guard');

-- A partition created by hand in schema public, where Supabase's default privileges grant the API
-- roles everything on new tables: the hardening takes those grants back.
select lives_ok(
  $$create table public.audit_events_2032_02 partition of public.audit_events
      for values from ('2032-02-01 00:00+00') to ('2032-03-01 00:00+00')$$,
  'a partition created by hand in schema public is accepted');
select table_privs_are('public', 'audit_events_2032_02', r, array[]::text[],
  format('hand-made public.audit_events_2032_02: %s holds no privilege despite the default grants', r))
  from unnest(array['anon', 'authenticated', 'service_role']) as r;
select ok(
  (select relrowsecurity and relforcerowsecurity from pg_class where oid = 'public.audit_events_2032_02'::regclass),
  'hand-made public.audit_events_2032_02: row security enabled and forced');
select has_trigger('public', 'audit_events_2032_02', '_010_refuse_truncate',
  'hand-made public.audit_events_2032_02: has its TRUNCATE trigger');
set local role anon;
select throws_ok('select * from public.audit_events_2032_02', '42501', null,
  'anon: SELECT on the hand-made partition in public is refused');
select throws_ok('truncate public.audit_events_2032_02', '42501', null,
  'anon: TRUNCATE of the hand-made partition in public is refused');
reset role;
set local role service_role;
select throws_ok('delete from public.audit_events_2032_02', '42501', null,
  'service_role: DELETE on the hand-made partition in public is refused');
reset role;
select is_empty('select * from evident.audit_privilege_violations()',
  'no audit object, hand-made partitions included, grants a write privilege to anyone');

-- Hardening reaches partitions at any depth: a partition of a hand-made sub-partitioned partition,
-- even in schema public where Supabase's default grants give anon everything, ends up closed.
select lives_ok(
  $$create table evident.audit_events_2033_01 partition of public.audit_events
      for values from ('2033-01-01 00:00+00') to ('2033-02-01 00:00+00') partition by range (created_at)$$,
  'a sub-partitioned partition created by hand is accepted');
select lives_ok(
  $$create table public.audit_events_2033_01_a partition of evident.audit_events_2033_01
      for values from ('2033-01-01 00:00+00') to ('2033-02-01 00:00+00')$$,
  'a partition of that partition is accepted');
select table_privs_are('public', 'audit_events_2033_01_a', 'anon', array[]::text[],
  'partition of a partition: anon holds no privilege');
select ok(
  (select relrowsecurity and relforcerowsecurity from pg_class where oid = 'public.audit_events_2033_01_a'::regclass),
  'partition of a partition: row security enabled and forced');
select has_trigger('public', 'audit_events_2033_01_a', '_010_refuse_truncate',
  'partition of a partition: has its TRUNCATE trigger');
-- A month already covered by a partition under another name counts as covered: the daily job
-- neither fails on an overlap nor stops before the months after it.
select lives_ok(
  format($$create table evident.manual_partition partition of public.audit_events for values from (%L) to (%L)$$,
    (date_trunc('month', now() at time zone 'UTC') + interval '7 months') at time zone 'UTC',
    (date_trunc('month', now() at time zone 'UTC') + interval '8 months') at time zone 'UTC'),
  'a partition under a non-canonical name, seven months ahead, is accepted');
select lives_ok('select evident.create_audit_partitions(9)',
  'create_audit_partitions(9) succeeds when one of the months is already covered by another partition');

-- Without the current month's partition the monitor reads -1 (sanctioned detach, rolled back).
select set_config('evident.allow_audit_ddl', 'on', true) \gset
select lives_ok(
  format('alter table public.audit_events detach partition evident.%I', tests.current_partition()),
  'setup: the current month''s partition is detached (sanctioned)');
select set_config('evident.allow_audit_ddl', '', true) \gset
select is(evident.partition_months_ahead(), -1, 'partition_months_ahead() is -1 without the current month');

select * from finish();
rollback;

-- Retention: only the owner may run evident.retention_drop_month (and see its conditions); it
-- refuses a month that is not sealed, or a call without the archive's checksum, and drops nothing;
-- the DDL guard still refuses a partition dropped by hand; tombstones can never change.
begin;
\ir _helpers.psql

select plan(14);

select tests.create_org('Org R') as org_r \gset
select tests.append_event(:'org_r') \gset
select to_char(now(), 'YYYY-MM-01') as this_month \gset

-- Who may call -------------------------------------------------------------------------------------
set local role anon;
select throws_ok(format('select evident.retention_drop_month(%L, %L, %L)', :'this_month', repeat('a', 64), 'x'), '42501', null, 'anon: retention_drop_month is refused');
reset role;
set local role authenticated;
select throws_ok(format('select evident.retention_drop_month(%L, %L, %L)', :'this_month', repeat('a', 64), 'x'), '42501', null, 'authenticated: retention_drop_month is refused');
reset role;
set local role service_role;
select throws_ok(format('select evident.retention_drop_month(%L, %L, %L)', :'this_month', repeat('a', 64), 'x'), '42501', null, 'service_role: retention_drop_month is refused');
select throws_ok('select count(*) from evident.retention_tombstones', '42501', null, 'service_role: reading tombstones is refused');
reset role;
set local role evident_writer;
select throws_ok(format('select evident.retention_drop_month(%L, %L, %L)', :'this_month', repeat('a', 64), 'x'), '42501', null, 'evident_writer: retention_drop_month is refused');
select throws_ok(format('select * from evident.retention_conditions(%L)', :'this_month'), '42501', null, 'evident_writer: retention_conditions is refused');
select lives_ok(format('select * from evident.retention_boundaries(array[%L]::uuid[])', :'org_r'), 'evident_writer: reads retention boundaries (verification anchors on them)');
reset role;
set local role evident_analyst;
select lives_ok(format('select * from evident.retention_boundaries(array[%L]::uuid[])', :'org_r'), 'evident_analyst: reads retention boundaries');
reset role;

-- Refusals -----------------------------------------------------------------------------------------
select throws_like(format('select evident.retention_drop_month(%L, %L, %L)', :'this_month', repeat('a', 64), 'owner'),
  '%sealed: audit_events_% is not sealed%', 'an unsealed month is refused, naming the condition');
select throws_like(format('select evident.retention_drop_month(%L, %L, %L)', :'this_month', repeat('a', 64), 'owner'),
  '%retention_passed: 1 entries are within retention%', 'a month within retention is refused, naming the condition');
select throws_ok(format('select evident.retention_drop_month(%L, null, %L)', :'this_month', 'owner'), 'EVR01', null, 'a drop without the archive''s checksum is refused');
select is((select count(*)::int from public.audit_events where organization_id = :'org_r'), 1, 'nothing was dropped');
select throws_ok(format('drop table evident.audit_events_%s', to_char(now(), 'YYYY_MM')), 'EVW02', null, 'a partition dropped by hand is still refused by the DDL guard');

-- Tombstones are permanent -------------------------------------------------------------------------
insert into evident.retention_tombstones (partition_name, dropped_by, record_count, archive_sha256)
values ('audit_events_1999_01', 'test', 0, repeat('b', 64));
select throws_ok($$update evident.retention_tombstones set dropped_by = 'someone else' where partition_name = 'audit_events_1999_01'$$,
  'EVR09', null, 'a tombstone cannot be changed');

select * from finish();
rollback;

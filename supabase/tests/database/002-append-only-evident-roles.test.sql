-- Evident's own roles hold exactly what their job needs. evident_writer (the edge functions'
-- role) may SELECT and INSERT through the parent, and nothing else: no UPDATE, DELETE or
-- TRUNCATE anywhere, no write to chain heads or manifests, no partition by name.
-- evident_analyst (people running SQL) only reads through the parent.
begin;
\ir _helpers.psql

select plan(55);

select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.append_event(:'org_a') \gset
select tests.append_event(:'org_b') \gset
select split_part(evident.create_audit_partition('2031-03-01'), '.', 2) as new_part \gset
select tests.plant_row(:'org_a', '2031-03-15 12:00+00') \gset
select tests.seal_manifest('2026-01-01') \gset
select tests.add_idempotency_key(:'org_a') \gset

-- evident_writer ------------------------------------------------------------------------------
set local role evident_writer;
select is(
  (select count(*) from public.audit_events), 3::bigint,
  'writer: reads the trail through the parent (its audited read path)');
select is(
  (select count(*) from evident.audit_entries), 3::bigint,
  'writer: reads the trail through evident.audit_entries (canonical timestamps)');
select lives_ok(
  format('select tests.append_event(%L)', :'org_a'),
  'writer: appends a chained event through the parent');
select throws_ok(w.sql, '42501', null, 'writer: ' || w.label || ' is refused')
  from tests.forbidden_writes(:'org_a', :'new_part') w;
select throws_ok(p.sql, '42501', null, 'writer: ' || p.label || ' is refused')
  from tests.direct_partition_access(:'org_a', :'new_part') p;
select throws_ok(
  'select * from evident.chain_heads', '42501', null,
  'writer: reading chain heads directly is refused (only lock_chain_head hands them out)');
reset role;

-- evident_analyst -----------------------------------------------------------------------------
set local role evident_analyst;
select is(
  (select count(*) from public.audit_events), 4::bigint,
  'analyst: reads the whole trail through the parent');
select throws_ok(w.sql, '42501', null, 'analyst: ' || w.label || ' is refused')
  from tests.forbidden_writes(:'org_a', :'new_part') w;
select throws_ok(
  tests.event_sql(:'org_a'), '42501', null,
  'analyst: INSERT through the parent is refused');
select throws_ok(
  format('select * from evident.lock_chain_head(%L)', :'org_a'), '42501', null,
  'analyst: locking a chain head is refused');
-- The analyst reads the canonical view (it has USAGE on schema evident for that, and nothing else there).
select lives_ok('select count(*) from evident.audit_entries',
  'analyst: reads evident.audit_entries, as its SELECT grant intends');
reset role;

select results_eq(
  'select count(*), count(*) filter (where action = ''tampered'') from public.audit_events',
  $$values (4::bigint, 0::bigint)$$,
  'after all attempts the trail holds the four events, untouched');

select * from finish();
rollback;

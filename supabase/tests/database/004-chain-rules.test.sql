-- Chain rules hold for every inserting role: whoever inserts, a row joins its organisation's
-- chain only as the head's next link (EVC01 seq, EVC02 previous_hash, EVC03 created_at), with
-- well-formed hashes, signatures and key ids (23514), into an existing monthly partition (EVP01).
begin;
\ir _helpers.psql

select plan(61);

-- The same cases for the superuser and for the writer role the edge functions use.
\set who postgres
\ir _chain_cases.psql
\set who evident_writer
\ir _chain_cases.psql

-- Organisations' chains are independent.
select tests.create_org('Org C') as org_c \gset
select lives_ok(
  format('select tests.append_event(%L)', :'org_c'),
  'a new organisation starts its own chain at genesis while others are at seq 3');
select is(
  (select count(*) from evident.chain_heads h
     where h.organization_id in (select id from public.organizations) and h.seq = 3),
  2::bigint,
  'the other organisations'' heads did not move');

-- The constraints behind the trigger: with every trigger off (replica mode, superuser only) the
-- table itself still refuses a malformed row.
select tests.create_org('Org D') as org_d \gset
select set_config('session_replication_role', 'replica', true) \gset
select throws_ok(
  tests.event_sql(:'org_d', previous_hash => tests.random_hex64()),
  '23514',
  format('new row for relation "%s" violates check constraint "audit_events_genesis_link"', tests.current_partition()),
  'without triggers, CHECK ((seq = 1) = (previous_hash is null)) refuses a genesis with previous_hash');
select throws_ok(
  tests.event_sql(:'org_d', entry_hash => upper(tests.random_hex64())),
  '23514',
  format('new row for relation "%s" violates check constraint "audit_events_entry_hash_check"', tests.current_partition()),
  'without triggers, the entry_hash CHECK refuses an upper-case hash');
select set_config('session_replication_role', 'origin', true) \gset

-- A row skipped by INSERT ... ON CONFLICT DO NOTHING must not move the head: the chain check reads
-- the statement's transition table, which holds only rows really inserted. (Regression: the head
-- once moved in a BEFORE trigger, before the conflict skipped the row, leaving a permanent gap.)
select tests.create_org('Org F') as org_f \gset
select tests.append_event(:'org_f') as f1 \gset
set local role evident_writer;
select tests.outcome_of(tests.event_sql(:'org_f',
  seq_offset => 0,
  created_at => (select quote_literal(last_created_at) || '::timestamptz' from tests.chain_state(:'org_f')),
  suffix => 'on conflict do nothing')) as on_conflict_outcome \gset
reset role;
select ok(
  (select head_seq = last_seq and head_hash = last_hash from tests.chain_state(:'org_f')),
  'evident_writer: INSERT ... ON CONFLICT DO NOTHING cannot move the chain head past the trail');

-- The current month without a partition: even a perfectly chained append is refused with EVP01.
-- (Detaching needs the sanctioned-DDL flag; the partition reappears with the rollback.)
select tests.create_org('Org E') as org_e \gset
select set_config('evident.allow_audit_ddl', 'on', true) \gset
select lives_ok(
  format('alter table public.audit_events detach partition evident.%I', tests.current_partition()),
  'setup: the current month''s partition is detached (sanctioned)');
select set_config('evident.allow_audit_ddl', '', true) \gset
select throws_ok(
  format('select tests.append_event(%L)', :'org_e'),
  'EVP01', null,
  'postgres: a valid append into a month without a partition is refused');
set local role evident_writer;
select throws_ok(
  format('select tests.append_event(%L)', :'org_e'),
  'EVP01', null,
  'evident_writer: a valid append into a month without a partition is refused');
reset role;
select is(
  (select count(*) from evident.audit_events_unpartitioned), 0::bigint,
  'the default partition holds nothing');

select * from finish();
rollback;

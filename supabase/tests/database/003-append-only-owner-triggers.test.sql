-- For the table owner and superuser (postgres), privileges do not apply: the triggers are the
-- guard. UPDATE, DELETE and TRUNCATE of audit data and idempotency keys answer EVW01, any write to chain heads outside
-- the chain trigger EVH01, any manifest write other than sealing or verification EVM01.
begin;
\ir _helpers.psql

select plan(41);

select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.append_event(:'org_a') as e1 \gset
select tests.append_event(:'org_a') as e2 \gset
select tests.append_event(:'org_b') \gset
select split_part(evident.create_audit_partition('2031-03-01'), '.', 2) as new_part \gset
select tests.plant_row(:'org_a', '2031-03-15 12:00+00') \gset
select tests.seal_manifest('2026-01-01') \gset
select tests.add_idempotency_key(:'org_a') \gset

select ok(
  current_setting('is_superuser') = 'on' and current_user = 'postgres',
  'these statements run as the superuser postgres, whom privileges do not stop');

select throws_ok(w.sql, w.owner_code, null, 'postgres: ' || w.label || ' is refused with ' || w.owner_code)
  from tests.forbidden_writes(:'org_a', :'new_part') w;

select throws_ok(
  'truncate evident.audit_events_unpartitioned', 'EVW01', null,
  'postgres: TRUNCATE of the default partition is refused');
select throws_ok(
  'update public.audit_events set action = ''tampered'' where organization_id = ' || quote_literal(:'org_a') || ' and seq = 1',
  'EVW01', null,
  'postgres: UPDATE of a single event is refused');
select throws_ok(
  'delete from public.audit_events where id = ' || quote_literal(:'e2'),
  'EVW01', null,
  'postgres: DELETE of the newest event is refused');

-- An upsert whose new row passes the chain but collides with an existing event turns into an
-- UPDATE of that event: refused.
select throws_ok(
  tests.event_sql(:'org_a',
    seq_offset => 0,
    created_at => (select quote_literal(created_at) || '::timestamptz' from public.audit_events where id = :'e2'),
    suffix => 'on conflict (organization_id, seq, created_at) do update set action = ''tampered'''),
  'EVW01', null,
  'postgres: INSERT ... ON CONFLICT DO UPDATE onto an existing event is refused');

-- Chain heads: even with the flag the chain check uses, a head moves only forward onto an entry
-- that exists with that hash, and is never created non-empty or deleted.
select set_config('evident.head_write', 'on', true) \gset
select throws_ok(
  'update evident.chain_heads set seq = seq + 2',
  'EVH01', null,
  'postgres with evident.head_write: a head cannot skip ahead');
select throws_ok(
  format('update evident.chain_heads set organization_id = %L where organization_id = %L', :'org_b', :'org_a'),
  'EVH01', null,
  'postgres with evident.head_write: a head cannot move to another organisation');
select throws_ok(
  'delete from evident.chain_heads',
  'EVH01', null,
  'postgres with evident.head_write: a head cannot be deleted');
select throws_ok(
  'truncate evident.chain_heads',
  'EVH01', null,
  'postgres with evident.head_write: chain heads cannot be truncated');
select set_config('evident.head_write', '', true) \gset

-- Manifests: verification may change its two columns and nothing else; sealing may insert only.
select set_config('evident.manifest_write', 'verify', true) \gset
select lives_ok(
  'update public.partition_manifests set verification_status = ''verified'', last_verified_at = now()',
  'verification updates verification_status and last_verified_at');
select is(
  (select verification_status from public.partition_manifests), 'verified',
  'the verification update took effect');
select throws_ok(
  'update public.partition_manifests set checksum = repeat(''0'', 64)',
  'EVM01', null,
  'verification cannot change a checksum');
select throws_ok(
  'update public.partition_manifests set verification_status = ''tampered'', record_count = record_count + 1',
  'EVM01', null,
  'verification cannot change a record count along with the status');
select throws_ok(
  'delete from public.partition_manifests',
  'EVM01', null,
  'verification cannot delete a manifest');
select throws_ok(
  $$insert into public.partition_manifests (partition_name, partition_start_date, partition_end_date,
      record_count, verification_status, checksum, signature, signing_key_id, sealed_at)
    values ('audit_events_2020_02', '2020-02-01', '2020-02-29', 0, 'sealed', repeat('0', 64),
      repeat('A', 86) || '==', 'seal-1', now())$$,
  'EVM01', null,
  'verification cannot insert a manifest');
select set_config('evident.manifest_write', 'seal', true) \gset
select throws_ok(
  'update public.partition_manifests set verification_status = ''sealed''',
  'EVM01', null,
  'sealing cannot update a manifest');
select throws_ok(
  'delete from public.partition_manifests',
  'EVM01', null,
  'sealing cannot delete a manifest');
select set_config('evident.manifest_write', '', true) \gset

-- Nothing moved.
select results_eq(
  $$select organization_id::text, seq, action from public.audit_events
     where created_at < '2031-01-01' order by organization_id = $$ || quote_literal(:'org_a') || $$ desc, seq$$,
  format($$values (%L, 1::bigint, 'decision_made'), (%L, 2::bigint, 'decision_made'), (%L, 1::bigint, 'decision_made')$$,
    :'org_a', :'org_a', :'org_b'),
  'after all attempts every event is still there, unchanged');
select is(
  (select count(*) from evident.audit_events_2031_03), 1::bigint,
  'after all attempts the later partition still holds its row');
select is((select count(*) from evident.idempotency_keys), 1::bigint,
  'after all attempts the idempotency key is still there');
select results_eq(
  format('select seq from evident.chain_heads where organization_id in (%L, %L) order by seq desc', :'org_a', :'org_b'),
  $$values (2::bigint), (1::bigint)$$,
  'after all attempts the chain heads are unchanged');

select * from finish();
rollback;

-- Signed checkpoints are append-only, written only through evident.record_checkpoint, which
-- refuses a checkpoint for an entry the trail does not hold. API roles reach none of it.
begin;
\ir _helpers.psql

select plan(14);

select tests.create_org('Org C') as org_c \gset
select tests.append_event(:'org_c') \gset
select tests.append_event(:'org_c') \gset
select seq, entry_hash from evident.chain_heads where organization_id = :'org_c' \gset head_

select format($json${"organization_id": "%s", "seq": %s, "entry_hash": "%s", "checkpointed_at": "2026-11-23T10:00:00.000000Z",
  "signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
  "signing_key_id": "ed25519-0123456789abcdef"}$json$, :'org_c', :'head_seq', :'head_entry_hash') as checkpoint \gset

-- Who may call -------------------------------------------------------------------------------------
set local role anon;
select throws_ok(format('select evident.record_checkpoint(%L)', :'checkpoint'), '42501', null, 'anon: record_checkpoint is refused');
select throws_ok('select count(*) from evident.checkpoints', '42501', null, 'anon: reading checkpoints is refused');
reset role;
set local role authenticated;
select throws_ok(format('select evident.record_checkpoint(%L)', :'checkpoint'), '42501', null, 'authenticated: record_checkpoint is refused');
reset role;
set local role service_role;
select throws_ok(format('select evident.record_checkpoint(%L)', :'checkpoint'), '42501', null, 'service_role: record_checkpoint is refused');
select throws_ok('select count(*) from evident.checkpoints', '42501', null, 'service_role: reading checkpoints is refused');
reset role;

-- Recording ----------------------------------------------------------------------------------------
set local role evident_writer;
select lives_ok(format('select evident.record_checkpoint(%L)', :'checkpoint'), 'evident_writer: records a checkpoint of the head');
select lives_ok(format('select evident.record_checkpoint(%L)', :'checkpoint'), 'recording the same checkpoint again changes nothing');
select throws_ok(
  format('select evident.record_checkpoint(%L)', jsonb_set(:'checkpoint'::jsonb, '{entry_hash}', to_jsonb(repeat('f', 64)))),
  'EVK01', null, 'a checkpoint naming a hash the trail does not hold at that seq is refused');
select throws_ok(
  format('select evident.record_checkpoint(%L)', jsonb_set(:'checkpoint'::jsonb, '{seq}', '99')),
  'EVK01', null, 'a checkpoint naming a seq the trail does not reach is refused');
reset role;
select is((select count(*) from evident.checkpoints where organization_id = :'org_c'), 1::bigint, 'one checkpoint is stored');

-- Append-only --------------------------------------------------------------------------------------
select throws_ok(format('update evident.checkpoints set seq = 1 where organization_id = %L', :'org_c'), 'EVW01', null,
  'postgres: UPDATE of a checkpoint is refused');
select throws_ok(format('delete from evident.checkpoints where organization_id = %L', :'org_c'), 'EVW01', null,
  'postgres: DELETE of a checkpoint is refused');
select throws_ok('truncate evident.checkpoints', 'EVW01', null, 'postgres: TRUNCATE of checkpoints is refused');
select throws_ok('alter table evident.checkpoints disable trigger all', 'EVW02', null,
  'postgres: disabling the checkpoint triggers is refused by the DDL guard');

select * from finish();
rollback;

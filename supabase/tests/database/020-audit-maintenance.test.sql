-- What the audit-maintenance function stands on. evident.schedule_audit_maintenance: only the
-- owner may call it; it refuses a URL that is not the function's; without pg_cron and pg_net it
-- names the CLI commands instead. evident.heads_to_checkpoint: the heads a checkpoint run signs,
-- for evident_writer only (which may not read evident.chain_heads itself).
begin;
\ir _helpers.psql

select plan(17);

select function_privs_are('evident', 'schedule_audit_maintenance', array['text', 'text'], 'anon', array[]::text[], 'anon may not execute it');
select function_privs_are('evident', 'schedule_audit_maintenance', array['text', 'text'], 'authenticated', array[]::text[], 'authenticated may not execute it');
select function_privs_are('evident', 'schedule_audit_maintenance', array['text', 'text'], 'service_role', array[]::text[], 'service_role may not execute it');

set local role evident_writer;
select throws_ok($$select evident.schedule_audit_maintenance('https://x.supabase.co/functions/v1/audit-maintenance')$$, '42501', null,
  'evident_writer may not schedule');
reset role;

select throws_ok($$select evident.schedule_audit_maintenance('https://x.supabase.co/functions/v1/audit-events')$$, '22023', null,
  'a URL that is not audit-maintenance is refused');
select throws_ok($$select evident.schedule_audit_maintenance('https://x.supabase.co/functions/v1/a'' || pg_sleep(1) || ''/functions/v1/audit-maintenance')$$, '22023', null,
  'a URL carrying quotes is refused');
select throws_ok($$select evident.schedule_audit_maintenance(null)$$, '22023', null, 'no URL is refused');
select ok(
  case when exists (select 1 from pg_extension where extname = 'pg_cron') and exists (select 1 from pg_extension where extname = 'pg_net')
    then true
    else evident.schedule_audit_maintenance('https://x.supabase.co/functions/v1/audit-maintenance')
      like 'pg_cron and pg_net are not both installed: from an external scheduler run `npx evident checkpoint` every 5 minutes%' end,
  'without pg_cron and pg_net it names the CLI commands to schedule instead');

-- evident.heads_to_checkpoint --------------------------------------------------------------------
select function_privs_are('evident', 'heads_to_checkpoint', array['uuid[]'], 'anon', array[]::text[], 'heads_to_checkpoint: not for anon');
select function_privs_are('evident', 'heads_to_checkpoint', array['uuid[]'], 'authenticated', array[]::text[], 'heads_to_checkpoint: not for authenticated');
select function_privs_are('evident', 'heads_to_checkpoint', array['uuid[]'], 'service_role', array[]::text[], 'heads_to_checkpoint: not for service_role');
select function_privs_are('evident', 'heads_to_checkpoint', array['uuid[]'], 'evident_writer', array['EXECUTE'], 'heads_to_checkpoint: for evident_writer');

select tests.create_org('Org M') as org_m \gset
select tests.create_org('Org N, no events') as org_n \gset
select tests.append_event(:'org_m') \gset
select tests.append_event(:'org_m') \gset
select seq, entry_hash from evident.chain_heads where organization_id = :'org_m' \gset head_

set local role evident_writer;
select results_eq(
  format('select organization_id, seq, entry_hash from evident.heads_to_checkpoint(array[%L, %L]::uuid[])', :'org_m', :'org_n'),
  format('values (%L::uuid, %s::bigint, %L::text)', :'org_m', :'head_seq', :'head_entry_hash'),
  'a head that moved is handed out; an organisation without events is not');
select lives_ok(format('select evident.record_checkpoint(%L)', format($json${"organization_id": "%s", "seq": %s, "entry_hash": "%s",
  "checkpointed_at": "2026-11-23T10:00:00.000000Z", "signing_key_id": "ed25519-0123456789abcdef",
  "signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}$json$,
  :'org_m', :'head_seq', :'head_entry_hash')), 'the head is checkpointed');
select is_empty(format('select * from evident.heads_to_checkpoint(array[%L]::uuid[])', :'org_m'),
  'a head checkpointed at its seq is not handed out again');
reset role;
select tests.append_event(:'org_m') \gset
set local role evident_writer;
select is((select seq from evident.heads_to_checkpoint(array[:'org_m']::uuid[])), :'head_seq'::bigint + 1,
  'once it moves again, it is');
select ok((select count(*) from evident.heads_to_checkpoint()) >= 1, 'without organisations: every head not yet checkpointed');
reset role;

select * from finish();
rollback;

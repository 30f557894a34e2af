-- evident.schedule_audit_maintenance: only the owner may call it; it refuses a URL that is not the
-- audit-maintenance function's; without pg_cron and pg_net it names the CLI commands instead.
begin;
\ir _helpers.psql

select plan(8);

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

select * from finish();
rollback;

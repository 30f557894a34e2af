-- Scheduling the trail's upkeep where pg_cron and pg_net are installed (hosted Supabase): jobs that
-- call the audit-maintenance edge function as the service role (key read from Supabase Vault when
-- each job runs, so it never appears in cron.job). Signing happens in the function, with keys that
-- never enter the database; no SQL signs anything.
--   evident-checkpoint      every 5 minutes   {"task":"checkpoint"}  heads that moved get a signed checkpoint
--   evident-seal            the 1st and 2nd of each month at 00:20 UTC   {"task":"seal"}  the previous month
--                           (the second run is a retry; a sealed month is never sealed again)
--   evident-verify          daily at 02:40 UTC    {"task":"verify"}  recent entries, heads, checkpoints, sealed months
-- Partitions ahead stay a pure SQL job (evident.schedule_maintenance). Without pg_cron or pg_net,
-- the answer names the CLI commands to run from an external scheduler (docs/sealing.md).
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.schedule_audit_maintenance(function_url text, key_secret_name text default 'evident_service_role_key')
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  otherwise constant text := 'pg_cron and pg_net are not both installed: from an external scheduler run `npx evident checkpoint` every 5 minutes, '
    'and `npx evident seal --month <previous month>` on the 1st and `npx evident verify` daily (docs/sealing.md)';
  answers text[];
begin
  if function_url is null or function_url !~ '^https?://[^\s''"]+/functions/v1/audit-maintenance$' then
    raise exception using errcode = '22023',
      message = format('function_url must be the audit-maintenance function''s URL (https://<project-ref>.supabase.co/functions/v1/audit-maintenance), not %s', function_url);
  end if;
  answers := array[
    evident.schedule_function_call('evident-checkpoint', function_url, '{"task":"checkpoint"}', '*/5 * * * *', key_secret_name, 60000, otherwise),
    evident.schedule_function_call('evident-seal', function_url, '{"task":"seal"}', '20 0 1,2 * *', key_secret_name, 300000, otherwise),
    evident.schedule_function_call('evident-verify', function_url, '{"task":"verify"}', '40 2 * * *', key_secret_name, 300000, otherwise)];
  -- Without the extensions every answer is the same advice: say it once.
  return case when answers[1] = otherwise then otherwise else array_to_string(answers, E'\n') end;
end
$$;
comment on function evident.schedule_audit_maintenance(text, text) is
  'Schedules checkpoints, the monthly seal and daily verification (the audit-maintenance function) through pg_cron and pg_net, with the service-role key read from Vault at run time; otherwise says what to schedule.';
revoke execute on function evident.schedule_audit_maintenance(text, text) from public, anon, authenticated, service_role;

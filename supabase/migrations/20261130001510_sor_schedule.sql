-- Scheduling SoR submission where pg_cron and pg_net are installed (hosted Supabase): a job that
-- calls the sor-submit edge function every minute with {"action": "submit"}. The service-role key
-- is read from Supabase Vault when the job runs, so it never appears in cron.job. Without pg_cron
-- or pg_net, the function says what to run instead (`npx evident sor submit` every minute).
-- Overlapping runs are safe: workers lease disjoint statements (20261130001500_sor_outbox.sql).
select set_config('evident.allow_audit_ddl', 'on', true);

-- The one way Evident schedules an edge function: a pg_cron job that POSTs `body` to the function
-- with the service-role key read from Vault when it runs. Returns what it did, or `otherwise`
-- (what to schedule instead) when pg_cron or pg_net is missing. Callers validate the URL.
create function evident.schedule_function_call(
  job_name text, function_url text, body jsonb, every text, key_secret_name text, timeout_ms integer, otherwise text)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  command text;
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
     or not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net') then
    return otherwise;
  end if;
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'supabase_vault') then
    return 'Supabase Vault is not installed: the job needs the service-role key from vault.decrypted_secrets';
  end if;
  command := format(
    $cmd$select net.http_post(url := %L, headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = %L)), body := %L::jsonb, timeout_milliseconds := %s)$cmd$,
    function_url, key_secret_name, body::text, timeout_ms);
  -- cron.schedule(name, ...) replaces a job of the same name, so this is idempotent.
  execute 'select cron.schedule($1, $2, $3)' using job_name, every, command;
  return format('scheduled %s (%s) calling %s with the key in vault secret %s', job_name, every, function_url, key_secret_name);
end
$$;
comment on function evident.schedule_function_call(text, text, jsonb, text, text, integer, text) is
  'Schedules a POST to an edge function through pg_cron and pg_net, with the service-role key read from Vault at run time; otherwise returns what to schedule instead.';
revoke execute on function evident.schedule_function_call(text, text, jsonb, text, text, integer, text) from public, anon, authenticated, service_role;

create function evident.schedule_sor_submit(
  function_url text, key_secret_name text default 'evident_service_role_key', every text default '* * * * *')
returns text
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if function_url is null or function_url !~ '^https?://[^\s''"]+/functions/v1/sor-submit$' then
    raise exception using errcode = '22023',
      message = format('function_url must be the sor-submit function''s URL (https://<project-ref>.supabase.co/functions/v1/sor-submit), not %s', function_url);
  end if;
  return evident.schedule_function_call('evident-sor-submit', function_url, '{"action":"submit"}', every, key_secret_name, 60000,
    'pg_cron and pg_net are not both installed: run `npx evident sor submit` every minute from an external scheduler, or call sor-submit with {"action":"submit"}');
end
$$;
comment on function evident.schedule_sor_submit(text, text, text) is
  'Schedules sor-submit through pg_cron and pg_net, with the service-role key read from Vault at run time; otherwise says what to schedule.';
revoke execute on function evident.schedule_sor_submit(text, text, text) from public;

-- Scheduled calls (pg_cron through pg_net) send the key from Vault in the `apikey` header as well
-- as `Authorization: Bearer`, as supabase-js does. The functions then accept whichever key the
-- project keeps in Vault: the legacy service_role JWT (read from Authorization, as before) or the
-- secret key `sb_secret_…`, which is not a JWT and counts only in the apikey header
-- (supabase/functions/_shared/auth.ts). Jobs scheduled before this migration keep their old
-- command until evident.schedule_sor_submit / schedule_audit_maintenance / schedule_gdpr_anonymise
-- is run again (each is idempotent); with a legacy JWT in Vault they work unchanged.
select set_config('evident.allow_audit_ddl', 'on', true);

-- The job's SQL, on its own so that it can be tested where pg_cron and pg_net are not installed.
create function evident.function_call_command(function_url text, body jsonb, key_secret_name text, timeout_ms integer)
returns text
language sql
immutable
security invoker
set search_path = ''
as $$
  select pg_catalog.format(
    $cmd$select net.http_post(url := %1$L, headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', (select decrypted_secret from vault.decrypted_secrets where name = %2$L), 'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = %2$L)), body := %3$L::jsonb, timeout_milliseconds := %4$s)$cmd$,
    function_url, key_secret_name, body::text, timeout_ms)
$$;
comment on function evident.function_call_command(text, jsonb, text, integer) is
  'The SQL a scheduled edge-function call runs: a pg_net POST with the key from Vault as apikey and as Authorization: Bearer.';
revoke execute on function evident.function_call_command(text, jsonb, text, integer) from public, anon, authenticated, service_role;

create or replace function evident.schedule_function_call(
  job_name text, function_url text, body jsonb, every text, key_secret_name text, timeout_ms integer, otherwise text)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
     or not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net') then
    return otherwise;
  end if;
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'supabase_vault') then
    return 'Supabase Vault is not installed: the job needs the service-role key from vault.decrypted_secrets';
  end if;
  -- cron.schedule(name, ...) replaces a job of the same name, so this is idempotent.
  execute 'select cron.schedule($1, $2, $3)'
    using job_name, every, evident.function_call_command(function_url, body, key_secret_name, timeout_ms);
  return pg_catalog.format('scheduled %s (%s) calling %s with the key in vault secret %s', job_name, every, function_url, key_secret_name);
end
$$;
comment on function evident.schedule_function_call(text, text, jsonb, text, text, integer, text) is
  'Schedules a POST to an edge function through pg_cron and pg_net, with the service-role or secret key read from Vault at run time (sent as apikey and as Authorization: Bearer); otherwise returns what to schedule instead.';
revoke execute on function evident.schedule_function_call(text, text, jsonb, text, text, integer, text) from public, anon, authenticated, service_role;

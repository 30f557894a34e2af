-- Scheduling the 30-day anonymisation of pii_tagged personal data where pg_cron and pg_net are
-- installed (hosted Supabase): a daily job that calls the gdpr edge function with
-- {"action":"anonymise"} as the service role (key read from Supabase Vault when the job runs, so it
-- never appears in cron.job). The anonymisation itself runs in the function, because it appends a
-- signed gdpr_anonymisation event and no SQL may sign. Without pg_cron or pg_net the function says
-- what to run instead (`npx evident gdpr anonymise` daily). Runs are idempotent: what was
-- anonymised is skipped, what a legal hold covers waits for the hold's release.
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.schedule_gdpr_anonymise(
  function_url text, key_secret_name text default 'evident_service_role_key', every text default '17 3 * * *')
returns text
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if function_url is null or function_url !~ '^https?://[^\s''"]+/functions/v1/gdpr/anonymise$' then
    raise exception using errcode = '22023',
      message = format('function_url must be the gdpr function''s anonymise URL (https://<project-ref>.supabase.co/functions/v1/gdpr/anonymise), not %s', function_url);
  end if;
  return evident.schedule_function_call('evident-gdpr-anonymise', function_url, '{}', every, key_secret_name, 300000,
    'pg_cron and pg_net are not both installed: run `npx evident gdpr anonymise` daily from an external scheduler, or POST to gdpr/anonymise as the service role');
end
$$;
comment on function evident.schedule_gdpr_anonymise(text, text, text) is
  'Schedules the 30-day anonymisation (gdpr/anonymise) through pg_cron and pg_net, with the service-role key read from Vault at run time; otherwise says what to schedule.';
revoke execute on function evident.schedule_gdpr_anonymise(text, text, text) from public, anon, authenticated, service_role;

-- The job a scheduled edge-function call runs (evident.function_call_command): a pg_net POST that
-- sends the key from Vault both as `apikey` and as `Authorization: Bearer`, so that the functions
-- accept the legacy service_role JWT and the secret key sb_secret_… alike; only the owner may build it.
begin;
\ir _helpers.psql

select plan(5);

select is(
  evident.function_call_command('https://x.supabase.co/functions/v1/sor-submit', '{"action":"submit"}', 'evident_service_role_key', 60000),
  $$select net.http_post(url := 'https://x.supabase.co/functions/v1/sor-submit', headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', (select decrypted_secret from vault.decrypted_secrets where name = 'evident_service_role_key'), 'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'evident_service_role_key')), body := '{"action": "submit"}'::jsonb, timeout_milliseconds := 60000)$$,
  'the job sends the Vault key as apikey and as Authorization: Bearer');

select ok(
  evident.function_call_command('https://x.supabase.co/functions/v1/gdpr/anonymise', '{}', 'o''brien', 1) like '%where name = ''o''''brien''%',
  'the secret name is quoted as a literal');

set local role anon;
select throws_ok($$select evident.function_call_command('u', '{}', 'k', 1)$$, '42501', null, 'anon may not build it');
reset role;
set local role service_role;
select throws_ok($$select evident.function_call_command('u', '{}', 'k', 1)$$, '42501', null, 'service_role may not build it');
reset role;

-- Without pg_cron and pg_net the scheduler still says what to run instead.
select ok(
  case when exists (select 1 from pg_catalog.pg_extension where extname in ('pg_cron', 'pg_net')) then true
    else evident.schedule_sor_submit('https://x.supabase.co/functions/v1/sor-submit') like 'pg_cron and pg_net are not both installed%' end,
  'without pg_cron and pg_net it still says to run `npx evident sor submit` instead');

select * from finish();
rollback;

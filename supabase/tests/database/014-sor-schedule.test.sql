-- evident.schedule_sor_submit: only the owner may call it; it refuses a URL that is not the
-- sor-submit function's; without pg_cron and pg_net it says what to run instead.
begin;
\ir _helpers.psql

select plan(6);

set local role anon;
select throws_ok($$select evident.schedule_sor_submit('https://x.supabase.co/functions/v1/sor-submit')$$, '42501', null, 'anon may not schedule');
reset role;
set local role service_role;
select throws_ok($$select evident.schedule_sor_submit('https://x.supabase.co/functions/v1/sor-submit')$$, '42501', null, 'service_role may not schedule');
reset role;
set local role evident_writer;
select throws_ok($$select evident.schedule_sor_submit('https://x.supabase.co/functions/v1/sor-submit')$$, '42501', null, 'evident_writer may not schedule');
reset role;

select throws_ok($$select evident.schedule_sor_submit('https://x.supabase.co/functions/v1/audit-events')$$, '22023', null,
  'a URL that is not sor-submit is refused');
select throws_ok($$select evident.schedule_sor_submit('https://x.supabase.co/functions/v1/sor-submit'' || pg_sleep(1) || ''/functions/v1/sor-submit')$$, '22023', null,
  'a URL carrying quotes is refused');
select ok(
  case when exists (select 1 from pg_extension where extname = 'pg_cron') and exists (select 1 from pg_extension where extname = 'pg_net')
    then true
    else evident.schedule_sor_submit('https://x.supabase.co/functions/v1/sor-submit') like 'pg_cron and pg_net are not both installed%' end,
  'without pg_cron and pg_net it says to run `npx evident sor submit` instead');

select * from finish();
rollback;

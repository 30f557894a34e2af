-- Scheduled maintenance. Where pg_cron is installed (Supabase: Database > Extensions), a daily job
-- keeps partitions three months ahead. Without pg_cron, run the same from any scheduler:
--   DB_URL=... npx evident maintain        (or: psql "$DB_URL" -c 'select evident.create_audit_partitions(3)')
-- After enabling pg_cron on an existing project, call evident.schedule_maintenance() once.

create function evident.schedule_maintenance()
returns text
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    return 'pg_cron is not installed: run `npx evident maintain` (evident.create_audit_partitions(3)) daily from an external scheduler';
  end if;
  -- cron.schedule(name, ...) replaces a job of the same name, so this is idempotent.
  execute $sql$select cron.schedule('evident-partitions-ahead', '17 3 * * *', 'select evident.create_audit_partitions(3)')$sql$;
  return 'scheduled evident-partitions-ahead daily at 03:17 UTC';
end
$$;
comment on function evident.schedule_maintenance() is
  'Creates or refreshes Evident''s pg_cron jobs when pg_cron is installed; otherwise says what to schedule.';
revoke execute on function evident.schedule_maintenance() from public;

select evident.schedule_maintenance();

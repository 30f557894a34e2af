-- Monthly partitions of audit_events, created ahead of time and hardened the moment they exist.
-- pg_partman is not offered on new hosted projects, so this is our own small PL/pgSQL; pg_cron
-- (where present) and the maintenance command call it (see 20261123000800_maintenance_schedule).

-- Applies what a partition needs beyond the row triggers PostgreSQL clones from the parent: its own
-- TRUNCATE trigger, forced row security with no policy, no privilege for anyone but the owner, and
-- an entry in the DDL guard's registry. Idempotent.
create function evident.harden_audit_partition(partition regclass)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  previous_flag text := coalesce(current_setting('evident.allow_audit_ddl', true), '');
begin
  perform set_config('evident.allow_audit_ddl', 'on', true);
  execute format('alter table %s enable row level security', partition);
  execute format('alter table %s force row level security', partition);
  execute format('revoke all on %s from public, anon, authenticated, service_role, evident_writer, evident_analyst', partition);
  if not exists (
    select 1 from pg_catalog.pg_trigger t
    where t.tgrelid = partition and t.tgname = '_010_refuse_truncate'
  ) then
    execute format(
      'create trigger _010_refuse_truncate before truncate on %s for each statement execute function evident.tg_audit_events__refuse_change()',
      partition);
  end if;
  insert into evident.protected_relations (relid, reason)
  values (partition, 'audit trail partition')
  on conflict (relid) do nothing;
  perform set_config('evident.allow_audit_ddl', previous_flag, true);
end
$$;
comment on function evident.harden_audit_partition(regclass) is
  'Makes a new audit_events partition as closed as its parent. Called for every partition, including ones created by hand.';

-- Creates the partition holding `month` (any day of it) if it is missing; returns its name.
create function evident.create_audit_partition(month date)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  month_start date := date_trunc('month', month)::date;
  partition_name text := format('audit_events_%s', to_char(month_start, 'YYYY_MM'));
  previous_flag text := coalesce(current_setting('evident.allow_audit_ddl', true), '');
begin
  -- Serialise concurrent callers (pg_cron and the maintenance command may overlap).
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('evident.create_audit_partition'));
  if to_regclass(format('evident.%I', partition_name)) is null then
    perform set_config('evident.allow_audit_ddl', 'on', true);
    -- Bounds are explicit UTC instants so the session TimeZone cannot shift a month.
    execute format(
      'create table evident.%I partition of public.audit_events for values from (%L) to (%L)',
      partition_name,
      format('%s 00:00:00+00', month_start),
      format('%s 00:00:00+00', (month_start + interval '1 month')::date));
    perform set_config('evident.allow_audit_ddl', previous_flag, true);
  end if;
  perform evident.harden_audit_partition(format('evident.%I', partition_name)::regclass);
  return partition_name;
end
$$;
comment on function evident.create_audit_partition(date) is
  'Creates and hardens the audit_events partition for the month containing the given day. Idempotent.';

-- The current UTC month and `months_ahead` after it. Returns the partitions that now exist for them.
create function evident.create_audit_partitions(months_ahead integer default 3)
returns setof text
language plpgsql
security definer
set search_path = ''
as $$
declare
  this_month date := date_trunc('month', pg_catalog.now() at time zone 'UTC')::date;
begin
  if months_ahead is null or months_ahead < 0 or months_ahead > 120 then
    raise exception using errcode = '22023', message = format('months_ahead must be between 0 and 120, got %s', months_ahead);
  end if;
  for i in 0..months_ahead loop
    return next evident.create_audit_partition((this_month + make_interval(months => i))::date);
  end loop;
end
$$;
comment on function evident.create_audit_partitions(integer) is
  'Ensures partitions exist for the current UTC month and the given number of months after it.';

-- How many whole months after the current UTC month are covered without a gap: -1 when even the
-- current month has no partition. Monitors and tests read this rather than partition names, so a
-- partition made by hand under another name counts too.
create function evident.partition_months_ahead()
returns integer
language sql
stable
set search_path = ''
as $$
  with ranges as (
    select bound[1]::timestamptz as low, bound[2]::timestamptz as high
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    cross join lateral pg_catalog.regexp_match(
      pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') as bound
    where i.inhparent = 'public.audit_events'::regclass
  ), months as (
    select n,
      (date_trunc('month', pg_catalog.now() at time zone 'UTC') + make_interval(months => n)) at time zone 'UTC' as starts,
      (date_trunc('month', pg_catalog.now() at time zone 'UTC') + make_interval(months => n + 1)) at time zone 'UTC' as ends
    from generate_series(0, 120) as n
  )
  select coalesce(min(m.n) - 1, 120)::integer
  from months m
  where not exists (select 1 from ranges r where r.low <= m.starts and m.ends <= r.high)
$$;
comment on function evident.partition_months_ahead() is
  'Whole months after the current UTC month with partitions in place, contiguously; -1 if the current month has none.';

revoke execute on function evident.partition_months_ahead() from public;
revoke execute on function evident.harden_audit_partition(regclass) from public;
revoke execute on function evident.create_audit_partition(date) from public;
revoke execute on function evident.create_audit_partitions(integer) from public;

select evident.create_audit_partitions(3);

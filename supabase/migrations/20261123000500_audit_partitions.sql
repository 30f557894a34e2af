-- Monthly partitions of audit_events, created ahead of time and hardened the moment they exist.
-- pg_partman is not offered on new hosted projects, so this is our own small PL/pgSQL; pg_cron
-- (where present) and the maintenance command call it (see 20261123000800_maintenance_schedule).

-- The range each partition of audit_events covers (the default partition has none). Read from the
-- catalog rather than from names, so a partition made by hand under another name counts too.
create function evident.audit_partition_bounds()
returns table (partition regclass, low timestamptz, high timestamptz)
language sql
stable
set search_path = ''
as $$
  select c.oid::regclass, bound[1]::timestamptz, bound[2]::timestamptz
  from evident.protected_relations parent
  join pg_catalog.pg_inherits i on i.inhparent = parent.relid
  join pg_catalog.pg_class c on c.oid = i.inhrelid
  cross join lateral pg_catalog.regexp_match(
    pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') as bound
  where parent.kind = 'parent'
$$;

-- Applies what a partition needs beyond the row triggers PostgreSQL clones from the parent: its own
-- TRUNCATE trigger and chain check (statement triggers are not cloned), forced row security with no
-- policy, no privilege for anyone but the owner, and an entry in the DDL guard's registry.
-- Idempotent; also applied to partitions made by hand, at any depth, by the DDL guard.
create function evident.harden_audit_partition(partition regclass)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  previous_flag text := coalesce(pg_catalog.current_setting('evident.allow_audit_ddl', true), '');
begin
  perform pg_catalog.set_config('evident.allow_audit_ddl', 'on', true);
  execute format('alter table %s enable row level security', partition);
  execute format('alter table %s force row level security', partition);
  execute format('revoke all on %s from public, anon, authenticated, service_role, evident_writer, evident_analyst', partition);
  if not exists (select 1 from pg_catalog.pg_trigger t where t.tgrelid = partition and t.tgname = '_010_refuse_truncate') then
    execute format(
      'create trigger _010_refuse_truncate before truncate on %s for each statement execute function evident.tg_audit_events__refuse_change()',
      partition);
  end if;
  if not exists (select 1 from pg_catalog.pg_trigger t where t.tgrelid = partition and t.tgname = '_100_chain') then
    execute format(
      'create trigger _100_chain after insert on %s referencing new table as new_rows for each statement execute function evident.tg_audit_events__chain()',
      partition);
  end if;
  insert into evident.protected_relations (relid, kind) values (partition, 'partition')
  on conflict (relid) do nothing;
  perform pg_catalog.set_config('evident.allow_audit_ddl', previous_flag, true);
end
$$;
comment on function evident.harden_audit_partition(regclass) is
  'Makes an audit_events partition as closed as its parent. Applied to every partition, including ones created by hand.';

-- The partition holding `month` (any day of it): the existing one if some partition already covers
-- the whole month, else a new one named audit_events_YYYY_MM. Returns its name.
create function evident.create_audit_partition(month date)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  month_start date := date_trunc('month', month)::date;
  starts timestamptz := format('%s 00:00:00+00', month_start)::timestamptz;
  ends timestamptz := format('%s 00:00:00+00', (month_start + interval '1 month')::date)::timestamptz;
  partition_name text := format('audit_events_%s', to_char(month_start, 'YYYY_MM'));
  existing regclass;
  previous_flag text := coalesce(pg_catalog.current_setting('evident.allow_audit_ddl', true), '');
begin
  -- Serialise concurrent callers (pg_cron and the maintenance command may overlap).
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('evident.create_audit_partition'));
  select b.partition into existing from evident.audit_partition_bounds() b
  where b.low <= starts and ends <= b.high limit 1;
  if existing is null then
    perform pg_catalog.set_config('evident.allow_audit_ddl', 'on', true);
    -- Bounds are explicit UTC instants so the session TimeZone cannot shift a month.
    execute format(
      'create table evident.%I partition of public.audit_events for values from (%L) to (%L)',
      partition_name, format('%s 00:00:00+00', month_start), format('%s 00:00:00+00', (month_start + interval '1 month')::date));
    perform pg_catalog.set_config('evident.allow_audit_ddl', previous_flag, true);
    existing := format('evident.%I', partition_name)::regclass;
  end if;
  perform evident.harden_audit_partition(existing);
  return existing::text;
end
$$;
comment on function evident.create_audit_partition(date) is
  'Ensures a hardened audit_events partition covers the month containing the given day. Idempotent.';

-- The current UTC month and `months_ahead` after it. Returns the partitions that now cover them.
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
-- current month has no partition. Monitors and tests read this rather than partition names.
create function evident.partition_months_ahead()
returns integer
language sql
stable
set search_path = ''
as $$
  with months as (
    select n,
      (date_trunc('month', pg_catalog.now() at time zone 'UTC') + make_interval(months => n)) at time zone 'UTC' as starts,
      (date_trunc('month', pg_catalog.now() at time zone 'UTC') + make_interval(months => n + 1)) at time zone 'UTC' as ends
    from generate_series(0, 120) as n
  )
  select coalesce(min(m.n) - 1, 120)::integer
  from months m
  where not exists (select 1 from evident.audit_partition_bounds() b where b.low <= m.starts and m.ends <= b.high)
$$;
comment on function evident.partition_months_ahead() is
  'Whole months after the current UTC month with partitions in place, contiguously; -1 if the current month has none.';

revoke execute on function evident.audit_partition_bounds() from public;
revoke execute on function evident.partition_months_ahead() from public;
revoke execute on function evident.harden_audit_partition(regclass) from public;
revoke execute on function evident.create_audit_partition(date) from public;
revoke execute on function evident.create_audit_partitions(integer) from public;

-- The default partition gets the same statement triggers (its row trigger refuses every row anyway).
select evident.harden_audit_partition('evident.audit_events_unpartitioned'::regclass);

select evident.create_audit_partitions(3);

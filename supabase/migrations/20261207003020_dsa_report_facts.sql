select set_config('evident.allow_audit_ddl', 'on', true);
-- The facts behind one organisation's DSA harmonised transparency report for the days
-- [from_day, to_day] (UTC, by the events' own timestamp): sealed months' kept facts
-- (transparency.sealed_dsa_facts), and the months not sealed yet counted from their rows, each
-- partition probed through its "timestamp" index. One row per partition and fact shape; the
-- report (supabase/functions/_shared/dsa/) turns them into the template's figures and names every
-- month they come from.
create function transparency.dsa_report_facts(organization uuid, from_day date, to_day date)
returns table (
  partition_name text, sealed boolean, kind text, category text, keyword text, scope text, dimension text,
  seconds bigint, events bigint, items bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select f.partition_name, true, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds,
    pg_catalog.sum(f.events)::bigint, pg_catalog.sum(f.items)::bigint
  from transparency.sealed_dsa_facts f
  where f.organization_id = organization and f.day >= from_day and f.day <= to_day
  group by f.partition_name, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds
  union all
  select 'audit_events_' || pg_catalog.to_char(l.month_start at time zone 'UTC', 'YYYY_MM'), false,
    f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds, pg_catalog.count(*), pg_catalog.sum(f.items)::bigint
  from transparency.live_months() l
  cross join lateral transparency.dsa_event_facts(l.month_start, l.month_end, organization,
    (from_day::text || ' 00:00:00+00')::timestamptz, ((to_day + 1)::text || ' 00:00:00+00')::timestamptz) f
  group by l.month_start, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds
$$;
comment on function transparency.dsa_report_facts(uuid, date, date) is
  'The DSA harmonised transparency report''s facts for one organisation and the days [from_day, to_day] (UTC, own timestamp): per partition, sealed or not.';
revoke execute on function transparency.dsa_report_facts(uuid, date, date) from public;
grant execute on function transparency.dsa_report_facts(uuid, date, date) to evident_analyst, evident_writer;

select set_config('evident.allow_audit_ddl', 'on', true);
-- Each sealed month's DSA report facts (transparency.dsa_event_facts), summed by day and shape,
-- kept beside the month's other sealed figures (20261130001600): a half-year report adds up these
-- rows instead of reading millions of events, and they outlive the month's rows when retention
-- drops them. Written once, when the month's manifest is recorded (the rows were verified by that
-- seal and can no longer change), by a trigger on partition_manifests; append-only like the
-- other copies.

create table transparency.sealed_dsa_facts (
  partition_name text not null references transparency.sealed_months (partition_name),
  organization_id uuid not null,
  day date not null,
  kind text not null,
  category text,
  keyword text,
  scope text not null,
  dimension text not null,
  seconds bigint,
  events bigint not null check (events > 0),
  items bigint
);
comment on table transparency.sealed_dsa_facts is
  'Per sealed month, organisation and day of the events'' own timestamp: the DSA harmonised report''s facts (transparency.dsa_event_facts), counted.';
create index sealed_dsa_facts_organization_day_idx on transparency.sealed_dsa_facts (organization_id, day);

-- Keeps one sealed month's case openings, then its facts (whose closing events find their
-- openings among those kept). Called by the manifest trigger below (inside evident.record_manifest,
-- a definer function, so as the owner, who reads every organisation).
create function evident.record_dsa_facts(partition_name text, month_start timestamptz, month_end timestamptz)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  kept bigint;
begin
  insert into transparency.sealed_dsa_openings (partition_name, organization_id, case_ref, opened_at, recorded_at, details)
  select record_dsa_facts.partition_name, a.organization_id, evident.dsa_case_opened(a.event_type, a.action, a.metadata),
    a."timestamp", a.created_at,
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'is_trusted_flagger', a.metadata -> 'is_trusted_flagger', 'basis', a.metadata -> 'basis', 'order_type', a.metadata -> 'order_type',
      'member_state', a.metadata -> 'member_state', 'category', a.metadata -> 'category', 'keyword', a.metadata -> 'keyword'))
  from public.audit_events a
  where a.created_at >= month_start and a.created_at < month_end
    and a.event_type in ('report_submitted', 'appeal_filed', 'ods_escalation', 'authority_order', 'authority_data_request')
    and evident.dsa_case_opened(a.event_type, a.action, a.metadata) is not null;

  insert into transparency.sealed_dsa_facts (partition_name, organization_id, day, kind, category, keyword, scope, dimension, seconds, events, items)
  select record_dsa_facts.partition_name, f.organization_id, f.day, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds,
    pg_catalog.count(*), pg_catalog.sum(f.items)
  from transparency.dsa_event_facts(month_start, month_end) f
  group by f.organization_id, f.day, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds;
  get diagnostics kept = row_count;
  return kept;
end
$$;
revoke execute on function evident.record_dsa_facts(text, timestamptz, timestamptz) from public;

create function evident.tg_partition_manifests__dsa_facts()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform evident.record_dsa_facts(new.partition_name,
    (new.partition_start_date::text || ' 00:00:00+00')::timestamptz,
    ((new.partition_start_date + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz);
  return null;
end
$$;
revoke execute on function evident.tg_partition_manifests__dsa_facts() from public;

-- After _200_copy_figures, which creates the sealed_months row these rows reference.
create trigger _210_dsa_facts after insert on public.partition_manifests
  for each row execute function evident.tg_partition_manifests__dsa_facts();

select evident.make_append_only('transparency.sealed_dsa_facts');

-- Months sealed before this migration whose rows are still here, oldest first (a month's closing
-- events find their openings among the months kept before it). A month retention dropped earlier
-- has no facts: docs/compliance-reports.md says what the report shows for it.
do $$
declare
  m record;
begin
  for m in
    select p.partition_name, p.partition_start_date from public.partition_manifests p
    where not exists (select 1 from evident.retention_tombstones t where t.partition_name = p.partition_name)
    order by p.partition_start_date
  loop
    perform evident.record_dsa_facts(m.partition_name,
      (m.partition_start_date::text || ' 00:00:00+00')::timestamptz,
      ((m.partition_start_date + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz);
  end loop;
end
$$;

-- Readers: the edge functions (which answer one organisation at a time, recording each read) and
-- analysts. No API role reads these rows directly.
alter table transparency.sealed_dsa_facts enable row level security;
alter table transparency.sealed_dsa_facts force row level security;
revoke all on transparency.sealed_dsa_facts from public, anon, authenticated, service_role;
grant select on transparency.sealed_dsa_facts to evident_analyst, evident_writer;
create policy sealed_dsa_facts_select_reader on transparency.sealed_dsa_facts
  for select to evident_analyst, evident_writer using (true);

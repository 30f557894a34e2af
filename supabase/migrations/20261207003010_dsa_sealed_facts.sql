select set_config('evident.allow_audit_ddl', 'on', true);
-- Each sealed month's DSA report facts (transparency.dsa_event_facts), summed by day and shape,
-- kept beside the month's other sealed figures (20261130001600): a half-year report adds up these
-- rows instead of reading millions of events, and they outlive the month's rows when retention
-- drops them. Kept once, when the month's manifest is recorded (the rows were verified by that
-- seal and can no longer change), by a trigger on partition_manifests; append-only like the
-- other copies. Sealing computes them beside its pass (evident.stage_dsa_facts), so recording the
-- manifest only moves them.

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

-- A finished month's openings and facts, computed while its seal's pass runs (sealMonth stages them
-- beside the pass and the roots), so recording the manifest only moves them. Scratch tables: only
-- their owner writes them, through evident.stage_dsa_facts; nobody reads them.
create table evident.dsa_staged_months (
  partition_name text primary key,
  staged_at timestamptz not null,
  -- The partition's row count when staged: the manifest's record_count must agree, or the trigger
  -- computes the facts again from the rows.
  record_count bigint not null
);
create table evident.dsa_staged_openings (like transparency.sealed_dsa_openings);
create table evident.dsa_staged_facts (like transparency.sealed_dsa_facts);
create index dsa_staged_openings_partition_idx on evident.dsa_staged_openings (partition_name);
create index dsa_staged_facts_partition_idx on evident.dsa_staged_facts (partition_name);
alter table evident.dsa_staged_months enable row level security;
alter table evident.dsa_staged_months force row level security;
alter table evident.dsa_staged_openings enable row level security;
alter table evident.dsa_staged_openings force row level security;
alter table evident.dsa_staged_facts enable row level security;
alter table evident.dsa_staged_facts force row level security;
revoke all on evident.dsa_staged_months, evident.dsa_staged_openings, evident.dsa_staged_facts
  from public, anon, authenticated, service_role, evident_writer, evident_analyst;

-- A month's case openings and facts, from its rows, into the given tables: the staging tables
-- before its seal, or the kept ones when nothing was staged. Closing events find openings kept by
-- earlier sealed months or in the months not sealed yet, this one included while it is staged.
create function evident.compute_dsa_facts(partition_name text, month_start timestamptz, month_end timestamptz, staged boolean)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  kept bigint;
  openings text := case when staged then 'evident.dsa_staged_openings' else 'transparency.sealed_dsa_openings' end;
  facts text := case when staged then 'evident.dsa_staged_facts' else 'transparency.sealed_dsa_facts' end;
begin
  execute pg_catalog.format($q$
    insert into %s (partition_name, organization_id, case_ref, opened_at, recorded_at, details)
    select $1, a.organization_id, evident.dsa_case_opened(a.event_type, a.action, a.metadata), a."timestamp", a.created_at,
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'is_trusted_flagger', a.metadata -> 'is_trusted_flagger', 'basis', a.metadata -> 'basis', 'order_type', a.metadata -> 'order_type',
        'member_state', a.metadata -> 'member_state', 'category', a.metadata -> 'category', 'keyword', a.metadata -> 'keyword'))
    from public.audit_events a
    where a.created_at >= $2 and a.created_at < $3
      and a.event_type in ('report_submitted', 'appeal_filed', 'ods_escalation', 'authority_order', 'authority_data_request')
      and evident.dsa_case_opened(a.event_type, a.action, a.metadata) is not null$q$, openings)
    using partition_name, month_start, month_end;
  execute pg_catalog.format($q$
    insert into %s (partition_name, organization_id, day, kind, category, keyword, scope, dimension, seconds, events, items)
    select $1, f.organization_id, f.day, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds,
      pg_catalog.count(*), pg_catalog.sum(f.items)
    from transparency.dsa_event_facts($2, $3) f
    group by f.organization_id, f.day, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds$q$, facts)
    using partition_name, month_start, month_end;
  get diagnostics kept = row_count;
  return kept;
end
$$;
revoke execute on function evident.compute_dsa_facts(text, timestamptz, timestamptz, boolean) from public;

-- Stages a finished, unsealed month's facts (sealMonth calls it beside its pass). Runs as the
-- owner: the staging tables are the owner's alone. Anything staged before for the month is
-- replaced. Returns the facts staged, or null for a month not finished or already sealed.
create function evident.stage_dsa_facts(partition_name text)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  month_start timestamptz;
  month_end timestamptz;
  rows_now bigint;
  staged bigint;
begin
  if partition_name !~ '^audit_events_[0-9]{4}_(0[1-9]|1[0-2])$' then
    raise exception using errcode = '22023', message = pg_catalog.format('%s is not a month''s partition name (audit_events_YYYY_MM)', partition_name);
  end if;
  month_start := (pg_catalog.replace(pg_catalog.substr(partition_name, 14), '_', '-') || '-01 00:00:00+00')::timestamptz;
  month_end := month_start + interval '1 month';
  if pg_catalog.now() < month_end
     or exists (select 1 from public.partition_manifests m where m.partition_name = stage_dsa_facts.partition_name) then
    return null;
  end if;
  delete from evident.dsa_staged_openings o where o.partition_name = stage_dsa_facts.partition_name;
  delete from evident.dsa_staged_facts f where f.partition_name = stage_dsa_facts.partition_name;
  delete from evident.dsa_staged_months m where m.partition_name = stage_dsa_facts.partition_name;
  select pg_catalog.count(*) into rows_now from public.audit_events a where a.created_at >= month_start and a.created_at < month_end;
  staged := evident.compute_dsa_facts(partition_name, month_start, month_end, true);
  insert into evident.dsa_staged_months (partition_name, staged_at, record_count) values (partition_name, pg_catalog.now(), rows_now);
  return staged;
end
$$;
revoke execute on function evident.stage_dsa_facts(text) from public;
grant execute on function evident.stage_dsa_facts(text) to evident_writer;

-- Keeps a sealed month's openings and facts: those staged for it if the month still holds the rows
-- they were computed from, otherwise computed now. Called by the manifest trigger below (inside
-- evident.record_manifest, a definer function, so as the owner).
create function evident.record_dsa_facts(partition_name text, month_start timestamptz, month_end timestamptz, record_count bigint)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  kept bigint;
begin
  if exists (select 1 from evident.dsa_staged_months m
             where m.partition_name = record_dsa_facts.partition_name and m.record_count = record_dsa_facts.record_count) then
    insert into transparency.sealed_dsa_openings select * from evident.dsa_staged_openings o where o.partition_name = record_dsa_facts.partition_name;
    insert into transparency.sealed_dsa_facts select * from evident.dsa_staged_facts f where f.partition_name = record_dsa_facts.partition_name;
    get diagnostics kept = row_count;
  else
    kept := evident.compute_dsa_facts(partition_name, month_start, month_end, false);
  end if;
  delete from evident.dsa_staged_openings o where o.partition_name = record_dsa_facts.partition_name;
  delete from evident.dsa_staged_facts f where f.partition_name = record_dsa_facts.partition_name;
  delete from evident.dsa_staged_months m where m.partition_name = record_dsa_facts.partition_name;
  return kept;
end
$$;
revoke execute on function evident.record_dsa_facts(text, timestamptz, timestamptz, bigint) from public;

create function evident.tg_partition_manifests__dsa_facts()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform evident.record_dsa_facts(new.partition_name,
    (new.partition_start_date::text || ' 00:00:00+00')::timestamptz,
    ((new.partition_start_date + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz,
    new.record_count);
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
    perform evident.compute_dsa_facts(m.partition_name,
      (m.partition_start_date::text || ' 00:00:00+00')::timestamptz,
      ((m.partition_start_date + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz, false);
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

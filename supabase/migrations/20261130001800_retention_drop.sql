select set_config('evident.allow_audit_ddl', 'on', true);

-- Retention (docs/retention.md): the only way a month of audit_events leaves the database. A
-- month is dropped whole, as its partition, once it is sealed, its archived copy verifies (checked
-- by `evident retention drop` before it calls this, the archive lives outside the database), every
-- row's retention_until has passed, no active legal hold covers any of its rows, and no
-- organisation in it still has older entries (the chain is cut at its oldest end only). The
-- manifest row stays: it is the month's tombstone, and its organization_roots record, per
-- organisation, the last seq and entry_hash where the remaining chain continues.

create table evident.retention_tombstones (
  -- Names a sealed month (retention_drop_month only drops sealed ones). Not a foreign key: one
  -- would change how TRUNCATE and DROP of partition_manifests are refused (the guards' own errors).
  partition_name text primary key check (partition_name ~ '^audit_events_[0-9]{4}_[0-9]{2}$'),
  dropped_at timestamptz not null default pg_catalog.now(),
  dropped_by text not null check (length(dropped_by) between 1 and 256),
  record_count bigint not null check (record_count >= 0),
  -- SHA-256 of the archived events file that was verified before the drop (events/YYYY-MM.ndjson.gz).
  archive_sha256 text not null check (archive_sha256 ~ '^[0-9a-f]{64}$')
);
comment on table evident.retention_tombstones is
  'Months dropped by retention. The month''s partition_manifests row stays as its tombstone; later verification anchors on its organization_roots.';

alter table evident.retention_tombstones enable row level security;
revoke all on evident.retention_tombstones from public, anon, authenticated, service_role;
grant select on evident.retention_tombstones to evident_writer, evident_analyst;
create policy retention_tombstones_read_writer on evident.retention_tombstones for select to evident_writer using (true);
create policy retention_tombstones_read_analyst on evident.retention_tombstones for select to evident_analyst using (true);

-- A tombstone is written once and never changes.
create function evident.tg_retention_tombstones__refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using errcode = 'EVR09', message = format('%s on retention_tombstones is refused: a tombstone is permanent', tg_op);
end
$$;
create trigger _010_refuse_change before update or delete on evident.retention_tombstones
  for each row execute function evident.tg_retention_tombstones__refuse_change();
create trigger _010_refuse_truncate before truncate on evident.retention_tombstones
  for each statement execute function evident.tg_retention_tombstones__refuse_change();
revoke execute on function evident.tg_retention_tombstones__refuse_change() from public;

-- Each organisation's boundary recorded by the tombstones: the last seq and entry_hash dropped.
-- Verification of what remains starts there instead of at genesis. (A function, not a view: a
-- view would make partition_manifests undroppable for a reason other than the guard's.)
create function evident.retention_boundaries(organizations uuid[])
returns table (organization_id uuid, last_seq bigint, last_hash text, partition_name text)
language sql
stable
security invoker
set search_path = ''
as $$
  select distinct on ((r ->> 'organization_id')::uuid)
    (r ->> 'organization_id')::uuid, (r ->> 'last_seq')::bigint, r ->> 'last_hash', m.partition_name
  from evident.retention_tombstones t
  join public.partition_manifests m on m.partition_name = t.partition_name
  cross join lateral pg_catalog.jsonb_array_elements(m.organization_roots) r
  where (r ->> 'organization_id')::uuid = any(organizations)
  order by (r ->> 'organization_id')::uuid, (r ->> 'last_seq')::bigint desc
$$;
comment on function evident.retention_boundaries(uuid[]) is
  'Per organisation, where the chain continues after its dropped months: the last dropped seq and entry_hash.';
revoke execute on function evident.retention_boundaries(uuid[]) from public, anon, authenticated, service_role;
grant execute on function evident.retention_boundaries(uuid[]) to evident_writer, evident_analyst;

-- Every condition the database can check, each with its outcome and why. The archive's own check
-- happens outside (the CLI), and is the first thing `evident retention drop` does.
create function evident.retention_conditions(month date)
returns table (condition text, met boolean, detail text)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  month_start date := pg_catalog.date_trunc('month', month)::date;
  starts timestamptz := pg_catalog.format('%s 00:00:00+00', month_start)::timestamptz;
  ends timestamptz := pg_catalog.format('%s 00:00:00+00', (month_start + interval '1 month')::date)::timestamptz;
  name text := pg_catalog.format('audit_events_%s', pg_catalog.to_char(month_start, 'YYYY_MM'));
  manifest public.partition_manifests%rowtype;
  rows_now bigint;
  unexpired bigint;
  earliest_kept text;
  held text;
  older text;
  partition regclass;
begin
  select * into manifest from public.partition_manifests m where m.partition_name = name;
  condition := 'not_dropped';
  met := not exists (select 1 from evident.retention_tombstones t where t.partition_name = name);
  detail := case when met then 'not dropped before' else pg_catalog.format('%s was dropped already', name) end;
  return next;

  condition := 'sealed';
  met := manifest.partition_name is not null and manifest.verification_status <> 'tampered';
  detail := case
    when manifest.partition_name is null then pg_catalog.format('%s is not sealed: run evident seal --month %s first', name, pg_catalog.to_char(month_start, 'YYYY-MM'))
    when manifest.verification_status = 'tampered' then pg_catalog.format('%s was last verified as tampered: investigate before dropping anything', name)
    else pg_catalog.format('sealed at %s (%s)', evident.canonical_timestamp(manifest.sealed_at), manifest.verification_status) end;
  return next;

  select count(*), count(*) filter (where e.retention_until >= pg_catalog.now()),
         evident.canonical_timestamp(max(e.retention_until) filter (where e.retention_until >= pg_catalog.now()))
    into rows_now, unexpired, earliest_kept
    from public.audit_events e where e.created_at >= starts and e.created_at < ends;
  condition := 'matches_seal';
  met := manifest.partition_name is null or rows_now = manifest.record_count;
  detail := pg_catalog.format('the month holds %s entries, its manifest %s', rows_now, coalesce(manifest.record_count::text, 'none'));
  return next;

  condition := 'retention_passed';
  met := unexpired = 0;
  detail := case when met then pg_catalog.format('every one of the %s entries is past its retention_until', rows_now)
    else pg_catalog.format('%s entries are within retention (the last until %s)', unexpired, earliest_kept) end;
  return next;

  -- A failed lookup raises, and so refuses: it is never read as "no hold". Subjects are the
  -- events' actors and targets and, where personal data is kept apart from the signed core
  -- (canonical form v2, evident.personal_data), the subjects of the month's personal values.
  if pg_catalog.to_regclass('evident.personal_data') is null then
    select string_agg(pg_catalog.format('%s', s.organization_id), ', ' order by s.organization_id) into held
      from (
        select e.organization_id, array_agg(distinct e.actor_id) || array_agg(distinct e.target_id) as subjects,
               array_agg(distinct e.target_id) as targets, min(e."timestamp") as lo, max(e."timestamp") as hi
        from public.audit_events e where e.created_at >= starts and e.created_at < ends
        group by e.organization_id
      ) s
      where evident.active_holds_cover(s.organization_id, s.subjects, s.targets, s.lo, s.hi + interval '1 microsecond');
  else
    select string_agg(pg_catalog.format('%s', s.organization_id), ', ' order by s.organization_id) into held
      from (
        select e.organization_id,
               array_agg(distinct e.actor_id) || array_agg(distinct e.target_id) || coalesce((
                 select array_agg(distinct p.subject_id) from evident.personal_data p
                 where p.organization_id = e.organization_id and p.subject_id is not null
                   and p.event_created_at >= starts and p.event_created_at < ends), '{}') as subjects,
               array_agg(distinct e.target_id) as targets, min(e."timestamp") as lo, max(e."timestamp") as hi
        from public.audit_events e where e.created_at >= starts and e.created_at < ends
        group by e.organization_id
      ) s
      where evident.active_holds_cover(s.organization_id, s.subjects, s.targets, s.lo, s.hi + interval '1 microsecond');
  end if;
  condition := 'no_legal_hold';
  met := held is null;
  detail := case when met then 'no active legal hold covers its entries' else pg_catalog.format('an active legal hold covers entries of organisation(s) %s', held) end;
  return next;

  select string_agg(distinct pg_catalog.format('%s', o.organization_id), ', ') into older
    from public.audit_events o
    where o.created_at < starts
      and o.organization_id in (select e.organization_id from public.audit_events e where e.created_at >= starts and e.created_at < ends);
  condition := 'oldest_first';
  met := older is null;
  detail := case when met then 'no organisation in it has older entries' else pg_catalog.format('organisation(s) %s still have entries before %s: drop older months first', older, month_start) end;
  return next;

  select b.partition into partition from evident.audit_partition_bounds() b where b.low = starts and b.high = ends;
  condition := 'own_partition';
  met := partition is not null and not exists (
    select 1 from public.audit_events e where e.tableoid <> partition and e.created_at >= starts and e.created_at < ends);
  detail := case when met then pg_catalog.format('its entries are all in %s', partition)
    else 'the month has no partition of its own, or some of its entries are elsewhere' end;
  return next;
end
$$;
comment on function evident.retention_conditions(date) is
  'The database''s retention conditions for a month: each with met and why. evident retention check prints them.';
revoke execute on function evident.retention_conditions(date) from public, anon, authenticated, service_role;

-- Drops a month's partition when every condition holds; raises EVR01 naming each unmet one
-- otherwise. The only function that sets the DDL guard's flag to drop audit data; it resets it.
create function evident.retention_drop_month(month date, archive_sha256 text, dropped_by text)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  month_start date := pg_catalog.date_trunc('month', month)::date;
  name text := pg_catalog.format('audit_events_%s', pg_catalog.to_char(month_start, 'YYYY_MM'));
  unmet text;
  partition regclass;
  dropped bigint;
  previous_flag text := coalesce(pg_catalog.current_setting('evident.allow_audit_ddl', true), '');
begin
  if archive_sha256 is null or archive_sha256 !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = 'EVR01', message = 'the archived copy''s SHA-256 is required: verify the archive first (evident retention drop does)';
  end if;
  -- Rows of the month may not change while it is checked and dropped.
  select b.partition into partition from evident.audit_partition_bounds() b
    where b.low = pg_catalog.format('%s 00:00:00+00', month_start)::timestamptz;
  if partition is not null then
    execute pg_catalog.format('lock table %s in access exclusive mode', partition);
  end if;
  select string_agg(pg_catalog.format('%s: %s', c.condition, c.detail), '; ') into unmet
    from evident.retention_conditions(month_start) c where not c.met;
  if unmet is not null then
    raise exception using errcode = 'EVR01', message = pg_catalog.format('retention refuses to drop %s: %s', name, unmet);
  end if;
  execute pg_catalog.format('select count(*) from %s', partition) into dropped;
  perform pg_catalog.set_config('evident.allow_audit_ddl', 'on', true);
  execute pg_catalog.format('drop table %s', partition);
  perform pg_catalog.set_config('evident.allow_audit_ddl', previous_flag, true);
  insert into evident.retention_tombstones (partition_name, dropped_by, record_count, archive_sha256)
    values (name, dropped_by, dropped, archive_sha256);
  return dropped;
end
$$;
comment on function evident.retention_drop_month(date, text, text) is
  'Drops a sealed, archived, expired, unheld month of audit_events (oldest first) and records its tombstone. Refuses with EVR01 and every unmet condition.';
revoke execute on function evident.retention_drop_month(date, text, text) from public, anon, authenticated, service_role;

select set_config('evident.allow_audit_ddl', 'on', true);
-- The `transparency` schema, and what it keeps of every sealed month so that reports need not scan
-- the trail: the month's verification status, each organisation's Merkle root and sequence range,
-- and each organisation's DSA counts (by the month of the events' own timestamp).
--
-- Why copies, and not reads of public.partition_manifests: a manifest row holds every
-- organisation's roots and counts, and row security works on rows, so granting members SELECT on
-- it would show them every other tenant's figures. Here the same figures are split one row per
-- organisation, where row security can keep tenants apart. They are written only by triggers on
-- partition_manifests (which only sealing inserts into and only verification updates), so they
-- cannot say anything the signed manifest does not.

create schema transparency;
revoke all on schema transparency from public;
comment on schema transparency is
  'Compliance reporting: DSA transparency metrics, GDPR RoPA, retention, access audit, partition integrity. Views are security_invoker: readers see what row security lets them see.';
alter default privileges in schema transparency revoke execute on functions from public;
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'alter default privileges in schema transparency revoke execute on functions from anon, authenticated, service_role';
    execute 'alter default privileges in schema transparency revoke all on tables from anon, authenticated, service_role';
  end if;
end
$$;
-- anon needs USAGE only to call transparency.public_dsa_report (20261130001620); it holds no
-- privilege on any table or view here.
grant usage on schema transparency to anon, authenticated, evident_analyst, evident_writer;

-- One row per sealed month. Holds no tenant's data: names, bounds, status and the month's root.
create table transparency.sealed_months (
  partition_name text primary key check (partition_name ~ '^audit_events_[0-9]{4}_[0-9]{2}$'),
  month_start timestamptz not null unique,
  month_end timestamptz not null,
  partition_start_date date not null,
  partition_end_date date not null,
  checksum text not null,
  verification_status text not null check (verification_status in ('sealed', 'verified', 'tampered')),
  last_verified_at timestamptz,
  sealed_at timestamptz not null,
  check (month_end > month_start)
);
comment on table transparency.sealed_months is
  'Copy of each sealed month''s bounds and verification status (from partition_manifests, by trigger). No tenant data.';

-- One row per sealed month and organisation: its share of the month's Merkle tree.
create table transparency.sealed_roots (
  partition_name text not null references transparency.sealed_months (partition_name),
  organization_id uuid not null,
  first_seq bigint not null,
  last_seq bigint not null,
  entry_count bigint not null check (entry_count >= 0),
  root text not null,
  primary key (partition_name, organization_id)
);
comment on table transparency.sealed_roots is
  'Per organisation, its entries in a sealed month: seq range, count, RFC 6962 root (from the signed manifest).';

-- One row per sealed month, organisation and event month (the month of "timestamp", which the
-- GrowBro SQL filters on): the manifest's counts for that organisation, as sealed.
create table transparency.sealed_counts (
  partition_name text not null references transparency.sealed_months (partition_name),
  organization_id uuid not null,
  month date not null check (month = date_trunc('month', month)::date),
  counts jsonb not null check (jsonb_typeof(counts) = 'object'),
  primary key (partition_name, organization_id, month)
);
comment on table transparency.sealed_counts is
  'Per organisation and event month, the DSA counts a sealed manifest carries (events by type, report types, decision actions, appeal outcomes, trusted flaggers).';
create index sealed_counts_organization_month_idx on transparency.sealed_counts (organization_id, month);

-- Copies a new manifest's figures. Runs inside evident.record_manifest (a definer function), so it
-- writes as the owner; nobody holds a write privilege on these tables.
create function evident.tg_partition_manifests__copy_figures()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into transparency.sealed_months (
    partition_name, month_start, month_end, partition_start_date, partition_end_date, checksum,
    verification_status, last_verified_at, sealed_at)
  values (
    new.partition_name,
    (new.partition_start_date::text || ' 00:00:00+00')::timestamptz,
    ((new.partition_start_date + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz,
    new.partition_start_date, new.partition_end_date, new.checksum,
    new.verification_status, new.last_verified_at, new.sealed_at);

  insert into transparency.sealed_roots (partition_name, organization_id, first_seq, last_seq, entry_count, root)
  select new.partition_name, (r ->> 'organization_id')::uuid, (r ->> 'first_seq')::bigint,
         (r ->> 'last_seq')::bigint, (r ->> 'count')::bigint, r ->> 'root'
  from pg_catalog.jsonb_array_elements(coalesce(new.organization_roots, '[]'::jsonb)) r;

  insert into transparency.sealed_counts (partition_name, organization_id, month, counts)
  select new.partition_name, o.key::uuid, (m.key || '-01')::date, m.value
  from pg_catalog.jsonb_each(coalesce(new.aggregates -> 'by_organization', '{}'::jsonb)) o
  cross join lateral pg_catalog.jsonb_each(o.value) m;
  return null;
end
$$;

-- Verification changes only the status columns (the manifest guard refuses anything else).
create function evident.tg_partition_manifests__copy_status()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('evident.sealed_status_write', 'on', true);
  update transparency.sealed_months s
     set verification_status = new.verification_status, last_verified_at = new.last_verified_at
   where s.partition_name = new.partition_name;
  perform pg_catalog.set_config('evident.sealed_status_write', '', true);
  return null;
end
$$;

create trigger _200_copy_figures after insert on public.partition_manifests
  for each row execute function evident.tg_partition_manifests__copy_figures();
create trigger _200_copy_status after update on public.partition_manifests
  for each row execute function evident.tg_partition_manifests__copy_status();

-- The copies are append-only like the manifests; sealed_months changes only its two status
-- columns, and only from the trigger above.
select evident.make_append_only('transparency.sealed_roots');
select evident.make_append_only('transparency.sealed_counts');

create function evident.tg_sealed_months__guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and coalesce(pg_catalog.current_setting('evident.sealed_status_write', true), '') = 'on'
     and (pg_catalog.to_jsonb(new) - 'verification_status' - 'last_verified_at')
       = (pg_catalog.to_jsonb(old) - 'verification_status' - 'last_verified_at') then
    return new;
  end if;
  raise exception using
    errcode = 'EVW01',
    message = format('%s on transparency.sealed_months is refused: it follows partition_manifests', tg_op);
end
$$;
create trigger _010_guard before update or delete on transparency.sealed_months
  for each row execute function evident.tg_sealed_months__guard();
create trigger _010_refuse_truncate before truncate on transparency.sealed_months
  for each statement execute function evident.tg_audit_events__refuse_change();

revoke execute on function evident.tg_partition_manifests__copy_figures() from public;
revoke execute on function evident.tg_partition_manifests__copy_status() from public;
revoke execute on function evident.tg_sealed_months__guard() from public;

-- Months sealed before this migration.
insert into transparency.sealed_months (
  partition_name, month_start, month_end, partition_start_date, partition_end_date, checksum,
  verification_status, last_verified_at, sealed_at)
select m.partition_name,
  (m.partition_start_date::text || ' 00:00:00+00')::timestamptz,
  ((m.partition_start_date + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz,
  m.partition_start_date, m.partition_end_date, m.checksum, m.verification_status, m.last_verified_at, m.sealed_at
from public.partition_manifests m;
insert into transparency.sealed_roots (partition_name, organization_id, first_seq, last_seq, entry_count, root)
select m.partition_name, (r ->> 'organization_id')::uuid, (r ->> 'first_seq')::bigint, (r ->> 'last_seq')::bigint,
       (r ->> 'count')::bigint, r ->> 'root'
from public.partition_manifests m cross join lateral jsonb_array_elements(m.organization_roots) r;
insert into transparency.sealed_counts (partition_name, organization_id, month, counts)
select p.partition_name, o.key::uuid, (x.key || '-01')::date, x.value
from public.partition_manifests p
cross join lateral jsonb_each(coalesce(p.aggregates -> 'by_organization', '{}'::jsonb)) o
cross join lateral jsonb_each(o.value) x;

-- Row security: members (admin, auditor) see their organisation's rows, as on audit_events;
-- analysts and the writer see all. sealed_months holds no tenant data and is readable by them all.
alter table transparency.sealed_months enable row level security;
alter table transparency.sealed_months force row level security;
alter table transparency.sealed_roots enable row level security;
alter table transparency.sealed_roots force row level security;
alter table transparency.sealed_counts enable row level security;
alter table transparency.sealed_counts force row level security;
revoke all on transparency.sealed_months, transparency.sealed_roots, transparency.sealed_counts
  from public, anon, authenticated, service_role;
grant select on transparency.sealed_months, transparency.sealed_roots, transparency.sealed_counts
  to authenticated, evident_analyst, evident_writer;

create policy sealed_months_select on transparency.sealed_months
  for select to authenticated, evident_analyst, evident_writer using (true);

create policy sealed_roots_select_member on transparency.sealed_roots
  for select to authenticated
  using (
    organization_id in (
      select m.organization_id from public.organization_members m
      where m.user_id = (select auth.uid()) and m.role in ('admin', 'auditor')
    )
  );
create policy sealed_roots_select_reader on transparency.sealed_roots
  for select to evident_analyst, evident_writer using (true);

create policy sealed_counts_select_member on transparency.sealed_counts
  for select to authenticated
  using (
    organization_id in (
      select m.organization_id from public.organization_members m
      where m.user_id = (select auth.uid()) and m.role in ('admin', 'auditor')
    )
  );
create policy sealed_counts_select_reader on transparency.sealed_counts
  for select to evident_analyst, evident_writer using (true);

-- The Data API access log (issue 18, item 5): the append-only record of every read of the trail
-- through the Data API, written by public.read_audit_events (next migration) in the transaction
-- that reads. No SQL signs anything (the HMAC key never enters the database), so a row here is
-- not yet a signed entry: the audit-maintenance function (every checkpoint run, or
-- {"task": "access_log"}) appends one signed audit_access event per row, with the idempotency key
-- 'data-api-read:<id>', which is also how a row is known to be signed. Until then the row is a
-- pending access record, and reports and verification show it as such
-- (evident.pending_access_records).
--
-- Guarded like the trail: UPDATE, DELETE and TRUNCATE refused by trigger (EVW01) for everyone,
-- the owner included; no write privilege for any role but the owner; row security enabled and
-- forced; registered with the DDL guard (kind 'access_log') and anchored in worm_guard_gaps.
select set_config('evident.allow_audit_ddl', 'on', true);

create table evident.access_log (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id),
  -- The reader: the signed-in user's id, or 'service_role'.
  actor_id text not null check (length(actor_id) between 1 and 256),
  accessor_type text not null check (accessor_type in ('member', 'service_role')),
  member_role text check (member_role in ('admin', 'auditor')),
  purpose text not null check (length(purpose) between 3 and 500),
  query_parameters jsonb not null check (jsonb_typeof(query_parameters) = 'object'),
  returned integer not null check (returned >= 0),
  read_at timestamptz not null default pg_catalog.now()
);
create index access_log_organization_read_at on evident.access_log (organization_id, read_at);
comment on table evident.access_log is
  'Reads of the trail through the Data API (public.read_audit_events), one row per read, append-only; each becomes a signed audit_access event (idempotency key data-api-read:<id>) when the audit-maintenance function next runs.';

alter table evident.access_log enable row level security;
alter table evident.access_log force row level security;
revoke all on evident.access_log from public, anon, authenticated, service_role;
-- The signing path and the reports read it; nobody but the owner (through read_audit_events) writes.
grant select on evident.access_log to evident_writer, evident_analyst;
create policy access_log_select_readers on evident.access_log for select to evident_writer, evident_analyst using (true);

select evident.make_append_only('evident.access_log');

alter table evident.protected_relations drop constraint protected_relations_kind_check;
alter table evident.protected_relations add constraint protected_relations_kind_check check (kind in (
  'parent', 'partition', 'default_partition', 'chain_heads', 'manifests', 'idempotency_keys', 'registry',
  'checkpoints', 'access_log'));
insert into evident.protected_relations (relid, kind) values ('evident.access_log'::regclass, 'access_log');

-- The access records not yet in the chain. Definer, because the idempotency keys that say which
-- are signed are the writer's alone; it returns only access records, to the roles that read them.
create function evident.pending_access_records(organization uuid default null)
returns setof evident.access_log
language sql
stable
security definer
set search_path = ''
as $$
  select l.* from evident.access_log l
  where (organization is null or l.organization_id = organization)
    and not exists (
      select 1 from evident.idempotency_keys k
      where k.organization_id = l.organization_id and k.idempotency_key = 'data-api-read:' || l.id::text)
  order by l.organization_id, l.read_at, l.id
$$;
comment on function evident.pending_access_records(uuid) is
  'Data API reads recorded in evident.access_log but not yet signed into the chain as audit_access events.';
revoke execute on function evident.pending_access_records(uuid) from public, anon, authenticated, service_role;
grant execute on function evident.pending_access_records(uuid) to evident_writer, evident_analyst;

-- worm_guard_gaps anchors the access log too (the body is 20261130002010's with the access log
-- added to the expected relations and to those whose row security must be forced).
create or replace function evident.worm_guard_gaps()
returns table (object text, problem text)
language sql
stable
set search_path = ''
as $$
  with expected (relation, kind) as (
    select r.relid, case when r.relid = 'public.audit_events'::pg_catalog.regclass then 'parent'
                         when r.relid = 'evident.audit_events_unpartitioned'::pg_catalog.regclass then 'default_partition'
                         else 'partition' end
    from pg_catalog.pg_partition_tree('public.audit_events'::pg_catalog.regclass) r
    union all
    values ('evident.chain_heads'::pg_catalog.regclass, 'chain_heads'), ('public.partition_manifests'::pg_catalog.regclass, 'manifests'),
           ('evident.checkpoints'::pg_catalog.regclass, 'checkpoints'), ('evident.idempotency_keys'::pg_catalog.regclass, 'idempotency_keys'),
           ('evident.access_log'::pg_catalog.regclass, 'access_log')
  ), guarded as (
    select e.relation, e.kind, c.relrowsecurity, c.relforcerowsecurity
    from expected e join pg_catalog.pg_class c on c.oid = e.relation
  ), triggers as (
    select t.tgrelid, t.tgname, t.tgenabled, t.tgtype::integer as tgtype,
      t.tgfoid in ('evident.tg_audit_events__refuse_change()'::pg_catalog.regprocedure,
                   'evident.tg_chain_heads__guard()'::pg_catalog.regprocedure,
                   'evident.tg_partition_manifests__guard()'::pg_catalog.regprocedure)
        and t.tgqual is null and pg_catalog.cardinality(t.tgattr::pg_catalog.int2[]) = 0 as refuses,
      t.tgfoid = 'evident.tg_audit_events__chain()'::pg_catalog.regprocedure and t.tgqual is null as chains
    from pg_catalog.pg_trigger t
    where not t.tgisinternal and t.tgrelid in (select g.relation from guarded g)
  ), refusals (what, mask, bits) as (
    values ('UPDATE', 1 | 2 | 16, 1 | 2 | 16), ('DELETE', 1 | 2 | 8, 1 | 2 | 8), ('TRUNCATE', 2 | 32, 2 | 32)
  )
  select t.tgrelid::pg_catalog.regclass::text, pg_catalog.format('trigger %s is disabled', t.tgname)
  from triggers t where t.tgenabled in ('D', 'R')
  union all
  select g.relation::pg_catalog.regclass::text, pg_catalog.format('no trigger refuses %s', r.what)
  from guarded g cross join refusals r
  where not exists (select 1 from triggers t where t.tgrelid = g.relation and t.refuses and t.tgtype & r.mask = r.bits)
  union all
  select g.relation::pg_catalog.regclass::text, 'the chain trigger is missing'
  from guarded g
  where g.kind in ('parent', 'partition', 'default_partition')
    and not exists (select 1 from triggers t where t.tgrelid = g.relation and t.chains and t.tgtype & (1 | 2 | 4) = 4)
  union all
  select g.relation::pg_catalog.regclass::text, 'row-level security is not enabled'
  from guarded g where not g.relrowsecurity
  union all
  select g.relation::pg_catalog.regclass::text, 'row-level security is not forced'
  from guarded g
  where g.relrowsecurity and not g.relforcerowsecurity and g.kind in ('parent', 'partition', 'default_partition', 'manifests', 'access_log')
  union all
  select e.relation::pg_catalog.regclass::text, pg_catalog.format('missing from evident.protected_relations (as %s)', e.kind)
  from expected e
  where not exists (select 1 from evident.protected_relations p where p.relid = e.relation and p.kind = e.kind)
  union all
  select e.name, case when t.oid is null then 'the DDL guard event trigger is missing' else 'the DDL guard event trigger is disabled' end
  from (values ('evident_audit_ddl_guard_change'), ('evident_audit_ddl_guard_drop')) as e (name)
  left join pg_catalog.pg_event_trigger t on t.evtname = e.name
  where t.oid is null or t.evtenabled in ('D', 'R')
  union all
  select pg_catalog.format('%s, %s',
      coalesce((select 'role ' || r.rolname from pg_catalog.pg_roles r where r.oid = s.setrole), 'every role'),
      coalesce((select 'database ' || d.datname from pg_catalog.pg_database d where d.oid = s.setdatabase), 'every database')),
    'evident.allow_audit_ddl is on by default'
  from pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) as c (setting)
  where c.setting ~* '^evident\.allow_audit_ddl=(on|true|yes|1)$'
  union all
  select 'this session', 'evident.allow_audit_ddl is on'
  where pg_catalog.current_setting('evident.allow_audit_ddl', true) = 'on'
  order by 1, 2
$$;

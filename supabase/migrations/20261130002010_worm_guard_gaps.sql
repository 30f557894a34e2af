-- Whether the WORM enforcement is in place right now. The guards refuse to be changed, but an owner
-- who first lets the DDL guard allow it (or a superuser) can disable a trigger, stop forcing row
-- security, or disable the DDL guard itself, and leave it so. Hashes and signatures still catch
-- any entry rewritten meanwhile; this makes the open door itself visible. The SOC 2 report's
-- worm_enforcement control and the quarterly access-control finding read it, on every request.
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.worm_guard_gaps()
returns table (object text, problem text)
language sql
stable
set search_path = ''
as $$
  with guarded as (
    -- The registry itself is protected by privileges alone: it has no triggers to check.
    select p.relid, p.kind, c.relrowsecurity, c.relforcerowsecurity
    from evident.protected_relations p
    join pg_catalog.pg_class c on c.oid = p.relid
    where p.kind <> 'registry'
  ), triggers as (
    select t.tgrelid, t.tgname, t.tgenabled, t.tgtype::integer as tgtype
    from pg_catalog.pg_trigger t
    where not t.tgisinternal and t.tgrelid in (select g.relid from guarded g)
  ), refusals (what, mask, bits) as (
    -- pg_trigger.tgtype: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32.
    values ('UPDATE', 1 | 2 | 16, 1 | 2 | 16), ('DELETE', 1 | 2 | 8, 1 | 2 | 8), ('TRUNCATE', 2 | 32, 2 | 32)
  ), parent as (
    select p.relid from evident.protected_relations p where p.kind = 'parent'
  ), partitions as (
    select r.relid from parent, pg_catalog.pg_partition_tree(parent.relid) r where r.relid <> parent.relid
  )
  -- A trigger that does not fire: disabled ('D'), or firing only in replica sessions ('R').
  select t.tgrelid::regclass::text, format('trigger %s is disabled', t.tgname)
  from triggers t where t.tgenabled in ('D', 'R')
  union all
  -- A change no trigger refuses (one was dropped).
  select g.relid::regclass::text, format('no trigger refuses %s', r.what)
  from guarded g cross join refusals r
  where not exists (select 1 from triggers t where t.tgrelid = g.relid and t.tgtype & r.mask = r.bits)
  union all
  -- The chain check: without it a direct INSERT could fork, gap or back-date a chain.
  select g.relid::regclass::text, 'the chain trigger _100_chain is missing'
  from guarded g
  where g.kind in ('parent', 'partition', 'default_partition')
    and not exists (select 1 from triggers t where t.tgrelid = g.relid and t.tgname = '_100_chain')
  union all
  select g.relid::regclass::text, 'row-level security is not enabled'
  from guarded g where not g.relrowsecurity
  union all
  -- The trail and the manifests are read by their owner's functions too: forced, so that no
  -- definer function reads around the policies.
  select g.relid::regclass::text, 'row-level security is not forced'
  from guarded g
  where g.relrowsecurity and not g.relforcerowsecurity and g.kind in ('parent', 'partition', 'default_partition', 'manifests')
  union all
  -- A partition the registry does not list is not guarded by the DDL guard.
  select p.relid::regclass::text, 'partition of public.audit_events missing from evident.protected_relations'
  from partitions p
  where not exists (select 1 from evident.protected_relations r where r.relid = p.relid)
  union all
  select e.name, case when t.oid is null then 'the DDL guard event trigger is missing' else 'the DDL guard event trigger is disabled' end
  from (values ('evident_audit_ddl_guard_change'), ('evident_audit_ddl_guard_drop')) as e (name)
  left join pg_catalog.pg_event_trigger t on t.evtname = e.name
  where t.oid is null or t.evtenabled in ('D', 'R')
  order by 1, 2
$$;
comment on function evident.worm_guard_gaps() is
  'Where WORM enforcement is not in place now: disabled or missing refusal triggers, row security not forced, unregistered partitions, a disabled DDL guard. Must always be empty.';

revoke execute on function evident.worm_guard_gaps() from public, anon, authenticated, service_role;
grant execute on function evident.worm_guard_gaps() to evident_writer;

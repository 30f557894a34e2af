-- Whether the WORM enforcement is in place right now. The guards refuse to be changed, but an owner
-- who first lets the DDL guard allow it (or a superuser) can disable or replace a trigger, stop
-- forcing row security, take a relation off the guard's registry, leave the guard's flag on by
-- default, or disable the DDL guard itself, and leave it so. Hashes and signatures still catch any
-- entry rewritten meanwhile; this makes the open door itself visible. The SOC 2 report's
-- worm_enforcement control and the quarterly access-control finding read it, on every request.
-- (It checks the catalogs, not the trigger functions' bodies: an owner who may replace those may
-- replace this function too. What stands against that is the signed chain.)
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.worm_guard_gaps()
returns table (object text, problem text)
language sql
stable
set search_path = ''
as $$
  with expected (relation, kind) as (
    -- Anchored here, not on the registry, which its owner can edit: the trail, every partition at
    -- any depth, and the other audit relations.
    select r.relid, case when r.relid = 'public.audit_events'::pg_catalog.regclass then 'parent'
                         when r.relid = 'evident.audit_events_unpartitioned'::pg_catalog.regclass then 'default_partition'
                         else 'partition' end
    from pg_catalog.pg_partition_tree('public.audit_events'::pg_catalog.regclass) r
    union all
    values ('evident.chain_heads'::pg_catalog.regclass, 'chain_heads'), ('public.partition_manifests'::pg_catalog.regclass, 'manifests'),
           ('evident.checkpoints'::pg_catalog.regclass, 'checkpoints'), ('evident.idempotency_keys'::pg_catalog.regclass, 'idempotency_keys')
  ), guarded as (
    select e.relation, e.kind, c.relrowsecurity, c.relforcerowsecurity
    from expected e join pg_catalog.pg_class c on c.oid = e.relation
  ), triggers as (
    -- Only triggers that call one of the guard functions, on every row and column, unconditionally,
    -- count as guards: a trigger replaced by one with a WHEN clause, a column list or another
    -- function refuses less than it seems to.
    select t.tgrelid, t.tgname, t.tgenabled, t.tgtype::integer as tgtype,
      t.tgfoid in ('evident.tg_audit_events__refuse_change()'::pg_catalog.regprocedure,
                   'evident.tg_chain_heads__guard()'::pg_catalog.regprocedure,
                   'evident.tg_partition_manifests__guard()'::pg_catalog.regprocedure)
        and t.tgqual is null and pg_catalog.cardinality(t.tgattr::pg_catalog.int2[]) = 0 as refuses,
      t.tgfoid = 'evident.tg_audit_events__chain()'::pg_catalog.regprocedure and t.tgqual is null as chains
    from pg_catalog.pg_trigger t
    where not t.tgisinternal and t.tgrelid in (select g.relation from guarded g)
  ), refusals (what, mask, bits) as (
    -- pg_trigger.tgtype: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32.
    values ('UPDATE', 1 | 2 | 16, 1 | 2 | 16), ('DELETE', 1 | 2 | 8, 1 | 2 | 8), ('TRUNCATE', 2 | 32, 2 | 32)
  )
  -- A trigger that does not fire: disabled ('D'), or firing only in replica sessions ('R').
  select t.tgrelid::pg_catalog.regclass::text, pg_catalog.format('trigger %s is disabled', t.tgname)
  from triggers t where t.tgenabled in ('D', 'R')
  union all
  -- A change no guard trigger refuses (one was dropped, or replaced by one that refuses less).
  select g.relation::pg_catalog.regclass::text, pg_catalog.format('no trigger refuses %s', r.what)
  from guarded g cross join refusals r
  where not exists (select 1 from triggers t where t.tgrelid = g.relation and t.refuses and t.tgtype & r.mask = r.bits)
  union all
  -- The chain check: without it a direct INSERT could fork, gap or back-date a chain.
  select g.relation::pg_catalog.regclass::text, 'the chain trigger is missing'
  from guarded g
  where g.kind in ('parent', 'partition', 'default_partition')
    and not exists (select 1 from triggers t where t.tgrelid = g.relation and t.chains and t.tgtype & (1 | 2 | 4) = 4)
  union all
  select g.relation::pg_catalog.regclass::text, 'row-level security is not enabled'
  from guarded g where not g.relrowsecurity
  union all
  -- The trail and the manifests are read by their owner's functions too: forced, so that no
  -- definer function reads around the policies.
  select g.relation::pg_catalog.regclass::text, 'row-level security is not forced'
  from guarded g
  where g.relrowsecurity and not g.relforcerowsecurity and g.kind in ('parent', 'partition', 'default_partition', 'manifests')
  union all
  -- The DDL guard refuses changes only to what its registry lists.
  select e.relation::pg_catalog.regclass::text, pg_catalog.format('missing from evident.protected_relations (as %s)', e.kind)
  from expected e
  where not exists (select 1 from evident.protected_relations p where p.relid = e.relation and p.kind = e.kind)
  union all
  select e.name, case when t.oid is null then 'the DDL guard event trigger is missing' else 'the DDL guard event trigger is disabled' end
  from (values ('evident_audit_ddl_guard_change'), ('evident_audit_ddl_guard_drop')) as e (name)
  left join pg_catalog.pg_event_trigger t on t.evtname = e.name
  where t.oid is null or t.evtenabled in ('D', 'R')
  union all
  -- The guard's flag left on by default opens it for every session it covers.
  select pg_catalog.format('%s, %s',
      coalesce((select 'role ' || r.rolname from pg_catalog.pg_roles r where r.oid = s.setrole), 'every role'),
      coalesce((select 'database ' || d.datname from pg_catalog.pg_database d where d.oid = s.setdatabase), 'every database')),
    'evident.allow_audit_ddl is on by default'
  from pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) as c (setting)
  where c.setting ~* '^evident\.allow_audit_ddl=(on|true|yes|1)$'
  union all
  -- Set for the session that asks (a server-wide default, say, which the catalogs above do not show).
  select 'this session', 'evident.allow_audit_ddl is on'
  where pg_catalog.current_setting('evident.allow_audit_ddl', true) = 'on'
  order by 1, 2
$$;
comment on function evident.worm_guard_gaps() is
  'Where WORM enforcement is not in place now: disabled, missing or weakened refusal triggers, a missing chain trigger, row security off or not forced, audit relations off the DDL guard''s registry, a disabled DDL guard, the guard''s flag on by default. Must always be empty.';

revoke execute on function evident.worm_guard_gaps() from public, anon, authenticated, service_role;
grant execute on function evident.worm_guard_gaps() to evident_writer;

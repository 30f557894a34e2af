-- Refuses DDL that would weaken an audit object (ALTER, DETACH PARTITION, DROP, new or changed
-- triggers, policies and rules, GRANT of write privileges) unless a sanctioned function or migration sets
-- the transaction-local flag `evident.allow_audit_ddl`. Partitions created by hand are hardened,
-- not refused: an empty new month is harmless, a partition without our protections is not.
--
-- This guards against mistakes by roles that own the tables. It is not the last line against a
-- superuser, who may drop event triggers (and on hosted Supabase, event triggers do not fire for
-- superuser sessions at all): signatures and signed manifests catch what such a session does.
-- A later migration that must alter an audit object says so explicitly with
--   select set_config('evident.allow_audit_ddl', 'on', true);

-- The table an object hangs off: itself for relations, the table for triggers, policies and rules.
create function evident.relation_of(classid oid, objid oid)
returns oid
language sql
stable
set search_path = ''
as $$
  select case classid
    when 'pg_catalog.pg_class'::regclass then objid
    when 'pg_catalog.pg_trigger'::regclass then (select t.tgrelid from pg_catalog.pg_trigger t where t.oid = objid)
    when 'pg_catalog.pg_policy'::regclass then (select p.polrelid from pg_catalog.pg_policy p where p.oid = objid)
    when 'pg_catalog.pg_rewrite'::regclass then (select r.ev_class from pg_catalog.pg_rewrite r where r.oid = objid)
  end
$$;

create function evident.audit_ddl_allowed()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(pg_catalog.current_setting('evident.allow_audit_ddl', true), '') = 'on'
$$;

-- Privileges on audit objects that nobody but their owner may hold. GRANT does not tell an event
-- trigger which table it touched, so GRANT is checked by this post-condition instead.
create function evident.audit_privilege_violations()
returns table (relation text, grantee text, privilege text)
language sql
stable
set search_path = ''
as $$
  with protected as (
    select c.oid, c.relowner, c.relacl, p.writer_may_insert from evident.protected_relations p
    join pg_catalog.pg_class c on c.oid = p.relid
  ), granted as (
    select p.oid, p.relowner, p.writer_may_insert, a.grantee, a.privilege_type
    from protected p, pg_catalog.aclexplode(p.relacl) a
    union all
    select p.oid, p.relowner, p.writer_may_insert, a.grantee, a.privilege_type
    from protected p
    join pg_catalog.pg_attribute att on att.attrelid = p.oid and att.attacl is not null
    cross join lateral pg_catalog.aclexplode(att.attacl) a
  )
  select g.oid::regclass::text, coalesce(r.rolname, 'PUBLIC'), g.privilege_type
  from granted g
  left join pg_catalog.pg_roles r on r.oid = g.grantee
  where g.grantee <> g.relowner
    and g.privilege_type not in ('SELECT', 'MAINTAIN')
    and not (g.privilege_type = 'INSERT' and g.writer_may_insert and r.rolname = 'evident_writer')
$$;
comment on function evident.audit_privilege_violations() is
  'Write privileges held on audit objects by anyone but their owner. Must always be empty.';

create function evident.tg_audit_ddl__guard_change()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
  command record;
  relation oid;
  violation text;
begin
  if tg_tag = 'GRANT' and not evident.audit_ddl_allowed() then
    select format('%s on %s to %s', v.privilege, v.relation, v.grantee) into violation
      from evident.audit_privilege_violations() v limit 1;
    if found then
      raise exception using
        errcode = 'EVW02',
        message = format('GRANT of %s is refused: nobody but the owner may write to audit objects', violation);
    end if;
  end if;

  for command in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
    relation := evident.relation_of(command.classid, command.objid);
    continue when relation is null;

    if command.command_tag = 'CREATE TABLE' and exists (
      select 1 from pg_catalog.pg_inherits i
      where i.inhrelid = relation and i.inhparent = 'public.audit_events'::regclass
    ) then
      perform evident.harden_audit_partition(relation::regclass);
      continue;
    end if;

    if not evident.audit_ddl_allowed()
       and exists (select 1 from evident.protected_relations p where p.relid = relation) then
      raise exception using
        errcode = 'EVW02',
        message = format('%s on audit object %s is refused', command.command_tag, command.object_identity),
        hint = 'Audit tables, partitions, chain heads and manifests change only through Evident''s own migrations and maintenance functions.';
    end if;
  end loop;
end
$$;

create function evident.tg_audit_ddl__guard_drop()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
  dropped record;
  protected_identity text;
begin
  for dropped in select * from pg_catalog.pg_event_trigger_dropped_objects() loop
    -- A dropped relation is still listed in the registry; a dropped trigger, policy or rule names
    -- its table in its identity ("name on schema.table").
    select (pg_catalog.pg_identify_object('pg_catalog.pg_class'::regclass, p.relid, 0)).identity
      into protected_identity
      from evident.protected_relations p
     where (dropped.classid = 'pg_catalog.pg_class'::regclass and p.relid = dropped.objid)
        or (dropped.object_type in ('trigger', 'policy', 'rule', 'table constraint')
            and dropped.object_identity like '% on '
              || (pg_catalog.pg_identify_object('pg_catalog.pg_class'::regclass, p.relid, 0)).identity)
     limit 1;
    continue when not found;

    if not evident.audit_ddl_allowed() then
      raise exception using
        errcode = 'EVW02',
        message = format('DROP of %s %s is refused: it belongs to audit object %s',
          dropped.object_type, dropped.object_identity, coalesce(protected_identity, dropped.object_identity)),
        hint = 'Expired months leave only through the retention function, which seals and archives them first.';
    end if;
    if dropped.classid = 'pg_catalog.pg_class'::regclass then
      delete from evident.protected_relations p where p.relid = dropped.objid;
    end if;
  end loop;
end
$$;

revoke execute on function evident.relation_of(oid, oid) from public;
revoke execute on function evident.audit_ddl_allowed() from public;
revoke execute on function evident.audit_privilege_violations() from public;
revoke execute on function evident.tg_audit_ddl__guard_change() from public;
revoke execute on function evident.tg_audit_ddl__guard_drop() from public;

create event trigger evident_audit_ddl_guard_change on ddl_command_end
  when tag in ('ALTER TABLE', 'CREATE TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY',
               'ALTER POLICY', 'CREATE RULE', 'GRANT')
  execute function evident.tg_audit_ddl__guard_change();

create event trigger evident_audit_ddl_guard_drop on sql_drop
  execute function evident.tg_audit_ddl__guard_drop();

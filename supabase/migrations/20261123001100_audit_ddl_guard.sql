-- Refuses DDL that would weaken an audit object unless a sanctioned function or migration sets the
-- transaction-local flag `evident.allow_audit_ddl`:
--   ALTER (including DETACH PARTITION, DISABLE TRIGGER, RENAME), DROP, new or changed triggers,
--   policies and rules on audit relations; CREATE OR REPLACE / ALTER / DROP of functions in the
--   evident schemas (the trigger functions are part of the protection); GRANT of write privileges.
-- Partitions created by hand, at any depth, are hardened rather than refused: an empty new month
-- is harmless, a partition without our protections is not.
--
-- This migration comes last so the earlier ones need no flag. A later migration that changes an
-- audit object or the evident schema says so explicitly, at its top:
--   select set_config('evident.allow_audit_ddl', 'on', true);
--
-- What this is and is not: a guard against mistakes by roles that own the tables. A superuser can
-- disable event triggers, and dropping this guard's own schema drops its event triggers in the same
-- statement, unseen; on hosted Supabase event triggers do not fire for superuser sessions at all.
-- Signatures, the chain and (later) signed manifests are what catch a superuser.

create schema evident_guard;
revoke all on schema evident_guard from public;
comment on schema evident_guard is
  'The audit DDL guard''s event trigger functions: apart from evident so that dropping evident is still seen.';

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

-- Definer: DDL by any role fires this, and most roles may not read evident.
create function evident_guard.tg_audit_ddl__guard_change()
returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  allowed boolean := evident.audit_ddl_allowed();
  parent oid := (select p.relid from evident.protected_relations p where p.kind = 'parent');
  command record;
  relation oid;
  violation text;
begin
  if tg_tag = 'GRANT' and not allowed then
    select format('%s on %s to %s', v.privilege, v.relation, v.grantee) into violation
      from evident.audit_privilege_violations() v limit 1;
    if found then
      raise exception using
        errcode = 'EVW02',
        message = format('GRANT of %s is refused: nobody but the owner may write to audit objects', violation);
    end if;
  end if;

  for command in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
    if command.classid = 'pg_catalog.pg_proc'::regclass then
      if not allowed and exists (
        select 1 from pg_catalog.pg_proc f
        where f.oid = command.objid and f.pronamespace in ('evident'::regnamespace, 'evident_guard'::regnamespace)
      ) then
        raise exception using
          errcode = 'EVW02',
          message = format('%s %s is refused: functions in the evident schemas enforce the audit trail', command.command_tag, command.object_identity),
          hint = 'Evident''s own migrations change them, with evident.allow_audit_ddl set.';
      end if;
      continue;
    end if;

    relation := evident.relation_of(command.classid, command.objid);
    continue when relation is null;

    if command.command_tag = 'CREATE TABLE' and relation <> parent and exists (
      select 1 from pg_catalog.pg_partition_ancestors(relation) a where a.relid = parent
    ) then
      perform evident.harden_audit_partition(relation::regclass);
      continue;
    end if;

    if not allowed and exists (select 1 from evident.protected_relations p where p.relid = relation) then
      raise exception using
        errcode = 'EVW02',
        message = format('%s on audit object %s is refused', command.command_tag, command.object_identity),
        hint = 'Audit tables, partitions, chain heads and manifests change only through Evident''s own migrations and maintenance functions.';
    end if;
  end loop;
end
$$;

-- Decides from the dropped objects alone: when the evident schema itself is dropped, the registry
-- is among the dropped objects and can no longer be read.
create function evident_guard.tg_audit_ddl__guard_drop()
returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  allowed boolean := coalesce(pg_catalog.current_setting('evident.allow_audit_ddl', true), '') = 'on';
  registry_readable boolean := pg_catalog.to_regclass('evident.protected_relations') is not null;
  dropped record;
  registered boolean;
begin
  for dropped in select * from pg_catalog.pg_event_trigger_dropped_objects() loop
    registered := false;
    if registry_readable and dropped.classid = 'pg_catalog.pg_class'::regclass then
      execute 'select exists (select 1 from evident.protected_relations where relid = $1)' into registered using dropped.objid;
    end if;
    if registered and allowed then
      execute 'delete from evident.protected_relations where relid = $1' using dropped.objid;
    end if;
    continue when allowed;
    if registered
       or dropped.schema_name in ('evident', 'evident_guard')
       or dropped.object_identity in ('public.audit_events', 'public.partition_manifests')
       or dropped.object_identity ~ ' on (evident|evident_guard)\.'
       or dropped.object_identity ~ ' on public\.(audit_events|partition_manifests)$'
    then
      raise exception using
        errcode = 'EVW02',
        message = format('DROP of %s %s is refused: it is part of the audit trail or its protection',
          dropped.object_type, dropped.object_identity),
        hint = 'Audit objects change only through Evident''s own migrations, which set evident.allow_audit_ddl.';
    end if;
  end loop;
end
$$;

revoke execute on function evident.relation_of(oid, oid) from public;
revoke execute on function evident.audit_ddl_allowed() from public;
revoke execute on function evident.audit_privilege_violations() from public;
revoke execute on function evident_guard.tg_audit_ddl__guard_change() from public;
revoke execute on function evident_guard.tg_audit_ddl__guard_drop() from public;

create event trigger evident_audit_ddl_guard_change on ddl_command_end
  when tag in ('ALTER TABLE', 'CREATE TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY',
               'ALTER POLICY', 'CREATE RULE', 'GRANT', 'CREATE FUNCTION', 'ALTER FUNCTION',
               'CREATE PROCEDURE', 'ALTER PROCEDURE')
  execute function evident_guard.tg_audit_ddl__guard_change();

create event trigger evident_audit_ddl_guard_drop on sql_drop
  execute function evident_guard.tg_audit_ddl__guard_drop();

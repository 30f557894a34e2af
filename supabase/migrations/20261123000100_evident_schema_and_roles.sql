-- The private schema, the database roles Evident runs as, and the project's SQLSTATEs.
--
-- Internals (chain heads, partitions, registries, helpers) live in `evident`, a schema no API role
-- may use. Only the tables that analysts' SQL reads unqualified (`audit_events`,
-- `partition_manifests`) and the tenancy tables live in `public`, behind revoked privileges and
-- forced row-level security.
--
-- Error codes (class EV), raised with `using errcode` and mirrored in
-- supabase/functions/_shared/errors.ts:
--   EVW01  audit data is append-only: UPDATE, DELETE or TRUNCATE refused
--   EVW02  DDL on an audit object refused outside a sanctioned function
--   EVH01  chain heads move only with an appended event
--   EVC01  sequence does not continue the organisation's chain (gap, fork or replay)
--   EVC02  previous_hash does not equal the chain head's entry hash
--   EVC03  created_at outside the inserting transaction or before the previous entry
--   EVP01  no partition exists for the event's month
--   EVM01  partition manifests are written only by sealing and verification
--   EVM02  the month is already sealed; sealing never overwrites a manifest
--   EVM03  the month has no manifest
--   EVK01  a checkpoint names an entry the trail does not hold

create schema if not exists evident;
revoke all on schema evident from public;
comment on schema evident is 'Evident internals: chain heads, partitions, registries. Not exposed to API roles.';

-- Functions are callable by nobody unless granted one by one.
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema evident revoke execute on functions from public;
do $$
begin
  -- Supabase's own default grants name the API roles explicitly; undo them for our schemas.
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'alter default privileges in schema public revoke execute on functions from anon, authenticated, service_role';
    execute 'alter default privileges in schema evident revoke all on tables from anon, authenticated, service_role';
  end if;
end
$$;

do $$
begin
  -- The role the edge functions switch to (SET LOCAL ROLE) for every audit write and audited read.
  if not exists (select 1 from pg_roles where rolname = 'evident_writer') then
    create role evident_writer nologin noinherit;
  end if;
  -- Granted to people who query the trail with SQL (psql, the SQL editor): read-only, all tenants.
  if not exists (select 1 from pg_roles where rolname = 'evident_analyst') then
    create role evident_analyst nologin noinherit;
  end if;
end
$$;

-- The connecting role (postgres on Supabase) must be able to SET ROLE to the writer.
do $$
begin
  if not pg_has_role(current_user, 'evident_writer', 'member') then
    execute format('grant evident_writer to %I', current_user);
  end if;
end
$$;

grant usage on schema evident to evident_writer, evident_analyst;

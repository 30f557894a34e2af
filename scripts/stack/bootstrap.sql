-- What a hosted Supabase database already has and a plain PostgreSQL lacks: the API roles, the
-- `auth` helpers that RLS policies call, the `extensions` schema, and Supabase's default grants.
-- Applied by scripts/stack before the migrations, only when the database has no `auth.uid()`, so
-- it never touches a real Supabase project. Every statement is idempotent: the same cluster may
-- hold several databases (the test harness creates one per run) and roles are cluster-wide.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

create schema if not exists extensions;
create schema if not exists auth;
grant usage on schema extensions to public;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

-- Supabase's own definitions: claims come from `request.jwt.claims` (JSON), with the older
-- per-claim setting as a fallback.
create or replace function auth.uid()
returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role()
returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- A minimal `auth.users` so foreign keys to it behave as on Supabase (GoTrue owns the real one).
create table if not exists auth.users (
  id uuid primary key,
  email text,
  created_at timestamptz not null default now()
);

-- Supabase grants API roles everything on new objects in `public` by default. Reproducing that
-- here means our migrations are tested against the same defaults they meet in production, so a
-- forgotten REVOKE shows up locally.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- Makes `supabase db advisors` run its API-exposure lints, as it does against a hosted project.
do $$
begin
  execute format('alter database %I set pgrst.db_schemas = %L', current_database(), 'public, graphql_public');
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end
$$;

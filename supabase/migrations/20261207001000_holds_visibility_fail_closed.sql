-- transparency.may_read_holds fails closed (issue 18, item 3). It answered true whenever there
-- were no JWT claims at all, meant for reporting roles outside the Data API; but a session that
-- is `authenticated` (or `anon`, `service_role`) without claims matched too and could read any
-- organisation's hold count and whether a subject is held. Now:
--   * a signed-in user (claims with a sub): only for an organisation where they are admin,
--     auditor or legal, as before;
--   * claims without a user (anon, service_role through the Data API): never;
--   * no claims: only when the invoking role is a reporting role, a member of evident_analyst or
--     evident_writer (the SQL analyst, the edge functions' writer transactions, the owner), never
--     an API role.
-- The function is security definer (it reads memberships the caller may not), so current_user is
-- its owner; the invoking role is the session's SET ROLE, or the login role without one.
select set_config('evident.allow_audit_ddl', 'on', true);

create or replace function transparency.may_read_holds(organization uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  with invoker as (
    select coalesce(nullif(pg_catalog.current_setting('role', true), 'none'), session_user::text) as name
  )
  select case
    when (select auth.uid()) is not null then exists (
      select 1 from public.organization_members m
      where m.organization_id = organization and m.user_id = (select auth.uid()) and m.role in ('admin', 'auditor', 'legal')
    )
    when (select auth.role()) is not null then false
    else coalesce((
      select i.name not in ('anon', 'authenticated', 'service_role', 'authenticator')
        and (pg_catalog.pg_has_role(i.name, 'evident_analyst', 'member') or pg_catalog.pg_has_role(i.name, 'evident_writer', 'member'))
      from invoker i
      where exists (select 1 from pg_catalog.pg_roles r where r.rolname = i.name)
    ), false)
  end
$$;
comment on function transparency.may_read_holds(uuid) is
  'Whether the caller may see the organisation''s legal-hold figures: a member with admin, auditor or legal role, or a reporting role (evident_analyst, evident_writer) with no JWT claims. Fails closed: an API role without claims gets false.';

revoke execute on function transparency.may_read_holds(uuid) from public, anon;
grant execute on function transparency.may_read_holds(uuid) to authenticated, evident_analyst, evident_writer;

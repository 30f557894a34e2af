-- Tenants and who belongs to them. Policies elsewhere read `organization_members` to decide which
-- organisation's trail a signed-in user may see; nothing here is itself audit data.

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);
comment on table public.organizations is 'Tenants. Each organisation has its own hash chain in audit_events.';

create table public.organization_members (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('admin', 'auditor', 'moderator')),
  created_at timestamptz not null default now(),
  primary key (organization_id, user_id)
);
comment on table public.organization_members is
  'Membership of auth users in organisations. admin: manages and reads; auditor: reads; moderator: writes events.';
comment on column public.organization_members.role is 'admin, auditor or moderator.';

-- Policies look memberships up by user.
create index organization_members_user_id_idx on public.organization_members (user_id);

alter table public.organizations enable row level security;
alter table public.organizations force row level security;
alter table public.organization_members enable row level security;
alter table public.organization_members force row level security;

revoke all on public.organizations, public.organization_members from public, anon, authenticated, service_role;
-- Provisioning goes through the service role (a backend), never through user sessions.
grant select, insert, update, delete on public.organizations, public.organization_members to service_role;
grant select on public.organizations, public.organization_members to authenticated;

-- A user sees their own memberships; this policy must not consult other rows of the same table,
-- which would recurse.
create policy organization_members_select_own on public.organization_members
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy organizations_select_member on public.organizations
  for select to authenticated
  using (
    id in (
      select m.organization_id from public.organization_members m
      where m.user_id = (select auth.uid())
    )
  );

-- The writer role checks memberships when a user (rather than the service role) appends events.
grant usage on schema public to evident_writer;
grant select on public.organizations, public.organization_members to evident_writer;
create policy organizations_select_writer on public.organizations
  for select to evident_writer using (true);
create policy organization_members_select_writer on public.organization_members
  for select to evident_writer using (true);

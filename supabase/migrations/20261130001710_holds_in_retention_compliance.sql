-- Legal holds in the retention compliance view: how many holds are active, and how many expired
-- events a hold keeps (they must not be cleaned up). Members read the view under their own
-- rights, but holds live in schema evident, which API roles cannot use; two small definer
-- functions answer only for an organisation the caller may read (an admin or auditor member, or
-- a reporting role with no API identity), and only with counts and yes/no, never the holds.
select set_config('evident.allow_audit_ddl', 'on', true);

create function transparency.may_read_holds(organization uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select (select auth.uid()) is null and (select auth.role()) is null
    or exists (
      select 1 from public.organization_members m
      where m.organization_id = organization and m.user_id = (select auth.uid()) and m.role in ('admin', 'auditor', 'legal')
    )
$$;
comment on function transparency.may_read_holds(uuid) is
  'Whether the caller may see the organisation''s legal-hold figures: a member with admin, auditor or legal role, or a reporting role outside the Data API.';

create function transparency.active_hold_count(organization uuid)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select case when transparency.may_read_holds(organization) then
    (select count(*) from evident.legal_holds h where h.organization_id = organization and h.released_at is null)
  end
$$;
comment on function transparency.active_hold_count(uuid) is 'Active legal holds of the organisation (null if the caller may not know).';

create function transparency.event_held(organization uuid, actor text, target text, at timestamptz)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select case when transparency.may_read_holds(organization) then
    evident.active_holds_cover(organization, array[actor, target], array[target], at, at + interval '1 microsecond')
  end
$$;
comment on function transparency.event_held(uuid, text, text, timestamptz) is
  'Whether an active legal hold covers an event with this actor, target and timestamp (null if the caller may not know).';

revoke execute on function transparency.may_read_holds(uuid), transparency.active_hold_count(uuid),
  transparency.event_held(uuid, text, text, timestamptz) from public, anon;
grant execute on function transparency.may_read_holds(uuid), transparency.active_hold_count(uuid),
  transparency.event_held(uuid, text, text, timestamptz) to authenticated, evident_analyst, evident_writer;

-- The guide's columns and status stay exactly as the guide computes them (the guide's query and
-- this view must agree); the hold columns come after them.
create or replace view transparency.retention_compliance with (security_invoker = true) as
with retention_analysis as (
  select e.organization_id, e.event_type,
    count(*) as total_events,
    count(*) filter (where e.retention_until < now()) as expired_events,
    count(*) filter (where e.pii_tagged = true and e.created_at < now() - interval '30 days') as pii_requiring_anonymization,
    min(e.retention_until) as earliest_retention_expiry,
    max(e.retention_until) as latest_retention_expiry,
    count(*) filter (where e.retention_until < now()
      and transparency.event_held(e.organization_id, e.actor_id, e.target_id, e."timestamp")) as held_expired_events
  from public.audit_events e
  group by e.organization_id, e.event_type
)
select r.organization_id, r.event_type, r.total_events, r.expired_events, r.pii_requiring_anonymization,
  case
    when r.expired_events > 0 then 'REQUIRES_CLEANUP'
    when r.pii_requiring_anonymization > 0 then 'REQUIRES_ANONYMIZATION'
    else 'COMPLIANT'
  end as compliance_status,
  r.earliest_retention_expiry, r.latest_retention_expiry,
  r.held_expired_events,
  transparency.active_hold_count(r.organization_id) as active_legal_holds
from retention_analysis r;
comment on view transparency.retention_compliance is
  'The GrowBro guide''s retention compliance check, per organisation and event type, with the expired events legal holds keep and the active holds.';

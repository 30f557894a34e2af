select set_config('evident.allow_audit_ddl', 'on', true);
-- Authority data requests (GrowBro guide, "Authority Data Request Response"), one row per request,
-- from the trail's authority_data_request events alone: `received` opens a request, `responded`
-- answers it. The request id is metadata.request_id, or the event's target_id as in the guide; the
-- deadline is the received event's metadata.response_deadline. Built on events, not on any request
-- table, so it works whichever service records them.

-- A timestamp from text, or null when the text is not one: a caller's malformed deadline must not
-- make the whole view fail.
create function transparency.try_timestamptz(value text)
returns timestamptz
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return value::timestamptz;
exception when others then
  return null;
end
$$;
grant execute on function transparency.try_timestamptz(text) to authenticated, evident_analyst, evident_writer;

create view transparency.authority_requests with (security_invoker = true) as
with requests as (
  select e.organization_id,
    coalesce(e.metadata ->> 'request_id', e.target_id) as request_id,
    min(e."timestamp") filter (where e.action = 'received') as received_at,
    max(e.metadata ->> 'authority') filter (where e.action = 'received') as authority,
    max(e.metadata ->> 'legal_basis') filter (where e.action = 'received') as legal_basis,
    max(transparency.try_timestamptz(e.metadata ->> 'response_deadline')) filter (where e.action = 'received') as response_deadline,
    min(e."timestamp") filter (where e.action = 'responded') as responded_at,
    count(*) as events
  from public.audit_events e
  where e.event_type = 'authority_data_request'
  group by 1, 2
)
select r.organization_id, r.request_id, r.authority, r.legal_basis, r.received_at, r.response_deadline, r.responded_at,
  case
    when r.responded_at is not null and (r.response_deadline is null or r.responded_at <= r.response_deadline) then 'RESPONDED'
    when r.responded_at is not null then 'RESPONDED_LATE'
    when r.response_deadline < now() then 'OVERDUE'
    else 'OPEN'
  end as status,
  r.events
from requests r;
comment on view transparency.authority_requests is
  'Authority data requests per organisation from authority_data_request events: received, deadline, responded, status.';
revoke all on transparency.authority_requests from public, anon, authenticated, service_role;
grant select on transparency.authority_requests to authenticated, evident_analyst, evident_writer;

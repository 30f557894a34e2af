-- Authority data requests (DSA Art. 10/40, GDPR Art. 58, court orders): what an authority asked
-- for, by when, and whether a certified export answered it (docs/certified-export.md). The trail
-- holds the authoritative record (authority_data_request events, received and responded); this
-- table is the working state the authority-requests function and the compliance reports read.
select set_config('evident.allow_audit_ddl', 'on', true);

-- Legal staff answer authorities without being trail auditors or moderators.
alter table public.organization_members drop constraint organization_members_role_check;
alter table public.organization_members add constraint organization_members_role_check
  check (role in ('admin', 'auditor', 'moderator', 'legal'));
comment on column public.organization_members.role is 'admin, auditor, moderator or legal.';

create table evident.authority_requests (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id),
  authority text not null check (length(authority) between 1 and 200),
  legal_basis text not null check (length(legal_basis) between 1 and 500),
  -- The authority's own reference for the request, quoted back in the export.
  reference text check (length(reference) between 1 and 200),
  scope_start timestamptz not null,
  scope_end timestamptz not null,
  event_types text[] check (cardinality(event_types) between 1 and 100),
  target_ids text[] check (cardinality(target_ids) between 1 and 1000),
  response_deadline timestamptz not null,
  received_at timestamptz not null default now(),
  received_by text not null check (length(received_by) between 1 and 256),
  status text not null default 'received' check (status in ('received', 'responded')),
  responded_at timestamptz,
  events_provided integer check (events_provided >= 0),
  export_signature text check (export_signature ~ '^[A-Za-z0-9+/]{86}==$'),
  check (scope_start < scope_end),
  check ((status = 'responded') = (responded_at is not null and events_provided is not null and export_signature is not null))
);
create index authority_requests_open on evident.authority_requests (organization_id, response_deadline) where status = 'received';
comment on table evident.authority_requests is
  'Authority data requests and their certified responses. Written only by the authority-requests function (as evident_writer).';

-- A request is answered once: after that nothing about it changes, and nothing is ever deleted.
create function evident.authority_request_answered_once()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status <> 'received' or new.status <> 'responded'
     or (new.id, new.organization_id, new.authority, new.legal_basis, new.reference, new.scope_start, new.scope_end,
         new.event_types, new.target_ids, new.response_deadline, new.received_at, new.received_by)
        is distinct from
        (old.id, old.organization_id, old.authority, old.legal_basis, old.reference, old.scope_start, old.scope_end,
         old.event_types, old.target_ids, old.response_deadline, old.received_at, old.received_by) then
    raise exception using
      errcode = 'EVW01',
      message = format('authority request %s: only its response may be recorded, once', old.id);
  end if;
  return new;
end
$$;

create trigger authority_requests_answered_once
  before update on evident.authority_requests
  for each row execute function evident.authority_request_answered_once();

alter table evident.authority_requests enable row level security;
alter table evident.authority_requests force row level security;
revoke all on evident.authority_requests from public, anon, authenticated, service_role;

grant select, insert, update (status, responded_at, events_provided, export_signature) on evident.authority_requests to evident_writer;
create policy authority_requests_writer on evident.authority_requests
  for all to evident_writer using (true) with check (true);

-- Compliance reports (run as evident_analyst) show requests past their deadline.
grant select on evident.authority_requests to evident_analyst;
create policy authority_requests_analyst on evident.authority_requests
  for select to evident_analyst using (true);

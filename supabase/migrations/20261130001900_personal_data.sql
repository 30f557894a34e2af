-- Personal data outside the signed core (canonical form v2, docs/canonical-form.md §10).
--
-- An event that carries personal data (reporter ids, free-text reasons, IP addresses, anything the
-- caller marks) is signed in canonical form v2: the signed payload holds, per personal value, a
-- keyed commitment (HMAC-SHA256 with AUDIT_PII_COMMITMENT_KEY over the value, its subject, its
-- event, its name and a random nonce), stored in audit_events.personal_commitments. The values
-- themselves live in evident.personal_data, which can be erased (GDPR Art. 17) or anonymised (30
-- days after a pii_tagged event) without touching the trail: the commitment stays signed, the
-- value, subject and nonce go. Rows of canonical version 1 are untouched (personal_commitments null).
select set_config('evident.allow_audit_ddl', 'on', true);

alter table public.audit_events add column personal_commitments jsonb;
alter table public.audit_events add constraint audit_events_personal_commitments_v2
  check (personal_commitments is null
    or (canonical_version = 2 and jsonb_typeof(personal_commitments) = 'object' and personal_commitments <> '{}'::jsonb));
comment on column public.audit_events.personal_commitments is
  'Canonical form v2: {name: HMAC-SHA256 commitment (hex)} for each personal value held in evident.personal_data. Null for v1.';

-- The verifiers' view gains the new signed member (at the end: existing readers are unaffected).
create or replace view evident.audit_entries
with (security_invoker = true)
as
select
  e.id,
  e.organization_id,
  e.seq,
  e.previous_hash,
  e.entry_hash,
  e.signature,
  e.key_id,
  e.canonical_version,
  e.event_type,
  e.actor_id,
  e.actor_type,
  e.target_id,
  e.target_type,
  e.action,
  e.metadata,
  evident.canonical_timestamp(e."timestamp") as "timestamp",
  evident.canonical_timestamp(e.created_at) as created_at,
  evident.canonical_timestamp(e.retention_until) as retention_until,
  e.pii_tagged,
  e.created_at as created_at_instant,
  e."timestamp" as timestamp_instant,
  e.personal_commitments
from public.audit_events e;

-- The erasable store. One row per personal value of an event. Erasure and anonymisation clear the
-- value, the subject and the nonce and keep the row as the record that the value existed and was
-- removed (when, how, by which event). The event's own commitment is never changed.
create table evident.personal_data (
  organization_id uuid not null references public.organizations (id),
  event_id uuid not null,
  name text not null check (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  subject_id text check (length(subject_id) between 1 and 256),
  value jsonb,
  nonce text check (nonce ~ '^[0-9a-f]{32}$'),
  commitment text not null check (commitment ~ '^[0-9a-f]{64}$'),
  -- Copied from the event, for the 30-day job and for legal-hold checks without reading the trail.
  event_created_at timestamptz not null,
  event_timestamp timestamptz not null,
  actor_id text not null,
  target_id text not null,
  pii_tagged boolean not null,
  erased_at timestamptz,
  erasure text check (erasure in ('erased', 'anonymised')),
  -- The gdpr_erasure / gdpr_anonymisation event that recorded the removal.
  erasure_event_id uuid,
  primary key (event_id, name),
  constraint personal_data_present_or_erased check (
    (erased_at is null and erasure is null and erasure_event_id is null
      and subject_id is not null and value is not null and nonce is not null)
    or (erased_at is not null and erasure is not null and erasure_event_id is not null
      and subject_id is null and value is null and nonce is null))
);
create index personal_data_subject_idx on evident.personal_data (organization_id, subject_id) where erased_at is null;
create index personal_data_anonymise_idx on evident.personal_data (event_created_at) where erased_at is null and pii_tagged;
create index personal_data_org_idx on evident.personal_data (organization_id, event_created_at);
comment on table evident.personal_data is
  'Personal values of v2 events, outside the signed core: erasable (Art. 17) and anonymised 30 days after a pii_tagged event. Never reachable by API roles.';

alter table evident.personal_data enable row level security;
alter table evident.personal_data force row level security;
revoke all on evident.personal_data from public, anon, authenticated, service_role;
-- The append path inserts; erasure and anonymisation (as the writer, beside their audit event)
-- clear values; the audited read path and exports read. Nobody deletes a row.
grant select, insert, update on evident.personal_data to evident_writer;
create policy personal_data_writer_select on evident.personal_data for select to evident_writer using (true);
create policy personal_data_writer_insert on evident.personal_data for insert to evident_writer with check (erased_at is null);
create policy personal_data_writer_update on evident.personal_data for update to evident_writer
  using (erased_at is null) with check (erased_at is not null);
grant select on evident.personal_data to evident_analyst;
create policy personal_data_analyst_select on evident.personal_data for select to evident_analyst using (true);

-- Once erased, a row stays erased: no role may put a value back, move it or delete it.
create function evident.tg_personal_data__guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    raise exception using errcode = 'EVG01',
      message = 'DELETE on evident.personal_data is refused: erase or anonymise the value instead (the row records that it was removed)';
  end if;
  if old.erased_at is not null then
    raise exception using errcode = 'EVG01', message = format('personal data %s/%s was already erased', old.event_id, old.name);
  end if;
  if new.erased_at is null then
    raise exception using errcode = 'EVG01', message = 'only erasure may change evident.personal_data (set erased_at and clear value, subject_id and nonce)';
  end if;
  if new.event_id <> old.event_id or new.name <> old.name or new.organization_id <> old.organization_id
     or new.commitment <> old.commitment or new.event_created_at <> old.event_created_at
     or new.event_timestamp <> old.event_timestamp or new.actor_id <> old.actor_id or new.target_id <> old.target_id
     or new.pii_tagged <> old.pii_tagged then
    raise exception using errcode = 'EVG01', message = 'only erasure may change evident.personal_data';
  end if;
  return new;
end
$$;
create trigger _010_guard before update or delete on evident.personal_data
  for each row execute function evident.tg_personal_data__guard();

-- What reading an event shows of its personal data: the values while they exist, and for each
-- erased one only that (and when and how) it was removed. Null for events without personal data.
create function evident.personal_data_of(event uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_object_agg(p.name,
    case when p.erased_at is null
      then pg_catalog.jsonb_build_object('subject_id', p.subject_id, 'value', p.value)
      else pg_catalog.jsonb_build_object('erased', true, 'erasure', p.erasure,
        'erased_at', evident.canonical_timestamp(p.erased_at), 'erasure_event_id', p.erasure_event_id)
    end)
  from evident.personal_data p
  where p.event_id = event
$$;
comment on function evident.personal_data_of(uuid) is
  'The personal data of one event as readers see it: values while they exist, erased markers after.';
revoke execute on function evident.personal_data_of(uuid) from public, anon, authenticated, service_role;
grant execute on function evident.personal_data_of(uuid) to evident_writer, evident_analyst;

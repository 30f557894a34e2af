-- Idempotent appends: a retried request carrying the same idempotency keys gets the original
-- results back and writes nothing. One row per (organisation, key), written in the same
-- transaction as the event it names, append-only like the trail itself.

create table evident.idempotency_keys (
  organization_id uuid not null references public.organizations (id),
  idempotency_key text not null check (length(idempotency_key) between 1 and 200),
  -- SHA-256 of the request's event as sent, so a key reused for a different event is refused.
  request_hash text not null check (request_hash ~ '^[0-9a-f]{64}$'),
  seq bigint not null,
  created_at timestamptz not null,
  primary key (organization_id, idempotency_key)
);
comment on table evident.idempotency_keys is 'Idempotency keys of appended events, for replaying retried requests.';

alter table evident.idempotency_keys enable row level security;
revoke all on evident.idempotency_keys from public, anon, authenticated, service_role;
grant select, insert on evident.idempotency_keys to evident_writer;
create policy idempotency_keys_select_writer on evident.idempotency_keys
  for select to evident_writer using (true);
create policy idempotency_keys_insert_writer on evident.idempotency_keys
  for insert to evident_writer with check (true);

select evident.make_append_only('evident.idempotency_keys');

insert into evident.protected_relations (relid, kind, writer_may_insert)
values ('evident.idempotency_keys'::regclass, 'idempotency_keys', true);

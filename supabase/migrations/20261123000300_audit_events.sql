-- The audit trail: one append-only table, RANGE-partitioned by month on the server-assigned
-- `created_at`. Column names are the ones the GrowBro guide's SQL reads unqualified.
--
-- Append-only is enforced three times over, because each layer covers a different actor:
--   privileges  API roles and the writer have no UPDATE/DELETE/TRUNCATE at all;
--   triggers    refuse the same for the owner and anyone privileges do not stop (row triggers are
--               cloned onto every partition; TRUNCATE triggers are added per partition);
--   signatures  catch a superuser who disables all of the above (see docs/canonical-form.md).

create table evident.protected_relations (
  relid oid primary key,
  kind text not null check (kind in (
    'parent', 'partition', 'default_partition', 'chain_heads', 'manifests', 'idempotency_keys', 'registry',
    'checkpoints')),
  -- The one write privilege anyone but the owner may hold on an audit object: INSERT, for the
  -- writer role, on the relations the append path fills.
  writer_may_insert boolean not null default false
);
create unique index protected_relations_one_parent on evident.protected_relations (kind) where kind = 'parent';
comment on table evident.protected_relations is
  'Relations whose DDL (ALTER, DROP, DETACH, triggers, policies) the audit DDL guard refuses.';
alter table evident.protected_relations enable row level security;
revoke all on evident.protected_relations from public;

create table public.audit_events (
  id uuid not null default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id),
  seq bigint not null check (seq >= 1),
  previous_hash text check (previous_hash ~ '^[0-9a-f]{64}$'),
  entry_hash text not null check (entry_hash ~ '^[0-9a-f]{64}$'),
  signature text not null check (signature ~ '^[0-9a-f]{64}$'),
  key_id text not null check (key_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  canonical_version smallint not null check (canonical_version >= 1),
  event_type text not null check (event_type ~ '^[a-z][a-z0-9_.]{0,63}$'),
  actor_id text not null check (length(actor_id) between 1 and 256),
  actor_type text not null check (length(actor_type) between 1 and 64),
  target_id text not null check (length(target_id) between 1 and 256),
  target_type text not null check (length(target_type) between 1 and 64),
  action text not null check (length(action) between 1 and 128),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  "timestamp" timestamptz not null,
  retention_until timestamptz not null,
  pii_tagged boolean not null default false,
  created_at timestamptz not null,
  -- Genesis has no predecessor; every later entry names one.
  constraint audit_events_genesis_link check ((seq = 1) = (previous_hash is null)),
  -- (organization_id, seq) identifies an entry; created_at is here because a partitioned table's
  -- keys must include the partition key. Nothing else is unique: a second unique key would let
  -- INSERT ... ON CONFLICT DO NOTHING skip a row the chain check has already counted.
  primary key (organization_id, seq, created_at)
) partition by range (created_at);

create index audit_events_id_idx on public.audit_events (id);

comment on table public.audit_events is
  'Append-only, hash-chained, HMAC-signed audit trail. One chain per organisation; monthly partitions in schema evident.';
comment on column public.audit_events.created_at is
  'Database clock when appended. The chain trigger refuses values outside the inserting transaction.';
comment on column public.audit_events."timestamp" is 'When the audited action happened, as reported by the caller.';
comment on column public.audit_events.entry_hash is 'SHA-256 of the canonical payload (docs/canonical-form.md), hex.';
comment on column public.audit_events.signature is 'HMAC-SHA256(key[key_id], entry_hash), hex. The key never enters the database.';

insert into evident.protected_relations (relid, kind, writer_may_insert) values
  ('evident.protected_relations'::regclass, 'registry', false),
  ('public.audit_events'::regclass, 'parent', true);

-- Refuses UPDATE, DELETE and TRUNCATE on audit data for every role that reaches the trigger.
create function evident.tg_audit_events__refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = 'EVW01',
    message = format('%s on %s is refused: the audit trail is append-only', tg_op, tg_table_name),
    hint = 'A correction is a new event that references the original.';
end
$$;

-- The three triggers that make a table append-only for everyone they reach. Used for the trail
-- and for every table of its evidence (idempotency keys, checkpoints).
create function evident.make_append_only(target regclass)
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute format('create trigger _010_refuse_update before update on %s for each row execute function evident.tg_audit_events__refuse_change()', target);
  execute format('create trigger _010_refuse_delete before delete on %s for each row execute function evident.tg_audit_events__refuse_change()', target);
  execute format('create trigger _010_refuse_truncate before truncate on %s for each statement execute function evident.tg_audit_events__refuse_change()', target);
end
$$;
revoke execute on function evident.make_append_only(regclass) from public;

select evident.make_append_only('public.audit_events');

-- Rows whose month has no partition land here only to be refused: a clear error, never a catch-all.
create table evident.audit_events_unpartitioned partition of public.audit_events default;
alter table evident.audit_events_unpartitioned add constraint audit_events_unpartitioned_empty check (false) not valid;

create function evident.tg_audit_events__refuse_unpartitioned()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = 'EVP01',
    message = format('no audit_events partition exists for %s (month %s)',
      new.created_at, to_char(new.created_at at time zone 'UTC', 'YYYY-MM')),
    hint = 'Run select evident.create_audit_partitions(); pg_cron or the maintenance command keeps three months ahead.';
end
$$;

create trigger _000_refuse_unpartitioned before insert on evident.audit_events_unpartitioned
  for each row execute function evident.tg_audit_events__refuse_unpartitioned();
create trigger _010_refuse_truncate before truncate on evident.audit_events_unpartitioned
  for each statement execute function evident.tg_audit_events__refuse_change();

insert into evident.protected_relations (relid, kind)
values ('evident.audit_events_unpartitioned'::regclass, 'default_partition');

-- Row security on the parent applies to every query through it; each partition gets its own,
-- policy-less and forced, so a partition named directly yields nothing to anyone but the owner.
alter table public.audit_events enable row level security;
alter table public.audit_events force row level security;
alter table evident.audit_events_unpartitioned enable row level security;
alter table evident.audit_events_unpartitioned force row level security;

revoke all on public.audit_events from public, anon, authenticated, service_role;
revoke all on evident.audit_events_unpartitioned from public, anon, authenticated, service_role;

-- Signed-in members read their organisation's trail when they administer or audit it. Moderators
-- write through the edge function and do not read the trail directly.
grant select on public.audit_events to authenticated;
create policy audit_events_select_member on public.audit_events
  for select to authenticated
  using (
    organization_id in (
      select m.organization_id from public.organization_members m
      where m.user_id = (select auth.uid()) and m.role in ('admin', 'auditor')
    )
  );

grant select on public.audit_events to evident_analyst;
create policy audit_events_select_analyst on public.audit_events
  for select to evident_analyst using (true);

-- The writer appends (the chain trigger decides whether the row may join the chain) and reads
-- for the audited read path and idempotent retries.
grant select, insert on public.audit_events to evident_writer;
create policy audit_events_insert_writer on public.audit_events
  for insert to evident_writer with check (true);
create policy audit_events_select_writer on public.audit_events
  for select to evident_writer using (true);

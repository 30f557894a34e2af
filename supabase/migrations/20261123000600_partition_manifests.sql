-- One row per sealed month: what the month held and the signed Merkle root that proves it. The
-- seed's integrity query reads the first seven columns unqualified. Rows are written by the
-- sealing function and touched afterwards only by verification, and only its two columns.

create table public.partition_manifests (
  partition_name text primary key check (partition_name ~ '^audit_events_[0-9]{4}_[0-9]{2}$'),
  partition_start_date date not null,
  partition_end_date date not null,
  record_count bigint not null check (record_count >= 0),
  verification_status text not null check (verification_status in ('sealed', 'verified', 'tampered')),
  last_verified_at timestamptz,
  checksum text not null check (checksum ~ '^[0-9a-f]{64}$'),
  -- Per organisation: {organization_id, first_seq, last_seq, count, root, last_hash}.
  organization_roots jsonb not null default '[]'::jsonb check (jsonb_typeof(organization_roots) = 'array'),
  -- Counts by event type and by the metadata fields the transparency SQL reads.
  aggregates jsonb not null default '{}'::jsonb check (jsonb_typeof(aggregates) = 'object'),
  signature text not null check (signature ~ '^[A-Za-z0-9+/]{86}==$'),
  signing_key_id text not null check (signing_key_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  sealed_at timestamptz not null,
  constraint partition_manifests_month check (
    partition_start_date = date_trunc('month', partition_start_date)::date
    and partition_end_date = (partition_start_date + interval '1 month' - interval '1 day')::date
    and partition_name = 'audit_events_' || lpad(extract(year from partition_start_date)::text, 4, '0')
                         || '_' || lpad(extract(month from partition_start_date)::text, 2, '0')
  )
);
comment on table public.partition_manifests is
  'Signed seal of each finished month of audit_events. checksum: RFC 6962 Merkle root of the month''s entry hashes in (organization_id, seq) order.';
comment on column public.partition_manifests.partition_end_date is 'Last day of the month, inclusive.';
comment on column public.partition_manifests.signature is 'Ed25519 signature (base64) over the manifest''s canonical form.';

insert into evident.protected_relations (relid, kind)
values ('public.partition_manifests'::regclass, 'manifests');

alter table public.partition_manifests enable row level security;
alter table public.partition_manifests force row level security;
revoke all on public.partition_manifests from public, anon, authenticated, service_role;

grant select on public.partition_manifests to evident_analyst, evident_writer;
create policy partition_manifests_select_analyst on public.partition_manifests
  for select to evident_analyst using (true);
create policy partition_manifests_select_writer on public.partition_manifests
  for select to evident_writer using (true);

-- Sealing sets evident.manifest_write = 'seal' for its INSERT; verification sets 'verify' for its
-- UPDATE of the status columns. Both are security definer functions granted to nobody else.
create function evident.tg_partition_manifests__guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  writer text := coalesce(current_setting('evident.manifest_write', true), '');
begin
  if tg_op = 'INSERT' and writer = 'seal' then
    return new;
  end if;
  if tg_op = 'UPDATE' and writer = 'verify'
     and (to_jsonb(new) - 'verification_status' - 'last_verified_at')
       = (to_jsonb(old) - 'verification_status' - 'last_verified_at') then
    return new;
  end if;
  raise exception using
    errcode = 'EVM01',
    message = format('%s on partition_manifests is refused: manifests are written by sealing and updated only by verification', tg_op);
end
$$;

create trigger _010_guard before insert or update or delete on public.partition_manifests
  for each row execute function evident.tg_partition_manifests__guard();
create trigger _010_refuse_truncate before truncate on public.partition_manifests
  for each statement execute function evident.tg_partition_manifests__guard();

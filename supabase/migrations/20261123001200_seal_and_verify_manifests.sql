-- The only ways a manifest is written: sealing records a new one (never over an existing one), and
-- verification records its outcome in the two status columns. Both are definer functions that
-- set the flag the manifest guard trigger checks; nobody else can.
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.record_manifest(manifest jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.partition_manifests m where m.partition_name = manifest ->> 'partition_name') then
    raise exception using
      errcode = 'EVM02',
      message = format('%s is already sealed; a sealed month is never sealed again', manifest ->> 'partition_name');
  end if;
  perform pg_catalog.set_config('evident.manifest_write', 'seal', true);
  insert into public.partition_manifests (
    partition_name, partition_start_date, partition_end_date, record_count, verification_status,
    last_verified_at, checksum, organization_roots, aggregates, signature, signing_key_id, sealed_at)
  values (
    manifest ->> 'partition_name',
    (manifest ->> 'partition_start_date')::date,
    (manifest ->> 'partition_end_date')::date,
    (manifest ->> 'record_count')::bigint,
    'sealed',
    (manifest ->> 'sealed_at')::timestamptz,
    manifest ->> 'checksum',
    manifest -> 'organization_roots',
    manifest -> 'aggregates',
    manifest ->> 'signature',
    manifest ->> 'signing_key_id',
    (manifest ->> 'sealed_at')::timestamptz);
  perform pg_catalog.set_config('evident.manifest_write', '', true);
end
$$;
comment on function evident.record_manifest(jsonb) is
  'Stores a sealed month''s signed manifest. Refuses (EVM02) if the month is already sealed.';

create function evident.record_manifest_verification(partition text, passed boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  updated integer;
begin
  perform pg_catalog.set_config('evident.manifest_write', 'verify', true);
  update public.partition_manifests m
     set verification_status = case when passed then 'verified' else 'tampered' end,
         last_verified_at = pg_catalog.now()
   where m.partition_name = partition;
  get diagnostics updated = row_count;
  perform pg_catalog.set_config('evident.manifest_write', '', true);
  if updated = 0 then
    raise exception using errcode = 'EVM03', message = format('%s has no manifest: it was never sealed', partition);
  end if;
end
$$;
comment on function evident.record_manifest_verification(text, boolean) is
  'Records a verification run''s outcome on a sealed month: verified, or tampered.';

revoke execute on function evident.record_manifest(jsonb) from public;
revoke execute on function evident.record_manifest_verification(text, boolean) from public;
grant execute on function evident.record_manifest(jsonb), evident.record_manifest_verification(text, boolean) to evident_writer;

-- Manifests are written only through evident.record_manifest (sealing: once per month, never over
-- an existing seal) and evident.record_manifest_verification (the two status columns). API roles
-- and the analyst may call neither.
begin;
\ir _helpers.psql

select plan(17);

select $json${
  "partition_name": "audit_events_2030_05", "partition_start_date": "2030-05-01", "partition_end_date": "2030-05-31",
  "record_count": 3, "checksum": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "organization_roots": [], "aggregates": {"by_organization": {}},
  "signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
  "signing_key_id": "ed25519-0123456789abcdef", "sealed_at": "2030-06-01T00:00:05.000000Z"
}$json$ as manifest \gset

-- Who may call ---------------------------------------------------------------------------------------
set local role anon;
select throws_ok(format('select evident.record_manifest(%L)', :'manifest'), '42501', null, 'anon: record_manifest is refused');
select throws_ok('select evident.record_manifest_verification(''audit_events_2030_05'', true)', '42501', null,
  'anon: record_manifest_verification is refused');
reset role;
set local role authenticated;
select throws_ok(format('select evident.record_manifest(%L)', :'manifest'), '42501', null, 'authenticated: record_manifest is refused');
reset role;
set local role service_role;
select throws_ok(format('select evident.record_manifest(%L)', :'manifest'), '42501', null, 'service_role: record_manifest is refused');
select throws_ok('select evident.record_manifest_verification(''audit_events_2030_05'', true)', '42501', null,
  'service_role: record_manifest_verification is refused');
reset role;
set local role evident_analyst;
select throws_ok(format('select evident.record_manifest(%L)', :'manifest'), '42501', null, 'evident_analyst: record_manifest is refused');
reset role;

-- Sealing ---------------------------------------------------------------------------------------------
set local role evident_writer;
select lives_ok(format('select evident.record_manifest(%L)', :'manifest'), 'evident_writer: records a manifest');
reset role;
select results_eq(
  $$select record_count, verification_status, checksum, signing_key_id, sealed_at = last_verified_at
      from public.partition_manifests where partition_name = 'audit_events_2030_05'$$,
  $$values (3::bigint, 'sealed'::text, repeat('a', 64), 'ed25519-0123456789abcdef'::text, true)$$,
  'the manifest is stored as sealed, with its root and key id');
select throws_ok(format('select evident.record_manifest(%L)', :'manifest'), 'EVM02', null,
  'a second seal of the same month is refused');
select throws_ok(
  format('select evident.record_manifest(%L)', jsonb_set(:'manifest'::jsonb, '{checksum}', to_jsonb(repeat('b', 64)))),
  'EVM02', null, 'and so is a different manifest for it: a sealed month is never re-blessed');
select is((select checksum from public.partition_manifests where partition_name = 'audit_events_2030_05'), repeat('a', 64),
  'the first seal stands');
select throws_ok(
  format('select evident.record_manifest(%L)', jsonb_set(:'manifest'::jsonb, '{partition_name}', '"audit_events_2030_06"')),
  '23514', null, 'a manifest whose dates do not match its month is refused by the table''s checks');

-- Verification ------------------------------------------------------------------------------------------
set local role evident_writer;
select lives_ok('select evident.record_manifest_verification(''audit_events_2030_05'', true)',
  'evident_writer: records a passed verification');
reset role;
select is((select verification_status from public.partition_manifests where partition_name = 'audit_events_2030_05'), 'verified',
  'which marks the month verified');
select lives_ok('select evident.record_manifest_verification(''audit_events_2030_05'', false)', 'a failed verification is recorded');
select results_eq(
  $$select verification_status, checksum, record_count from public.partition_manifests where partition_name = 'audit_events_2030_05'$$,
  $$values ('tampered'::text, repeat('a', 64), 3::bigint)$$,
  'as tampered, with nothing else of the manifest changed');
select throws_ok('select evident.record_manifest_verification(''audit_events_2029_01'', true)', 'EVM03', null,
  'verifying a month that was never sealed says so');

select * from finish();
rollback;

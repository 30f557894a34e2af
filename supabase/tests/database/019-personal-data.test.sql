-- The erasable personal-data store (canonical form v2): unreachable by API roles; the writer may
-- insert and erase, never delete, never change a value in place or restore an erased one; the
-- owner is held to the same by the guard trigger. audit_events accepts commitments only on
-- version 2 rows. evident.personal_data_of shows values while they exist, erased markers after.
begin;
\ir _helpers.psql

select plan(22);

select tests.create_org('Org P') as org \gset
select tests.append_event(:'org') as event_id \gset
select created_at as event_created_at from public.audit_events where id = :'event_id' \gset

create function tests.personal_row(org uuid, event uuid, created timestamptz, name text, subject text, value jsonb)
returns text language sql as $$
  select format(
    'insert into evident.personal_data (organization_id, event_id, name, subject_id, value, nonce, commitment, event_created_at, event_timestamp, actor_id, target_id, pii_tagged) values (%L, %L, %L, %L, %L, %L, %L, %L, %L, %L, %L, true)',
    org, event, name, subject, value, repeat('a', 32), repeat('b', 64), created, created, 'moderator-1', 'content-1')
$$;
grant execute on function tests.personal_row(uuid, uuid, timestamptz, text, text, jsonb) to public;

-- API roles ----------------------------------------------------------------------------------------
set local role anon;
select throws_ok('select count(*) from evident.personal_data', '42501', null, 'anon: reading personal data is refused');
reset role;
set local role authenticated;
select throws_ok('select count(*) from evident.personal_data', '42501', null, 'authenticated: reading personal data is refused');
select throws_ok(tests.personal_row(:'org', :'event_id', :'event_created_at', 'ip', 'u1', '"1.2.3.4"'), '42501', null, 'authenticated: writing personal data is refused');
select throws_ok(format('select evident.personal_data_of(%L)', :'event_id'), '42501', null, 'authenticated: personal_data_of is refused');
reset role;
set local role service_role;
select throws_ok('select count(*) from evident.personal_data', '42501', null, 'service_role: reading personal data is refused');
reset role;

select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = 'evident.personal_data'::regclass), 'row security is enabled and forced');

-- The writer -----------------------------------------------------------------------------------------
set local role evident_writer;
select lives_ok(tests.personal_row(:'org', :'event_id', :'event_created_at', 'reporter_ip', 'user-1', '"203.0.113.7"'), 'evident_writer: stores a personal value');
select lives_ok(tests.personal_row(:'org', :'event_id', :'event_created_at', 'reason_text', 'user-1', '"free text"'), 'evident_writer: stores a second one');
select is(evident.personal_data_of(:'event_id') -> 'reporter_ip', '{"subject_id": "user-1", "value": "203.0.113.7"}'::jsonb, 'personal_data_of shows a value while it exists');
select throws_ok(format('update evident.personal_data set subject_id = %L where event_id = %L and name = %L', 'user-2', :'event_id', 'reporter_ip'),
  'EVG01', null, 'evident_writer: moving a value to another subject is refused');
select throws_ok(format('update evident.personal_data set value = %L where event_id = %L and name = %L', '"x"', :'event_id', 'reporter_ip'),
  'EVG01', null, 'evident_writer: changing a value in place is refused');
select throws_ok(format('delete from evident.personal_data where event_id = %L', :'event_id'), '42501', null, 'evident_writer: deleting is refused');
select throws_ok(
  format('update evident.personal_data set erased_at = now(), erasure = %L, erasure_event_id = %L where event_id = %L and name = %L', 'erased', :'event_id', :'event_id', 'reporter_ip'),
  '23514', null, 'erasing without clearing value, subject and nonce is refused');
select lives_ok(
  format('update evident.personal_data set value = null, subject_id = null, nonce = null, erased_at = now(), erasure = %L, erasure_event_id = %L where event_id = %L and name = %L', 'erased', :'event_id', :'event_id', 'reporter_ip'),
  'evident_writer: erases a value');
select is(evident.personal_data_of(:'event_id') -> 'reporter_ip' ->> 'erased', 'true', 'personal_data_of shows the erased value as erased');
select is(evident.personal_data_of(:'event_id') -> 'reporter_ip' -> 'value', null, '... without its value');
select is((select count(*)::int from evident.personal_data where event_id = :'event_id' and name = 'reporter_ip' and erased_at is null), 0,
  'an erased row is no longer visible for update (policy): it cannot be restored by the writer');
reset role;

-- The owner ------------------------------------------------------------------------------------------
select throws_ok(format('update evident.personal_data set value = %L, subject_id = %L, nonce = %L, erased_at = null, erasure = null, erasure_event_id = null where event_id = %L and name = %L',
  '"203.0.113.7"', 'user-1', repeat('a', 32), :'event_id', 'reporter_ip'), 'EVG01', null, 'owner: restoring an erased value is refused');
select throws_ok(format('delete from evident.personal_data where event_id = %L', :'event_id'), 'EVG01', null, 'owner: deleting is refused');

-- Commitments on audit_events ------------------------------------------------------------------------
select throws_ok(format($sql$
  insert into public.audit_events (organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version, event_type, actor_id, actor_type,
    target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at, personal_commitments)
  select %L, h.seq + 1, h.entry_hash, %L, %L, 'test-1', 1, 'decision_made', 'm', 'user', 't', 'content', 'remove', '{}', now(), now() + interval '7 years', false, h.now,
    jsonb_build_object('ip', %L)
  from evident.lock_chain_head(%L) h$sql$, :'org', repeat('c', 64), repeat('d', 64), repeat('e', 64), :'org'),
  '23514', null, 'a version 1 row may not carry personal commitments');
select throws_ok(format($sql$
  insert into public.audit_events (organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version, event_type, actor_id, actor_type,
    target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at, personal_commitments)
  select %L, h.seq + 1, h.entry_hash, %L, %L, 'test-1', 2, 'decision_made', 'm', 'user', 't', 'content', 'remove', '{}', now(), now() + interval '7 years', false, h.now,
    '{}'::jsonb
  from evident.lock_chain_head(%L) h$sql$, :'org', repeat('c', 64), repeat('d', 64), :'org'),
  '23514', null, 'a version 2 row needs at least one commitment');
select has_column('evident', 'audit_entries', 'personal_commitments', 'the verifiers'' view carries the commitments');

select * from finish();
rollback;

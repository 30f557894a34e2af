-- Authority requests: reachable only by the writer role (the authority-requests function) and
-- the analyst (reports); answered once, never edited or deleted. The legal member role exists.
-- Checkpoint trees must end at the checkpointed entry.
begin;
\ir _helpers.psql

select plan(21);

select tests.create_org('Org R') as org_r \gset
select tests.create_user() as legal_user \gset

select lives_ok(format('select tests.add_member(%L, %L, %L)', :'org_r', :'legal_user', 'legal'), 'legal is a member role');
select throws_ok(format('select tests.add_member(%L, tests.create_user(), %L)', :'org_r', 'owner'), '23514', null,
  'an unknown member role is refused');

select format($sql$
  insert into evident.authority_requests (organization_id, authority, legal_basis, scope_start, scope_end, response_deadline, received_by)
  values (%L, 'Commission', 'DSA Art. 40', '2026-01-01', '2026-02-01', '2026-03-01', 'legal-team') returning id
$sql$, :'org_r') as insert_request \gset

-- Who may reach requests ---------------------------------------------------------------------------
select ok(not has_table_privilege('anon', 'evident.authority_requests', 'select, insert, update, delete')
  and not has_table_privilege('authenticated', 'evident.authority_requests', 'select, insert, update, delete')
  and not has_table_privilege('service_role', 'evident.authority_requests', 'select, insert, update, delete'),
  'API roles hold no privilege on authority_requests');
select ok(not has_table_privilege('evident_writer', 'evident.authority_requests', 'delete')
  and not has_column_privilege('evident_writer', 'evident.authority_requests', 'authority', 'update'),
  'the writer can neither delete a request nor rewrite what was asked');
set local role anon;
select throws_ok(:'insert_request', '42501', null, 'anon: recording a request is refused');
select throws_ok('select count(*) from evident.authority_requests', '42501', null, 'anon: reading requests is refused');
reset role;
select tests.authenticate_as(:'legal_user');
select throws_ok(:'insert_request', '42501', null, 'authenticated (even legal): recording a request directly is refused');
select throws_ok('select count(*) from evident.authority_requests', '42501', null, 'authenticated: reading requests directly is refused');
select tests.clear_authentication();
set local role service_role;
select throws_ok(:'insert_request', '42501', null, 'service_role: recording a request directly is refused');
reset role;

set local role evident_writer;
select lives_ok(:'insert_request', 'evident_writer records a request');
reset role;
select id as request_id from evident.authority_requests where organization_id = :'org_r' \gset

set local role evident_analyst;
select is((select count(*) from evident.authority_requests where organization_id = :'org_r'), 1::bigint, 'evident_analyst reads requests');
select throws_ok(format('update evident.authority_requests set status = %L where id = %L', 'received', :'request_id'), '42501', null,
  'evident_analyst: updating a request is refused');
reset role;

-- Answered once -------------------------------------------------------------------------------------
set local role evident_writer;
select throws_ok(format('update evident.authority_requests set status = %L, responded_at = now() where id = %L', 'responded', :'request_id'),
  '23514', null, 'a response without its event count and export signature is refused');
select throws_ok(format('update evident.authority_requests set authority = %L where id = %L', 'Someone else', :'request_id'),
  '42501', null, 'evident_writer: the request''s own fields cannot be changed');
select lives_ok(format($sql$update evident.authority_requests set status = 'responded', responded_at = now(), events_provided = 3,
  export_signature = %L where id = %L$sql$, repeat('A', 86) || '==', :'request_id'), 'a request is answered');
select throws_ok(format($sql$update evident.authority_requests set status = 'responded', responded_at = now(), events_provided = 4,
  export_signature = %L where id = %L$sql$, repeat('B', 86) || '==', :'request_id'), 'EVW01', null, 'and only once');
select throws_ok(format('delete from evident.authority_requests where id = %L', :'request_id'), '42501', null,
  'evident_writer: deleting a request is refused');
reset role;
select throws_ok(format('update evident.authority_requests set reference = %L where id = %L', 'X', :'request_id'), 'EVW01', null,
  'postgres: even the owner cannot edit an answered request');

-- Checkpoint trees ------------------------------------------------------------------------------------
select tests.append_event(:'org_r') \gset
select tests.append_event(:'org_r') \gset
select seq, entry_hash from evident.chain_heads where organization_id = :'org_r' \gset head_
select format($json${"organization_id": "%s", "seq": %s, "entry_hash": "%s", "checkpointed_at": "2026-11-23T10:00:00.000000Z",
  "signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
  "signing_key_id": "ed25519-0123456789abcdef",
  "tree": {"partition_name": "audit_events_2026_11", "first_seq": 1, "size": %s, "root": "%s"}}$json$,
  :'org_r', :'head_seq', :'head_entry_hash', :'head_seq', repeat('a', 64)) as checkpoint \gset
set local role evident_writer;
select throws_ok(format('select evident.record_checkpoint(%L)', jsonb_set(:'checkpoint'::jsonb, '{tree,size}', '1')), 'EVK01', null,
  'a checkpoint whose tree does not end at its entry is refused');
select lives_ok(format('select evident.record_checkpoint(%L)', :'checkpoint'), 'a checkpoint with its tree head is recorded');
select is((select tree ->> 'root' from evident.checkpoints where organization_id = :'org_r'), repeat('a', 64), 'with its tree');
reset role;

select * from finish();
rollback;

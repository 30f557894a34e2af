-- The Statements of Reasons outbox: unreachable by API roles, used by evident_writer through its
-- functions; the payload's hash is enforced; a puid is queued once; claims are leased and skip
-- locked rows; states move only along pending → submitting → submitted | pending | dead_letter,
-- dead_letter → pending; a submitted statement is final; nothing is ever deleted.
begin;
\ir _helpers.psql

select plan(34);

select tests.create_org('Org S') as org \gset
select '{"puid":"p-1","decision_facts":"x"}' as payload \gset
select encode(sha256(convert_to(:'payload', 'UTF8')), 'hex') as sha \gset

-- Who may reach it --------------------------------------------------------------------------------
set local role anon;
select throws_ok('select count(*) from evident.sor_outbox', '42501', null, 'anon: reading the outbox is refused');
select throws_ok(format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p-1', :'payload', :'sha'), '42501', null, 'anon: enqueue_statement is refused');
reset role;
set local role authenticated;
select throws_ok('select count(*) from evident.sor_outbox', '42501', null, 'authenticated: reading the outbox is refused');
select throws_ok($$select * from evident.claim_statements('w', 10, '1 minute')$$, '42501', null, 'authenticated: claim_statements is refused');
reset role;
set local role service_role;
select throws_ok('select count(*) from evident.sor_outbox', '42501', null, 'service_role: reading the outbox directly is refused');
select throws_ok('select evident.requeue_statements()', '42501', null, 'service_role: requeue_statements is refused');
reset role;
select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = 'evident.sor_outbox'::regclass), 'row security is enabled and forced');

-- Queueing ---------------------------------------------------------------------------------------------
set local role evident_writer;
select lives_ok(format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p-1', :'payload', :'sha'), 'evident_writer queues a statement');
select is((select count(*)::int from evident.sor_outbox where puid = 'p-1'), 1, 'one row');
select lives_ok(format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p-1', :'payload', :'sha'), 'the same puid and payload again is a no-op');
select is((select count(*)::int from evident.sor_outbox where puid = 'p-1'), 1, 'still one row');
select throws_ok(
  format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p-1', '{"puid":"p-1","decision_facts":"y"}',
    encode(sha256(convert_to('{"puid":"p-1","decision_facts":"y"}', 'UTF8')), 'hex')),
  'EVS01', null, 'the same puid with another statement is refused (EVS01)');
select throws_ok(format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p-2', :'payload', repeat('0', 64)),
  '23514', null, 'a hash that is not the payload''s SHA-256 is refused');
select throws_ok(format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p 3', :'payload', :'sha'),
  '23514', null, 'a puid outside the Commission''s pattern is refused');
select is((select state from evident.sor_outbox where puid = 'p-1'), 'pending', 'a queued statement is pending');

-- Claiming -------------------------------------------------------------------------------------------
select is((select count(*)::int from evident.claim_statements('worker-a', 10, '1 hour')), 1, 'worker-a claims the due statement');
select is((select state || ':' || lease_owner || ':' || attempts from evident.sor_outbox where puid = 'p-1'), 'submitting:worker-a:1',
  'it is submitting, leased to worker-a, attempt 1');
select is((select count(*)::int from evident.claim_statements('worker-b', 10, '1 hour')), 0, 'a live lease is not claimed again');
select is((select evident.release_statement('worker-b', id, 'pending', null, 500, '{}') from evident.sor_outbox where puid = 'p-1'), false,
  'a worker that does not hold the lease cannot release it');
select is((select count(*)::int from evident.complete_statements('worker-b',
  jsonb_build_array(jsonb_build_object('id', (select id from evident.sor_outbox where puid = 'p-1'), 'commission_uuid', 'x')))), 0,
  'nor complete it');
reset role;
update evident.sor_outbox set lease_expires_at = now() - interval '1 second' where puid = 'p-1';
set local role evident_writer;
select is((select lease_owner from evident.claim_statements('worker-b', 10, '1 hour')), 'worker-b', 'an expired lease is claimed by the next worker');
select is((select count(*)::int from evident.complete_statements('worker-a',
  jsonb_build_array(jsonb_build_object('id', (select id from evident.sor_outbox where puid = 'p-1'), 'commission_uuid', 'x')))), 0,
  'the worker that lost its lease completes nothing');
select is((select evident.release_statement('worker-b', id, 'dead_letter', null, 422, '{"errors":{}}') from evident.sor_outbox where puid = 'p-1'), true,
  'the lease holder sends it to the dead letter');
select is((select state || ':' || last_status from evident.sor_outbox where puid = 'p-1'), 'dead_letter:422', 'dead_letter, with the status');
select is((select count(*)::int from evident.requeue_statements()), 1, 'requeue puts the dead letter back');
select is((select count(*)::int from evident.claim_statements('worker-c', 10, '1 hour')), 1, 'and it is claimed again');
select is((select count(*)::int from evident.complete_statements('worker-c',
  jsonb_build_array(jsonb_build_object('id', (select id from evident.sor_outbox where puid = 'p-1'), 'commission_uuid', 'c-uuid', 'status', 201)))), 1,
  'the lease holder marks it submitted');
select is((select state || ':' || commission_uuid || ':' || attempts from evident.sor_outbox where puid = 'p-1'), 'submitted:c-uuid:3', 'submitted, with the Commission''s uuid');

-- Transitions the outbox refuses -------------------------------------------------------------------------
select throws_ok($$update evident.sor_outbox set state = 'pending', submitted_at = null where puid = 'p-1'$$, 'EVS02', null,
  'a submitted statement is final');
select throws_ok($$update evident.sor_outbox set payload = '{"puid":"p-1"}' where puid = 'p-1'$$, 'EVS02', null,
  'the payload never changes');
select throws_ok($$delete from evident.sor_outbox where puid = 'p-1'$$, '42501', null, 'evident_writer cannot delete a statement');
select lives_ok(format('select evident.enqueue_statement(%L, %L, %L, %L)', :'org', 'p-4', '{"puid":"p-4"}',
  encode(sha256(convert_to('{"puid":"p-4"}', 'UTF8')), 'hex')), 'another statement is queued');
select throws_ok($$update evident.sor_outbox set state = 'submitted', submitted_at = now() where puid = 'p-4'$$, 'EVS02', null,
  'pending cannot jump to submitted without a lease');
select throws_ok($$update evident.sor_outbox set state = 'submitting' where puid = 'p-4'$$, '23514', null,
  'submitting without a lease owner and expiry is refused');
reset role;

select * from finish();
rollback;

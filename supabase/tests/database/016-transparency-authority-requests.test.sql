-- transparency.authority_requests: one row per request from authority_data_request events, with
-- its deadline and status. It reads the trail's rows, so since issue 18 (reads through the Data API
-- are recorded) only evident_analyst and evident_writer read it; members get their organisation's
-- requests from the authority-requests function; anon nothing.
begin;
\ir _helpers.psql

select plan(7);

select tests.create_org('Org A') as org_a \gset
select tests.create_org('Org B') as org_b \gset
select tests.create_user('auditor-a@example.test') as auditor_a \gset
select tests.add_member(:'org_a', :'auditor_a', 'auditor') \gset

create function tests.authority_event(org uuid, request text, act text, meta jsonb, ts timestamptz)
returns void language plpgsql as $$
begin
  -- tests.append_event takes the event's action from metadata.action.
  perform tests.append_event(org, 'authority_data_request', meta || jsonb_build_object('action', act), ts, 'legal-team');
end $$;

-- R-1 answered in time, R-2 answered late, R-3 past its deadline, R-4 still open, R-5 with a
-- deadline that is not a timestamp (open, no deadline), and B's request.
select tests.authority_event(:'org_a', 'R-1', 'received', '{"request_id": "R-1", "authority": "EU Commission", "response_deadline": "2026-01-10T00:00:00Z"}', '2026-01-01') \gset
select tests.authority_event(:'org_a', 'R-1', 'responded', '{"request_id": "R-1", "events_provided": 12}', '2026-01-05') \gset
select tests.authority_event(:'org_a', 'R-2', 'received', '{"request_id": "R-2", "authority": "DSC Ireland", "response_deadline": "2026-02-10T00:00:00Z"}', '2026-02-01') \gset
select tests.authority_event(:'org_a', 'R-2', 'responded', '{"request_id": "R-2"}', '2026-02-20') \gset
select tests.authority_event(:'org_a', 'R-3', 'received', '{"request_id": "R-3", "authority": "DSC Ireland", "response_deadline": "2026-03-10T00:00:00Z"}', '2026-03-01') \gset
select tests.authority_event(:'org_a', 'R-4', 'received', format('{"request_id": "R-4", "authority": "EU Commission", "response_deadline": "%s"}', now() + interval '20 days')::jsonb, now() - interval '1 day') \gset
select tests.authority_event(:'org_a', 'R-5', 'received', '{"request_id": "R-5", "response_deadline": "next friday"}', now() - interval '1 day') \gset
select tests.authority_event(:'org_b', 'R-9', 'received', '{"request_id": "R-9", "response_deadline": "2026-01-10T00:00:00Z"}', '2026-01-01') \gset

select tests.authenticate_as(:'auditor_a') \gset
select throws_ok('select * from transparency.authority_requests', '42501', null, 'auditor of A: a direct read is refused (it would go unrecorded)');
select tests.clear_authentication() \gset

set local role evident_analyst;
select results_eq(
  format('select request_id, authority, status, events from transparency.authority_requests where organization_id = %L order by request_id', :'org_a'),
  $$values ('R-1', 'EU Commission', 'RESPONDED', 2::bigint), ('R-2', 'DSC Ireland', 'RESPONDED_LATE', 2::bigint),
           ('R-3', 'DSC Ireland', 'OVERDUE', 1::bigint), ('R-4', 'EU Commission', 'OPEN', 1::bigint), ('R-5', null, 'OPEN', 1::bigint)$$,
  'organisation A: its five requests with their statuses');
select results_eq(
  $$select received_at, response_deadline, responded_at from transparency.authority_requests where request_id = 'R-1'$$,
  $$values ('2026-01-01'::timestamptz, '2026-01-10T00:00:00Z'::timestamptz, '2026-01-05'::timestamptz)$$,
  'R-1: received, deadline and response');
select is((select response_deadline from transparency.authority_requests where request_id = 'R-5'), null,
  'a deadline that is not a timestamp is shown as none, and the view still answers');
select is((select count(*) from transparency.authority_requests where organization_id in (:'org_a', :'org_b')), 6::bigint,
  'analyst: both organisations'' requests');
reset role;
set local role anon;
select throws_ok('select * from transparency.authority_requests', '42501', null, 'anon: refused');
reset role;
select is((select c.reloptions @> array['security_invoker=true'] from pg_class c where c.oid = 'transparency.authority_requests'::regclass),
  true, 'the view is security_invoker');

select * from finish();
rollback;

-- Legal holds: reachable only by the writer role (functions, CLI) and the analyst (reports); a
-- hold covers exactly its scope, is released once, and is never edited or deleted.
begin;
\ir _helpers.psql

select plan(29);

select tests.create_org('Org H') as org_h \gset
select tests.create_org('Org Other') as org_other \gset
select tests.create_user() as legal_user \gset
select tests.add_member(:'org_h', :'legal_user', 'legal');

select format($sql$
  insert into evident.legal_holds (organization_id, scope, subject_id, reason, applied_by)
  values (%L, 'subject', 'user-42', 'litigation hold', 'legal-team') returning id
$sql$, :'org_h') as insert_hold \gset

-- Who may reach holds ----------------------------------------------------------------------------
-- Privileges themselves, not only the refusals (which the missing schema USAGE would cause anyway).
select ok(not has_table_privilege('anon', 'evident.legal_holds', 'select, insert, update, delete'), 'anon holds no privilege on legal_holds');
select ok(not has_table_privilege('authenticated', 'evident.legal_holds', 'select, insert, update, delete'), 'authenticated holds no privilege on legal_holds');
select ok(not has_table_privilege('service_role', 'evident.legal_holds', 'select, insert, update, delete'), 'service_role holds no privilege on legal_holds');
select ok(not has_function_privilege('anon', 'transparency.event_held(uuid, text, text, timestamptz)', 'execute')
  and not has_function_privilege('anon', 'transparency.live_months()', 'execute'), 'anon may not execute the hold or month helpers');
set local role anon;
select throws_ok(:'insert_hold', '42501', null, 'anon: applying a hold is refused');
select throws_ok('select count(*) from evident.legal_holds', '42501', null, 'anon: reading holds is refused');
reset role;
select tests.authenticate_as(:'legal_user');
select throws_ok(:'insert_hold', '42501', null, 'authenticated (even legal): applying a hold directly is refused');
select throws_ok('select count(*) from evident.legal_holds', '42501', null, 'authenticated: reading holds directly is refused');
select tests.clear_authentication();
set local role service_role;
select throws_ok(:'insert_hold', '42501', null, 'service_role: applying a hold directly is refused');
reset role;

set local role evident_writer;
select lives_ok(:'insert_hold', 'evident_writer applies a hold');
select throws_ok(format($sql$insert into evident.legal_holds (organization_id, scope, subject_id, target_id, reason, applied_by)
  values (%L, 'subject', 'user-1', 'post-1', 'two scopes at once', 'x')$sql$, :'org_h'), '23514', null, 'a hold names exactly its scope''s fields');
select throws_ok(format($sql$insert into evident.legal_holds (organization_id, scope, range_start, range_end, reason, applied_by)
  values (%L, 'time_range', '2026-05-01', '2026-04-01', 'backwards range', 'x')$sql$, :'org_h'), '23514', null, 'a time range must run forwards');
select lives_ok(format($sql$insert into evident.legal_holds (organization_id, scope, range_start, range_end, reason, applied_by)
  values (%L, 'time_range', '2026-03-01', '2026-04-01', 'regulator inquiry', 'x')$sql$, :'org_h'), 'a time-range hold');
select lives_ok(format($sql$insert into evident.legal_holds (organization_id, scope, target_id, reason, applied_by)
  values (%L, 'target', 'post-7', 'preservation order', 'x')$sql$, :'org_h'), 'a target hold');
reset role;
select id as hold_id from evident.legal_holds where organization_id = :'org_h' and scope = 'subject' \gset

-- What a hold covers -------------------------------------------------------------------------------
set local role evident_analyst;
select ok(evident.active_holds_cover(:'org_h', array['user-1', 'user-42'], null, null, null), 'a subject hold covers its subject');
select ok(not evident.active_holds_cover(:'org_h', null, array['user-42'], null, null), 'a subject hold does not cover a target of the same name');
select ok(evident.active_holds_cover(:'org_h', null, array['post-7'], null, null), 'a target hold covers its target');
select ok(evident.active_holds_cover(:'org_h', null, null, '2026-03-31 23:00+00', '2026-05-01'), 'a time-range hold covers an overlapping range');
select ok(not evident.active_holds_cover(:'org_h', null, null, '2026-04-01', '2026-05-01'), 'ranges are half-open: touching is not overlapping');
select ok(not evident.active_holds_cover(:'org_other', array['user-42'], array['post-7'], '2026-03-01', '2026-04-01'), 'another organisation''s holds cover nothing here');
reset role;

-- Released once, never edited or deleted ----------------------------------------------------------
set local role evident_writer;
select lives_ok(format($sql$update evident.legal_holds set released_at = now(), released_by = 'legal-team', release_reason = 'case settled'
  where id = %L$sql$, :'hold_id'), 'a hold is released');
select throws_ok(format($sql$update evident.legal_holds set released_at = now(), released_by = 'x', release_reason = 'again' where id = %L$sql$, :'hold_id'),
  'EVW01', null, 'and only once');
select throws_ok(format('delete from evident.legal_holds where id = %L', :'hold_id'), '42501', null, 'evident_writer: deleting a hold is refused');
reset role;
set local role evident_analyst;
select ok(not evident.active_holds_cover(:'org_h', array['user-42'], null, null, null), 'a released hold covers nothing');
reset role;

-- In the retention compliance view -------------------------------------------------------------------
select tests.create_user() as admin_user \gset
select tests.add_member(:'org_h', :'admin_user', 'admin');
select tests.create_user() as outsider \gset
select tests.add_member(:'org_other', :'outsider', 'admin');
select tests.append_event(:'org_h', ts => now() - interval '8 years', actor_id => 'user-77') \gset
select tests.append_event(:'org_h', ts => now() - interval '8 years', actor_id => 'user-88') \gset
set local role evident_writer;
select lives_ok(format($sql$insert into evident.legal_holds (organization_id, scope, subject_id, reason, applied_by)
  values (%L, 'subject', 'user-77', 'litigation hold', 'x')$sql$, :'org_h'), 'a hold on one of two expired events'' subjects');
reset role;
set local role evident_analyst;
select results_eq(
  format($sql$select expired_events, held_expired_events, active_legal_holds, compliance_status
    from transparency.retention_compliance where organization_id = %L and event_type = 'decision_made'$sql$, :'org_h'),
  $$values (2::bigint, 1::bigint, 3::bigint, 'REQUIRES_CLEANUP'::text)$$,
  'analyst: the view counts the expired event a hold keeps, and the active holds, beside the guide''s status');
reset role;
select tests.authenticate_as(:'admin_user');
select is(transparency.active_hold_count(:'org_h'), 3::bigint,
  'an admin member gets the same hold count for their organisation (the view itself reads the trail, so members read it through compliance-reports)');
select tests.clear_authentication();
select tests.authenticate_as(:'outsider');
select is(transparency.active_hold_count(:'org_h'), null, 'a member of another organisation learns nothing about its holds');
select tests.clear_authentication();
set local role anon;
select throws_ok(format('select transparency.active_hold_count(%L)', :'org_h'), '42501', null, 'anon: hold figures are refused');
reset role;

select * from finish();
rollback;

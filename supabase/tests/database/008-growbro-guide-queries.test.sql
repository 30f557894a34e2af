-- The five SQL queries of the GrowBro compliance auditing guide
-- (shared/seeds/growbro-compliance-auditing-guide.md) run unmodified, as evident_analyst, against
-- the table and column names Evident provides, and return the right figures on a known dataset.
-- The query texts below are verbatim copies of the guide's code blocks, comments and final
-- semicolons included.
begin;
\ir _helpers.psql

select plan(15);

-- The guide's queries ------------------------------------------------------------------------------
select $dsa$-- DSA Art. 15 & 24 Metrics for Transparency Report
WITH reporting_period AS (
  SELECT
    DATE_TRUNC('year', NOW() - INTERVAL '1 year') AS start_date,
    DATE_TRUNC('year', NOW()) - INTERVAL '1 day' AS end_date
)
SELECT
  -- Notices received by category (Art. 16)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as total_notices_received,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.metadata->>'report_type' = 'illegal_content'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as illegal_content_notices,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.metadata->>'report_type' = 'policy_violation'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as policy_violation_notices,

  -- Moderation decisions by action type (Art. 17)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'decision_made'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as total_moderation_decisions,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'decision_made'
   AND ae.metadata->>'action' = 'content_removed'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as content_removal_decisions,

  -- SoR submissions to Commission DB (Art. 24(5))
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'sor_submitted'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as sor_submissions,

  -- Appeals and outcomes (Art. 20)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'appeal_filed'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as appeals_received,

  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'appeal_decided'
   AND ae.metadata->>'outcome' = 'upheld'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as appeals_upheld,

  -- ODS escalations (Art. 21)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'ods_escalation'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as ods_escalations,

  -- Trusted flagger metrics (Art. 22)
  (SELECT COUNT(DISTINCT ae.metadata->>'trusted_flagger_id')
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'report_submitted'
   AND ae.metadata->>'is_trusted_flagger' = 'true'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as active_trusted_flaggers,

  -- Repeat offender actions (Art. 23)
  (SELECT COUNT(*)
   FROM audit_events ae, reporting_period rp
   WHERE ae.event_type = 'repeat_offender_action'
   AND ae.timestamp BETWEEN rp.start_date AND rp.end_date
  ) as repeat_offender_actions;
$dsa$ as dsa \gset
select $ropa$-- Processing activities for moderation audit trails
SELECT
  'Moderation Audit Trail' as processing_activity,
  'Content moderation, decision tracking, appeal management' as purpose,
  'Art. 6(1)(c) - Legal obligation (DSA Art. 24)' as legal_basis,
  'Moderator IDs, User IDs, Content IDs, Timestamps, Decision metadata' as data_categories,
  '7 years for audit events, 30 days for PII before anonymization' as retention_period,
  'HMAC-SHA256 signatures, WORM enforcement, RLS policies, encrypted backups' as security_measures,
  'Commission Transparency Database (EU), Backup storage (EU)' as transfers,
  COUNT(*) as total_events,
  MIN(timestamp) as earliest_event,
  MAX(timestamp) as latest_event
FROM audit_events
WHERE event_type IN ('decision_made', 'appeal_filed', 'sor_submitted')
GROUP BY 1,2,3,4,5,6,7;
$ropa$ as ropa \gset
select $retention$-- Retention compliance check
WITH retention_analysis AS (
  SELECT
    event_type,
    COUNT(*) as total_events,
    COUNT(*) FILTER (WHERE retention_until < NOW()) as expired_events,
    COUNT(*) FILTER (WHERE pii_tagged = true AND created_at < NOW() - INTERVAL '30 days') as pii_requiring_anonymization,
    MIN(retention_until) as earliest_retention_expiry,
    MAX(retention_until) as latest_retention_expiry
  FROM audit_events
  GROUP BY event_type
)
SELECT
  event_type,
  total_events,
  expired_events,
  pii_requiring_anonymization,
  CASE
    WHEN expired_events > 0 THEN 'REQUIRES_CLEANUP'
    WHEN pii_requiring_anonymization > 0 THEN 'REQUIRES_ANONYMIZATION'
    ELSE 'COMPLIANT'
  END as compliance_status,
  earliest_retention_expiry,
  latest_retention_expiry
FROM retention_analysis
ORDER BY compliance_status DESC, expired_events DESC;
$retention$ as retention \gset
select $access$-- Audit trail access log (chain of custody)
SELECT
  ae.timestamp as access_timestamp,
  ae.actor_id,
  ae.metadata->>'accessor_type' as accessor_type,
  ae.metadata->>'purpose' as access_purpose,
  ae.metadata->>'query_parameters' as query_details,
  ae.metadata->>'permission_verified' as permission_verified,
  COUNT(*) OVER (PARTITION BY ae.actor_id) as total_accesses_by_actor
FROM audit_events ae
WHERE ae.event_type = 'audit_access'
AND ae.timestamp >= NOW() - INTERVAL '90 days'
ORDER BY ae.timestamp DESC
LIMIT 100;
$access$ as access \gset
select $integrity$-- Partition integrity verification status
SELECT
  pm.partition_name,
  pm.partition_start_date,
  pm.partition_end_date,
  pm.record_count,
  pm.verification_status,
  pm.last_verified_at,
  CASE
    WHEN pm.last_verified_at >= NOW() - INTERVAL '7 days' THEN 'RECENTLY_VERIFIED'
    WHEN pm.last_verified_at >= NOW() - INTERVAL '30 days' THEN 'NEEDS_VERIFICATION'
    ELSE 'VERIFICATION_OVERDUE'
  END as verification_freshness,
  pm.checksum
FROM partition_manifests pm
ORDER BY pm.partition_start_date DESC
LIMIT 12; -- Last 12 months
$integrity$ as integrity \gset

-- The dataset --------------------------------------------------------------------------------------
-- created_at is always the database clock; only "timestamp" (when the action happened) can lie in
-- the past. Last calendar year's events are placed in its middle, clear of any time-zone edge.
select date_trunc('year', now()) - interval '6 months' as ly,
       date_trunc('year', now()) - interval '18 months' as two_years_ago,
       now() - interval '8 years' as eight_years_ago \gset
select tests.create_org('GrowBro') as org_a \gset
select tests.create_org('Other tenant') as org_b \gset
select tests.create_user('admin-a@example.test') as admin_a \gset
select tests.add_member(:'org_a', :'admin_a', 'admin') \gset

select is((select count(*) from public.audit_events), 0::bigint, 'setup: the trail starts empty');

-- Last calendar year: the DSA reporting period.
select tests.append_event(:'org_a', 'report_submitted',
  '{"report_type": "illegal_content", "is_trusted_flagger": "true", "trusted_flagger_id": "tf-1"}',
  :'ly'::timestamptz + interval '1 hour') \gset
select tests.append_event(:'org_a', 'report_submitted',
  '{"report_type": "illegal_content", "is_trusted_flagger": "true", "trusted_flagger_id": "tf-1"}',
  :'ly'::timestamptz + interval '2 hours') \gset
select tests.append_event(:'org_a', 'report_submitted', '{"report_type": "policy_violation"}',
  :'ly'::timestamptz + interval '3 hours') \gset
select tests.append_event(:'org_a', 'decision_made', '{"action": "content_removed"}',
  :'ly'::timestamptz + interval '4 hours') \gset
select tests.append_event(:'org_b', 'decision_made', '{"action": "content_removed"}',
  :'ly'::timestamptz + interval '5 hours') \gset
select tests.append_event(:'org_a', 'decision_made', '{"action": "no_action"}',
  :'ly'::timestamptz + interval '6 hours') \gset
select tests.append_event(:'org_a', 'sor_submitted', '{"sor_id": "sor-1"}',
  :'ly'::timestamptz + interval '7 hours') \gset
select tests.append_event(:'org_a', 'appeal_filed', '{}',
  :'ly'::timestamptz + interval '8 hours') \gset
select tests.append_event(:'org_a', 'appeal_decided', '{"outcome": "upheld"}',
  :'ly'::timestamptz + interval '9 hours') \gset
select tests.append_event(:'org_a', 'appeal_decided', '{"outcome": "rejected"}',
  :'ly'::timestamptz + interval '10 hours') \gset
select tests.append_event(:'org_b', 'ods_escalation', '{}',
  :'ly'::timestamptz + interval '11 hours') \gset
-- Outside the period: this year, and two years ago.
select tests.append_event(:'org_a', 'report_submitted', '{"report_type": "illegal_content"}', now()) \gset
select tests.append_event(:'org_a', 'decision_made', '{"action": "content_removed"}', now()) \gset
select tests.append_event(:'org_a', 'decision_made', '{"action": "content_removed"}', :'two_years_ago') \gset
-- Retention: an event whose seven years have run out, and a PII-tagged one appended today.
select tests.append_event(:'org_a', 'consent_recorded', '{}', :'eight_years_ago') \gset
select tests.append_event(:'org_a', 'user_data_exported', '{}', now() - interval '40 days', 'moderator-1', true) \gset
-- Access to the trail (chain of custody): three in the last 90 days, one before.
select tests.append_event(:'org_a', 'audit_access',
  '{"accessor_type": "user", "purpose": "quarterly_audit", "query_parameters": {"event_type": "decision_made"}, "permission_verified": "true"}',
  now() - interval '10 days', 'auditor-1') \gset
select tests.append_event(:'org_a', 'audit_access',
  '{"accessor_type": "user", "purpose": "dsa_report", "query_parameters": {"year": 2025}, "permission_verified": "true"}',
  now() - interval '5 days', 'auditor-1') \gset
select tests.append_event(:'org_a', 'audit_access',
  '{"accessor_type": "system", "purpose": "authority_request_R-1", "permission_verified": "false"}',
  now() - interval '1 day', 'legal-team') \gset
select tests.append_event(:'org_a', 'audit_access',
  '{"accessor_type": "user", "purpose": "old_review", "permission_verified": "true"}',
  now() - interval '120 days', 'auditor-1') \gset

set local role evident_analyst;

-- DSA transparency metrics ----------------------------------------------------------------------------
select lives_ok(:'dsa', 'DSA transparency metrics: runs unmodified as evident_analyst');
select results_eq(
  :'dsa',
  $$values (3::bigint, 2::bigint, 1::bigint, 3::bigint, 2::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 0::bigint)$$,
  'DSA: notices 3 (illegal 2, policy 1), decisions 3 (removals 2), SoR 1, appeals 1 (upheld 1), ODS 1, trusted flaggers 1, repeat offenders 0');

-- GDPR records of processing ---------------------------------------------------------------------------
select lives_ok(:'ropa', 'GDPR RoPA: runs unmodified as evident_analyst');
select results_eq(
  :'ropa',
  format($$values ('Moderation Audit Trail', 'Content moderation, decision tracking, appeal management',
    'Art. 6(1)(c) - Legal obligation (DSA Art. 24)',
    'Moderator IDs, User IDs, Content IDs, Timestamps, Decision metadata',
    '7 years for audit events, 30 days for PII before anonymization',
    'HMAC-SHA256 signatures, WORM enforcement, RLS policies, encrypted backups',
    'Commission Transparency Database (EU), Backup storage (EU)',
    7::bigint, %L::timestamptz, now())$$, :'two_years_ago'),
  'RoPA: 7 events (5 decisions, 1 appeal filed, 1 SoR), from two years ago until now');

-- Retention compliance -----------------------------------------------------------------------------------
select lives_ok(:'retention', 'Retention compliance: runs unmodified as evident_analyst');
select results_eq(
  format($$select r->>'event_type', (r->>'total_events')::bigint, (r->>'expired_events')::bigint,
                  (r->>'pii_requiring_anonymization')::bigint, r->>'compliance_status'
             from tests.query_rows(%L) order by r->>'event_type'$$, :'retention'),
  $$values ('appeal_decided', 2::bigint, 0::bigint, 0::bigint, 'COMPLIANT'),
           ('appeal_filed', 1, 0, 0, 'COMPLIANT'),
           ('audit_access', 4, 0, 0, 'COMPLIANT'),
           ('consent_recorded', 1, 1, 0, 'REQUIRES_CLEANUP'),
           ('decision_made', 5, 0, 0, 'COMPLIANT'),
           ('ods_escalation', 1, 0, 0, 'COMPLIANT'),
           ('report_submitted', 4, 0, 0, 'COMPLIANT'),
           ('sor_submitted', 1, 0, 0, 'COMPLIANT'),
           ('user_data_exported', 1, 0, 0, 'COMPLIANT')$$,
  'Retention: one row per event type; the event past its seven years REQUIRES_CLEANUP, all others COMPLIANT');
select is(
  (select r->>'compliance_status' from tests.query_rows(:'retention') where n = 1),
  'REQUIRES_CLEANUP',
  'Retention: the row needing cleanup comes first');
select results_eq(
  format($$select (r->>'earliest_retention_expiry')::timestamptz, (r->>'latest_retention_expiry')::timestamptz
             from tests.query_rows(%L) where r->>'event_type' = 'decision_made'$$, :'retention'),
  format($$values (%L::timestamptz + interval '7 years', now() + interval '7 years')$$, :'two_years_ago'),
  'Retention: decision_made expiries run from two years ago + 7 years to now + 7 years');

-- Access control audit ---------------------------------------------------------------------------------
select lives_ok(:'access', 'Access control audit: runs unmodified as evident_analyst');
select results_eq(
  :'access',
  $$values
    (now() - interval '1 day', 'legal-team', 'system', 'authority_request_R-1', null::text, 'false', 1::bigint),
    (now() - interval '5 days', 'auditor-1', 'user', 'dsa_report', '{"year": 2025}', 'true', 2::bigint),
    (now() - interval '10 days', 'auditor-1', 'user', 'quarterly_audit', '{"event_type": "decision_made"}', 'true', 2::bigint)$$,
  'Access control: the three accesses of the last 90 days, newest first, counted per actor');

-- Partition integrity status ----------------------------------------------------------------------------
select lives_ok(:'integrity', 'Partition integrity: runs unmodified as evident_analyst');
select is_empty(:'integrity', 'Partition integrity: no month is sealed yet, so no rows');
reset role;

-- Three sealed months: one never verified, one verified today, one verified ten days ago.
select tests.seal_manifest((date_trunc('month', now()) - interval '1 month')::date) \gset
select tests.seal_manifest((date_trunc('month', now()) - interval '2 months')::date) \gset
select tests.seal_manifest((date_trunc('month', now()) - interval '3 months')::date) \gset
select set_config('evident.manifest_write', 'verify', true) \gset
update public.partition_manifests set verification_status = 'verified', last_verified_at = now()
 where partition_start_date = (date_trunc('month', now()) - interval '2 months')::date;
update public.partition_manifests set verification_status = 'verified', last_verified_at = now() - interval '10 days'
 where partition_start_date = (date_trunc('month', now()) - interval '3 months')::date;
select set_config('evident.manifest_write', '', true) \gset

set local role evident_analyst;
select results_eq(
  format($$select r->>'partition_name', r->>'verification_status', r->>'verification_freshness'
             from tests.query_rows(%L) order by n$$, :'integrity'),
  format($$values (%L, 'sealed', 'VERIFICATION_OVERDUE'), (%L, 'verified', 'RECENTLY_VERIFIED'),
                  (%L, 'verified', 'NEEDS_VERIFICATION')$$,
    'audit_events_' || to_char(date_trunc('month', now()) - interval '1 month', 'YYYY_MM'),
    'audit_events_' || to_char(date_trunc('month', now()) - interval '2 months', 'YYYY_MM'),
    'audit_events_' || to_char(date_trunc('month', now()) - interval '3 months', 'YYYY_MM')),
  'Partition integrity: newest month first, with its verification freshness');
reset role;

-- The same SQL as a signed-in admin is refused: a direct read of the trail through the Data API
-- would go unrecorded (issue 18); members read through public.read_audit_events or the
-- compliance-reports function, both recorded.
select tests.authenticate_as(:'admin_a') \gset
select throws_ok(:'dsa', '42501', null, 'DSA as the admin of GrowBro, directly: refused');
select tests.clear_authentication() \gset

select * from finish();
rollback;

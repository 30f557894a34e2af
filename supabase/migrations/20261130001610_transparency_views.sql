select set_config('evident.allow_audit_ddl', 'on', true);
-- The views compliance officers and analysts query: DSA transparency metrics per month and per
-- reporting year, the GDPR records of processing, retention compliance, the access log (chain of
-- custody) and partition integrity. All are security_invoker: a signed-in admin or auditor sees
-- their organisation's rows, evident_analyst sees every organisation, anon sees nothing (its
-- public figures come from transparency.public_dsa_report, 20261130001620).
--
-- Speed: a sealed month's DSA counts come from its manifest (transparency.sealed_counts), so a
-- yearly report reads twelve small rows per organisation plus a scan of the months not sealed yet.
-- Each live month is scanned through a lateral subquery whose created_at bounds are parameters,
-- which PostgreSQL prunes to that month's partition at run time.

-- The partitions of audit_events whose month is not sealed: what the views must still count from
-- rows. Bounds come from the catalog (readable by every role), as evident.audit_partition_bounds
-- reads them; a partition made by hand under another name counts too.
create function transparency.live_months()
returns table (month_start timestamptz, month_end timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select bound[1]::timestamptz, bound[2]::timestamptz
  from pg_catalog.pg_inherits i
  join pg_catalog.pg_class c on c.oid = i.inhrelid
  cross join lateral pg_catalog.regexp_match(
    pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') as bound
  where i.inhparent = 'public.audit_events'::pg_catalog.regclass
    and bound is not null  -- the default partition has no bounds, and holds no row (EVP01)
    and not exists (
      select 1 from transparency.sealed_months s where s.month_start = bound[1]::timestamptz)
$$;
comment on function transparency.live_months() is
  'Ranges of audit_events partitions whose month has no manifest yet: the part of the trail reports still count row by row.';
grant execute on function transparency.live_months() to authenticated, evident_analyst, evident_writer;

-- Event months the live part is counted in, one probe each: from the month of the oldest unsealed
-- partition to next month. A filter on month (or on the year, in dsa_metrics_annual) reaches this
-- list, so a report for one year probes only its months, and with the index on "timestamp" a probe
-- reads only the rows it counts. Rows back-dated before these months (or dated beyond them) are
-- counted by the third branch of dsa_month_parts, so nothing is left out.
create function transparency.event_months()
returns table (month date, month_start timestamptz, month_end timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select m::date, m at time zone 'UTC', (m + interval '1 month') at time zone 'UTC'
  from (select pg_catalog.min(l.month_start) as low from transparency.live_months() l) oldest,
    pg_catalog.generate_series(
      pg_catalog.date_trunc('month', coalesce(oldest.low, pg_catalog.now()) at time zone 'UTC'),
      pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') + interval '1 month', interval '1 month') m
$$;
grant execute on function transparency.event_months() to authenticated, evident_analyst, evident_writer;

-- The live part probes unsealed partitions by "timestamp" range (one probe per event month); this
-- index makes a probe for a month that holds no rows cost almost nothing. It also serves the API's
-- start/end filters and the GrowBro queries, which filter on "timestamp" too. One more btree per
-- appended row: measured by npm run bench:append.
create index audit_events_timestamp_idx on public.audit_events ("timestamp");

-- One row per organisation, event month and source: 'sealed' rows come from manifests, 'live'
-- rows from counting the unsealed partitions. The building block of the two DSA views.
create view transparency.dsa_month_parts with (security_invoker = true) as
select c.organization_id,
  c.month,
  'sealed'::text as source,
  coalesce((c.counts -> 'events' ->> 'report_submitted')::bigint, 0) as notices_received,
  coalesce((c.counts -> 'report_types' ->> 'illegal_content')::bigint, 0) as illegal_content_notices,
  coalesce((c.counts -> 'report_types' ->> 'policy_violation')::bigint, 0) as policy_violation_notices,
  coalesce((c.counts -> 'events' ->> 'decision_made')::bigint, 0) as moderation_decisions,
  coalesce((c.counts -> 'decision_actions' ->> 'content_removed')::bigint, 0) as content_removal_decisions,
  coalesce((c.counts -> 'events' ->> 'sor_submitted')::bigint, 0) as sor_submissions,
  coalesce((c.counts -> 'events' ->> 'appeal_filed')::bigint, 0) as appeals_received,
  coalesce((c.counts -> 'events' ->> 'appeal_decided')::bigint, 0) as appeals_decided,
  coalesce((c.counts -> 'appeal_outcomes' ->> 'upheld')::bigint, 0) as appeals_upheld,
  coalesce((c.counts -> 'appeal_outcomes' ->> 'reversed')::bigint, 0) as appeals_reversed,
  coalesce((c.counts -> 'appeal_outcomes' ->> 'modified')::bigint, 0) as appeals_modified,
  coalesce((c.counts -> 'events' ->> 'ods_escalation')::bigint, 0) as ods_escalations,
  coalesce((c.counts ->> 'trusted_flagger_reports')::bigint, 0) as trusted_flagger_notices,
  coalesce(c.counts -> 'trusted_flagger_ids', '[]'::jsonb) as trusted_flagger_ids,
  coalesce((c.counts -> 'events' ->> 'repeat_offender_action')::bigint, 0) as repeat_offender_actions,
  coalesce((c.counts -> 'events' ->> 'authority_data_request')::bigint, 0) as authority_request_events,
  c.counts -> 'decision_actions' as decisions_by_action
from transparency.sealed_counts c
union all
-- Live rows whose timestamp falls in one of event_months(): one probe per live partition and event
-- month, and the month comes from the probe, so a filter on it prunes probes before any row is read.
select l.organization_id, em.month, 'live', l.notices_received, l.illegal_content_notices, l.policy_violation_notices, l.moderation_decisions, l.content_removal_decisions, l.sor_submissions, l.appeals_received, l.appeals_decided, l.appeals_upheld, l.appeals_reversed, l.appeals_modified, l.ods_escalations, l.trusted_flagger_notices,
  l.trusted_flagger_ids, l.repeat_offender_actions, l.authority_request_events, l.decisions_by_action
from transparency.event_months() em
cross join transparency.live_months() lm
cross join lateral (
    select g.organization_id, g.month,
      coalesce(sum(g.n) filter (where g.event_type = 'report_submitted'), 0)::bigint as notices_received,
      coalesce(sum(g.n) filter (where g.event_type = 'report_submitted' and g.facet = 'illegal_content'), 0)::bigint as illegal_content_notices,
      coalesce(sum(g.n) filter (where g.event_type = 'report_submitted' and g.facet = 'policy_violation'), 0)::bigint as policy_violation_notices,
      coalesce(sum(g.n) filter (where g.event_type = 'decision_made'), 0)::bigint as moderation_decisions,
      coalesce(sum(g.n) filter (where g.event_type = 'decision_made' and g.facet = 'content_removed'), 0)::bigint as content_removal_decisions,
      coalesce(sum(g.n) filter (where g.event_type = 'sor_submitted'), 0)::bigint as sor_submissions,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_filed'), 0)::bigint as appeals_received,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided'), 0)::bigint as appeals_decided,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided' and g.facet = 'upheld'), 0)::bigint as appeals_upheld,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided' and g.facet = 'reversed'), 0)::bigint as appeals_reversed,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided' and g.facet = 'modified'), 0)::bigint as appeals_modified,
      coalesce(sum(g.n) filter (where g.event_type = 'ods_escalation'), 0)::bigint as ods_escalations,
      coalesce(sum(g.trusted), 0)::bigint as trusted_flagger_notices,
      (select coalesce(jsonb_agg(distinct v.value), '[]'::jsonb)
         from jsonb_array_elements(coalesce(jsonb_agg(to_jsonb(g.flaggers)) filter (where g.flaggers is not null), '[]'::jsonb)) a,
              jsonb_array_elements(a.value) v) as trusted_flagger_ids,
      coalesce(sum(g.n) filter (where g.event_type = 'repeat_offender_action'), 0)::bigint as repeat_offender_actions,
      coalesce(sum(g.n) filter (where g.event_type = 'authority_data_request'), 0)::bigint as authority_request_events,
      coalesce(jsonb_object_agg(g.facet, g.n) filter (where g.event_type = 'decision_made' and g.facet is not null), '{}'::jsonb)
        as decisions_by_action
    from (
      select e.organization_id,
        em.month as month,
        e.event_type,
        case e.event_type
          when 'report_submitted' then e.metadata ->> 'report_type'
          when 'decision_made' then e.metadata ->> 'action'
          when 'appeal_decided' then e.metadata ->> 'outcome'
        end as facet,
        count(*) as n,
        count(*) filter (where e.event_type = 'report_submitted' and e.metadata ->> 'is_trusted_flagger' = 'true') as trusted,
        array_agg(distinct e.metadata ->> 'trusted_flagger_id')
          filter (where e.event_type = 'report_submitted' and e.metadata ->> 'is_trusted_flagger' = 'true') as flaggers
      from public.audit_events e
      where e.created_at >= lm.month_start and e.created_at < lm.month_end
        and e."timestamp" >= em.month_start and e."timestamp" < em.month_end
      group by 1, 2, 3, 4
    ) g
    group by g.organization_id, g.month
) l
union all
-- Live rows whose timestamp lies outside event_months() (back-dated before the oldest unsealed month, or
-- after next month): found through the index on "timestamp", counted by their own month.
select l.organization_id, l.month, 'live', l.notices_received, l.illegal_content_notices, l.policy_violation_notices, l.moderation_decisions, l.content_removal_decisions, l.sor_submissions, l.appeals_received, l.appeals_decided, l.appeals_upheld, l.appeals_reversed, l.appeals_modified, l.ods_escalations, l.trusted_flagger_notices,
  l.trusted_flagger_ids, l.repeat_offender_actions, l.authority_request_events, l.decisions_by_action
from transparency.live_months() lm
cross join lateral (
  select '-infinity'::timestamptz as t_from, min(x.month_start) as t_to from transparency.event_months() x
  union all
  select max(x.month_end), 'infinity'::timestamptz from transparency.event_months() x
) span
cross join lateral (
    select g.organization_id, g.month,
      coalesce(sum(g.n) filter (where g.event_type = 'report_submitted'), 0)::bigint as notices_received,
      coalesce(sum(g.n) filter (where g.event_type = 'report_submitted' and g.facet = 'illegal_content'), 0)::bigint as illegal_content_notices,
      coalesce(sum(g.n) filter (where g.event_type = 'report_submitted' and g.facet = 'policy_violation'), 0)::bigint as policy_violation_notices,
      coalesce(sum(g.n) filter (where g.event_type = 'decision_made'), 0)::bigint as moderation_decisions,
      coalesce(sum(g.n) filter (where g.event_type = 'decision_made' and g.facet = 'content_removed'), 0)::bigint as content_removal_decisions,
      coalesce(sum(g.n) filter (where g.event_type = 'sor_submitted'), 0)::bigint as sor_submissions,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_filed'), 0)::bigint as appeals_received,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided'), 0)::bigint as appeals_decided,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided' and g.facet = 'upheld'), 0)::bigint as appeals_upheld,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided' and g.facet = 'reversed'), 0)::bigint as appeals_reversed,
      coalesce(sum(g.n) filter (where g.event_type = 'appeal_decided' and g.facet = 'modified'), 0)::bigint as appeals_modified,
      coalesce(sum(g.n) filter (where g.event_type = 'ods_escalation'), 0)::bigint as ods_escalations,
      coalesce(sum(g.trusted), 0)::bigint as trusted_flagger_notices,
      (select coalesce(jsonb_agg(distinct v.value), '[]'::jsonb)
         from jsonb_array_elements(coalesce(jsonb_agg(to_jsonb(g.flaggers)) filter (where g.flaggers is not null), '[]'::jsonb)) a,
              jsonb_array_elements(a.value) v) as trusted_flagger_ids,
      coalesce(sum(g.n) filter (where g.event_type = 'repeat_offender_action'), 0)::bigint as repeat_offender_actions,
      coalesce(sum(g.n) filter (where g.event_type = 'authority_data_request'), 0)::bigint as authority_request_events,
      coalesce(jsonb_object_agg(g.facet, g.n) filter (where g.event_type = 'decision_made' and g.facet is not null), '{}'::jsonb)
        as decisions_by_action
    from (
      select e.organization_id,
        date_trunc('month', e."timestamp" at time zone 'UTC')::date as month,
        e.event_type,
        case e.event_type
          when 'report_submitted' then e.metadata ->> 'report_type'
          when 'decision_made' then e.metadata ->> 'action'
          when 'appeal_decided' then e.metadata ->> 'outcome'
        end as facet,
        count(*) as n,
        count(*) filter (where e.event_type = 'report_submitted' and e.metadata ->> 'is_trusted_flagger' = 'true') as trusted,
        array_agg(distinct e.metadata ->> 'trusted_flagger_id')
          filter (where e.event_type = 'report_submitted' and e.metadata ->> 'is_trusted_flagger' = 'true') as flaggers
      from public.audit_events e
      where e.created_at >= lm.month_start and e.created_at < lm.month_end
        and e."timestamp" >= span.t_from and e."timestamp" < span.t_to
      group by 1, 2, 3, 4
    ) g
    group by g.organization_id, g.month
) l;
comment on view transparency.dsa_month_parts is
  'DSA counts per organisation and event month, from sealed manifests (source sealed) and from unsealed partitions (source live). Summed by dsa_metrics_monthly and dsa_metrics_annual.';

-- DSA Art. 15 and 24 metrics per organisation and calendar month (UTC) of the events' own
-- timestamp. The columns are the GrowBro guide's, plus the appeal outcomes and authority requests.
create view transparency.dsa_metrics_monthly with (security_invoker = true) as
select p.organization_id,
  p.month,
  sum(p.notices_received)::bigint as notices_received,
  sum(p.illegal_content_notices)::bigint as illegal_content_notices,
  sum(p.policy_violation_notices)::bigint as policy_violation_notices,
  sum(p.moderation_decisions)::bigint as moderation_decisions,
  sum(p.content_removal_decisions)::bigint as content_removal_decisions,
  sum(p.sor_submissions)::bigint as sor_submissions,
  sum(p.appeals_received)::bigint as appeals_received,
  sum(p.appeals_decided)::bigint as appeals_decided,
  sum(p.appeals_upheld)::bigint as appeals_upheld,
  sum(p.appeals_reversed)::bigint as appeals_reversed,
  sum(p.appeals_modified)::bigint as appeals_modified,
  sum(p.ods_escalations)::bigint as ods_escalations,
  (select count(distinct f.value) from jsonb_array_elements(jsonb_agg(p.trusted_flagger_ids)) a,
     jsonb_array_elements_text(a.value) f) as active_trusted_flaggers,
  sum(p.trusted_flagger_notices)::bigint as trusted_flagger_notices,
  sum(p.repeat_offender_actions)::bigint as repeat_offender_actions,
  sum(p.authority_request_events)::bigint as authority_request_events,
  bool_and(p.source = 'sealed') as sealed
from transparency.dsa_month_parts p
group by p.organization_id, p.month;
comment on view transparency.dsa_metrics_monthly is
  'DSA transparency metrics per organisation and UTC month of the events'' timestamp. sealed: every figure comes from signed manifests.';

-- The same per reporting year (UTC calendar year). active_trusted_flaggers counts distinct
-- flaggers over the whole year, not a sum of months.
create view transparency.dsa_metrics_annual with (security_invoker = true) as
select p.organization_id,
  extract(year from p.month)::integer as reporting_year,
  sum(p.notices_received)::bigint as notices_received,
  sum(p.illegal_content_notices)::bigint as illegal_content_notices,
  sum(p.policy_violation_notices)::bigint as policy_violation_notices,
  sum(p.moderation_decisions)::bigint as moderation_decisions,
  sum(p.content_removal_decisions)::bigint as content_removal_decisions,
  sum(p.sor_submissions)::bigint as sor_submissions,
  sum(p.appeals_received)::bigint as appeals_received,
  sum(p.appeals_decided)::bigint as appeals_decided,
  sum(p.appeals_upheld)::bigint as appeals_upheld,
  sum(p.appeals_reversed)::bigint as appeals_reversed,
  sum(p.appeals_modified)::bigint as appeals_modified,
  sum(p.ods_escalations)::bigint as ods_escalations,
  (select count(distinct f.value) from jsonb_array_elements(jsonb_agg(p.trusted_flagger_ids)) a,
     jsonb_array_elements_text(a.value) f) as active_trusted_flaggers,
  sum(p.trusted_flagger_notices)::bigint as trusted_flagger_notices,
  sum(p.repeat_offender_actions)::bigint as repeat_offender_actions,
  sum(p.authority_request_events)::bigint as authority_request_events,
  bool_and(p.source = 'sealed') as sealed
from transparency.dsa_month_parts p
group by p.organization_id, extract(year from p.month)::integer;
comment on view transparency.dsa_metrics_annual is
  'DSA transparency metrics per organisation and UTC calendar year of the events'' timestamp.';

-- Decisions by action (Art. 17), long form: one row per organisation, month and action.
create view transparency.dsa_decisions_by_action with (security_invoker = true) as
select p.organization_id, p.month, a.key as action, sum(a.value::bigint)::bigint as decisions
from transparency.dsa_month_parts p
cross join lateral jsonb_each_text(coalesce(p.decisions_by_action, '{}'::jsonb)) a
group by p.organization_id, p.month, a.key;
comment on view transparency.dsa_decisions_by_action is 'decision_made events per organisation, month and metadata.action.';

-- GDPR Art. 30 records of processing: the guide's RoPA query, per organisation.
create view transparency.gdpr_ropa with (security_invoker = true) as
select e.organization_id,
  'Moderation Audit Trail'::text as processing_activity,
  'Content moderation, decision tracking, appeal management'::text as purpose,
  'Art. 6(1)(c) - Legal obligation (DSA Art. 24)'::text as legal_basis,
  'Moderator IDs, User IDs, Content IDs, Timestamps, Decision metadata'::text as data_categories,
  '7 years for audit events, 30 days for PII before anonymization'::text as retention_period,
  'HMAC-SHA256 signatures, WORM enforcement, RLS policies, encrypted backups'::text as security_measures,
  'Commission Transparency Database (EU), Backup storage (EU)'::text as transfers,
  count(*) as total_events,
  min(e."timestamp") as earliest_event,
  max(e."timestamp") as latest_event,
  count(distinct e.actor_id) as distinct_actors,
  count(*) filter (where e.pii_tagged) as pii_tagged_events
from public.audit_events e
where e.event_type in ('decision_made', 'appeal_filed', 'sor_submitted')
group by e.organization_id;
comment on view transparency.gdpr_ropa is 'The GrowBro guide''s Records of Processing Activities query, per organisation, with its figures computed.';

-- Retention compliance: the guide's query, per organisation and event type.
create view transparency.retention_compliance with (security_invoker = true) as
with retention_analysis as (
  select e.organization_id, e.event_type,
    count(*) as total_events,
    count(*) filter (where e.retention_until < now()) as expired_events,
    count(*) filter (where e.pii_tagged = true and e.created_at < now() - interval '30 days') as pii_requiring_anonymization,
    min(e.retention_until) as earliest_retention_expiry,
    max(e.retention_until) as latest_retention_expiry
  from public.audit_events e
  group by e.organization_id, e.event_type
)
select r.organization_id, r.event_type, r.total_events, r.expired_events, r.pii_requiring_anonymization,
  case
    when r.expired_events > 0 then 'REQUIRES_CLEANUP'
    when r.pii_requiring_anonymization > 0 then 'REQUIRES_ANONYMIZATION'
    else 'COMPLIANT'
  end as compliance_status,
  r.earliest_retention_expiry, r.latest_retention_expiry
from retention_analysis r;
comment on view transparency.retention_compliance is 'The GrowBro guide''s retention compliance check, per organisation and event type.';

-- Access-control audit (chain of custody): every audit_access event, who read, why, with what.
-- The guide's query limits itself to 90 days and 100 rows; filter this view the same way.
create view transparency.access_audit with (security_invoker = true) as
select e.organization_id,
  e.seq,
  e."timestamp" as access_timestamp,
  e.actor_id,
  e.metadata ->> 'accessor_type' as accessor_type,
  e.metadata ->> 'purpose' as access_purpose,
  e.metadata ->> 'query_parameters' as query_details,
  e.metadata ->> 'permission_verified' as permission_verified,
  count(*) over (partition by e.organization_id, e.actor_id) as total_accesses_by_actor
from public.audit_events e
where e.event_type = 'audit_access';
comment on view transparency.access_audit is 'Reads of the trail (audit_access events) per organisation: who, when, why, with which filters.';

-- Partition integrity per organisation: each sealed month the organisation has entries in, with
-- the month's verification status and the seed's freshness buckets.
create view transparency.partition_integrity with (security_invoker = true) as
select r.organization_id,
  s.partition_name,
  s.partition_start_date,
  s.partition_end_date,
  r.entry_count as record_count,
  r.first_seq,
  r.last_seq,
  r.root as organization_root,
  s.checksum,
  s.verification_status,
  s.last_verified_at,
  case
    when s.last_verified_at >= now() - interval '7 days' then 'RECENTLY_VERIFIED'
    when s.last_verified_at >= now() - interval '30 days' then 'NEEDS_VERIFICATION'
    else 'VERIFICATION_OVERDUE'
  end as verification_freshness,
  s.sealed_at
from transparency.sealed_roots r
join transparency.sealed_months s on s.partition_name = r.partition_name;
comment on view transparency.partition_integrity is
  'Sealed months per organisation: its entries'' count, seq range and Merkle root, the month''s status and verification freshness.';

revoke all on transparency.dsa_month_parts, transparency.dsa_metrics_monthly, transparency.dsa_metrics_annual,
  transparency.dsa_decisions_by_action, transparency.gdpr_ropa, transparency.retention_compliance,
  transparency.access_audit, transparency.partition_integrity
  from public, anon, authenticated, service_role;
grant select on transparency.dsa_month_parts, transparency.dsa_metrics_monthly, transparency.dsa_metrics_annual,
  transparency.dsa_decisions_by_action, transparency.gdpr_ropa, transparency.retention_compliance,
  transparency.access_audit, transparency.partition_integrity
  to authenticated, evident_analyst, evident_writer;

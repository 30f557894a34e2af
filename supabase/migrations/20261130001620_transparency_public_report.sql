select set_config('evident.allow_audit_ddl', 'on', true);
-- The platform's public DSA transparency figures, readable by anon.
--
-- Why a security definer function and not a view or a policy for anon: anon must never read a row
-- of audit_events, and row security cannot grant "the aggregate but not the rows" (a policy that
-- lets anon count rows lets anon select them). This function runs as its owner, computes the
-- figures from transparency.dsa_metrics_annual (sealed manifests plus unsealed months), and
-- returns only counts: no event, no actor or target id, no trusted flagger id (only how many
-- there were). It answers only for reporting years that have ended, the periods a DSA
-- transparency report covers, so it is not a live feed of one organisation's moderation.
-- search_path is empty and every name is qualified; nobody but anon, authenticated and the
-- analyst may execute it.
create function transparency.public_dsa_report(organization uuid, reporting_year integer)
returns table (
  organization_id uuid,
  year integer,
  notices_received bigint,
  illegal_content_notices bigint,
  policy_violation_notices bigint,
  moderation_decisions bigint,
  content_removal_decisions bigint,
  sor_submissions bigint,
  appeals_received bigint,
  appeals_decided bigint,
  appeals_upheld bigint,
  appeals_reversed bigint,
  appeals_modified bigint,
  ods_escalations bigint,
  active_trusted_flaggers bigint,
  trusted_flagger_notices bigint,
  repeat_offender_actions bigint,
  authority_request_events bigint,
  sealed boolean
)
language sql
stable
security definer
set search_path = ''
as $$
  select a.organization_id, a.reporting_year, a.notices_received, a.illegal_content_notices,
    a.policy_violation_notices, a.moderation_decisions, a.content_removal_decisions, a.sor_submissions,
    a.appeals_received, a.appeals_decided, a.appeals_upheld, a.appeals_reversed, a.appeals_modified,
    a.ods_escalations, a.active_trusted_flaggers, a.trusted_flagger_notices, a.repeat_offender_actions,
    a.authority_request_events, a.sealed
  from transparency.dsa_metrics_annual a
  where a.organization_id = public_dsa_report.organization
    and a.reporting_year = public_dsa_report.reporting_year
    and public_dsa_report.reporting_year < extract(year from pg_catalog.now() at time zone 'UTC')::integer
$$;
comment on function transparency.public_dsa_report(uuid, integer) is
  'Public DSA transparency figures (counts only) of one organisation for one ended reporting year. Security definer: anon reads no row of the trail.';
revoke execute on function transparency.public_dsa_report(uuid, integer) from public;
grant execute on function transparency.public_dsa_report(uuid, integer) to anon, authenticated, evident_analyst;

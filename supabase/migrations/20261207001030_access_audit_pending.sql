-- transparency.access_audit shows Data API reads that are recorded but not yet signed into the
-- chain (evident.pending_access_records), beside the signed audit_access events, so the
-- chain-of-custody report never misses a read for the minutes until the audit-maintenance
-- function signs it. The new last column, signed, tells them apart; a pending read has no seq.
select set_config('evident.allow_audit_ddl', 'on', true);

create or replace view transparency.access_audit with (security_invoker = true) as
select a.organization_id, a.seq, a.access_timestamp, a.actor_id, a.accessor_type, a.access_purpose, a.query_details,
  a.permission_verified,
  count(*) over (partition by a.organization_id, a.actor_id) as total_accesses_by_actor,
  a.signed
from (
  select e.organization_id, e.seq, e."timestamp" as access_timestamp, e.actor_id,
    e.metadata ->> 'accessor_type' as accessor_type,
    e.metadata ->> 'purpose' as access_purpose,
    e.metadata ->> 'query_parameters' as query_details,
    e.metadata ->> 'permission_verified' as permission_verified,
    true as signed
  from public.audit_events e
  where e.event_type = 'audit_access'
  union all
  select l.organization_id, null::bigint, l.read_at, l.actor_id, l.accessor_type, l.purpose,
    (l.query_parameters || pg_catalog.jsonb_build_object('via', 'data_api', 'access_log_id', l.id, 'returned', l.returned))::text,
    'true', false
  from evident.pending_access_records() l
) a;
comment on view transparency.access_audit is
  'Reads of the trail per organisation: who, when, why, with which filters. signed = false: a Data API read recorded in evident.access_log and not yet signed into the chain.';

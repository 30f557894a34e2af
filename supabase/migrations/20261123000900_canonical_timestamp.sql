-- Timestamps as the canonical form renders them (docs/canonical-form.md): UTC, six fractional
-- digits, a trailing Z, whatever the session TimeZone. Readers that re-verify entries select
-- timestamps through this function so that no client-side date type can drop microseconds.

create function evident.canonical_timestamp(value timestamptz)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select pg_catalog.to_char(value at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
comment on function evident.canonical_timestamp(timestamptz) is
  'Canonical-form rendering of a timestamp: UTC ISO 8601 with microseconds and Z.';

revoke execute on function evident.canonical_timestamp(timestamptz) from public;
grant execute on function evident.canonical_timestamp(timestamptz) to evident_writer, evident_analyst;

-- The trail as verifiers read it: every signed field in its canonical rendering, plus the raw
-- instants for filtering (so partition pruning still applies). security_invoker keeps the
-- caller's own privileges and row security in force.
create view evident.audit_entries
with (security_invoker = true)
as
select
  e.id,
  e.organization_id,
  e.seq,
  e.previous_hash,
  e.entry_hash,
  e.signature,
  e.key_id,
  e.canonical_version,
  e.event_type,
  e.actor_id,
  e.actor_type,
  e.target_id,
  e.target_type,
  e.action,
  e.metadata,
  evident.canonical_timestamp(e."timestamp") as "timestamp",
  evident.canonical_timestamp(e.created_at) as created_at,
  evident.canonical_timestamp(e.retention_until) as retention_until,
  e.pii_tagged,
  e.created_at as created_at_instant,
  e."timestamp" as timestamp_instant
from public.audit_events e;
comment on view evident.audit_entries is 'audit_events with timestamps in canonical form, for verification and the API.';

revoke all on evident.audit_entries from public, anon, authenticated, service_role;
grant select on evident.audit_entries to evident_writer, evident_analyst;

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

-- The append path's first step in one round trip: lock the organisation's head, read the database
-- clock, and return what the writer needs to re-verify the head before extending the chain: the
-- head's own entry as stored (canonical form) and whether any entry lies beyond the head.
create function evident.begin_append(organization uuid)
returns table (
  head_seq bigint,
  head_hash text,
  head_created_at text,
  created_at text,
  trail_beyond_head boolean,
  head_entry jsonb
)
language plpgsql
security invoker
set search_path = ''
-- A custom plan per call would re-plan across every partition (hundreds of microseconds); the
-- generic plan prunes at execution instead.
set plan_cache_mode = force_generic_plan
as $$
declare
  head record;
begin
  select * into head from evident.lock_chain_head(organization);
  return query
  select head.seq, head.entry_hash,
    evident.canonical_timestamp(head.head_created_at),
    evident.canonical_timestamp(head.now),
    exists (select 1 from public.audit_events e where e.organization_id = organization and e.seq > head.seq),
    (select pg_catalog.to_jsonb(a) - 'created_at_instant' - 'timestamp_instant'
       from evident.audit_entries a
      where head.seq > 0 and a.organization_id = organization and a.seq = head.seq
        and a.created_at_instant = head.head_created_at);
end
$$;
comment on function evident.begin_append(uuid) is
  'Locks the chain head and returns it, the batch created_at and the head entry, for the signed append path.';
revoke execute on function evident.begin_append(uuid) from public;
grant execute on function evident.begin_append(uuid) to evident_writer;

-- Where an organisation's chain ends and whether any entry lies beyond it, read in one statement
-- (issue 18). Verification reads the head before its walk and walks only up to it, so appends that
-- commit meanwhile are neither read nor mistaken for a rewound head; this one-statement check then
-- finds entries beyond the head without racing those appends: an append moves the head and adds its
-- entries in one transaction, and one statement sees one snapshot.
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.chain_head_state(organization uuid)
returns table (seq bigint, entry_hash text, entries_beyond_head boolean)
language sql
stable
security definer
set search_path = ''
as $$
  select h.seq, h.entry_hash,
    exists (select 1 from public.audit_events e where e.organization_id = organization and e.seq > h.seq)
  from evident.chain_heads h
  where h.organization_id = organization
  union all
  -- No head row (never appended to, or deleted): any entry at all lies beyond it.
  select 0, null, exists (select 1 from public.audit_events e where e.organization_id = organization)
  where not exists (select 1 from evident.chain_heads h where h.organization_id = organization)
$$;
comment on function evident.chain_head_state(uuid) is
  'An organisation''s chain head (seq, entry_hash; seq 0 without one) and whether entries lie beyond it, from one snapshot.';
revoke execute on function evident.chain_head_state(uuid) from public;
grant execute on function evident.chain_head_state(uuid) to evident_writer, evident_analyst;

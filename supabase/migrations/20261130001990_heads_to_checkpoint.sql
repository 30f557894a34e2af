-- The chain heads a checkpoint run has still to sign: every organisation's (or the given ones')
-- head that has moved past its last checkpoint. The audit-maintenance function signs them as
-- evident_writer, which may not read evident.chain_heads directly (only lock_chain_head and
-- read_chain_head hand heads out, and the DDL guard refuses new grants on the table), so this
-- hands out exactly what a checkpoint needs, as read_chain_head does for one organisation.
select set_config('evident.allow_audit_ddl', 'on', true);

create function evident.heads_to_checkpoint(organizations uuid[] default null)
returns table (organization_id uuid, seq bigint, entry_hash text)
language sql
stable
security definer
set search_path = ''
as $$
  select h.organization_id, h.seq, h.entry_hash
  from evident.chain_heads h
  where h.seq > 0
    and (organizations is null or h.organization_id = any (organizations))
    and not exists (select 1 from evident.checkpoints c where c.organization_id = h.organization_id and c.seq = h.seq)
  order by h.organization_id
$$;
comment on function evident.heads_to_checkpoint(uuid[]) is
  'Chain heads (of every organisation, or of the given ones) not yet covered by a checkpoint at their seq: what a checkpoint run signs.';
revoke execute on function evident.heads_to_checkpoint(uuid[]) from public, anon, authenticated, service_role;
grant execute on function evident.heads_to_checkpoint(uuid[]) to evident_writer;

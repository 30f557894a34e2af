-- Checkpoints carry a Merkle tree head (version 2): the RFC 6962 root over the organisation's
-- entries in the checkpoint's month, from the month's first entry through the checkpointed one.
-- A signed root lets anyone check that an entry of the current, not yet sealed, month belongs to
-- the trail with an inclusion proof alone (docs/certified-export.md), as a sealed month's root
-- does for finished months. Version 1 checkpoints (no tree) stay valid as they were signed.
select set_config('evident.allow_audit_ddl', 'on', true);

alter table evident.checkpoints add column tree jsonb check (
  tree is null or (
    jsonb_typeof(tree) = 'object'
    and tree ?& array['partition_name', 'first_seq', 'size', 'root']
    and tree ->> 'root' ~ '^[0-9a-f]{64}$'
    and (tree ->> 'first_seq')::bigint >= 1
    and (tree ->> 'size')::bigint >= 1
  )
);
comment on column evident.checkpoints.tree is
  'Version 2: {partition_name, first_seq, size, root}: the RFC 6962 root over the organisation''s entries first_seq .. seq of that month.';

create or replace function evident.record_checkpoint(checkpoint jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.audit_events e
    where e.organization_id = (checkpoint ->> 'organization_id')::uuid
      and e.seq = (checkpoint ->> 'seq')::bigint
      and e.entry_hash = checkpoint ->> 'entry_hash'
  ) then
    raise exception using
      errcode = 'EVK01',
      message = format('no entry seq %s with hash %s in the trail of organization %s: nothing to checkpoint',
        checkpoint ->> 'seq', checkpoint ->> 'entry_hash', checkpoint ->> 'organization_id');
  end if;
  -- A tree must end at the checkpointed entry.
  if checkpoint ? 'tree' and (checkpoint #>> '{tree,first_seq}')::bigint + (checkpoint #>> '{tree,size}')::bigint - 1
                             <> (checkpoint ->> 'seq')::bigint then
    raise exception using
      errcode = 'EVK01',
      message = format('the checkpoint''s tree (first_seq %s, size %s) does not end at seq %s',
        checkpoint #>> '{tree,first_seq}', checkpoint #>> '{tree,size}', checkpoint ->> 'seq');
  end if;
  insert into evident.checkpoints (organization_id, seq, entry_hash, checkpointed_at, signature, signing_key_id, tree)
  values (
    (checkpoint ->> 'organization_id')::uuid, (checkpoint ->> 'seq')::bigint, checkpoint ->> 'entry_hash',
    (checkpoint ->> 'checkpointed_at')::timestamptz, checkpoint ->> 'signature', checkpoint ->> 'signing_key_id',
    checkpoint -> 'tree')
  on conflict (organization_id, seq) do nothing;
end
$$;
comment on function evident.record_checkpoint(jsonb) is 'Stores a signed chain-head checkpoint (with its tree head, version 2) for an entry that exists.';
revoke execute on function evident.record_checkpoint(jsonb) from public;
grant execute on function evident.record_checkpoint(jsonb) to evident_writer;

-- A certified export checks the newest checkpoint before it certifies (as the writer role).
grant select on evident.checkpoints to evident_writer;
create policy checkpoints_select_writer on evident.checkpoints for select to evident_writer using (true);

-- Signed chain-head checkpoints: every few minutes while events flow, and at every seal, each
-- organisation's head (seq, entry_hash) is signed with the export key (Ed25519) and published
-- outside the database. Because each entry hashes its predecessor, the head hash commits to the
-- whole chain up to it; a trail that later lacks that entry, or holds another one at that seq, has
-- been cut or rewritten. Rows here are append-only; the archive copy is what a superuser cannot
-- reach.
select set_config('evident.allow_audit_ddl', 'on', true);

create table evident.checkpoints (
  organization_id uuid not null references public.organizations (id),
  seq bigint not null check (seq >= 1),
  entry_hash text not null check (entry_hash ~ '^[0-9a-f]{64}$'),
  checkpointed_at timestamptz not null,
  signature text not null check (signature ~ '^[A-Za-z0-9+/]{86}==$'),
  signing_key_id text not null check (signing_key_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  primary key (organization_id, seq)
);
comment on table evident.checkpoints is
  'Ed25519-signed chain heads (docs/sealing.md). Append-only; the archive holds the copies that matter.';

alter table evident.checkpoints enable row level security;
revoke all on evident.checkpoints from public, anon, authenticated, service_role;

select evident.make_append_only('evident.checkpoints');

insert into evident.protected_relations (relid, kind) values ('evident.checkpoints'::regclass, 'checkpoints');

-- Records a signed checkpoint after checking that it names the organisation's real head or an
-- entry of its trail: a checkpoint cannot vouch for something that is not there.
create function evident.record_checkpoint(checkpoint jsonb)
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
  insert into evident.checkpoints (organization_id, seq, entry_hash, checkpointed_at, signature, signing_key_id)
  values (
    (checkpoint ->> 'organization_id')::uuid, (checkpoint ->> 'seq')::bigint, checkpoint ->> 'entry_hash',
    (checkpoint ->> 'checkpointed_at')::timestamptz, checkpoint ->> 'signature', checkpoint ->> 'signing_key_id')
  on conflict (organization_id, seq) do nothing;
end
$$;
comment on function evident.record_checkpoint(jsonb) is 'Stores a signed chain-head checkpoint for an entry that exists.';
revoke execute on function evident.record_checkpoint(jsonb) from public;
grant execute on function evident.record_checkpoint(jsonb) to evident_writer;

-- One hash chain per organisation, its head persisted and locked so that concurrent writers can
-- neither fork nor gap it. The BEFORE INSERT trigger on audit_events is the last word on linkage:
-- whatever role inserts, and however, a row joins the chain only as its next link.

create table evident.chain_heads (
  organization_id uuid primary key references public.organizations (id),
  seq bigint not null default 0 check (seq >= 0),
  entry_hash text check (entry_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz,
  constraint chain_heads_empty_or_linked check ((seq = 0) = (entry_hash is null) and (seq = 0) = (created_at is null))
);
comment on table evident.chain_heads is
  'Last appended entry per organisation. Moves only inside the audit_events chain trigger.';

alter table evident.chain_heads enable row level security;
revoke all on evident.chain_heads from public, anon, authenticated, service_role;
insert into evident.protected_relations (relid, reason)
values ('evident.chain_heads'::regclass, 'chain heads');

-- Locks the organisation's head for the rest of the caller's transaction and returns it with the
-- database clock read after the lock was granted: that instant is the batch's created_at, so it is
-- never earlier than the previous entry's. Creates the empty head on first use.
create function evident.lock_chain_head(organization uuid)
returns table (seq bigint, entry_hash text, head_created_at timestamptz, now timestamptz)
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform set_config('evident.head_write', 'on', true);
  insert into evident.chain_heads (organization_id) values (organization)
  on conflict (organization_id) do nothing;
  perform set_config('evident.head_write', '', true);
  return query
    select h.seq, h.entry_hash, h.created_at, pg_catalog.clock_timestamp()
    from evident.chain_heads h
    where h.organization_id = organization
    for update;
end
$$;
comment on function evident.lock_chain_head(uuid) is
  'Locks and returns an organisation''s chain head plus the database clock. For the signed append path only.';
revoke execute on function evident.lock_chain_head(uuid) from public;
grant execute on function evident.lock_chain_head(uuid) to evident_writer;

-- Row trigger on audit_events (cloned to every partition). Runs as definer because the head is
-- closed to every other role.
create function evident.tg_audit_events__chain()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  head evident.chain_heads%rowtype;
begin
  select * into head from evident.chain_heads h where h.organization_id = new.organization_id for update;
  if not found then
    perform set_config('evident.head_write', 'on', true);
    insert into evident.chain_heads (organization_id) values (new.organization_id)
    on conflict (organization_id) do nothing;
    perform set_config('evident.head_write', '', true);
    select * into head from evident.chain_heads h where h.organization_id = new.organization_id for update;
  end if;

  if new.seq is distinct from head.seq + 1 then
    raise exception using
      errcode = 'EVC01',
      message = format('seq %s does not continue the chain of organization %s, whose head is at seq %s',
        new.seq, new.organization_id, head.seq),
      hint = 'Append through the audit-events function, which locks the head and numbers events.';
  end if;
  if new.previous_hash is distinct from head.entry_hash then
    raise exception using
      errcode = 'EVC02',
      message = format('previous_hash %s does not match the chain head of organization %s (%s)',
        coalesce(new.previous_hash, 'NULL'), new.organization_id, coalesce(head.entry_hash, 'NULL: genesis')),
      hint = 'The persisted head moved: another writer appended, or the head was tampered with.';
  end if;
  -- created_at must be an instant of this very transaction, and time must not run backwards
  -- along the chain: nobody back-dates or pre-dates an entry.
  if new.created_at < pg_catalog.now()
     or new.created_at > pg_catalog.clock_timestamp()
     or new.created_at < head.created_at then
    raise exception using
      errcode = 'EVC03',
      message = format('created_at %s is outside the inserting transaction (%s .. %s) or before the previous entry (%s)',
        new.created_at, pg_catalog.now(), pg_catalog.clock_timestamp(), coalesce(head.created_at::text, 'none')),
      hint = 'created_at is the database clock returned by evident.lock_chain_head().';
  end if;

  perform set_config('evident.head_write', 'on', true);
  update evident.chain_heads h
     set seq = new.seq, entry_hash = new.entry_hash, created_at = new.created_at
   where h.organization_id = new.organization_id;
  perform set_config('evident.head_write', '', true);
  return new;
end
$$;

create trigger _100_chain before insert on public.audit_events
  for each row execute function evident.tg_audit_events__chain();

-- Heads move forward one link at a time, from inside the chain trigger or the head creation
-- above, and are never deleted or truncated.
create function evident.tg_chain_heads__guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') then
    raise exception using errcode = 'EVH01', message = format('%s on chain_heads is refused', tg_op);
  end if;
  if coalesce(current_setting('evident.head_write', true), '') <> 'on' then
    raise exception using
      errcode = 'EVH01',
      message = format('%s on chain_heads is refused: heads move only when an event is appended', tg_op);
  end if;
  if tg_op = 'INSERT' and new.seq <> 0 then
    raise exception using errcode = 'EVH01', message = 'a chain head starts empty (seq 0)';
  end if;
  if tg_op = 'UPDATE' and (new.organization_id <> old.organization_id or new.seq <> old.seq + 1) then
    raise exception using errcode = 'EVH01', message = 'a chain head advances by exactly one entry';
  end if;
  return new;
end
$$;

create trigger _010_guard before insert or update or delete on evident.chain_heads
  for each row execute function evident.tg_chain_heads__guard();
create trigger _010_refuse_truncate before truncate on evident.chain_heads
  for each statement execute function evident.tg_chain_heads__guard();

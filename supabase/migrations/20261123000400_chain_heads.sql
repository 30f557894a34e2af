-- One hash chain per organisation, its head persisted and locked so that concurrent writers can
-- neither fork nor gap it. The chain check on audit_events is the last word on linkage: whatever
-- role inserts, and however, rows join a chain only as its next links.
--
-- The check runs once per statement over the statement's transition table, not once per row: a
-- batch is validated with one set-based query and moves the head once. It also sees exactly the
-- rows that were inserted, so INSERT ... ON CONFLICT DO NOTHING cannot move a head past a row it
-- skipped. A failed check raises, which undoes the whole statement.

create table evident.chain_heads (
  organization_id uuid primary key references public.organizations (id),
  seq bigint not null default 0 check (seq >= 0),
  entry_hash text check (entry_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz,
  constraint chain_heads_empty_or_linked check ((seq = 0) = (entry_hash is null) and (seq = 0) = (created_at is null))
);
comment on table evident.chain_heads is
  'Last appended entry per organisation. Moves only inside the audit_events chain check.';

alter table evident.chain_heads enable row level security;
revoke all on evident.chain_heads from public, anon, authenticated, service_role;
insert into evident.protected_relations (relid, kind) values ('evident.chain_heads'::regclass, 'chain_heads');

-- Heads move forward onto entries that exist, from inside the chain check or the head creation
-- below, and are never deleted or truncated. (The chain check runs after the statement's rows are
-- in place, so the entry a head moves onto is always visible to it.)
create function evident.tg_chain_heads__guard()
returns trigger
language plpgsql
set search_path = ''
-- Its lookup spans every partition: a generic plan prunes at execution instead of re-planning.
set plan_cache_mode = force_generic_plan
as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') then
    raise exception using errcode = 'EVH01', message = format('%s on chain_heads is refused', tg_op);
  end if;
  if coalesce(pg_catalog.current_setting('evident.head_write', true), '') <> 'on' then
    raise exception using
      errcode = 'EVH01',
      message = format('%s on chain_heads is refused: heads move only when events are appended', tg_op);
  end if;
  if tg_op = 'INSERT' and new.seq <> 0 then
    raise exception using errcode = 'EVH01', message = 'a chain head starts empty (seq 0)';
  end if;
  if tg_op = 'UPDATE' and (
    new.organization_id <> old.organization_id or new.seq <= old.seq
    or not exists (
      select 1 from public.audit_events e
      where e.organization_id = new.organization_id and e.seq = new.seq
        and e.created_at = new.created_at and e.entry_hash = new.entry_hash)
  ) then
    raise exception using errcode = 'EVH01', message = 'a chain head only moves forward, onto an entry that exists with that hash';
  end if;
  return new;
end
$$;

create trigger _010_guard before insert or update or delete on evident.chain_heads
  for each row execute function evident.tg_chain_heads__guard();
create trigger _010_refuse_truncate before truncate on evident.chain_heads
  for each statement execute function evident.tg_chain_heads__guard();

-- Creates an organisation's empty head on first use. Looks before inserting: the common case (the
-- head exists) then costs one index probe rather than an INSERT and its guard trigger.
create function evident.ensure_chain_head(organization uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from evident.chain_heads h where h.organization_id = organization) then
    perform pg_catalog.set_config('evident.head_write', 'on', true);
    insert into evident.chain_heads (organization_id) values (organization)
    on conflict (organization_id) do nothing;
    perform pg_catalog.set_config('evident.head_write', '', true);
  end if;
end
$$;
revoke execute on function evident.ensure_chain_head(uuid) from public;

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
  perform evident.ensure_chain_head(organization);
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

-- Where an organisation's chain ends, for verifiers running as the writer (the verification
-- endpoint), who may not read chain_heads itself. Read-only; no lock.
create function evident.read_chain_head(organization uuid)
returns table (seq bigint, entry_hash text)
language sql
stable
security definer
set search_path = ''
as $$
  select h.seq, h.entry_hash from evident.chain_heads h where h.organization_id = organization
$$;
comment on function evident.read_chain_head(uuid) is 'An organisation''s chain head (seq, entry_hash), read-only.';
revoke execute on function evident.read_chain_head(uuid) from public;
grant execute on function evident.read_chain_head(uuid) to evident_writer;

-- Statement trigger on audit_events and on every partition (a row inserted into a partition by
-- name fires the partition's statement triggers, not the parent's). Definer: the head is closed
-- to every other role.
create function evident.tg_audit_events__chain()
returns trigger
language plpgsql
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  organization uuid;
  head evident.chain_heads%rowtype;
  broken record;
  last record;
begin
  -- Organisations in a fixed order, so two multi-organisation statements cannot deadlock.
  for organization in select distinct r.organization_id from new_rows r order by 1 loop
    perform evident.ensure_chain_head(organization);
    select * into head from evident.chain_heads h where h.organization_id = organization for update;

    select c.* into broken
    from (
      select r.seq, r.previous_hash, r.created_at,
             coalesce(pg_catalog.lag(r.seq) over w, head.seq) + 1 as expected_seq,
             case when pg_catalog.row_number() over w = 1 then head.entry_hash
                  else pg_catalog.lag(r.entry_hash) over w end as expected_previous,
             coalesce(pg_catalog.lag(r.created_at) over w, head.created_at, '-infinity') as not_before
      from new_rows r
      where r.organization_id = organization
      window w as (order by r.seq)
    ) c
    where c.seq is distinct from c.expected_seq
       or c.previous_hash is distinct from c.expected_previous
       or c.created_at < pg_catalog.now()
       or c.created_at > pg_catalog.clock_timestamp()
       or c.created_at < c.not_before
    order by c.seq
    limit 1;

    if found then
      if broken.seq is distinct from broken.expected_seq then
        raise exception using
          errcode = 'EVC01',
          message = format('seq %s does not continue the chain of organization %s, which expects seq %s',
            broken.seq, organization, broken.expected_seq),
          hint = 'Append through the audit-events function, which locks the head and numbers events.';
      elsif broken.previous_hash is distinct from broken.expected_previous then
        raise exception using
          errcode = 'EVC02',
          message = format('previous_hash %s of seq %s does not match the chain of organization %s (%s)',
            coalesce(broken.previous_hash, 'NULL'), broken.seq, organization,
            coalesce(broken.expected_previous, 'NULL: genesis')),
          hint = 'The persisted head moved: another writer appended, or the head was tampered with.';
      else
        raise exception using
          errcode = 'EVC03',
          message = format('created_at %s of seq %s is outside the inserting transaction (%s .. %s) or before the previous entry (%s)',
            broken.created_at, broken.seq, pg_catalog.now(), pg_catalog.clock_timestamp(), broken.not_before),
          hint = 'created_at is the database clock returned by evident.lock_chain_head().';
      end if;
    end if;

    select r.seq, r.entry_hash, r.created_at into last
    from new_rows r where r.organization_id = organization order by r.seq desc limit 1;
    perform pg_catalog.set_config('evident.head_write', 'on', true);
    update evident.chain_heads h
       set seq = last.seq, entry_hash = last.entry_hash, created_at = last.created_at
     where h.organization_id = organization;
    perform pg_catalog.set_config('evident.head_write', '', true);
  end loop;
  return null;
end
$$;

create trigger _100_chain after insert on public.audit_events
  referencing new table as new_rows
  for each statement execute function evident.tg_audit_events__chain();

-- Legal holds (litigation, investigations, an authority's preservation order): while a hold is
-- active, nothing it covers may be erased, anonymised or dropped by retention. A hold covers an
-- organisation's data by data subject (an event's actor_id or target_id, and that subject's
-- personal data), by target (target_id), or by a range of event time. Applying and releasing
-- are audited (legal_hold events, through the signed append path); the rows here are the working
-- state every erasure, anonymisation and retention check reads.
select set_config('evident.allow_audit_ddl', 'on', true);

create table evident.legal_holds (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id),
  scope text not null check (scope in ('subject', 'target', 'time_range')),
  subject_id text check (length(subject_id) between 1 and 256),
  target_id text check (length(target_id) between 1 and 256),
  range_start timestamptz,
  range_end timestamptz,
  reason text not null check (length(reason) between 3 and 1000),
  applied_by text not null check (length(applied_by) between 1 and 256),
  applied_at timestamptz not null default now(),
  released_at timestamptz,
  released_by text check (length(released_by) between 1 and 256),
  release_reason text check (length(release_reason) between 3 and 1000),
  -- Exactly the fields its scope needs.
  check (case scope
    when 'subject' then subject_id is not null and target_id is null and range_start is null and range_end is null
    when 'target' then target_id is not null and subject_id is null and range_start is null and range_end is null
    else range_start is not null and range_end is not null and range_start < range_end and subject_id is null and target_id is null
  end),
  check ((released_at is null) = (released_by is null) and (released_at is null) = (release_reason is null))
);
create index legal_holds_active on evident.legal_holds (organization_id) where released_at is null;
comment on table evident.legal_holds is
  'Legal holds: while released_at is null, erasure, anonymisation and retention drops of what a hold covers are refused.';

-- A hold is released once, and nothing else about it ever changes; holds are never deleted.
create function evident.legal_hold_released_once()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.released_at is not null or new.released_at is null
     or (new.id, new.organization_id, new.scope, new.subject_id, new.target_id, new.range_start, new.range_end,
         new.reason, new.applied_by, new.applied_at)
        is distinct from
        (old.id, old.organization_id, old.scope, old.subject_id, old.target_id, old.range_start, old.range_end,
         old.reason, old.applied_by, old.applied_at) then
    raise exception using
      errcode = 'EVW01',
      message = format('legal hold %s: only its release may be recorded, once', old.id);
  end if;
  return new;
end
$$;

create trigger legal_holds_released_once
  before update on evident.legal_holds
  for each row execute function evident.legal_hold_released_once();

alter table evident.legal_holds enable row level security;
alter table evident.legal_holds force row level security;
revoke all on evident.legal_holds from public, anon, authenticated, service_role;

grant select, insert, update (released_at, released_by, release_reason) on evident.legal_holds to evident_writer;
create policy legal_holds_writer on evident.legal_holds for all to evident_writer using (true) with check (true);
grant select on evident.legal_holds to evident_analyst;
create policy legal_holds_analyst on evident.legal_holds for select to evident_analyst using (true);

-- Whether any active hold of the organisation covers any of the given subjects, targets, or any
-- part of the event-time range. Nulls mean "not asked". For checks inside SQL (retention); the
-- functions use _shared/holds.ts, which returns the holds themselves.
create function evident.active_holds_cover(
  organization uuid,
  subject_ids text[],
  target_ids text[],
  range_start timestamptz,
  range_end timestamptz
)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (
    select 1 from evident.legal_holds h
    where h.organization_id = organization
      and h.released_at is null
      and (
        (h.scope = 'subject' and h.subject_id = any(subject_ids))
        or (h.scope = 'target' and h.target_id = any(target_ids))
        or (h.scope = 'time_range' and active_holds_cover.range_start is not null and active_holds_cover.range_end is not null
            and h.range_start < active_holds_cover.range_end and active_holds_cover.range_start < h.range_end)
      )
  )
$$;
comment on function evident.active_holds_cover(uuid, text[], text[], timestamptz, timestamptz) is
  'True when an active legal hold of the organisation covers one of the subjects or targets, or overlaps the event-time range.';
revoke execute on function evident.active_holds_cover(uuid, text[], text[], timestamptz, timestamptz) from public;
grant execute on function evident.active_holds_cover(uuid, text[], text[], timestamptz, timestamptz) to evident_writer, evident_analyst;

-- Statements of Reasons outbox (DSA Art. 24(5)): every statement that must reach the Commission's
-- Transparency Database waits here, holding the exact JSON submitted and its SHA-256, until the
-- sor-submit worker (edge function or `evident sor …`) has it accepted. Filled in the same
-- transaction as the decision_made event that carries it (audit-events), or by an explicit call.
-- This is an operational queue, not audit data: rows change state. What is evidence is the
-- sor_submitted event each accepted statement gets in the trail. docs/sor-submission.md.
--
-- States:   pending ──claim──▶ submitting ──▶ submitted        (final; never changes again)
--              ▲                  │  │
--              └── retry/release ─┘  └──▶ dead_letter ──requeue──▶ pending
-- A submitting row whose lease expired (its worker died) is claimed again by the next worker.
--
-- SQLSTATEs (class EV, listed with the others in 20261123000100):
--   EVS01  a puid already queued with a different statement
--   EVS02  a state change the outbox does not allow (or a worker that no longer holds the lease)
select set_config('evident.allow_audit_ddl', 'on', true);

create table evident.sor_outbox (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id),
  -- The Commission keeps a puid unique per platform, and one DSA_TDB_TOKEN is one platform: so the
  -- puid is unique across the whole outbox, as it is in the Transparency Database.
  puid text not null unique check (puid ~ '^[a-zA-Z0-9_-]+$' and char_length(puid) <= 500),
  -- The exact bytes sent as this statement (RFC 8785 canonical JSON), and their SHA-256.
  payload text not null check (jsonb_typeof(payload::jsonb) = 'object'),
  payload_sha256 text not null check (payload_sha256 = encode(sha256(convert_to(payload, 'UTF8')), 'hex')),
  decision_event_id uuid,
  decision_event_seq bigint,
  state text not null default 'pending' check (state in ('pending', 'submitting', 'submitted', 'dead_letter')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  lease_owner text,
  lease_expires_at timestamptz,
  last_status integer,
  last_error jsonb,
  commission_uuid text,
  reconciled boolean not null default false,
  submitted_at timestamptz,
  submitted_event_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sor_outbox_lease_when_submitting check (
    (state = 'submitting') = (lease_owner is not null and lease_expires_at is not null)),
  constraint sor_outbox_submitted_complete check (
    (state = 'submitted') = (submitted_at is not null)),
  constraint sor_outbox_dead_letter_has_error check (state <> 'dead_letter' or last_error is not null)
);
comment on table evident.sor_outbox is
  'Statements of Reasons waiting for, or accepted by, the Commission''s Transparency Database (docs/sor-submission.md).';

create index sor_outbox_due on evident.sor_outbox (next_attempt_at) where state = 'pending';
create index sor_outbox_leased on evident.sor_outbox (lease_expires_at) where state = 'submitting';
create index sor_outbox_organization on evident.sor_outbox (organization_id, created_at);

-- Unreachable by API roles; the append path and the submit worker (evident_writer) use it through
-- the functions below and may read it directly. No role may DELETE a statement.
alter table evident.sor_outbox enable row level security;
alter table evident.sor_outbox force row level security;
revoke all on evident.sor_outbox from public, anon, authenticated, service_role;
grant select, insert, update on evident.sor_outbox to evident_writer;
create policy sor_outbox_writer on evident.sor_outbox for all to evident_writer using (true) with check (true);

-- The payload, its hash, puid and organisation never change; state moves only along the arrows
-- above; a submitted statement is final.
create function evident.tg_sor_outbox__transition()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if new.id <> old.id or new.organization_id <> old.organization_id or new.puid <> old.puid
     or new.payload <> old.payload or new.payload_sha256 <> old.payload_sha256
     or new.decision_event_id is distinct from old.decision_event_id then
    raise exception using errcode = 'EVS02',
      message = format('statement %s: its payload, puid and organisation are fixed once queued', old.id);
  end if;
  if not (
       (old.state = 'pending' and new.state in ('pending', 'submitting'))
    or (old.state = 'submitting' and new.state in ('submitting', 'pending', 'submitted', 'dead_letter'))
    or (old.state = 'dead_letter' and new.state in ('dead_letter', 'pending'))
  ) then
    raise exception using errcode = 'EVS02',
      message = format('statement %s: %s → %s is not an outbox transition', old.id, old.state, new.state);
  end if;
  new.updated_at := now();
  return new;
end
$$;
comment on function evident.tg_sor_outbox__transition() is 'Keeps sor_outbox rows on the documented state machine.';

create trigger _100_transition before update on evident.sor_outbox
  for each row execute function evident.tg_sor_outbox__transition();

create function evident.tg_sor_outbox__no_delete()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  raise exception using errcode = 'EVS02', message = 'statements of reasons are never deleted from the outbox';
end
$$;
create trigger _100_no_delete before delete on evident.sor_outbox
  for each row execute function evident.tg_sor_outbox__no_delete();

-- Queues one statement. The same puid with the same payload again is a no-op returning the queued
-- row (an idempotent retry); with another payload it is refused (EVS01).
create function evident.enqueue_statement(
  organization uuid, statement_puid text, statement_payload text, statement_sha256 text,
  decision_id uuid default null, decision_seq bigint default null)
returns uuid
language plpgsql
security invoker
set search_path = ''
as $$
declare
  queued evident.sor_outbox;
begin
  insert into evident.sor_outbox (organization_id, puid, payload, payload_sha256, decision_event_id, decision_event_seq)
  values (organization, statement_puid, statement_payload, statement_sha256, decision_id, decision_seq)
  on conflict (puid) do nothing
  returning * into queued;
  if found then
    return queued.id;
  end if;
  select * into queued from evident.sor_outbox where puid = statement_puid;
  if queued.payload_sha256 <> statement_sha256 or queued.organization_id <> organization then
    raise exception using errcode = 'EVS01',
      message = format('puid %s is already queued with a different statement: a puid names one statement for the whole platform', statement_puid);
  end if;
  return queued.id;
end
$$;
comment on function evident.enqueue_statement(uuid, text, text, text, uuid, bigint) is
  'Queues a Statement of Reasons for the Transparency Database; idempotent per puid and payload.';

-- Claims up to max_rows due statements for one worker: pending ones whose time has come, and
-- submitting ones whose lease expired (their worker died). SKIP LOCKED lets concurrent workers
-- take disjoint rows without waiting; each claim counts as an attempt.
create function evident.claim_statements(worker text, max_rows integer, lease interval, only_id uuid default null)
returns setof evident.sor_outbox
language sql
volatile
security invoker
set search_path = ''
as $$
  with due as (
    select o.id from evident.sor_outbox o
    where ((o.state = 'pending' and o.next_attempt_at <= now())
        or (o.state = 'submitting' and o.lease_expires_at < now()))
      and (only_id is null or o.id = only_id)
    order by o.next_attempt_at, o.created_at
    limit greatest(least(max_rows, 100), 0)
    for update skip locked
  )
  update evident.sor_outbox o
  set state = 'submitting', lease_owner = worker, lease_expires_at = now() + lease, attempts = o.attempts + 1
  from due where o.id = due.id
  returning o.*
$$;
comment on function evident.claim_statements(text, integer, interval, uuid) is
  'Leases due statements (pending, or submitting with an expired lease) to one worker; FOR UPDATE SKIP LOCKED.';

-- Marks statements accepted, for the worker that still holds their lease. Returns the ids it
-- changed: a worker whose lease was taken over changes nothing and must not record events.
create function evident.complete_statements(worker text, accepted jsonb)
returns setof uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  update evident.sor_outbox o
  set state = 'submitted', lease_owner = null, lease_expires_at = null, submitted_at = now(),
      commission_uuid = a.commission_uuid, reconciled = coalesce(a.reconciled, false),
      submitted_event_id = a.event_id, last_status = a.status, last_error = null
  from jsonb_to_recordset(accepted) as a(id uuid, commission_uuid text, reconciled boolean, event_id uuid, status integer)
  where o.id = a.id and o.state = 'submitting' and o.lease_owner = worker
  returning o.id
$$;
comment on function evident.complete_statements(text, jsonb) is
  'Marks leased statements submitted (with the Commission''s uuid and the sor_submitted event id).';

-- Gives a leased statement back: to pending at a later time (a transient failure), or to the
-- dead letter (a permanent refusal), with the API's status and body.
create function evident.release_statement(worker text, statement_id uuid, to_state text, retry_at timestamptz, status integer, error jsonb)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  if to_state not in ('pending', 'dead_letter') then
    raise exception using errcode = 'EVS02', message = format('cannot release a statement to %s', to_state);
  end if;
  update evident.sor_outbox
  set state = to_state, lease_owner = null, lease_expires_at = null,
      next_attempt_at = coalesce(retry_at, now()), last_status = status, last_error = error
  where id = statement_id and state = 'submitting' and lease_owner = worker;
  return found;
end
$$;
comment on function evident.release_statement(text, uuid, text, timestamptz, integer, jsonb) is
  'Returns a leased statement to pending (retry later) or dead_letter (refused), recording the API''s answer.';

-- Operator actions (`evident sor retry --dead-letter`, `evident sor replay <id>`): dead letters
-- back to pending, due now. Returns the ids requeued.
create function evident.requeue_statements(only_id uuid default null)
returns setof uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  update evident.sor_outbox
  set state = 'pending', next_attempt_at = now()
  where (state = 'dead_letter' or (only_id is not null and state = 'pending'))
    and (only_id is null or id = only_id)
  returning id
$$;
comment on function evident.requeue_statements(uuid) is
  'Puts dead-lettered statements (or one statement) back in the queue, due now.';

revoke execute on function evident.tg_sor_outbox__transition() from public;
revoke execute on function evident.tg_sor_outbox__no_delete() from public;
revoke execute on function evident.enqueue_statement(uuid, text, text, text, uuid, bigint) from public;
revoke execute on function evident.claim_statements(text, integer, interval, uuid) from public;
revoke execute on function evident.complete_statements(text, jsonb) from public;
revoke execute on function evident.release_statement(text, uuid, text, timestamptz, integer, jsonb) from public;
revoke execute on function evident.requeue_statements(uuid) from public;
grant execute on function evident.enqueue_statement(uuid, text, text, text, uuid, bigint) to evident_writer;
grant execute on function evident.claim_statements(text, integer, interval, uuid) to evident_writer;
grant execute on function evident.complete_statements(text, jsonb) to evident_writer;
grant execute on function evident.release_statement(text, uuid, text, timestamptz, integer, jsonb) to evident_writer;
grant execute on function evident.requeue_statements(uuid) to evident_writer;

-- The row checks rewritten for ingest speed (migration 20261206000100) accept exactly what the
-- anchored regular expressions they replace accepted, and the foreign key they drop is still
-- enforced, set-wise, by the chain trigger.
begin;
\ir _helpers.psql

select plan(71);

select tests.create_org('Ingest checks') as org \gset
select tests.append_event(:'org') \gset

-- One row that is valid in every column but `col`, which holds `val`; inserted with every trigger
-- off (replica mode, superuser only), so only the table's own constraints decide. 'ok' or SQLSTATE.
create function tests.checked_outcome(org uuid, col text, val text)
returns text
language plpgsql
as $$
declare
  outcome text;
  row_values jsonb := jsonb_build_object(
    'previous_hash', tests.random_hex64(), 'entry_hash', tests.random_hex64(),
    'signature', tests.random_hex64(), 'key_id', 'test-1', 'event_type', 'decision_made')
    || jsonb_build_object(col, val);
begin
  perform set_config('session_replication_role', 'replica', true);
  outcome := tests.outcome_of(format(
    'insert into public.audit_events (organization_id, seq, previous_hash, entry_hash, signature, key_id, '
    'canonical_version, event_type, actor_id, actor_type, target_id, target_type, action, metadata, '
    '"timestamp", retention_until, created_at) values (%L, 1000 + (random() * 1e9)::bigint, %L, %L, %L, %L, 1, %L, '
    '''moderator-1'', ''user'', ''content-x'', ''content'', ''content_removed'', ''{}'', now(), '
    'now() + interval ''7 years'', clock_timestamp())',
    org, row_values ->> 'previous_hash', row_values ->> 'entry_hash', row_values ->> 'signature',
    row_values ->> 'key_id', row_values ->> 'event_type'));
  perform set_config('session_replication_role', 'origin', true);
  return outcome;
end
$$;

-- Each sample must be accepted exactly when the old expression matched it.
create temporary table samples (col text, pattern text, val text);
insert into samples
select c.col, '^[0-9a-f]{64}$', s.val
from (values ('previous_hash'), ('entry_hash'), ('signature')) as c(col),
     (values
       (repeat('0123456789abcdef', 4)),               -- valid
       (repeat('0123456789ABCDEF', 4)),               -- upper case
       (repeat('a', 63)), (repeat('a', 65)), (''),    -- lengths
       (repeat('a', 64) || E'\n'),                    -- trailing newline
       (E'\n' || repeat('a', 63)),                    -- newline inside
       (repeat('g', 64)), (repeat(' ', 64)),          -- outside the set
       (repeat('a', 63) || 'é'),                      -- non-ASCII, 64 characters
       (repeat('ａ', 64))                              -- full-width letter a
     ) as s(val);
insert into samples
select 'key_id', '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', s.val
from (values ('local-1'), ('a'), ('Z9'), ('A.b_c-d'), (repeat('k', 64)), (repeat('k', 65)), (''),
             ('.a'), ('-a'), ('_a'), ('a b'), ('a/b'), ('ä'), ('a' || E'\n'), (E'\n' || 'a'), ('a-'), ('9')) as s(val);
insert into samples
select 'event_type', '^[a-z][a-z0-9_.]{0,63}$', s.val
from (values ('decision_made'), ('a'), ('sor.submitted'), ('x9_.'), (repeat('e', 64)), (repeat('e', 65)), (''),
             ('9a'), ('_a'), ('.a'), ('Decision'), ('a-b'), ('a b'), ('ä'), ('a' || E'\n'), (E'\n' || 'a')) as s(val);

select is(
  tests.checked_outcome(:'org', s.col, s.val),
  case when s.val ~ s.pattern then 'ok' else '23514' end,
  format('%s %s: accepted exactly when it matches %s', s.col, to_json(s.val), s.pattern))
from samples s
order by s.col, s.val;

-- The foreign key to organizations is implied by the chain trigger, for every inserting role.
select hasnt_fk('public', 'audit_events', 'audit_events carries no per-row foreign key (the chain trigger checks organisations once per statement)');

set local role evident_writer;
select throws_ok(
  tests.event_sql(gen_random_uuid()),
  '23503', null,
  'evident_writer: an entry of an organisation that does not exist is refused (the head''s key, inside the chain trigger)');
reset role;
select throws_ok(
  tests.event_sql(gen_random_uuid()),
  '23503', null,
  'postgres: an entry of an organisation that does not exist is refused');
select is(
  (select count(*) from public.audit_events e where not exists (select 1 from public.organizations o where o.id = e.organization_id)),
  0::bigint,
  'no entry names an organisation that does not exist');

select throws_ok(
  format('delete from public.organizations where id = %L', :'org'),
  '23503', null,
  'an organisation with entries cannot be deleted: its chain head references it');

select * from finish();
rollback;

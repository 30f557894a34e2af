-- The functions of the signed append path: evident.begin_append (lock, clock and head entry in one
-- call), evident.ensure_chain_head, evident.canonical_timestamp. Only the writer may start an
-- append; nobody calls the internals directly; the canonical rendering ignores the session TimeZone.
begin;
\ir _helpers.psql

select plan(27);

select tests.create_org('Org A') as org_a \gset

-- Who may call what -----------------------------------------------------------------------------
set local role anon;
select throws_ok(format('select * from evident.begin_append(%L)', :'org_a'), '42501', null, 'anon: begin_append is refused');
reset role;
set local role authenticated;
select throws_ok(format('select * from evident.begin_append(%L)', :'org_a'), '42501', null, 'authenticated: begin_append is refused');
reset role;
set local role service_role;
select throws_ok(format('select * from evident.begin_append(%L)', :'org_a'), '42501', null, 'service_role: begin_append is refused');
reset role;
set local role evident_analyst;
select throws_ok(format('select * from evident.begin_append(%L)', :'org_a'), '42501', null, 'evident_analyst: begin_append is refused');
reset role;
set local role evident_writer;
select throws_ok(format('select evident.ensure_chain_head(%L)', :'org_a'), '42501', null,
  'evident_writer: ensure_chain_head is internal (begin_append calls it)');
select throws_ok('select evident.create_audit_partitions(3)', '42501', null,
  'evident_writer: creating partitions is maintenance, not the writer''s job');
select throws_ok('select evident.harden_audit_partition(''public.audit_events''::regclass)', '42501', null,
  'evident_writer: hardening partitions is internal');
reset role;

-- begin_append on an empty chain ---------------------------------------------------------------------
set local role evident_writer;
-- psql unsets a \gset variable for a NULL column, hence the coalesces.
select head_seq, coalesce(head_hash, '') as head_hash, created_at, trail_beyond_head,
       coalesce(head_entry::text, '') as head_entry
  from evident.begin_append(:'org_a') \gset first_
reset role;
select is(:'first_head_seq'::bigint, 0::bigint, 'an organisation''s first append starts from seq 0');
select ok(:'first_head_hash' = '', 'with no head hash');
select ok(:'first_head_entry' = '', 'and no head entry');
select is(:'first_trail_beyond_head'::boolean, false, 'and nothing beyond the head');
select matches(:'first_created_at'::text, '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$',
  'the batch created_at comes back in canonical form');
select ok(:'first_created_at'::timestamptz >= now() and :'first_created_at'::timestamptz <= clock_timestamp(),
  'and lies inside this transaction');
select is((select seq from evident.chain_heads where organization_id = :'org_a'), 0::bigint,
  'the empty head now exists');

-- begin_append after appends ------------------------------------------------------------------------
select tests.append_event(:'org_a') as e1 \gset
select tests.append_event(:'org_a') as e2 \gset
set local role evident_writer;
select * from evident.begin_append(:'org_a') \gset next_
reset role;
select is(:'next_head_seq'::bigint, 2::bigint, 'after two appends the head is at seq 2');
select is(:'next_head_hash'::text, (select entry_hash from public.audit_events where organization_id = :'org_a' and seq = 2),
  'and names the second entry''s hash');
select is((:'next_head_entry'::jsonb) ->> 'id', (select id::text from public.audit_events where organization_id = :'org_a' and seq = 2),
  'the head entry is returned whole');
select is((:'next_head_entry'::jsonb) ->> 'created_at', :'next_head_created_at'::text,
  'with its created_at in the same canonical form as the head''s');
select ok(not ((:'next_head_entry'::jsonb) ? 'created_at_instant'),
  'without the view''s filtering columns');
select is(:'next_trail_beyond_head'::boolean, false, 'nothing lies beyond the head');

-- A row planted past the head, with triggers off, as only a superuser could: begin_append says so.
select tests.plant_row(:'org_a', now(), 7) \gset
set local role evident_writer;
select is((select trail_beyond_head from evident.begin_append(:'org_a')), true,
  'an entry beyond the head is reported, so the writer refuses to extend the chain');
reset role;

-- Canonical timestamps ------------------------------------------------------------------------------
select is(evident.canonical_timestamp('2026-01-02 03:04:05.123456+00'), '2026-01-02T03:04:05.123456Z',
  'canonical_timestamp renders UTC with six fractional digits and Z');
select is(evident.canonical_timestamp('2026-01-02 03:04:05+00'), '2026-01-02T03:04:05.000000Z',
  'whole seconds still get six digits');
select set_config('timezone', 'Asia/Kathmandu', true) \gset
select is(evident.canonical_timestamp('2026-01-02 03:04:05.5+00'), '2026-01-02T03:04:05.500000Z',
  'the session TimeZone (Asia/Kathmandu) does not shift it');
select set_config('timezone', 'America/St_Johns', true) \gset
select is(evident.canonical_timestamp('2026-06-30 23:59:59.999999-02:30'), '2026-07-01T02:29:59.999999Z',
  'nor does America/St_Johns, and offsets in the input are honoured');
select is(
  (select count(*) from evident.audit_entries where organization_id = :'org_a'
     and created_at <> evident.canonical_timestamp(created_at_instant)),
  0::bigint,
  'audit_entries renders every created_at canonically');
select is(evident.canonical_timestamp(null), null::text, 'canonical_timestamp is strict: NULL in, NULL out');

select * from finish();
rollback;

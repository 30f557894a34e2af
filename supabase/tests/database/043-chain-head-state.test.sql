-- evident.chain_head_state: where a chain ends and whether entries lie beyond it, for verifiers
-- that walk up to the head they read first (issue 18). Only the writer and the analyst may ask.
begin;
\ir _helpers.psql

select plan(11);

select tests.create_org('Org A') as org_a \gset

-- Who may ask ---------------------------------------------------------------------------------------
set local role anon;
select throws_ok(format('select * from evident.chain_head_state(%L)', :'org_a'), '42501', null, 'anon: chain_head_state is refused');
reset role;
set local role authenticated;
select throws_ok(format('select * from evident.chain_head_state(%L)', :'org_a'), '42501', null, 'authenticated: chain_head_state is refused');
reset role;
set local role service_role;
select throws_ok(format('select * from evident.chain_head_state(%L)', :'org_a'), '42501', null, 'service_role: chain_head_state is refused');
reset role;

-- What it answers -----------------------------------------------------------------------------------
set local role evident_writer;
select results_eq(format('select seq, entry_hash, entries_beyond_head from evident.chain_head_state(%L)', :'org_a'),
  $$values (0::bigint, null::text, false)$$, 'an organisation never appended to: seq 0, no hash, nothing beyond');
reset role;

select tests.append_event(:'org_a') as e1 \gset
select tests.append_event(:'org_a') as e2 \gset
set local role evident_writer;
select results_eq(format('select seq, entry_hash, entries_beyond_head from evident.chain_head_state(%L)', :'org_a'),
  format('values (2::bigint, %L::text, false)', (select entry_hash from public.audit_events where organization_id = :'org_a' and seq = 2)),
  'after two appends: the second entry, nothing beyond it');
reset role;
set local role evident_analyst;
select is((select seq from evident.chain_head_state(:'org_a')), 2::bigint, 'the analyst may ask too');
reset role;

-- A row planted past the head, as only a superuser with triggers off could.
savepoint planted;
select tests.plant_row(:'org_a', now(), 7) \gset
set local role evident_writer;
select is((select entries_beyond_head from evident.chain_head_state(:'org_a')), true, 'an entry planted beyond the head is reported');
select is((select seq from evident.chain_head_state(:'org_a')), 2::bigint, 'with the head where it is');
reset role;
rollback to savepoint planted;

-- A head moved back (rewound) by a superuser: the entries after it now lie beyond it.
savepoint rewound;
set local session_replication_role = replica;
update evident.chain_heads h set seq = 1, entry_hash = e.entry_hash, created_at = e.created_at
  from public.audit_events e where h.organization_id = :'org_a' and e.organization_id = :'org_a' and e.seq = 1;
reset session_replication_role;
select is((select entries_beyond_head from evident.chain_head_state(:'org_a')), true, 'a head moved back leaves entries beyond it');
rollback to savepoint rewound;

-- The head row deleted under its trail.
savepoint deleted;
set local session_replication_role = replica;
delete from evident.chain_heads where organization_id = :'org_a';
reset session_replication_role;
select results_eq(format('select seq, entry_hash, entries_beyond_head from evident.chain_head_state(%L)', :'org_a'),
  $$values (0::bigint, null::text, true)$$, 'a deleted head reads as seq 0, with every entry beyond it');
rollback to savepoint deleted;

select is((select entries_beyond_head from evident.chain_head_state(:'org_a')), false, 'and once undone, nothing lies beyond the head');

select * from finish();
rollback;

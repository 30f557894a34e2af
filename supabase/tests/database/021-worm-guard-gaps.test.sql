-- evident.worm_guard_gaps(): empty while every guard is in place; one named row for each guard an
-- owner switches off once it lets the DDL guard allow it (a disabled, dropped or weakened refusal
-- trigger, a disabled or dropped chain trigger, row security off or not forced, a relation taken
-- off the registry, a disabled or dropped DDL guard, the guard's flag on by default). Only
-- evident_writer (the compliance reports) may call it.
begin;
\ir _helpers.psql

select plan(27);

select function_privs_are('evident', 'worm_guard_gaps', array[]::text[], 'anon', array[]::text[], 'anon may not execute it');
select function_privs_are('evident', 'worm_guard_gaps', array[]::text[], 'authenticated', array[]::text[], 'authenticated may not execute it');
select function_privs_are('evident', 'worm_guard_gaps', array[]::text[], 'service_role', array[]::text[], 'service_role may not execute it');
select function_privs_are('evident', 'worm_guard_gaps', array[]::text[], 'evident_writer', array['EXECUTE'], 'evident_writer executes it');
select is((select prosecdef from pg_proc where oid = 'evident.worm_guard_gaps()'::regprocedure), false, 'it runs as its caller');

set local role evident_writer;
select is_empty('select * from evident.worm_guard_gaps()', 'as migrated: no gap');
reset role;

-- The partitions the cases use.
select r.relid::regclass::text as first_partition from evident.protected_relations r where r.kind = 'partition' order by 1 limit 1 \gset
select r.relid::regclass::text as last_partition from evident.protected_relations r where r.kind = 'partition' order by 1 desc limit 1 \gset

-- The cases below change audit objects, as an owner can once the guard's flag is on.
select set_config('evident.allow_audit_ddl', 'on', true);
select results_eq($$select * from evident.worm_guard_gaps()$$,
  $$values ('this session', 'evident.allow_audit_ddl is on')$$, 'the guard''s flag on in the asking session');
-- (From here on, the cases look past that row.)
create view tests.gaps as select * from evident.worm_guard_gaps() where object <> 'this session';

alter table evident.checkpoints disable trigger _010_refuse_update;
select results_eq('select * from tests.gaps',
  $$values ('evident.checkpoints', 'trigger _010_refuse_update is disabled')$$, 'a disabled refusal trigger');

alter table evident.checkpoints enable replica trigger _010_refuse_update;
select results_eq('select * from tests.gaps',
  $$values ('evident.checkpoints', 'trigger _010_refuse_update is disabled')$$, 'a refusal trigger that fires only in replica sessions');
alter table evident.checkpoints enable trigger _010_refuse_update;

drop trigger _010_refuse_update on evident.checkpoints;
create trigger _010_refuse_update before update on evident.checkpoints
  for each row when (false) execute function evident.tg_audit_events__refuse_change();
select results_eq('select * from tests.gaps',
  $$values ('evident.checkpoints', 'no trigger refuses UPDATE')$$, 'a refusal trigger replaced by one that never fires (WHEN false)');
drop trigger _010_refuse_update on evident.checkpoints;
create trigger _010_refuse_update before update of entry_hash on evident.checkpoints
  for each row execute function evident.tg_audit_events__refuse_change();
select results_eq('select * from tests.gaps',
  $$values ('evident.checkpoints', 'no trigger refuses UPDATE')$$, 'a refusal trigger replaced by one on a single column');
drop trigger _010_refuse_update on evident.checkpoints;
create trigger _010_refuse_update before update on evident.checkpoints
  for each row execute function evident.tg_audit_events__refuse_unpartitioned();
select results_eq('select * from tests.gaps',
  $$values ('evident.checkpoints', 'no trigger refuses UPDATE')$$, 'a refusal trigger replaced by one calling another function');
drop trigger _010_refuse_update on evident.checkpoints;
create trigger _010_refuse_update before update on evident.checkpoints
  for each row execute function evident.tg_audit_events__refuse_change();
select is_empty('select * from tests.gaps', 'the refusal trigger restored: no gap');

drop trigger _010_refuse_delete on evident.idempotency_keys;
select results_eq('select * from tests.gaps',
  $$values ('evident.idempotency_keys', 'no trigger refuses DELETE')$$, 'a dropped refusal trigger');

drop trigger _010_refuse_truncate on public.partition_manifests;
select results_eq($$select * from tests.gaps where object = 'public.partition_manifests'$$,
  $$values ('public.partition_manifests', 'no trigger refuses TRUNCATE')$$, 'a dropped TRUNCATE refusal');

select format('alter table %s disable trigger _100_chain', :'first_partition') as stmt \gset
:stmt;
select results_eq(format($$select problem from tests.gaps where object = %L$$, :'first_partition'),
  $$values ('trigger _100_chain is disabled')$$, 'a disabled chain trigger');

select format('drop trigger _100_chain on %s', :'first_partition') as stmt \gset
:stmt;
select results_eq(format($$select problem from tests.gaps where object = %L$$, :'first_partition'),
  $$values ('the chain trigger is missing')$$, 'a dropped chain trigger');

select format('alter table %s no force row level security', :'last_partition') as stmt \gset
:stmt;
select results_eq(format($$select problem from tests.gaps where object = %L$$, :'last_partition'),
  $$values ('row-level security is not forced')$$, 'a partition whose row security is not forced');

alter table evident.chain_heads disable row level security;
select results_eq($$select problem from tests.gaps where object = 'evident.chain_heads'$$,
  $$values ('row-level security is not enabled')$$, 'row security switched off');

delete from evident.protected_relations where relid = 'evident.audit_events_unpartitioned'::regclass;
select results_eq($$select problem from tests.gaps where object = 'evident.audit_events_unpartitioned'$$,
  $$values ('missing from evident.protected_relations (as default_partition)')$$, 'a partition taken off the registry');

-- The registry is not what decides what is checked: its parent row gone, the partitions still are.
delete from evident.protected_relations where kind = 'parent';
select results_eq($$select problem from tests.gaps where object = 'public.audit_events'$$,
  $$values ('missing from evident.protected_relations (as parent)')$$, 'the trail taken off the registry');
select results_eq(format($$select problem from tests.gaps where object = %L$$, :'last_partition'),
  $$values ('row-level security is not forced')$$, 'its partitions still checked');
update evident.protected_relations set kind = 'registry' where relid = 'evident.checkpoints'::regclass;
select results_eq($$select problem from tests.gaps where object = 'evident.checkpoints'$$,
  $$values ('missing from evident.protected_relations (as checkpoints)')$$, 'a relation registered as something else');

alter role evident_analyst set evident.allow_audit_ddl = on;
select results_eq($$select * from tests.gaps where problem like '%by default'$$,
  $$values ('role evident_analyst, every database', 'evident.allow_audit_ddl is on by default')$$, 'the guard''s flag on by default for a role');

alter event trigger evident_audit_ddl_guard_drop disable;
select results_eq($$select problem from tests.gaps where object like 'evident_audit_ddl_guard%'$$,
  $$values ('the DDL guard event trigger is disabled')$$, 'a disabled DDL guard');

-- 006's known limit: the sql_drop guard dropped together with its own function, unrefused. It shows.
drop function evident_guard.tg_audit_ddl__guard_drop() cascade;
select results_eq($$select problem from tests.gaps where object like 'evident_audit_ddl_guard%'$$,
  $$values ('the DDL guard event trigger is missing')$$, 'the sql_drop guard dropped with its function');

-- Every gap above at once, each named; the writer sees them too (without the flag).
select set_config('evident.allow_audit_ddl', '', true);
set local role evident_writer;
select is((select count(*) from evident.worm_guard_gaps()), 10::bigint, 'as evident_writer: all ten gaps, one row each');
reset role;

select * from finish();
rollback;

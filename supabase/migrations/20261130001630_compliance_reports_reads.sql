select set_config('evident.allow_audit_ddl', 'on', true);
-- What the compliance-reports function reads, as evident_writer, to compute a SOC 2 report or a
-- quarterly self-assessment from real checks: the privilege check behind the "least privilege"
-- control. (The stored checkpoints behind "backup integrity" are readable by the writer since
-- 20261130001410.) Read-only; no write privilege is granted.
grant execute on function evident.audit_privilege_violations() to evident_writer;
-- audit_privilege_violations() is security invoker and reads the registry of protected relations;
-- without a policy the writer would read an empty registry and the check would pass vacuously.
grant select on evident.protected_relations to evident_writer;
create policy protected_relations_select_writer on evident.protected_relations for select to evident_writer using (true);

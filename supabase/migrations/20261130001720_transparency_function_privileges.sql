-- "alter default privileges in schema … revoke execute … from public" cannot take away the
-- global default, so functions created in transparency were executable by PUBLIC (anon
-- included). Revoke explicitly, function by function, and grant back only to the roles that
-- read the views. (Every definer function here already revoked its own.)
select set_config('evident.allow_audit_ddl', 'on', true);

revoke execute on function transparency.live_months(), transparency.event_months(), transparency.try_timestamptz(text)
  from public, anon, service_role;
grant execute on function transparency.live_months(), transparency.event_months(), transparency.try_timestamptz(text)
  to authenticated, evident_analyst, evident_writer;

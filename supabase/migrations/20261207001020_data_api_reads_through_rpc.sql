-- Reads of the trail through the Data API are recorded (issue 18, item 5). Signed-in admins and
-- auditors could `select * from audit_events` over PostgREST under row security, and nothing was
-- recorded. Now no API role (anon, authenticated, service_role) may SELECT audit_events (its
-- partitions were never readable by them), and the Data API path is one function,
-- public.read_audit_events(organization_id, purpose, after_seq, max_rows): it checks the caller,
-- reads a page, and writes the read into evident.access_log in the same transaction; the read
-- and its record commit together or not at all. It signs nothing (no SQL does): the
-- audit-maintenance function turns each record into a signed audit_access event.
--
-- The transparency views that read audit_events rows (all but partition_integrity, which reads
-- manifests and sealed roots) run with the reader's rights (security_invoker), so they are closed to
-- authenticated with it; signed-in members get the same figures from the compliance-reports
-- function, which records each request. evident_analyst and evident_writer keep what they had.
select set_config('evident.allow_audit_ddl', 'on', true);

revoke select on public.audit_events from anon, authenticated, service_role;
drop policy audit_events_select_member on public.audit_events;

revoke select on transparency.dsa_month_parts, transparency.dsa_metrics_monthly, transparency.dsa_metrics_annual,
  transparency.dsa_decisions_by_action, transparency.gdpr_ropa, transparency.retention_compliance, transparency.access_audit,
  transparency.authority_requests
  from anon, authenticated, service_role;

create function public.read_audit_events(organization_id uuid, purpose text, after_seq bigint default 0, max_rows integer default 100)
returns setof public.audit_events
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  claimed_role text := (select auth.role());
  refusal constant text := 'reading this organization''s audit trail requires the admin or auditor role in it';
  reader_role text;
  returned integer;
begin
  -- One refusal for an unknown organisation and for someone else's, before anything is read.
  if caller is not null then
    select m.role into reader_role from public.organization_members m
    where m.organization_id = read_audit_events.organization_id and m.user_id = caller and m.role in ('admin', 'auditor');
    if reader_role is null then
      raise exception using errcode = '42501', message = refusal;
    end if;
  elsif claimed_role = 'service_role' then
    if not exists (select 1 from public.organizations o where o.id = read_audit_events.organization_id) then
      raise exception using errcode = '42501', message = refusal;
    end if;
  else
    raise exception using errcode = '42501', message = refusal;
  end if;
  if purpose is null or length(pg_catalog.btrim(purpose)) < 3 or length(purpose) > 500 then
    raise exception using errcode = '22023', message = 'purpose must be 3 to 500 characters: say why the trail is read';
  end if;
  if after_seq is null or after_seq < 0 then
    raise exception using errcode = '22023', message = 'after_seq must be 0 or more';
  end if;
  if max_rows is null or max_rows < 1 or max_rows > 1000 then
    raise exception using errcode = '22023', message = 'max_rows must be between 1 and 1000';
  end if;

  return query
    select e.* from public.audit_events e
    where e.organization_id = read_audit_events.organization_id and e.seq > read_audit_events.after_seq
    order by e.seq, e.created_at
    limit read_audit_events.max_rows;
  get diagnostics returned = row_count;

  -- The record, in the same transaction as the read. (A read-only transaction, such as PostgREST
  -- gives a GET, cannot write it, and so returns nothing: call the function with POST.)
  insert into evident.access_log (organization_id, actor_id, accessor_type, member_role, purpose, query_parameters, returned)
  values (
    read_audit_events.organization_id,
    coalesce(caller::text, 'service_role'),
    case when caller is null then 'service_role' else 'member' end,
    reader_role,
    purpose,
    pg_catalog.jsonb_build_object('after_seq', read_audit_events.after_seq, 'max_rows', read_audit_events.max_rows),
    returned);
end
$$;
comment on function public.read_audit_events(uuid, text, bigint, integer) is
  'The Data API''s only way to read the trail: a page of an organisation''s entries in seq order, for its admins and auditors (or the service role), with a stated purpose; each read is recorded in evident.access_log in the same transaction and later signed into the chain as an audit_access event.';
revoke execute on function public.read_audit_events(uuid, text, bigint, integer) from public, anon;
grant execute on function public.read_audit_events(uuid, text, bigint, integer) to authenticated, service_role;

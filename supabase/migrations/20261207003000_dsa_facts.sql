select set_config('evident.allow_audit_ddl', 'on', true);
-- What the DSA harmonised transparency report (Implementing Regulation (EU) 2024/2835) counts, one
-- fact per event: the event's kind, the template's category and sub-category, the Member State
-- (orders) and a dimension string holding the rest (docs/compliance-reports.md#the-dsa-harmonised-transparency-report).
-- Facts of one day and shape are summed, so a report adds up small rows instead of reading events.
--
-- Durations (the template's medians) need the event that opened the case: the notice a decision
-- acts on, the complaint a complaint decision answers, the order or request a response gives effect
-- to. Each opening event names its case in its metadata; evident.dsa_case_opened gives that name.
-- A sealed month keeps its openings (transparency.sealed_dsa_openings, 20261207003010), and a
-- partial index over the few event types that open cases finds them in the months not sealed yet.

-- The case an event opens, or null: 'notice:<notice_id>', 'complaint:<complaint_id>',
-- 'dispute:<dispute_id>', 'order:<order_id>', 'request:<request_id>'.
create function evident.dsa_case_opened(event_type text, action text, metadata jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case event_type
    when 'report_submitted' then 'notice:' || (metadata ->> 'notice_id')
    when 'appeal_filed' then 'complaint:' || (metadata ->> 'complaint_id')
    when 'ods_escalation' then
      case when coalesce(metadata ->> 'stage', 'submitted') = 'submitted' then 'dispute:' || (metadata ->> 'dispute_id') end
    when 'authority_order' then
      case when metadata ->> 'stage' = 'received' then 'order:' || (metadata ->> 'order_id') end
    when 'authority_data_request' then
      case when action = 'received' then 'request:' || (metadata ->> 'request_id') end
  end
$$;
comment on function evident.dsa_case_opened(text, text, jsonb) is
  'The DSA case (notice, complaint, dispute, order, request) an event opens, named as kind:id; null if it opens none.';
grant execute on function evident.dsa_case_opened(text, text, jsonb) to authenticated, evident_analyst, evident_writer;

-- Only the five types that open cases are indexed: appends of every other type pay nothing for it.
create index audit_events_dsa_case_idx on public.audit_events
  (organization_id, evident.dsa_case_opened(event_type, action, metadata), "timestamp")
  where event_type in ('report_submitted', 'appeal_filed', 'ods_escalation', 'authority_order', 'authority_data_request');

-- The openings of a sealed month's cases: where a later month's closing events find when their case
-- was opened (and, for orders, what the order said), in one probe, whatever the trail's age.
-- Written with the month's facts when its manifest is recorded (20261207003010); append-only.
create table transparency.sealed_dsa_openings (
  partition_name text not null references transparency.sealed_months (partition_name),
  organization_id uuid not null,
  case_ref text not null,
  opened_at timestamptz not null,
  recorded_at timestamptz not null,
  -- What a closing event is counted under: the notice's trusted flag, the complaint's basis, the
  -- order's type, Member State, category and sub-category.
  details jsonb not null
);
comment on table transparency.sealed_dsa_openings is
  'Per sealed month, the DSA cases its events open (notice:, complaint:, dispute:, order:, request:), when, and what closing events are counted under.';
create index sealed_dsa_openings_case_idx on transparency.sealed_dsa_openings (organization_id, case_ref, opened_at);
select evident.make_append_only('transparency.sealed_dsa_openings');
alter table transparency.sealed_dsa_openings enable row level security;
alter table transparency.sealed_dsa_openings force row level security;
revoke all on transparency.sealed_dsa_openings from public, anon, authenticated, service_role;
grant select on transparency.sealed_dsa_openings to evident_analyst, evident_writer;
create policy sealed_dsa_openings_select_reader on transparency.sealed_dsa_openings
  for select to evident_analyst, evident_writer using (true);

-- One row per event the report counts, for events recorded (created_at) in [created_from,
-- created_to) and, when given, of one organisation and with their own timestamp in [ts_from, ts_to).
-- Cases are looked up among events recorded before created_to, so a sealed month's facts do not
-- depend on when they were computed.
--   kind       order | order_inform | order_effect | notice | decision | complaint | complaint_decision
--              | dispute | dispute_decision | suspension
--   category   the template's category (STATEMENT_CATEGORY_…), or null where the kind has none
--   keyword    the template's sub-category (KEYWORD_…), or null
--   scope      the Member State of an order (Eurostat code, GR written EL), else ''
--   dimension  the rest, colon separated: see docs/compliance-reports.md#how-each-figure-is-counted
--   seconds    the case's duration in whole seconds, where the template asks for a median
--   items      specific items of information (orders and notices)
create function transparency.dsa_event_facts(
  created_from timestamptz,
  created_to timestamptz,
  organization uuid default null,
  ts_from timestamptz default null,
  ts_to timestamptz default null)
returns table (organization_id uuid, day date, kind text, category text, keyword text, scope text, dimension text, seconds bigint, items bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  with e as (
    select a.organization_id, a.event_type, a.action, a.metadata as m, a."timestamp" as ts,
      a.metadata -> 'statement_of_reasons' as sor,
      case a.event_type
        when 'decision_made' then 'notice:' || (a.metadata ->> 'notice_id')
        when 'appeal_decided' then 'complaint:' || (a.metadata ->> 'complaint_id')
        when 'ods_escalation' then case when a.metadata ->> 'stage' = 'decided' then 'dispute:' || (a.metadata ->> 'dispute_id') end
        when 'authority_order' then case when a.metadata ->> 'stage' in ('informed', 'effect_given') then 'order:' || (a.metadata ->> 'order_id') end
        when 'authority_data_request' then case when a.action = 'responded' then 'request:' || (a.metadata ->> 'request_id') end
      end as closes
    from public.audit_events a
    where a.created_at >= created_from and a.created_at < created_to
      and (organization is null or a.organization_id = organization)
      and (ts_from is null or a."timestamp" >= ts_from)
      and (ts_to is null or a."timestamp" < ts_to)
      and a.event_type in ('authority_order', 'authority_data_request', 'report_submitted', 'decision_made',
                           'appeal_filed', 'appeal_decided', 'ods_escalation', 'repeat_offender_action')
  ),
  -- Closing events look up their case's opening: first among the openings kept by sealed months
  -- (transparency.sealed_dsa_openings, one probe whatever the trail's age), then in the months not
  -- sealed yet (normally one or two partitions). Other events skip the lookup.
  linked as (
    select e.*, o.ts as opened_at, o.m as om
    from e
    left join lateral (
      select c.ts, c.m from (
        select k.opened_at as ts, k.details as m
        from transparency.sealed_dsa_openings k
        where k.organization_id = e.organization_id and k.case_ref = e.closes and k.recorded_at < created_to
        union all
        select s."timestamp", s.metadata
        from public.audit_events s
        where s.organization_id = e.organization_id
          and s.event_type in ('report_submitted', 'appeal_filed', 'ods_escalation', 'authority_order', 'authority_data_request')
          and evident.dsa_case_opened(s.event_type, s.action, s.metadata) = e.closes
          and s.created_at < created_to
          and s.created_at >= (select coalesce(pg_catalog.min(l.month_start), created_to) from transparency.live_months() l)
      ) c
      -- Checked before either branch runs: events that close no case skip the lookup.
      where e.closes is not null
      order by c.ts
      limit 1
    ) o on true
  ),
  facts as (
    select l.organization_id, l.ts,
      f.kind, f.category, f.keyword,
      case f.scope when 'GR' then 'EL' else coalesce(f.scope, '') end as scope,
      f.dimension,
      case when f.timed and l.opened_at is not null and l.ts >= l.opened_at
        then floor(extract(epoch from l.ts - l.opened_at))::bigint end as seconds,
      f.items
    from linked l
    cross join lateral (
      select
        case
          when l.event_type = 'authority_order' and l.m ->> 'stage' = 'received' then 'order'
          when l.event_type = 'authority_order' and l.m ->> 'stage' = 'informed' then 'order_inform'
          when l.event_type = 'authority_order' and l.m ->> 'stage' = 'effect_given' then 'order_effect'
          when l.event_type = 'authority_data_request' and l.action = 'received' then 'order'
          when l.event_type = 'authority_data_request' and l.action = 'responded' then 'order_effect'
          when l.event_type = 'report_submitted' then 'notice'
          when l.event_type = 'decision_made' then 'decision'
          when l.event_type = 'appeal_filed' then 'complaint'
          when l.event_type = 'appeal_decided' then 'complaint_decision'
          when l.event_type = 'ods_escalation' and l.m ->> 'stage' = 'decided' then 'dispute_decision'
          when l.event_type = 'ods_escalation' then 'dispute'
          when l.event_type = 'repeat_offender_action' then 'suspension'
        end as kind,
        -- Orders are counted by what the received order says; their responses by their order.
        case
          when l.event_type in ('authority_order', 'authority_data_request') then
            coalesce(case when l.closes is null then l.m ->> 'category' else l.om ->> 'category' end, 'STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER')
          when l.event_type = 'report_submitted' then coalesce(l.m ->> 'category', 'STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE')
          when l.event_type = 'decision_made' then coalesce(l.m ->> 'category', l.sor ->> 'category')
        end as category,
        case
          when l.event_type in ('authority_order', 'authority_data_request') then
            case when l.closes is null then l.m ->> 'keyword' else l.om ->> 'keyword' end
          when l.event_type = 'report_submitted' then l.m ->> 'keyword'
          when l.event_type = 'decision_made' then coalesce(l.m ->> 'keyword', l.sor -> 'category_specification' ->> 0)
        end as keyword,
        case when l.event_type in ('authority_order', 'authority_data_request') then
          case when l.closes is null then l.m ->> 'member_state' else l.om ->> 'member_state' end
        end as scope,
        case
          when l.event_type = 'authority_order' then
            coalesce(case when l.closes is null then l.m ->> 'order_type' else l.om ->> 'order_type' end, '?')
          when l.event_type = 'authority_data_request' then 'provide_information'
          when l.event_type = 'report_submitted' then
            case when l.m ->> 'is_trusted_flagger' = 'true' then 'trusted' else 'other' end
          when l.event_type = 'decision_made' then
            -- source:ground:action:automation
            concat_ws(':',
              case
                when l.m ? 'order_id' then 'order'
                when coalesce(l.m ->> 'source_type', l.sor ->> 'source_type') = 'SOURCE_TRUSTED_FLAGGER'
                  or (coalesce(l.m ->> 'source_type', l.sor ->> 'source_type') is null and l.om ->> 'is_trusted_flagger' = 'true') then 'notice_tf'
                when coalesce(l.m ->> 'source_type', l.sor ->> 'source_type') = 'SOURCE_ARTICLE_16'
                  or (coalesce(l.m ->> 'source_type', l.sor ->> 'source_type') is null and l.m ? 'notice_id') then 'notice'
                when coalesce(l.m ->> 'source_type', l.sor ->> 'source_type') in ('SOURCE_VOLUNTARY', 'SOURCE_TYPE_OTHER_NOTIFICATION') then 'own'
                else '?'
              end,
              case coalesce(l.m ->> 'decision_ground', l.sor ->> 'decision_ground')
                when 'DECISION_GROUND_ILLEGAL_CONTENT' then 'law'
                when 'DECISION_GROUND_INCOMPATIBLE_CONTENT' then 'tc'
                else '?'
              end,
              coalesce(l.m ->> 'action', '?'),
              case coalesce(l.m ->> 'automated_decision', l.sor ->> 'automated_decision')
                when 'AUTOMATED_DECISION_FULLY' then 'fully'
                when 'AUTOMATED_DECISION_PARTIALLY' then 'partially'
                when 'AUTOMATED_DECISION_NOT_AUTOMATED' then 'not'
                else '?'
              end)
          when l.event_type = 'appeal_filed' then coalesce(l.m ->> 'basis', '?')
          when l.event_type = 'appeal_decided' then
            -- basis:outcome:restriction imposed
            concat_ws(':', coalesce(l.m ->> 'basis', l.om ->> 'basis', '?'), l.m ->> 'outcome',
              case when l.m ->> 'restriction_imposed' = 'true' then 'imposed' else 'none' end)
          when l.event_type = 'ods_escalation' and l.m ->> 'stage' = 'decided' then
            -- outcome:implemented
            concat_ws(':', coalesce(l.m ->> 'outcome', '?'),
              case l.m ->> 'implemented' when 'true' then 'implemented' when 'false' then 'not_implemented' else '?' end)
          when l.event_type = 'ods_escalation' then ''
          when l.event_type = 'repeat_offender_action' then coalesce(l.m ->> 'reason', '?')
        end as dimension,
        -- Which kinds are timed from their case's opening; omitted decisions and decisions not to
        -- act are left out of the medians, as the instructions allow.
        case
          when l.event_type = 'decision_made' then coalesce(l.m ->> 'action', '') <> 'no_action'
          when l.event_type = 'appeal_decided' then l.m ->> 'outcome' <> 'omitted'
          when l.event_type = 'ods_escalation' then l.m ->> 'outcome' is distinct from 'omitted'
          else l.closes is not null
        end as timed,
        -- A notice or order names one item unless its metadata says how many (events recorded
        -- before items was validated may hold anything there: they count one).
        case when l.event_type = 'report_submitted' or (l.event_type = 'authority_order' and l.m ->> 'stage' = 'received') then
          case when pg_catalog.jsonb_typeof(l.m -> 'items') = 'number' and (l.m ->> 'items') ~ '^[1-9][0-9]{0,14}$'
            then (l.m ->> 'items')::bigint else 1 end
        end as items
    ) f
    where f.kind is not null
  )
  select f.organization_id, (f.ts at time zone 'UTC')::date, f.kind, f.category, f.keyword, f.scope, f.dimension, f.seconds, f.items
  from facts f
$$;
comment on function transparency.dsa_event_facts(timestamptz, timestamptz, uuid, timestamptz, timestamptz) is
  'One row per event the DSA harmonised transparency report counts (recorded in [created_from, created_to); optionally one organisation, own timestamp in [ts_from, ts_to)).';
revoke execute on function transparency.dsa_event_facts(timestamptz, timestamptz, uuid, timestamptz, timestamptz) from public;
grant execute on function transparency.dsa_event_facts(timestamptz, timestamptz, uuid, timestamptz, timestamptz) to evident_analyst, evident_writer;

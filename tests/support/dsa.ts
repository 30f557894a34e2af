// Random DSA-relevant trails for the transparency report's tests: cases (a notice and the decision
// on it, a complaint and its decision, an order and its stages, …) with their events, and an
// independent count of what the report must say, event by event.
import fc from "fast-check";
import type { EventInput } from "../../supabase/functions/_shared/schemas/events.ts";
import { categories, noticesCategories, ordersCategories } from "../../supabase/functions/_shared/dsa/template.ts";

export interface DsaEvent extends EventInput {
  timestamp: string;
}

const at = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}.000000Z`;
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const keywordOf = (category: string | undefined, pick: number) => {
  const keywords = categories.find((c) => c.code === category)?.keywords ?? [];
  return pick < keywords.length ? keywords[pick].code : undefined;
};
/** A DSA event as a test records it; metadata fields left undefined are left out. */
export const event = (event_type: string, action: string, metadata: Record<string, unknown>, timestamp: string): DsaEvent => ({
  event_type, actor_id: "moderator-1", actor_type: "user", target_id: "content-1", target_type: "content", action,
  metadata: Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined)), timestamp,
});

/** One case: the events it records, opener first; `start` is its opening time within the window. */
export function dsaCase(windowStart: number, windowMs: number, id: number): fc.Arbitrary<DsaEvent[]> {
  const time = fc.integer({ min: 0, max: windowMs - 1 }).map((offset) => windowStart + offset);
  const delay = fc.integer({ min: 0, max: 5 * 86_400_000 });
  const noticeCategory = maybe(fc.constantFrom(...noticesCategories));
  return fc.oneof(
    // A notice, maybe acted on.
    fc.record({
      t: time, d: delay, category: noticeCategory, pick: fc.nat(8), trusted: fc.boolean(), items: maybe(fc.integer({ min: 1, max: 5 })),
      decided: fc.boolean(), action: fc.constantFrom("content_removed", "content_disabled", "account_suspended", "no_action"),
      ground: maybe(fc.constantFrom("DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT")),
      automated: maybe(fc.constantFrom("AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED")),
      sourced: fc.boolean(),
    }).map((c) => {
      const keyword = keywordOf(c.category, c.pick);
      const notice = event("report_submitted", "report", {
        report_type: "illegal_content", is_trusted_flagger: c.trusted, trusted_flagger_id: c.trusted ? "tf-1" : undefined,
        notice_id: `n-${id}`, category: c.category, keyword, items: c.items,
      }, at(c.t));
      if (!c.decided) return [notice];
      const decisionCategory = c.category === "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE" ? undefined : c.category;
      return [notice, event("decision_made", "decide", {
        action: c.action, notice_id: `n-${id}`, category: decisionCategory, keyword: decisionCategory ? keyword : undefined,
        decision_ground: c.ground, automated_decision: c.automated,
        source_type: c.sourced ? (c.trusted ? "SOURCE_TRUSTED_FLAGGER" : "SOURCE_ARTICLE_16") : undefined,
      }, at(c.t + c.d))];
    }),
    // A measure at the provider's own initiative.
    fc.record({
      t: time, category: maybe(fc.constantFrom(...categories.slice(0, 15).map((c) => c.code))), pick: fc.nat(8),
      action: fc.constantFrom("content_removed", "content_demoted", "monetary_suspended", "service_terminated", "account_terminated", "no_action"),
      ground: fc.constantFrom("DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"),
      automated: maybe(fc.constantFrom("AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_NOT_AUTOMATED")),
    }).map((c) => {
      const category = c.ground === "DECISION_GROUND_ILLEGAL_CONTENT" && c.category === "STATEMENT_CATEGORY_OTHER_VIOLATION_TC" ? undefined : c.category;
      return [event("decision_made", "decide", {
        action: c.action, source_type: "SOURCE_VOLUNTARY", decision_ground: c.ground, category, keyword: keywordOf(category, c.pick),
        automated_decision: c.automated,
      }, at(c.t))];
    }),
    // A complaint, maybe decided.
    fc.record({
      t: time, d: delay, basis: maybe(fc.constantFrom("visibility", "account", "notice_not_actioned")), decided: fc.boolean(),
      outcome: fc.constantFrom("upheld", "reversed", "modified", "omitted"), imposed: fc.boolean(),
    }).map((c) => {
      const filed = event("appeal_filed", "file", { complaint_id: `c-${id}`, basis: c.basis }, at(c.t));
      return c.decided
        ? [filed, event("appeal_decided", "decide", { complaint_id: `c-${id}`, outcome: c.outcome, restriction_imposed: c.imposed }, at(c.t + c.d))]
        : [filed];
    }),
    // An out-of-court dispute, maybe decided.
    fc.record({ t: time, d: delay, decided: fc.boolean(), outcome: fc.constantFrom("upheld", "partially_reversed", "reversed", "omitted"), implemented: fc.boolean() })
      .map((c) => {
        const submitted = event("ods_escalation", "escalate", { dispute_id: `d-${id}`, stage: "submitted" }, at(c.t));
        return c.decided
          ? [submitted, event("ods_escalation", "escalate", { dispute_id: `d-${id}`, stage: "decided", outcome: c.outcome, implemented: c.implemented }, at(c.t + c.d))]
          : [submitted];
      }),
    fc.record({ t: time, reason: maybe(fc.constantFrom("manifestly_illegal_content", "manifestly_unfounded_notices")) })
      .map((c) => [event("repeat_offender_action", "suspend", { reason: c.reason }, at(c.t))]),
    // An order from a Member State's authority, and how far it got.
    fc.record({
      t: time, d: delay, d2: delay, type: fc.constantFrom("act_against_illegal_content", "provide_information"),
      state: fc.constantFrom("DE", "FR", "GR", "IE"), category: maybe(fc.constantFrom(...ordersCategories)), pick: fc.nat(8),
      items: maybe(fc.integer({ min: 1, max: 9 })), stages: fc.nat(2),
    }).map((c) => {
      const received = event("authority_order", "receive", {
        order_id: `o-${id}`, stage: "received", order_type: c.type, member_state: c.state, category: c.category,
        keyword: keywordOf(c.category, c.pick), items: c.items,
      }, at(c.t));
      const later = [
        event("authority_order", "inform", { order_id: `o-${id}`, stage: "informed" }, at(c.t + c.d)),
        event("authority_order", "give_effect", { order_id: `o-${id}`, stage: "effect_given" }, at(c.t + c.d + c.d2)),
      ];
      return [received, ...later.slice(0, c.stages)];
    }),
    // An authority data request recorded by authority-requests (received, maybe responded).
    fc.record({ t: time, d: delay, responded: fc.boolean() }).map((c) => {
      const received = event("authority_data_request", "received", { request_id: `r-${id}`, response_deadline: at(c.t + 10 * 86_400_000) }, at(c.t));
      return c.responded
        ? [received, event("authority_data_request", "responded", { request_id: `r-${id}`, response_deadline: at(c.t + 10 * 86_400_000) }, at(c.t + c.d))]
        : [received];
    }),
    // Noise the report does not count.
    time.map((t) => [event("sor_submitted", "record", { sor_id: `s-${id}` }, at(t))]),
  );
}

const counted = new Set(["report_submitted", "decision_made", "appeal_filed", "appeal_decided", "ods_escalation", "repeat_offender_action", "authority_order", "authority_data_request"]);

/** The figures a report over [from, to] must give, counted one event at a time. */
export function countOneByOne(events: DsaEvent[], from: string, to: string) {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`) + 86_400_000;
  const inPeriod = events.filter((e) => Date.parse(e.timestamp) >= start && Date.parse(e.timestamp) < end);
  const m = (e: DsaEvent) => e.metadata as Record<string, unknown>;
  const count = (where: (e: DsaEvent) => boolean) => inPeriod.filter(where).length;
  const notices = new Map(events.filter((e) => e.event_type === "report_submitted").map((e) => [m(e).notice_id, e]));
  // Time to act on a notice: restrictive decisions on a notice, from the notice to the decision.
  const actionSeconds = inPeriod.filter((e) => e.event_type === "decision_made" && m(e).notice_id !== undefined && m(e).action !== "no_action")
    .map((e) => (Date.parse(e.timestamp) - Date.parse(notices.get(m(e).notice_id)!.timestamp)) / 1000);
  return {
    counted: count((e) => counted.has(e.event_type)),
    totals: {
      notices_received: count((e) => e.event_type === "report_submitted"),
      notices_by_trusted_flaggers: count((e) => e.event_type === "report_submitted" && m(e).is_trusted_flagger === true),
      complaints_received: count((e) => e.event_type === "appeal_filed"),
      complaints_decisions_reversed: count((e) => e.event_type === "appeal_decided" && m(e).outcome === "reversed"),
      authority_orders_received: count((e) => (e.event_type === "authority_order" && m(e).stage === "received") ||
        (e.event_type === "authority_data_request" && e.action === "received")),
      own_initiative_measures: count((e) => e.event_type === "decision_made" && m(e).source_type === "SOURCE_VOLUNTARY" && m(e).action !== "no_action"),
      disputes_submitted: count((e) => e.event_type === "ods_escalation" && m(e).stage === "submitted"),
      suspensions: count((e) => e.event_type === "repeat_offender_action"),
    },
    noticesByCategory: (category: string) => count((e) => e.event_type === "report_submitted" &&
      (m(e).category ?? "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE") === category),
    ordersFrom: (state: string) => count((e) => e.event_type === "authority_order" && m(e).stage === "received" &&
      (m(e).member_state === "GR" ? "EL" : m(e).member_state) === state),
    medianActionHours: median(actionSeconds),
  };
}

function median(seconds: number[]): number | null {
  if (seconds.length === 0) return null;
  const sorted = [...seconds].sort((a, b) => a - b);
  const middle = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return Math.round((middle / 3600) * 100) / 100;
}

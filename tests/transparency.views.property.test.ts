// Property: for any mix of events, dated anywhere in the last years and split between a sealed
// month (read from its manifest) and the live month (counted from rows, including rows back-dated
// before any unsealed month), transparency.dsa_metrics_monthly gives exactly the figures of
// counting the generated events by the UTC month of their timestamp.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import type { EventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { monthBounds, sealMonth } from "../supabase/functions/_shared/seal.ts";
import { newExportKey } from "./support/archive.ts";
import { createOrganization, keyring } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());
const signer = ExportSigner.parse(newExportKey());

const from = Date.parse("2023-01-01T00:00:00Z");
const until = Date.now() - 3_600_000;
const stamp = fc.integer({ min: from, max: until }).map((ms) => `${new Date(ms).toISOString().slice(0, 19)}.000000Z`);

const event: fc.Arbitrary<EventInput> = fc.oneof(
  fc.record({ report_type: fc.constantFrom("illegal_content", "policy_violation"), trusted: fc.boolean(), flagger: fc.integer({ min: 0, max: 3 }), timestamp: stamp })
    .map(({ report_type, trusted, flagger, timestamp }) => ({
      event_type: "report_submitted", metadata: { report_type, is_trusted_flagger: trusted, ...(trusted ? { trusted_flagger_id: `tf-${flagger}` } : {}) }, timestamp,
    }) as never),
  fc.record({ action: fc.constantFrom("content_removed", "no_action", "content_demoted"), timestamp: stamp })
    .map(({ action, timestamp }) => ({ event_type: "decision_made", metadata: { action }, timestamp }) as never),
  fc.record({ outcome: fc.constantFrom("upheld", "reversed", "modified"), timestamp: stamp })
    .map(({ outcome, timestamp }) => ({ event_type: "appeal_decided", metadata: { outcome }, timestamp }) as never),
  fc.record({
    event_type: fc.constantFrom("sor_submitted", "appeal_filed", "ods_escalation", "repeat_offender_action", "authority_data_request", "consent_granted"),
    timestamp: stamp,
  }).map(({ event_type, timestamp }) => ({ event_type, metadata: {}, timestamp }) as never),
).map((e: Record<string, unknown>) => ({
  actor_id: "moderator-1", actor_type: "user", target_id: "content-1", target_type: "content", action: "act", ...e,
}) as EventInput);

type Figures = Record<string, number>;
function oracle(events: EventInput[]): Map<string, Figures> {
  const months = new Map<string, Figures & { flaggers?: never }>();
  const flaggers = new Map<string, Set<string>>();
  for (const e of events) {
    const month = `${e.timestamp!.slice(0, 7)}-01`;
    const f = months.get(month) ?? {
      notices_received: 0, illegal_content_notices: 0, policy_violation_notices: 0, moderation_decisions: 0,
      content_removal_decisions: 0, sor_submissions: 0, appeals_received: 0, appeals_upheld: 0, appeals_reversed: 0,
      ods_escalations: 0, active_trusted_flaggers: 0, repeat_offender_actions: 0, authority_request_events: 0,
    };
    const m = e.metadata as Record<string, unknown>;
    if (e.event_type === "report_submitted") {
      f.notices_received++;
      if (m.report_type === "illegal_content") f.illegal_content_notices++;
      if (m.report_type === "policy_violation") f.policy_violation_notices++;
      if (m.is_trusted_flagger) flaggers.set(month, (flaggers.get(month) ?? new Set()).add(m.trusted_flagger_id as string));
    }
    if (e.event_type === "decision_made") {
      f.moderation_decisions++;
      if (m.action === "content_removed") f.content_removal_decisions++;
    }
    if (e.event_type === "appeal_decided" && m.outcome === "upheld") f.appeals_upheld++;
    if (e.event_type === "appeal_decided" && m.outcome === "reversed") f.appeals_reversed++;
    if (e.event_type === "sor_submitted") f.sor_submissions++;
    if (e.event_type === "appeal_filed") f.appeals_received++;
    if (e.event_type === "ods_escalation") f.ods_escalations++;
    if (e.event_type === "repeat_offender_action") f.repeat_offender_actions++;
    if (e.event_type === "authority_data_request") f.authority_request_events++;
    months.set(month, f);
  }
  for (const [month, set] of flaggers) months.get(month)!.active_trusted_flaggers = set.size;
  return months;
}

let run = 0;
describe("transparency.dsa_metrics_monthly", () => {
  it("equals counting the events, whether they sit in a sealed month or in the live one", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(event, { minLength: 1, maxLength: 25 }),
      fc.array(event, { minLength: 1, maxLength: 25 }),
      async (sealedEvents, liveEvents) => {
        // Each run (shrinking included) seals a month of its own, from 2000-01 on: a month is sealed
        // once, for every organisation.
        run += 1;
        const sealed = `${2000 + Math.floor((run - 1) / 12)}-${String(((run - 1) % 12) + 1).padStart(2, "0")}`;
        const org = await createOrganization(sql, `property ${run}`);
        await backfillMonth(sql, org, sealed, sealedEvents, keyring());
        const outcome = await sealMonth(sql, monthBounds(sealed)!, keyring(), signer);
        expect(outcome.status).toBe("sealed");
        await backfillMonth(sql, org, new Date().toISOString().slice(0, 7), liveEvents, keyring());

        const rows = await sql`
          select to_char(month, 'YYYY-MM-DD') as month, notices_received, illegal_content_notices, policy_violation_notices,
            moderation_decisions, content_removal_decisions, sor_submissions, appeals_received, appeals_upheld, appeals_reversed,
            ods_escalations, active_trusted_flaggers, repeat_offender_actions, authority_request_events
          from transparency.dsa_metrics_monthly where organization_id = ${org} order by month`;
        const expected = oracle([...sealedEvents, ...liveEvents]);
        const got = new Map(rows.map((r) => {
          const { month, ...figures } = r;
          return [month as string, Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v)]))];
        }));
        expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
      },
    ), { numRuns: 10 });
  });
});

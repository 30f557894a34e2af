// Stored entries re-verify whatever PostgreSQL does to them: jsonb reorders keys and rewrites
// numbers, text is stored as UTF-8, timestamps in microseconds, and sessions differ in TimeZone.
// Arbitrary events are appended through the real append path under one TimeZone and read back and
// verified under another; a share of them also goes through HTTP.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvents } from "../supabase/functions/_shared/append.ts";
import { asWriter } from "../supabase/functions/_shared/db.ts";
import { checkEntry } from "../supabase/functions/_shared/entry.ts";
import { eventInput, type EventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { unstorableJson, unstorableString } from "../supabase/functions/_shared/schemas/values.ts";
import { entryColumns, toEntry } from "../supabase/functions/_shared/trail.ts";
import { appendAs, createOrganization, keyring, serviceToken, verifyTrail } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());
const ring = keyring();

const timeZones = ["UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "Europe/Berlin", "Pacific/Kiritimati"];

const storableString = (max: number) =>
  fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: max }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: Math.min(max, 40) }),
  ).filter((s) => s.length <= max && unstorableString(s, "s") === undefined);

const metadata = fc.dictionary(fc.string({ unit: "binary", maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 })
  .filter((m) => unstorableJson(m, "metadata") === undefined);

// Any instant PostgreSQL and the canonical form both represent, with microseconds.
const instant = fc.tuple(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2099, 11, 31) }), fc.integer({ min: 0, max: 999 }))
  .map(([millis, micros]) => `${new Date(millis).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`)
  .filter((t) => Date.parse(t.slice(0, 23) + "Z") <= Date.now());

const event = fc.record({
  event_type: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}(\.[a-z0-9_]{1,10})?$/).filter((t) => !["report_submitted", "decision_made", "appeal_decided", "audit_access"].includes(t)),
  actor_id: storableString(256),
  actor_type: storableString(64),
  target_id: storableString(256),
  target_type: storableString(64),
  action: storableString(128),
  metadata,
  timestamp: instant,
  pii_tagged: fc.boolean(),
}).map((raw) => eventInput.parse(raw) as EventInput);

let org: string;
beforeAll(async () => {
  org = await createOrganization(sql, "round trips");
});

async function readBack(timeZone: string) {
  return await sql.begin(async (tx) => {
    await tx`select set_config('timezone', ${timeZone}, true)`;
    return await tx`select ${tx(entryColumns as unknown as string[])} from evident.audit_entries where organization_id = ${org} order by seq`;
  });
}

describe("canonical form survives storage", () => {
  it("every appended entry recomputes to its hash under every session TimeZone", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 5 }), fc.constantFrom(...timeZones), async (events, writeZone) => {
        const appended = await asWriter(sql, async (tx) => {
          await tx`select set_config('timezone', ${writeZone}, true)`;
          return await appendEvents(tx, org, events, ring);
        });
        const ids = new Set(appended.map((a) => a.id));
        for (const readZone of [timeZones[0], timeZones[(timeZones.indexOf(writeZone) + 1) % timeZones.length]]) {
          const rows = (await readBack(readZone)).map(toEntry).filter((row) => ids.has(row.id));
          expect(rows).toHaveLength(events.length);
          for (const [index, row] of rows.entries()) {
            expect(checkEntry(row, ring), JSON.stringify({ writeZone, readZone, row })).toEqual({ hash_valid: true, signature_valid: true });
            expect(row.metadata).toEqual(JSON.parse(JSON.stringify(events[index].metadata)));
            expect(row.actor_id).toBe(events[index].actor_id);
            expect(row.timestamp).toBe(events[index].timestamp);
          }
        }
      }),
      { numRuns: 150 },
    );
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true });
  }, 300_000);

  it("the same holds for events sent through the HTTP API", async () => {
    const httpOrg = await createOrganization(sql, "round trips over http");
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 10 }), async (events) => {
        const response = await appendAs(serviceToken(), httpOrg, events);
        expect(response.status, JSON.stringify(response.body)).toBe(201);
      }),
      { numRuns: 60 },
    );
    const summary = await verifyTrail(sql, httpOrg);
    expect(summary.valid, JSON.stringify(summary.first_failure)).toBe(true);
    expect(summary.checked).toBeGreaterThanOrEqual(60);
  }, 300_000);
});

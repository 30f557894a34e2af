// Ten thousand generated bad requests: every one gets a 4xx with a JSON error, none gets a 5xx, and
// not one row is written anywhere (appends nor audit_access records of refused reads).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callAuditEvents, createOrganization, sampleEvent, serviceToken } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

let org: string;
beforeAll(async () => {
  org = await createOrganization(sql, "fuzz target");
});

const requiredFields = ["event_type", "actor_id", "actor_type", "target_id", "target_type", "action", "metadata"] as const;
const textFields = ["event_type", "actor_id", "actor_type", "target_id", "target_type", "action"] as const;
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
const eventKeys = new Set<string>([...requiredFields, "timestamp", "idempotency_key", "pii_tagged", "retention_until"]);
const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !eventKeys.has(key) && key !== "__proto__");
const notTimestamp = fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-\d{2}-\d{2}T/.test(s));

type BadRequest = { body?: unknown; rawBody?: string; contentType?: string; query?: Record<string, string>; method?: string };

const valid = () => ({ organization_id: org, events: [sampleEvent(), sampleEvent()] });
const withEvent = (mutate: (event: Record<string, unknown>) => void, index = 1): BadRequest => {
  const body = valid();
  mutate(body.events[index] as Record<string, unknown>);
  return { body };
};

const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.tuple(fc.constantFrom(...textFields), notAString).map(([field, value]) => withEvent((e) => (e[field] = value))),
  fc.constantFrom(...requiredFields).map((field) => withEvent((e) => delete e[field])),
  fc.tuple(unknownKey, fc.jsonValue()).map(([key, value]) => withEvent((e) => (e[key] = value))),
  fc.tuple(unknownKey, fc.jsonValue()).map(([key, value]) => ({ body: { ...valid(), [key]: value } })),
  fc.string({ maxLength: 40 }).filter((s) => !/^[0-9a-f-]{36}$/i.test(s)).map((id) => ({ body: { ...valid(), organization_id: id } })),
  fc.oneof(fc.jsonValue(), fc.constant([])).filter((v) => !Array.isArray(v) || v.length === 0).map((events) => ({ body: { organization_id: org, events } })),
  fc.jsonValue().filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((body) => ({ body })),
  fc.string({ maxLength: 200 }).map((rawBody) => ({ rawBody: `{"organization_id":"${org}",${rawBody}` })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ rawBody: String.fromCharCode(...bytes) + "\u0000{" })),
  fc.string({ minLength: 1, maxLength: 20 }).filter((a) => !["content_removed"].includes(a) && !/^content_|^account_|^monetary_|^service_|^no_action$/.test(a))
    .map((action) => withEvent((e) => (e.metadata = { action }))),
  notTimestamp.map((timestamp) => withEvent((e) => (e.timestamp = timestamp))),
  fc.tuple(fc.constantFrom(...textFields), fc.string({ maxLength: 10 })).map(([field, s]) => withEvent((e) => (e[field] = `${s}\u0000`))),
  fc.constantFrom("text/plain", "application/xml", "multipart/form-data", "").map((contentType) => ({ rawBody: JSON.stringify(valid()), contentType })),
  fc.constantFrom("PUT", "PATCH", "DELETE").map((method) => ({ method, body: valid() })),
  fc.record({ purpose: fc.string({ maxLength: 2 }), limit: fc.string({ maxLength: 6 }) }).map((query) => ({ method: "GET", query: { organization_id: org, ...query } })),
  fc.tuple(unknownKey, fc.string()).map(([key, value]) => ({ method: "GET", query: { organization_id: org, purpose: "fuzzing the read path", [key]: value } })),
  fc.string({ maxLength: 12 }).filter((s) => !/^\d{1,4}$/.test(s) || Number(s) < 1 || Number(s) > 1000)
    .map((limit) => ({ method: "GET", query: { organization_id: org, purpose: "fuzzing the read path", limit } })),
);

async function totalRows(): Promise<number> {
  const [{ count }] = await sql`select count(*)::int as count from public.audit_events`;
  return count;
}

describe("fuzzed bad requests", () => {
  it("10,000 of them: all 4xx, none 5xx, nothing written", async () => {
    const before = await totalRows();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(badRequest, async (request) => {
        const response = await callAuditEvents({ token: serviceToken(), ...request });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, JSON.stringify({ request, response })).toBeGreaterThanOrEqual(400);
        expect(response.status, JSON.stringify({ request, response })).toBeLessThan(500);
        expect(typeof response.body?.error?.message, JSON.stringify(response.body)).toBe("string");
      }),
      { numRuns: 10_000 },
    );
    expect(await totalRows()).toBe(before);
    console.log("fuzz statuses:", Object.fromEntries(statuses));
  }, 600_000);
});

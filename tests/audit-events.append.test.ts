// POST /functions/v1/audit-events over HTTP against the real stack: what is written, who may write,
// what is refused (and that a refusal writes nothing), idempotent retries, and a tampered head.
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendAs,
  callAuditEvents,
  countEvents,
  createMember,
  createOrganization,
  createUser,
  sampleEvent,
  serviceToken,
  userToken,
  verifyTrail,
} from "./support/api.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

describe("appending events", () => {
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "append happy path");
  });

  it("writes a batch as consecutive, linked, signed entries and answers 201", async () => {
    const response = await appendAs(serviceToken(), org, [
      sampleEvent({ metadata: { action: "content_removed", note: "first" } }),
      sampleEvent({
        event_type: "report_submitted",
        action: "report",
        metadata: { report_type: "illegal_content", is_trusted_flagger: true, trusted_flagger_id: "tf-1" },
        timestamp: "2026-01-02T03:04:05.123456+02:00",
        pii_tagged: true,
      }),
    ]);
    expect(response.status).toBe(201);
    const [first, second] = response.body.events;
    expect(first).toMatchObject({ seq: 1, replayed: false, key_id: testStack.activeKeyId });
    expect(second.seq).toBe(2);
    for (const event of response.body.events) {
      expect(event.entry_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(event.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(event.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const rows = await sql`select seq, previous_hash, entry_hash, pii_tagged, "timestamp", retention_until, created_at
      from public.audit_events where organization_id = ${org} order by seq`;
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2]);
    expect(rows[0].previous_hash).toBeNull();
    expect(rows[1].previous_hash).toBe(first.entry_hash);
    expect(rows[1].pii_tagged).toBe(true);
    expect((rows[1].timestamp as Date).toISOString()).toBe("2026-01-02T01:04:05.123Z");
    // Default retention: seven years after the event was recorded.
    expect((rows[0].retention_until as Date).getUTCFullYear()).toBe((rows[0].created_at as Date).getUTCFullYear() + 7);
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 2 });
  });

  it("continues the chain across requests", async () => {
    const response = await appendAs(serviceToken(), org, [sampleEvent()]);
    expect(response.status).toBe(201);
    expect(response.body.events[0].seq).toBe(3);
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 3 });
  });

  it("accepts event types outside the known list when they follow the naming rule", async () => {
    const response = await appendAs(serviceToken(), org, [sampleEvent({ event_type: "acme.listing_flagged", metadata: { any: ["shape"] } })]);
    expect(response.status).toBe(201);
  });
});

describe("who may append", () => {
  let org: string;
  let other: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "callers");
    other = await createOrganization(sql, "another tenant");
  });

  for (const role of ["admin", "moderator"] as const) {
    it(`a member with the ${role} role`, async () => {
      const user = await createMember(sql, org, role);
      const response = await appendAs(await userToken(user), org, [sampleEvent({ actor_id: user })]);
      expect(response.status).toBe(201);
    });
  }

  const refused: Array<[string, () => Promise<{ token?: string; org?: string }>, number, RegExp]> = [
    ["an auditor (reads, does not write)", async () => ({ token: await userToken(await createMember(sql, org, "auditor")) }), 403, /admin or moderator/],
    ["a signed-in user of another organisation", async () => ({ token: await userToken(await createMember(sql, other, "admin")) }), 403, /admin or moderator/],
    ["a signed-in user with no membership", async () => ({ token: await userToken(await createUser(sql)) }), 403, /admin or moderator/],
    ["the anon key", async () => ({ token: testStack.anonKey }), 403, /role \\"anon\\" may not/],
    ["a signed-in user naming an organisation that does not exist (no existence probing)", async () => ({ token: await userToken(await createUser(sql)), org: crypto.randomUUID() }), 403, /admin or moderator/],
    ["no token at all", async () => ({}), 401, /authorization/i],
    ["an organisation that does not exist", async () => ({ token: serviceToken(), org: crypto.randomUUID() }), 404, /does not exist/],
  ];
  for (const [label, arrange, status, message] of refused) {
    it(`refuses ${label} with ${status} and writes nothing`, async () => {
      const { token, org: target = org } = await arrange();
      const before = await countEvents(sql, org);
      const response = await callAuditEvents({ token, body: { organization_id: target, events: [sampleEvent()] } });
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
      expect(await countEvents(sql, org)).toBe(before);
    });
  }
});

describe("bad input is refused with a 4xx that names the problem, and writes nothing", () => {
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "refusals");
  });

  const body = (events: unknown[], extra: Record<string, unknown> = {}) => ({ organization_id: org, events, ...extra });
  const cases: Array<[string, () => Parameters<typeof callAuditEvents>[0], number, RegExp]> = [
    ["malformed JSON", () => ({ rawBody: '{"organization_id": ' }), 400, /not valid JSON/],
    ["a body that is not UTF-8", () => ({ rawBody: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 400, /UTF-8/],
    ["a non-JSON content type", () => ({ rawBody: "a=b", contentType: "application/x-www-form-urlencoded" }), 415, /application\/json/],
    ["a JSON array instead of an object", () => ({ body: [] }), 400, /expected object/],
    ["an unknown top-level field", () => ({ body: body([sampleEvent()], { sign_with: "mine" }) }), 400, /Unrecognized key.*sign_with/],
    ["an unknown event field", () => ({ body: body([sampleEvent({ seq: 5 })]) }), 400, /Unrecognized key.*seq/],
    ["no events", () => ({ body: body([]) }), 400, /at least one event/],
    ["1001 events", () => ({ body: body(Array.from({ length: 1001 }, () => sampleEvent())) }), 400, /at most 1000/],
    ["a body over 8 MiB", () => ({ rawBody: JSON.stringify(body([sampleEvent({ metadata: { action: "content_removed", pad: "x".repeat(9 * 1024 * 1024) } })])) }), 413, /larger than/],
    ["a malformed organization_id", () => ({ body: { organization_id: "acme", events: [sampleEvent()] } }), 400, /organization_id.*UUID/],
    ["a missing actor_id", () => ({ body: body([{ ...sampleEvent(), actor_id: undefined }]) }), 400, /actor_id/],
    ["a number where text belongs", () => ({ body: body([sampleEvent({ target_id: 42 })]) }), 400, /target_id.*string/],
    ["metadata that is not an object", () => ({ body: body([sampleEvent({ metadata: [1, 2] })]) }), 400, /metadata/],
    ["an event type breaking the naming rule", () => ({ body: body([sampleEvent({ event_type: "Decision Made" })]) }), 400, /snake_case/],
    ["a forged audit_access event", () => ({ body: body([sampleEvent({ event_type: "audit_access", metadata: { accessor_type: "x", purpose: "xyz", query_parameters: {}, permission_verified: true } })]) }), 400, /written by Evident itself/],
    ["report_submitted without report_type", () => ({ body: body([sampleEvent({ event_type: "report_submitted", metadata: { is_trusted_flagger: false } })]) }), 400, /metadata.report_type/],
    ["a trusted-flagger report without its flagger id", () => ({ body: body([sampleEvent({ event_type: "report_submitted", metadata: { report_type: "illegal_content", is_trusted_flagger: true } })]) }), 400, /trusted_flagger_id/],
    ["decision_made with an unknown action", () => ({ body: body([sampleEvent({ metadata: { action: "nuked" } })]) }), 400, /metadata.action/],
    ["appeal_decided with an unknown outcome", () => ({ body: body([sampleEvent({ event_type: "appeal_decided", metadata: { outcome: "maybe" } })]) }), 400, /metadata.outcome/],
    ["a timestamp without an offset", () => ({ body: body([sampleEvent({ timestamp: "2026-01-01T00:00:00" })]) }), 400, /timestamp.*offset/],
    ["a timestamp with nanoseconds", () => ({ body: body([sampleEvent({ timestamp: "2026-01-01T00:00:00.123456789Z" })]) }), 400, /microseconds/],
    ["a date that does not exist", () => ({ body: body([sampleEvent({ timestamp: "2026-02-30T00:00:00Z" })]) }), 400, /timestamp/],
    ["a timestamp an hour in the future", () => ({ body: body([sampleEvent({ timestamp: new Date(Date.now() + 3_600_000).toISOString() })]) }), 400, /future/],
    ["a retention_until in the past", () => ({ body: body([sampleEvent({ retention_until: "2020-01-01T00:00:00Z" })]) }), 400, /retention_until/],
    ["text containing U+0000", () => ({ body: body([sampleEvent({ actor_id: "a\u0000b" })]) }), 400, /U\+0000/],
    ["metadata containing U+0000 in a key", () => ({ body: body([sampleEvent({ metadata: { action: "content_removed", "k\u0000": 1 } })]) }), 400, /U\+0000/],
    ["a lone surrogate", () => ({ rawBody: `{"organization_id":"${org}","events":[{"event_type":"x","actor_id":"\\ud800","actor_type":"u","target_id":"t","target_type":"t","action":"a","metadata":{}}]}` }), 400, /surrogate/],
    ["an integer beyond 2^53", () => ({ rawBody: `{"organization_id":"${org}","events":[{"event_type":"x","actor_id":"a","actor_type":"u","target_id":"t","target_type":"t","action":"a","metadata":{"n":12345678901234567890}}]}` }), 400, /2\^53/],
    ["a number too large for a double", () => ({ rawBody: `{"organization_id":"${org}","events":[{"event_type":"x","actor_id":"a","actor_type":"u","target_id":"t","target_type":"t","action":"a","metadata":{"n":1e400}}]}` }), 400, /finite/],
    ["one idempotency key twice in a batch", () => ({ body: body([sampleEvent({ idempotency_key: "k" }), sampleEvent({ idempotency_key: "k" })]) }), 400, /repeats the key/],
    ["a PUT", () => ({ method: "PUT", body: body([sampleEvent()]) }), 405, /POST or GET/],
  ];

  for (const [label, init, status, message] of cases) {
    it(label, async () => {
      const before = await countEvents(sql, org);
      const response = await callAuditEvents({ token: serviceToken(), ...init() });
      expect(response.status).toBe(status);
      expect(response.body.error.message + JSON.stringify(response.body.error.details ?? "")).toMatch(message);
      expect(await countEvents(sql, org)).toBe(before);
    });
  }

  it("refuses a whole batch when one event is bad", async () => {
    const response = await appendAs(serviceToken(), org, [sampleEvent(), sampleEvent({ metadata: { action: "bogus" } })]);
    expect(response.status).toBe(400);
    expect(response.body.error.details.issues[0].path).toBe("events[1].metadata.action");
    expect(await countEvents(sql, org)).toBe(0);
  });
});

describe("idempotent retries", () => {
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "idempotency");
  });

  const events = [sampleEvent({ idempotency_key: "order-1" }), sampleEvent({ idempotency_key: "order-2" })];

  it("returns the original results and writes nothing new", async () => {
    const first = await appendAs(serviceToken(), org, events);
    expect(first.status).toBe(201);
    const retry = await appendAs(serviceToken(), org, events);
    expect(retry.status).toBe(200);
    expect(retry.body.events).toEqual(first.body.events.map((e: object) => ({ ...e, replayed: true })));
    expect(await countEvents(sql, org)).toBe(2);
  });

  it("replays the known keys of a mixed batch and appends the rest", async () => {
    const response = await appendAs(serviceToken(), org, [
      sampleEvent({ idempotency_key: "order-3" }),
      events[1],
    ]);
    expect(response.status).toBe(201);
    expect(response.body.events.map((e: { seq: number; replayed: boolean }) => [e.seq, e.replayed])).toEqual([[3, false], [2, true]]);
    expect(await countEvents(sql, org)).toBe(3);
  });

  it("refuses a known key with a different event", async () => {
    const response = await appendAs(serviceToken(), org, [{ ...events[0], action: "something else" }]);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/already used for a different event/);
    expect(await countEvents(sql, org)).toBe(3);
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 3 });
  });
});

describe("a persisted head that disagrees with the trail", () => {
  // Tampering needs what only a superuser has: triggers switched off for the session.
  async function asTamperer(work: (tx: postgres.TransactionSql) => Promise<unknown>) {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await work(tx);
    });
  }

  it("refuses to append when the head was moved to a hash the trail does not have", async () => {
    const org = await createOrganization(sql, "tampered head");
    expect((await appendAs(serviceToken(), org, [sampleEvent(), sampleEvent()])).status).toBe(201);
    await asTamperer((tx) => tx`update evident.chain_heads set entry_hash = repeat('e', 64) where organization_id = ${org}`);
    const response = await appendAs(serviceToken(), org, [sampleEvent()]);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/disagrees with its trail/);
    expect(await countEvents(sql, org)).toBe(2);
  });

  it("refuses to append when the last entry was edited in place", async () => {
    const org = await createOrganization(sql, "edited tail");
    expect((await appendAs(serviceToken(), org, [sampleEvent(), sampleEvent()])).status).toBe(201);
    await asTamperer((tx) => tx`update public.audit_events set action = 'edited' where organization_id = ${org} and seq = 2`);
    const response = await appendAs(serviceToken(), org, [sampleEvent()]);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/entry 2 fails verification \(hash mismatch\)/);
  });

  it("refuses to append when entries exist beyond the head", async () => {
    const org = await createOrganization(sql, "rewound head");
    expect((await appendAs(serviceToken(), org, [sampleEvent(), sampleEvent()])).status).toBe(201);
    await asTamperer((tx) => tx`
      update evident.chain_heads h set seq = 1, entry_hash = e.entry_hash, created_at = e.created_at
      from public.audit_events e where e.organization_id = h.organization_id and e.seq = 1 and h.organization_id = ${org}`);
    const response = await appendAs(serviceToken(), org, [sampleEvent()]);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/entries exist after head seq 1/);
  });
});

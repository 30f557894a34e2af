// GET /functions/v1/audit-events: no purpose, no data; every read leaves an audit_access event
// written in the same transaction; paging by seq; filters; who may read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendAs,
  callAuditEvents,
  countEvents,
  createMember,
  createOrganization,
  sampleEvent,
  serviceToken,
  userToken,
  verifyTrail,
} from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

let org: string;
let auditor: string;
beforeAll(async () => {
  org = await createOrganization(sql, "reads");
  auditor = await createMember(sql, org, "auditor");
  const events = Array.from({ length: 12 }, (_, i) =>
    sampleEvent({
      event_type: i % 3 === 0 ? "appeal_filed" : "decision_made",
      target_id: `post-${i % 4}`,
      timestamp: `2026-0${1 + (i % 6)}-15T00:00:00Z`,
      metadata: i % 3 === 0 ? {} : { action: "content_removed" },
    }));
  expect((await appendAs(serviceToken(), org, events)).status).toBe(201);
});

const read = (token: string, query: Record<string, string>) =>
  callAuditEvents({ token, query: { organization_id: org, ...query } });

describe("reading the trail", () => {
  it("refuses a read without a purpose, and records nothing", async () => {
    const before = await countEvents(sql, org);
    const response = await read(serviceToken(), {});
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/purpose is required/);
    expect(await countEvents(sql, org)).toBe(before);
  });

  it("returns a page in seq order and records who read what and why", async () => {
    const token = await userToken(auditor);
    const response = await read(token, { purpose: "quarterly review", limit: "5", event_type: "decision_made" });
    expect(response.status).toBe(200);
    const { events, next_cursor, access_event } = response.body;
    expect(events).toHaveLength(5);
    expect(events.every((e: { event_type: string }) => e.event_type === "decision_made")).toBe(true);
    const seqs = events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(next_cursor).toBe(String(seqs[4]));

    const [access] = await sql`
      select actor_id, actor_type, target_id, metadata, seq from public.audit_events
      where organization_id = ${org} and seq = ${access_event.seq}`;
    expect(access.actor_id).toBe(auditor);
    expect(access.metadata).toEqual({
      accessor_type: "member",
      purpose: "quarterly review",
      permission_verified: true,
      query_parameters: { limit: 5, event_type: "decision_made", returned: 5 },
    });
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true });
  });

  it("pages through everything with the cursor", async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await read(serviceToken(), { purpose: "export", limit: "4", target_id: "post-1", ...(cursor ? { after_seq: cursor } : {}) });
      expect(response.status).toBe(200);
      seen.push(...response.body.events.map((e: { seq: number }) => e.seq));
      cursor = response.body.next_cursor ?? undefined;
      if (!cursor) break;
    }
    const [{ expected }] = await sql`select array_agg(seq::int order by seq) as expected from public.audit_events
      where organization_id = ${org} and target_id = 'post-1'`;
    expect(seen).toEqual(expected);
  });

  it("pages past a row planted with an existing seq without skipping it, and records the cursor", async () => {
    const target = await createOrganization(sql, "reads: planted row");
    expect((await appendAs(serviceToken(), target, Array.from({ length: 6 }, () => sampleEvent()))).status).toBe(201);
    // A superuser's copy of seq 3 with a later created_at (the primary key allows it): a page that
    // ends on seq 3 must not make the next one start after both.
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into public.audit_events select gen_random_uuid(), organization_id, seq, previous_hash, entry_hash, signature,
          key_id, canonical_version, event_type, actor_id, actor_type, target_id, target_type, 'planted', metadata, "timestamp",
          retention_until, pii_tagged, created_at + interval '1 millisecond', personal_commitments
        from public.audit_events where organization_id = ${target} and seq = 3`;
    });
    const page = (after?: string) => callAuditEvents({
      token: serviceToken(),
      query: { organization_id: target, purpose: "planted row check", limit: "3", ...(after ? { after_seq: after } : {}) },
    });
    const first = await page();
    expect(first.body.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    expect(first.body.next_cursor).toMatch(/^3@\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const second = await page(first.body.next_cursor);
    expect(second.status).toBe(200);
    expect(second.body.events.map((e: { seq: number; action: string }) => [e.seq, e.action === "planted"]))
      .toEqual([[3, true], [4, false], [5, false]]);
    expect(second.body.next_cursor).toBe("5");
    const [access] = await sql`select metadata from public.audit_events where organization_id = ${target} and seq = ${second.body.access_event.seq}`;
    expect(access.metadata.query_parameters.after_seq).toBe(first.body.next_cursor);
    expect((await page("3@yesterday")).status).toBe(400);
  });

  it("filters on when the event happened", async () => {
    const response = await read(serviceToken(), { purpose: "period check", start: "2026-03-01T00:00:00Z", end: "2026-05-01T00:00:00Z" });
    expect(response.status).toBe(200);
    const months = new Set(response.body.events.map((e: { timestamp: string }) => e.timestamp.slice(0, 7)));
    expect([...months].sort()).toEqual(["2026-03", "2026-04"]);
  });

  it("returns each entry with every signed field, so the caller can verify it", async () => {
    const response = await read(serviceToken(), { purpose: "field check", limit: "1" });
    expect(Object.keys(response.body.events[0]).sort()).toEqual([
      "action", "actor_id", "actor_type", "canonical_version", "created_at", "entry_hash", "event_type", "id", "key_id",
      "metadata", "organization_id", "pii_tagged", "previous_hash", "retention_until", "seq", "signature", "target_id",
      "target_type", "timestamp",
    ]);
  });

  const refusals: Array<[string, () => Promise<string>, Record<string, string>, number, RegExp]> = [
    ["a moderator", async () => await userToken(await createMember(sql, org, "moderator")), { purpose: "curious" }, 403, /admin or auditor/],
    ["an admin of another organisation", async () => await userToken(await createMember(sql, await createOrganization(sql), "admin")), { purpose: "curious" }, 403, /admin or auditor/],
    ["an unknown query parameter", async () => serviceToken(), { purpose: "audit", sort: "desc" }, 400, /Unrecognized key.*sort/],
    ["a purpose that says nothing", async () => serviceToken(), { purpose: "x" }, 400, /purpose/],
    ["a limit over 1000", async () => serviceToken(), { purpose: "audit", limit: "5000" }, 400, /limit/],
    ["a malformed start", async () => serviceToken(), { purpose: "audit", start: "yesterday" }, 400, /start/],
  ];
  for (const [label, token, query, status, message] of refusals) {
    it(`refuses ${label} with ${status}, recording nothing`, async () => {
      const before = await countEvents(sql, org);
      const response = await read(await token(), query);
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
      expect(await countEvents(sql, org)).toBe(before);
    });
  }
});

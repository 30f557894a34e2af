// Issue 18 (3): refusals reveal nothing. A caller who may not act on an entry, an authority
// request or a legal hold gets one identical refusal whether the id exists (in another
// organisation, or in their own without the role) or not: the same status and the same words,
// naming no organisation. And nothing is done for them: no verification, no lock waited on,
// nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAs, callFunction, createMember, createOrganization, createUser, sampleEvent, serviceToken, userToken } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

let org: string;
let otherOrg: string;
let entryId: string;
let requestId: string;
let holdId: string;
const callers: Record<string, string> = {};

beforeAll(async () => {
  org = await createOrganization(sql, "refusals: owner");
  otherOrg = await createOrganization(sql, "refusals: other");
  const appended = await appendAs(serviceToken(), org, [sampleEvent()]);
  expect(appended.status).toBe(201);
  entryId = appended.body.events[0].id;
  const request = await callFunction("authority-requests", {
    token: serviceToken(),
    body: {
      organization_id: org, authority: "Coimisiún na Meán", legal_basis: "DSA Art. 40(1)",
      scope: { start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z" }, response_deadline: "2027-01-01T00:00:00Z",
    },
  });
  expect(request.status, JSON.stringify(request.body)).toBe(201);
  requestId = request.body.request.id;
  const hold = await callFunction("legal-holds", { token: serviceToken(), body: { organization_id: org, scope: "subject", subject_id: "user-1", reason: "litigation" } });
  expect(hold.status, JSON.stringify(hold.body)).toBe(201);
  holdId = hold.body.hold.id;
  callers["an admin of another organisation"] = await userToken(await createMember(sql, otherOrg, "admin"));
  callers["a legal member of another organisation"] = await userToken(await createMember(sql, otherOrg, "legal"));
  callers["a user of no organisation"] = await userToken(await createUser(sql));
  callers["a moderator of the owning organisation"] = await userToken(await createMember(sql, org, "moderator"));
});

const endpoints = {
  "audit-verify?log_id": (token: string, id: string) => callFunction("audit-verify", { token, query: { log_id: id } }),
  "authority-requests/<id>/respond": (token: string, id: string) => callFunction("authority-requests", { token, method: "POST", path: `/${id}/respond` }),
  "legal-holds/<id>/release": (token: string, id: string) =>
    callFunction("legal-holds", { token, method: "POST", path: `/${id}/release`, body: { reason: "no longer needed" } }),
};
const existing = (endpoint: keyof typeof endpoints) =>
  endpoint === "audit-verify?log_id" ? entryId : endpoint === "authority-requests/<id>/respond" ? requestId : holdId;

async function written() {
  const [row] = await sql`
    select (select count(*)::int from public.audit_events where organization_id = ${org}) as events,
           (select status from evident.authority_requests where id = ${requestId}) as request_status,
           (select released_at from evident.legal_holds where id = ${holdId}) as released_at`;
  return row;
}

describe("one refusal for an id the caller may not use", () => {
  for (const endpoint of Object.keys(endpoints) as Array<keyof typeof endpoints>) {
    it(`${endpoint}: the same 403 for an existing id and an unknown one, naming no organisation, writing nothing`, async () => {
      const before = await written();
      for (const [who, token] of Object.entries(callers)) {
        const known = await endpoints[endpoint](token, existing(endpoint));
        const unknown = await endpoints[endpoint](token, crypto.randomUUID());
        expect(known.status, `${who}: ${JSON.stringify(known.body)}`).toBe(403);
        expect(known.body, `${who}: the refusal must not tell an existing id from an unknown one`).toEqual(unknown.body);
        expect(JSON.stringify(known.body)).not.toContain(org);
        expect(JSON.stringify(known.body)).not.toContain(otherOrg);
      }
      expect(await written()).toEqual(before);
    });
  }

  it("the three endpoints refuse in the same words, and the service role still learns 404 for an unknown id", async () => {
    const token = callers["a user of no organisation"];
    const messages = await Promise.all(Object.entries(endpoints).map(async ([, call]) => (await call(token, crypto.randomUUID())).body.error.message));
    for (const message of messages) expect(message).toMatch(/^this (entry|authority request|legal hold) does not exist or requires the .* role in its organization$/);
    for (const [endpoint, call] of Object.entries(endpoints)) {
      expect((await call(serviceToken(), crypto.randomUUID())).status, endpoint).toBe(404);
    }
  });
});

describe("no work for a caller who may not", () => {
  // With the request's (or hold's) row locked by someone else, the old code made a non-member wait
  // on that lock before refusing them; now the refusal comes first and at once.
  for (const [endpoint, table, id] of [
    ["authority-requests/<id>/respond", "evident.authority_requests", () => requestId],
    ["legal-holds/<id>/release", "evident.legal_holds", () => holdId],
  ] as const) {
    it(`${endpoint}: a non-member is refused without waiting on the row's lock`, async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = sql.begin(async (tx) => {
        await tx.unsafe(`select 1 from ${table} where id = $1 for update`, [id()]);
        locked();
        await held;
      });
      await isLocked;
      try {
        const outcome = await Promise.race([
          endpoints[endpoint](callers["an admin of another organisation"], id()),
          new Promise<"waited">((resolve) => setTimeout(() => resolve("waited"), 3000)),
        ]);
        expect(outcome === "waited" ? "waited on the lock" : outcome.status).toBe(403);
      } finally {
        release();
        await holder;
      }
    });
  }
});

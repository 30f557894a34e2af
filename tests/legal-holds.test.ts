// Legal holds: applied and released by admins and the legal role (API and CLI), each action a
// signed legal_hold event; blockingHolds finds exactly the active holds covering a subject, a
// target or an overlapping time range, and a lookup that fails throws rather than letting an
// erasure or a retention drop through.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockingHolds } from "../supabase/functions/_shared/holds.ts";
import { callFunction, createMember, createOrganization, serviceToken, userToken, verifyTrail } from "./support/api.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

const call = (token: string, init: Parameters<typeof callFunction>[1]) => callFunction("legal-holds", { token, ...init });
const cli = (args: string[]) => evident(["holds", ...args], {
  DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId, USER: "ops-oncall",
});

let org: string;
let legal: string;
let admin: string;
beforeAll(async () => {
  org = await createOrganization(sql, "legal holds");
  legal = await userToken(await createMember(sql, org, "legal"));
  admin = await userToken(await createMember(sql, org, "admin"));
});

describe("applying and releasing holds", () => {
  const ids: Record<string, string> = {};

  it("applies holds on a subject, a target and a time range, each recorded in the trail", async () => {
    const bodies = {
      subject: { organization_id: org, scope: "subject", subject_id: "user-42", reason: "litigation: Doe v. Platform" },
      target: { organization_id: org, scope: "target", target_id: "post-7", reason: "preservation order DSC-2026-7" },
      range: { organization_id: org, scope: "time_range", range: { start: "2026-03-01T00:00:00Z", end: "2026-04-01T00:00:00Z" }, reason: "regulator inquiry" },
    };
    for (const [name, body] of Object.entries(bodies)) {
      const applied = await call(name === "range" ? admin : legal, { body });
      expect(applied.status, JSON.stringify(applied.body)).toBe(201);
      expect(applied.body.hold).toMatchObject({ organization_id: org, scope: body.scope, released_at: null, reason: body.reason });
      ids[name] = applied.body.hold.id;
    }
    expect(ids.range && (await call(legal, { query: { organization_id: org } })).body.holds).toHaveLength(3);
    const events = await sql`select action, metadata from public.audit_events where organization_id = ${org} and event_type = 'legal_hold' order by seq`;
    expect(events.map((e) => e.action)).toEqual(["applied", "applied", "applied"]);
    expect(events[2].metadata).toEqual({ hold_id: ids.range, scope: "time_range", range: { start: "2026-03-01T00:00:00.000000Z", end: "2026-04-01T00:00:00.000000Z" }, reason: "regulator inquiry" });
  });

  it("finds exactly the active holds that cover what is asked", async () => {
    const found = async (covers: Parameters<typeof blockingHolds>[2]) => (await blockingHolds(sql, org, covers)).map((h) => h.id).sort();
    expect(await found({ subjectIds: ["user-1", "user-42"] })).toEqual([ids.subject]);
    expect(await found({ targetIds: ["post-7"] })).toEqual([ids.target]);
    // A subject hold does not cover a target of the same name, nor the other way round.
    expect(await found({ targetIds: ["user-42"], subjectIds: ["post-7"] })).toEqual([]);
    expect(await found({ range: { start: "2026-03-31T23:59:59.999999Z", end: "2026-05-01T00:00:00.000000Z" } })).toEqual([ids.range]);
    // Ranges are half-open: touching is not overlapping.
    expect(await found({ range: { start: "2026-04-01T00:00:00.000000Z", end: "2026-05-01T00:00:00.000000Z" } })).toEqual([]);
    expect(await found({ range: { start: "2026-02-01T00:00:00.000000Z", end: "2026-03-01T00:00:00.000000Z" } })).toEqual([]);
    expect(await found({})).toEqual([]);
    // Another organisation's holds never cover this one's data.
    const other = await createOrganization(sql, "no holds");
    expect(await blockingHolds(sql, other, { subjectIds: ["user-42"], targetIds: ["post-7"] })).toEqual([]);
    // The SQL form agrees.
    const [{ covered }] = await sql`select evident.active_holds_cover(${org}::uuid, array['user-42'], null, null, null) as covered`;
    expect(covered).toBe(true);
  });

  it("a lookup that fails throws, so nothing it guards can go ahead", async () => {
    await expect(sql.begin(async (tx) => {
      await tx`set local role authenticated`;
      return await blockingHolds(tx, org, { subjectIds: ["user-42"] });
    })).rejects.toMatchObject({ code: "42501" });
  });

  it("releases a hold once, with a reason, and it stops blocking", async () => {
    const released = await call(legal, { method: "POST", path: `/${ids.subject}/release`, body: { reason: "case settled" } });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body.hold).toMatchObject({ id: ids.subject, release_reason: "case settled" });
    expect(released.body.hold.released_at).toMatch(/Z$/);
    expect(await blockingHolds(sql, org, { subjectIds: ["user-42"] })).toEqual([]);
    const again = await call(legal, { method: "POST", path: `/${ids.subject}/release`, body: { reason: "again" } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/was released at/);
    const active = await call(legal, { query: { organization_id: org, active: "true" } });
    expect(active.body.holds.map((h: { id: string }) => h.id).sort()).toEqual([ids.target, ids.range].sort());
    const [event] = await sql`select metadata from public.audit_events where organization_id = ${org} and event_type = 'legal_hold' and action = 'released'`;
    expect(event.metadata).toMatchObject({ hold_id: ids.subject, scope: "subject", subject_id: "user-42", reason: "case settled" });
    expect((await verifyTrail(sql, org)).valid).toBe(true);
  });
});

describe("who may, and what", () => {
  it("refuses auditors, moderators and strangers; hides unknown ids from users", async () => {
    const body = { organization_id: org, scope: "subject", subject_id: "user-9", reason: "testing refusal" };
    for (const role of ["auditor", "moderator"] as const) {
      const token = await userToken(await createMember(sql, org, role));
      expect((await call(token, { body })).status).toBe(403);
      expect((await call(token, { query: { organization_id: org } })).status).toBe(403);
    }
    const stranger = await userToken(await createMember(sql, await createOrganization(sql, "elsewhere"), "legal"));
    expect((await call(stranger, { body })).status).toBe(403);
    const unknown = crypto.randomUUID();
    expect((await call(legal, { method: "POST", path: `/${unknown}/release`, body: { reason: "nope" } })).status).toBe(403);
    expect((await call(serviceToken(), { method: "POST", path: `/${unknown}/release`, body: { reason: "nope" } })).status).toBe(404);
    expect((await call(legal, { method: "POST", path: `/${unknown}/lift`, body: { reason: "nope" } })).status).toBe(404);
    expect((await call(legal, { method: "PUT", body })).status).toBe(405);
  });

  it("refuses malformed holds with the reason, recording nothing", async () => {
    const [{ before }] = await sql`select count(*)::int as before from evident.legal_holds where organization_id = ${org}`;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ organization_id: org, scope: "subject", reason: "no subject given" }, /subject_id/],
      [{ organization_id: org, scope: "subject", subject_id: "u", target_id: "t", reason: "two scopes" }, /target_id/],
      [{ organization_id: org, scope: "everything", reason: "unknown scope" }, /scope must be subject/],
      [{ organization_id: org, scope: "time_range", range: { start: "2026-05-01T00:00:00Z", end: "2026-04-01T00:00:00Z" }, reason: "backwards" }, /range\.end: start must be before end/],
      [{ organization_id: org, scope: "target", target_id: "post-1", reason: "x" }, /reason/],
    ];
    for (const [body, reason] of cases) {
      const answer = await call(legal, { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(answer.body.error)).toMatch(reason);
    }
    const [{ after }] = await sql`select count(*)::int as after from evident.legal_holds where organization_id = ${org}`;
    expect(after).toBe(before);
  });
});

describe("evident holds", () => {
  it("applies, lists and releases as an operator", async () => {
    const applied = cli(["apply", "--org", org, "--target", "post-99", "--reason", "incident INC-12", "--json"]);
    expect(applied.code, applied.stderr).toBe(0);
    const { hold } = JSON.parse(applied.stdout);
    expect(hold).toMatchObject({ scope: "target", target_id: "post-99", applied_by: "ops-oncall" });

    const listed = cli(["list", "--org", org, "--active"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`ACTIVE {3}hold ${hold.id} on target post-99 \\(applied .* by ops-oncall: incident INC-12\\)`));

    const released = cli(["release", hold.id, "--reason", "incident closed"]);
    expect(released.code, released.stderr).toBe(0);
    expect(cli(["release", hold.id, "--reason", "twice"]).code).toBe(1);
    expect(cli(["release", crypto.randomUUID(), "--reason", "unknown"]).code).toBe(1);
    const bad = cli(["apply", "--org", org, "--reason", "no scope at all"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/range/);
    const [{ actor }] = await sql`select actor_id as actor from public.audit_events where organization_id = ${org} and event_type = 'legal_hold' order by seq desc limit 1`;
    expect(actor).toBe("ops-oncall");
  });
});

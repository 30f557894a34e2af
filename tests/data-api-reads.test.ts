// Issue 18 (5): reads of the trail through the Data API are recorded. A signed-in member cannot
// `select * from audit_events` any more; public.read_audit_events is the Data API's read, and it
// records the read in evident.access_log in the same transaction. No SQL signs: the
// audit-maintenance function turns each record into one signed audit_access event (before every
// checkpoint, or {"task": "access_log"}); until then reports and verification show it as pending.
//
// PostgREST cannot run here, so each Data API call is made exactly as PostgREST makes it, against
// the real database: a transaction that switches to the request's role and sets its JWT claims
// (read-write for POST /rpc, read-only for GET).
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAs, callFunction, createMember, createOrganization, sampleEvent, serviceToken, userToken, verifyTrail } from "./support/api.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

let org: string;
let auditor: string;
let admin: string;
beforeAll(async () => {
  org = await createOrganization(sql, "data api reads");
  auditor = await createMember(sql, org, "auditor");
  admin = await createMember(sql, org, "admin");
  expect((await appendAs(serviceToken(), org, [sampleEvent(), sampleEvent(), sampleEvent()])).status).toBe(201);
});

/** A Data API request as PostgREST runs it: role and claims set locally, in one transaction. */
async function asDataApi<T>(claims: Record<string, unknown>, work: (tx: postgres.TransactionSql) => Promise<T>, readOnly = false): Promise<T> {
  return await sql.begin(readOnly ? "read only" : "read write", async (tx) => {
    await tx`select set_config('role', ${String(claims.role)}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    return await work(tx);
  }) as T;
}
const member = (userId: string) => ({ role: "authenticated", sub: userId, aud: "authenticated" });

async function accessLog() {
  return await sql`select id, actor_id, accessor_type, member_role, purpose, query_parameters, returned from evident.access_log where organization_id = ${org} order by read_at, id`;
}
async function pending(): Promise<number> {
  const [{ n }] = await sql`select count(*)::int as n from evident.pending_access_records(${org}::uuid)`;
  return n;
}
async function accessEventsFor(logId: string) {
  return await sql`select seq, actor_id, actor_type, metadata from public.audit_events
    where organization_id = ${org} and event_type = 'audit_access' and metadata -> 'query_parameters' ->> 'access_log_id' = ${logId}`;
}

describe("the Data API's read of the trail", () => {
  it("refuses a member's direct select on audit_events: such a read would go unrecorded", async () => {
    await expect(asDataApi(member(auditor), (tx) => tx`select count(*) from public.audit_events`)).rejects.toMatchObject({ code: "42501" });
    await expect(asDataApi({ role: "service_role" }, (tx) => tx`select count(*) from public.audit_events`)).rejects.toMatchObject({ code: "42501" });
    const partition = (await sql`select relid::regclass::text as name from pg_partition_tree('public.audit_events') where isleaf and relid::regclass::text like 'evident.audit_events_2%' limit 1`)[0].name;
    await expect(asDataApi(member(auditor), (tx) => tx.unsafe(`select count(*) from ${partition}`))).rejects.toMatchObject({ code: "42501" });
  });

  it("reads through read_audit_events and records the read in the same transaction", async () => {
    const before = (await accessLog()).length;
    const rows = await asDataApi(member(auditor), (tx) => tx`select seq, entry_hash from public.read_audit_events(${org}, 'sampling for the SOC 2 audit', 1, 10)`);
    expect(rows.map((r) => Number(r.seq))).toEqual([2, 3]);
    const log = await accessLog();
    expect(log).toHaveLength(before + 1);
    expect(log.at(-1)).toMatchObject({
      actor_id: auditor, accessor_type: "member", member_role: "auditor", purpose: "sampling for the SOC 2 audit",
      query_parameters: { after_seq: 1, max_rows: 10 }, returned: 2,
    });
    expect(await pending()).toBe(1);
  });

  it("returns nothing, and records nothing, where the record cannot be written (a read-only transaction, as PostgREST gives a GET)", async () => {
    const before = (await accessLog()).length;
    await expect(asDataApi(member(auditor), (tx) => tx`select * from public.read_audit_events(${org}, 'a GET request')`, true))
      .rejects.toMatchObject({ code: "25006" });
    expect(await accessLog()).toHaveLength(before);
  });

  it("refuses without a purpose, or for a non-reader, and records nothing", async () => {
    const before = (await accessLog()).length;
    await expect(asDataApi(member(auditor), (tx) => tx`select * from public.read_audit_events(${org}, '')`)).rejects.toMatchObject({ code: "22023" });
    const moderator = await createMember(sql, org, "moderator");
    const refusedKnown = await asDataApi(member(moderator), (tx) => tx`select * from public.read_audit_events(${org}, 'a look')`).catch((e) => e);
    const refusedUnknown = await asDataApi(member(moderator), (tx) => tx`select * from public.read_audit_events(${crypto.randomUUID()}, 'a look')`).catch((e) => e);
    expect(refusedKnown).toMatchObject({ code: "42501" });
    expect(refusedKnown.message).toBe(refusedUnknown.message);
    expect(await accessLog()).toHaveLength(before);
  });
});

describe("pending records: visible until signed, then signed exactly once", () => {
  it("reports and verification show the pending read", async () => {
    expect(await pending()).toBe(1);
    const verified = await callFunction("audit-verify", { token: await userToken(admin), query: { organization_id: org } });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body.pending_access_records).toBe(1);
    const report = await callFunction("compliance-reports", { token: await userToken(admin), path: `/report/soc2/${org}`, query: { purpose: "checking pending reads" } });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.security_metrics.pending_access_records).toBe(1);
    const review = report.body.controls.find((c: { id: string }) => c.id === "access_review");
    expect(review.reason).toMatch(/1 Data API reads recorded and not yet signed into the chain/);
    const [row] = await sql.begin(async (tx) => {
      await tx`set local role evident_analyst`;
      return await tx`select seq, actor_id, access_purpose, signed from transparency.access_audit where organization_id = ${org} and not signed`;
    });
    expect(row).toMatchObject({ seq: null, actor_id: auditor, access_purpose: "sampling for the SOC 2 audit", signed: false });
  });

  it("the checkpoint run signs it into the chain as an audit_access event; again and concurrently, nothing twice", async () => {
    const [record] = (await accessLog()).slice(-1);
    const runs = await Promise.all([
      callFunction("audit-maintenance", { token: serviceToken(), body: { task: "checkpoint" } }),
      callFunction("audit-maintenance", { token: serviceToken(), body: { task: "access_log", organization_id: org } }),
    ]);
    for (const run of runs) expect(run.status, JSON.stringify(run.body)).toBe(200);
    const signedByRuns = (runs[0].body.access_log.signed as number) + (runs[1].body.signed as number);
    expect(signedByRuns).toBeGreaterThanOrEqual(1);
    const events = await accessEventsFor(record.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_id: auditor, actor_type: "user",
      metadata: {
        accessor_type: "member", purpose: "sampling for the SOC 2 audit", permission_verified: true,
        query_parameters: { after_seq: 1, max_rows: 10, via: "data_api", access_log_id: record.id, returned: 2, member_role: "auditor" },
      },
    });
    expect(await pending()).toBe(0);
    const again = await callFunction("audit-maintenance", { token: serviceToken(), body: { task: "access_log" } });
    expect(again.body).toMatchObject({ task: "access_log", signed: 0 });
    expect(await accessEventsFor(record.id)).toHaveLength(1);
    // The signed chain still verifies end to end, with the new entry in it.
    const summary = await verifyTrail(sql, org);
    expect(summary.valid, JSON.stringify(summary)).toBe(true);
    const [{ n }] = await sql`select count(*)::int as n from transparency.access_audit where organization_id = ${org} and not signed`;
    expect(n).toBe(0);
  });

  it("the service role's Data API read is recorded and signed as the service's", async () => {
    const rows = await asDataApi({ role: "service_role" }, (tx) => tx`select seq from public.read_audit_events(${org}, 'backend reconciliation')`);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const [record] = (await accessLog()).slice(-1);
    expect(record).toMatchObject({ actor_id: "service_role", accessor_type: "service_role", member_role: null });
    const run = await callFunction("audit-maintenance", { token: serviceToken(), body: { task: "access_log", organization_id: org } });
    expect(run.body.signed).toBe(1);
    expect((await accessEventsFor(record.id))[0]).toMatchObject({ actor_id: "service_role", actor_type: "service" });
  });

  it("evident access-log sign signs pending reads from any scheduler, as the function does", async () => {
    await asDataApi(member(admin), (tx) => tx`select seq from public.read_audit_events(${org}, 'monthly review from psql')`);
    const [record] = (await accessLog()).slice(-1);
    expect(await pending()).toBe(1);
    const env = { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId };
    const run = evident(["access-log", "sign", "--org", org, "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ signed: 1, refused: [], still_pending: 0 });
    expect((await accessEventsFor(record.id))[0]).toMatchObject({ actor_id: admin, metadata: { purpose: "monthly review from psql" } });
    expect(evident(["access-log", "sign", "--org", org, "--json"], env).stdout).toContain('"signed":0');
    expect(evident(["access-log", "sign", "--org", "nope"], env).code).toBe(2);
    expect((await verifyTrail(sql, org)).valid).toBe(true);
  });

  it("the access log cannot be rewritten, even by its owner", async () => {
    await expect(sql`update evident.access_log set purpose = 'nothing to see' where organization_id = ${org}`).rejects.toMatchObject({ code: "EVW01" });
    await expect(sql`delete from evident.access_log where organization_id = ${org}`).rejects.toMatchObject({ code: "EVW01" });
  });
});

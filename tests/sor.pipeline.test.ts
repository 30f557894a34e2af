// Statements of Reasons end to end, against the real stack (PostgreSQL, the Deno-served functions)
// and the local Transparency Database (tests/support/tdb-server.ts) listening where the functions
// were told it is (DSA_TDB_URL): queueing with the decision, batches with valid and invalid
// statements, 429 / 5xx / timeouts, a worker killed mid-batch, workers racing, duplicate puids,
// dead letters, the sor_submitted events and the trail that still verifies, and the CLI.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import canonicalize from "canonicalize";
import type postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../scripts/stack/config.ts";
import { appendAs, countEvents, createOrganization, sampleEvent, serviceToken, verifyTrail } from "./support/api.ts";
import { evident, evidentAsync } from "./support/cli.ts";
import { incompatibleStatement, sampleStatement, without } from "./support/sor.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";
import { startTdbServer, type TdbServer } from "./support/tdb-server.ts";

let sql: postgres.Sql;
let tdb: TdbServer;
let org: string;

beforeAll(async () => {
  sql = adminSql();
  tdb = await startTdbServer({
    port: Number(new URL(testStack.tdbUrl).port),
    users: { [testStack.tdbToken]: { platformId: 7, platformName: "Evident test platform" } },
  });
  org = await createOrganization(sql, "sor org");
});
afterAll(async () => {
  await tdb?.close();
  await sql?.end();
});
beforeEach(() => tdb.reset());

// deno-lint-ignore no-explicit-any
async function callSor(body: unknown, token: string = serviceToken()): Promise<{ status: number; body: any }> {
  const response = await fetch(functionUrl("sor-submit"), {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
const submitPass = () => callSor({ action: "submit" });
const enqueue = (statements: unknown[], organizationId = org) => callSor({ action: "enqueue", organization_id: organizationId, statements });

const rows = (puids: unknown[]) => sql`select * from evident.sor_outbox where puid = any(${puids as string[]}) order by created_at, puid`;
const sorEvents = (puids: unknown[]) => sql`
  select metadata, target_id from public.audit_events
  where event_type = 'sor_submitted' and target_id = any(${puids as string[]})`;

const cliEnv = (overrides: Record<string, string> = {}) => ({
  DB_URL: testStack.dbUrl,
  AUDIT_SIGNING_KEYS: testStack.signingKeys,
  AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId,
  DSA_TDB_URL: tdb.url,
  DSA_TDB_TOKEN: testStack.tdbToken,
  DSA_TDB_TIMEOUT_MS: "3000",
  ...overrides,
});

/** Puts a row straight into the outbox, bypassing validation: a statement queued under older rules. */
async function plantRaw(statement: Record<string, unknown>) {
  const text = canonicalize(statement)!;
  const sha = createHash("sha256").update(text).digest("hex");
  await sql`select evident.enqueue_statement(${org}::uuid, ${statement.puid as string}, ${text}, ${sha})`;
}

describe("queueing", () => {
  it("a decision_made event with a statement_of_reasons queues it in the same transaction, once", async () => {
    const statement = sampleStatement();
    const event = sampleEvent({ metadata: { action: "content_removed", statement_of_reasons: statement }, idempotency_key: `d-${statement.puid}` });
    const first = await appendAs(serviceToken(), org, [event]);
    expect(first.status).toBe(201);
    const [row] = await rows([statement.puid]);
    expect(row).toMatchObject({ state: "pending", organization_id: org, decision_event_id: first.body.events[0].id, attempts: 0 });
    expect(JSON.parse(row.payload)).toEqual(statement);
    expect(row.payload_sha256).toBe(createHash("sha256").update(row.payload).digest("hex"));

    const replay = await appendAs(serviceToken(), org, [event]);
    expect(replay.status).toBe(200);
    expect(await rows([statement.puid])).toHaveLength(1);

    const report = await submitPass();
    expect(report.status).toBe(200);
    const [done] = await rows([statement.puid]);
    const stored = tdb.stored.get(7)!.get(String(statement.puid))!;
    expect(done).toMatchObject({ state: "submitted", commission_uuid: stored.uuid, reconciled: false });
    const events = await sorEvents([statement.puid]);
    expect(events).toHaveLength(1);
    expect(events[0].metadata).toMatchObject({
      puid: statement.puid, commission_uuid: stored.uuid, outbox_id: row.id, payload_sha256: row.payload_sha256,
      decision_event_id: first.body.events[0].id, reconciled: false, api_status: 201,
    });
    expect((await verifyTrail(sql, org)).valid).toBe(true);
  });

  it("a statement the Commission would refuse refuses the decision: 400, nothing written", async () => {
    const before = await countEvents(sql, org);
    const statement = without(sampleStatement(), "decision_facts");
    const refused = await appendAs(serviceToken(), org, [sampleEvent({ metadata: { action: "content_removed", statement_of_reasons: statement } })]);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.issues.map((i: { path: string }) => i.path)).toContain("events[0].metadata.statement_of_reasons.decision_facts");
    expect(await countEvents(sql, org)).toBe(before);
    expect(await rows([statement.puid])).toHaveLength(0);
  });

  it("a puid queued with another statement is a conflict (409), and the decision is not written", async () => {
    const statement = sampleStatement();
    expect((await enqueue([statement])).status).toBe(201);
    const before = await countEvents(sql, org);
    const other = { ...statement, decision_facts: "something else" };
    const conflict = await appendAs(serviceToken(), org, [sampleEvent({ metadata: { action: "content_removed", statement_of_reasons: other } })]);
    expect(conflict.status).toBe(409);
    expect(await countEvents(sql, org)).toBe(before);
    expect((await submitPass()).body.submitted).toBeGreaterThanOrEqual(1);
  });

  it("a puid with surrounding whitespace is queued as the Commission keys it (trimmed), the payload as sent", async () => {
    const statement = sampleStatement();
    const puid = String(statement.puid);
    const spaced = { ...statement, puid: `  ${puid} ` };
    const queued = await enqueue([spaced]);
    expect(queued.status).toBe(201);
    expect(queued.body.queued[0].puid).toBe(puid);
    const [row] = await rows([puid]);
    expect(JSON.parse(row.payload).puid).toBe(`  ${puid} `);
    expect((await submitPass()).body.submitted).toBeGreaterThanOrEqual(1);
    expect((await rows([puid]))[0]).toMatchObject({ state: "submitted", commission_uuid: tdb.stored.get(7)!.get(puid)!.uuid });
  });

  it("callers cannot forge sor_submitted events", async () => {
    const forged = await appendAs(serviceToken(), org, [sampleEvent({ event_type: "sor_submitted", metadata: { puid: "x" } })]);
    expect(forged.status).toBe(400);
  });

  it("sor-submit is for the service role, with a valid body", async () => {
    expect((await callSor({ action: "submit" }, "")).status).toBe(401);
    expect((await callSor({ action: "submit" }, testStack.anonKey)).status).toBe(403);
    expect((await callSor({})).status).toBe(400);
    const bad = await enqueue([sampleStatement({ decision_ground: "Illegal Content" })]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe("statements[0].decision_ground");
    expect((await enqueue([sampleStatement()], crypto.randomUUID())).status).toBe(404);
    // Text PostgreSQL cannot store is a 400 naming the statement, not a 500.
    for (const facts of ["a\u0000b", "lone \ud800 surrogate"]) {
      const unstorable = await enqueue([sampleStatement({ decision_facts: facts })]);
      expect(unstorable.status, JSON.stringify(unstorable.body)).toBe(400);
      expect(unstorable.body.error.details.issues[0].path).toMatch(/^statements\[0\]/);
    }
  });
});

describe("submitting", () => {
  it("a batch with valid and invalid statements: the invalid ones go to the dead letter, the valid ones are accepted", async () => {
    const valid = [sampleStatement(), incompatibleStatement(), sampleStatement()];
    expect((await enqueue(valid)).status).toBe(201);
    // Queued under older rules (bypassing validation), now refused by the Commission's rules.
    const invalid = [sampleStatement({ decision_ground: "DECISION_GROUND_OTHER" }), without(sampleStatement(), "content_date")];
    for (const s of invalid) await plantRaw(s);

    const report = (await submitPass()).body;
    expect(report).toMatchObject({ submitted: 3, dead_lettered: 2 });
    for (const row of await rows(valid.map((s) => s.puid))) expect(row.state).toBe("submitted");
    const dead = await rows(invalid.map((s) => s.puid));
    expect(dead.map((r) => r.state)).toEqual(["dead_letter", "dead_letter"]);
    expect(Object.keys(dead.find((r) => r.puid === invalid[0].puid)!.last_error.errors)).toEqual(["decision_ground"]);
    expect(Object.keys(dead.find((r) => r.puid === invalid[1].puid)!.last_error.errors)).toEqual(["content_date"]);
    const sent = tdb.calls.filter((c) => c.route === "statements").flatMap((c) => c.puids);
    expect(sent.sort()).toEqual(valid.map((s) => String(s.puid)).sort());
  });

  it("a batch the Commission refuses for one statement (422 statement_N): that one is dead-lettered with the API's body, the rest resent", async () => {
    const statements = [sampleStatement(), sampleStatement(), sampleStatement()];
    await enqueue(statements);
    const apiErrors = { statement_1: { decision_facts: ["The decision facts field is required."] } };
    tdb.inject("statements", { kind: "status", status: 422, body: { errors: apiErrors } });
    const report = (await submitPass()).body;
    expect(report).toMatchObject({ submitted: 2, dead_lettered: 1 });
    const after = await rows(statements.map((s) => s.puid));
    const dead = after.filter((r) => r.state === "dead_letter");
    expect(dead).toHaveLength(1);
    expect(dead[0].last_status).toBe(422);
    expect(dead[0].last_error.body).toEqual({ errors: apiErrors });
    expect(after.filter((r) => r.state === "submitted")).toHaveLength(2);
    expect(tdb.storeCount.has(dead[0].puid)).toBe(false);
  });

  it("429 with Retry-After: waits, retries, is accepted", async () => {
    const statements = [sampleStatement(), sampleStatement()];
    await enqueue(statements);
    tdb.inject("statements", { kind: "status", status: 429, retryAfter: 1 });
    const started = Date.now();
    const report = (await submitPass()).body;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(report).toMatchObject({ submitted: 2, dead_lettered: 0 });
    expect(tdb.calls.filter((c) => c.route === "statements").map((c) => c.status)).toEqual([429, 201]);
  });

  it("a 429 whose wait would outlast the batch's lease: no retry in the pass, the statements wait for the next", async () => {
    const statements = [sampleStatement(), sampleStatement()];
    await enqueue(statements);
    tdb.inject("statements", { kind: "status", status: 429, retryAfter: 2 });
    // A wait of 2 s and a request of up to 1.5 s do not fit in what is left of a 4 s lease less
    // the recording margin, though they fit the CLI's 10-minute pass.
    const out = await evidentAsync(["sor", "submit", "--lease-seconds", "4"], cliEnv({ DSA_TDB_TIMEOUT_MS: "1500" }));
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ claimed: 2, submitted: 0, retry_later: 2, lease_lost: 0 });
    expect(tdb.calls.filter((c) => c.route === "statements").map((c) => c.status)).toEqual([429]);
    const after = await rows(statements.map((s) => s.puid));
    expect(after.map((r) => [r.state, r.last_status])).toEqual([["pending", 429], ["pending", 429]]);
    // Retry-After is the floor of the wait.
    for (const r of after) expect(new Date(r.next_attempt_at).getTime()).toBeGreaterThanOrEqual(new Date(r.updated_at).getTime() + 2000);

    await sql`update evident.sor_outbox set next_attempt_at = now() where id = any(${after.map((r) => r.id)}::uuid[])`;
    expect((await submitPass()).body).toMatchObject({ claimed: 2, submitted: 2 });
  });

  it("a lease that cannot hold one request and its recording is refused before anything is claimed", async () => {
    const statement = sampleStatement();
    await enqueue([statement]);
    const out = await evidentAsync(["sor", "submit", "--lease-seconds", "4"], cliEnv({ DSA_TDB_TIMEOUT_MS: "3000" }));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/a lease of 4 s cannot hold one request \(timeout 3000 ms\) and its recording \(1000 ms\)/);
    expect((await rows([statement.puid]))[0]).toMatchObject({ state: "pending", attempts: 0 });
    expect((await submitPass()).body).toMatchObject({ claimed: 1, submitted: 1 });
  });

  it("a statement its lease leaves no time to ask about is deferred, not failed, and claimed again under a new lease", async () => {
    // Two statements claimed before (as if their worker died after sending): each is asked about
    // with existing-puid first. The first question hangs until the 1.5 s timeout; what is left of
    // the 4 s lease, less the 1 s recording margin, cannot hold the second, which is released
    // unasked and due at once. The pass claims it again, with a new lease, asks, and sends it.
    const statements = [sampleStatement(), sampleStatement()];
    await enqueue(statements);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update evident.sor_outbox set attempts = 1 where puid = any(${statements.map((s) => s.puid as string)})`;
    });
    tdb.inject("existing-puid", { kind: "hang" });
    const out = await evidentAsync(["sor", "submit", "--lease-seconds", "4"], cliEnv({ DSA_TDB_TIMEOUT_MS: "1500" }));
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ batches: 2, claimed: 3, deferred: 1, retry_later: 1, submitted: 1, lease_lost: 0 });
    expect(tdb.calls.map((c) => `${c.route}:${c.status}`)).toEqual(["existing-puid:hung", "existing-puid:404", "statements:201"]);
    // (Which of the two is asked first is the claim's order, not this test's.)
    const after = await rows(statements.map((s) => s.puid));
    const asked = after.find((r) => r.state === "pending")!;
    const deferred = after.find((r) => r !== asked)!;
    expect(asked).toMatchObject({ state: "pending", attempts: 2, last_error: { kind: "timeout" } });
    expect(deferred).toMatchObject({ state: "submitted", attempts: 3 });
    expect([tdb.storeCount.get(asked.puid) ?? 0, tdb.storeCount.get(deferred.puid)]).toEqual([0, 1]);

    await sql`update evident.sor_outbox set next_attempt_at = now() where id = ${asked.id}`;
    expect((await submitPass()).body).toMatchObject({ claimed: 1, submitted: 1 });
  });

  it("a 5xx after the Commission stored the batch: existing-puid confirms it, nothing is sent twice", async () => {
    const statements = [sampleStatement(), sampleStatement()];
    await enqueue(statements);
    tdb.inject("statements", { kind: "store-then-status", status: 503 });
    const report = (await submitPass()).body;
    expect(report).toMatchObject({ submitted: 0, reconciled: 2 });
    for (const s of statements) expect(tdb.storeCount.get(String(s.puid))).toBe(1);
    expect(tdb.calls.filter((c) => c.route === "statements")).toHaveLength(1);
    expect(tdb.calls.filter((c) => c.route === "existing-puid").map((c) => c.status)).toEqual([302, 302]);
    const events = await sorEvents(statements.map((s) => s.puid));
    expect(events.map((e) => e.metadata.reconciled)).toEqual([true, true]);
  });

  it("a timeout: the pass asks existing-puid, finds nothing, sends again, is accepted", async () => {
    const statement = sampleStatement();
    await enqueue([statement]);
    tdb.inject("statements", { kind: "hang" });
    const report = (await submitPass()).body;
    expect(report).toMatchObject({ submitted: 1 });
    expect(tdb.calls.map((c) => `${c.route}:${c.status}`)).toEqual(["statements:hung", "existing-puid:404", "statements:201"]);
    expect(tdb.storeCount.get(String(statement.puid))).toBe(1);
  });

  it("a puid the Commission already has (422 existing_puids) is reconciled through existing-puid; the rest are accepted", async () => {
    const known = sampleStatement();
    const fresh = sampleStatement();
    // Submitted earlier by other means (or by a worker whose answer was lost).
    const direct = await fetch(`${tdb.url}/api/v1/statement`, {
      method: "POST",
      headers: { authorization: `Bearer ${testStack.tdbToken}`, accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify(known),
    });
    expect(direct.status).toBe(201);
    await enqueue([known, fresh]);
    const report = (await submitPass()).body;
    expect(report).toMatchObject({ submitted: 1, reconciled: 1 });
    expect(tdb.calls.map((c) => `${c.route}:${c.status}`)).toEqual(["statement:201", "statements:422", "existing-puid:302", "statements:201"]);
    const [k] = await rows([known.puid]);
    expect(k).toMatchObject({ state: "submitted", reconciled: true, commission_uuid: null });
    expect(tdb.storeCount.get(String(known.puid))).toBe(1);
  });

  it("a permanent refusal of the whole batch dead-letters it with the API's body; retry --dead-letter sends it again", async () => {
    const statements = [sampleStatement(), sampleStatement()];
    await enqueue(statements);
    const body = { message: "The statements field is required.", errors: { statements: ["The statements field is required."] } };
    tdb.inject("statements", { kind: "status", status: 422, body });
    expect((await submitPass()).body).toMatchObject({ dead_lettered: 2 });
    for (const row of await rows(statements.map((s) => s.puid))) {
      expect(row).toMatchObject({ state: "dead_letter", last_status: 422 });
      expect(row.last_error.body).toEqual(body);
    }
    const status = evident(["sor", "status", "--json"], cliEnv());
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).counts.dead_letter).toBeGreaterThanOrEqual(2);

    const text = evident(["sor", "status"], cliEnv());
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/dead_letter [1-9]\d*/);
    expect(text.stdout).toContain(`DEAD LETTER`);

    const retried = await evidentAsync(["sor", "retry", "--dead-letter"], cliEnv());
    expect(retried.stderr).toBe("");
    for (const row of await rows(statements.map((s) => s.puid))) expect(row.state).toBe("submitted");
    expect(JSON.parse(retried.stdout.slice(retried.stdout.indexOf("{")))).toMatchObject({ submitted: expect.any(Number) });
  });
});

describe("workers", () => {
  it("a worker killed mid-batch: its lease expires, the next worker confirms with existing-puid, nothing is submitted twice", async () => {
    const statements = Array.from({ length: 5 }, () => sampleStatement());
    await enqueue(statements);
    tdb.inject("statements", { kind: "store-then-hang" });
    // The request hangs for up to its 3.5 s timeout, inside a 5 s lease; the worker is killed first.
    const child = spawn(process.execPath, ["bin/evident.mjs", "sor", "submit", "--lease-seconds", "5"], {
      cwd: repoRoot, env: { PATH: process.env.PATH ?? "", ...cliEnv({ DSA_TDB_TIMEOUT_MS: "3500" }) }, stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    for (let i = 0; i < 300 && !tdb.calls.some((c) => c.status === "hung"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(tdb.calls.some((c) => c.status === "hung")).toBe(true);
    child.kill("SIGKILL");
    await exited;

    const leased = await rows(statements.map((s) => s.puid));
    expect(leased.every((r) => r.state === "submitting" && r.lease_owner.startsWith("cli:"))).toBe(true);
    expect((await submitPass()).body.claimed).toBe(0); // the lease still holds
    const expired = () => sql`select 1 from evident.sor_outbox where puid = any(${statements.map((s) => s.puid as string)}) and lease_expires_at < now()`;
    for (let i = 0; i < 100 && (await expired()).length < statements.length; i++) await new Promise((r) => setTimeout(r, 100));
    const report = (await submitPass()).body;
    expect(report).toMatchObject({ claimed: 5, reconciled: 5, submitted: 0 });
    for (const s of statements) expect(tdb.storeCount.get(String(s.puid))).toBe(1);
    expect(tdb.calls.filter((c) => c.route === "statements")).toHaveLength(1);
    const events = await sorEvents(statements.map((s) => s.puid));
    expect(events).toHaveLength(5);
    expect((await rows(statements.map((s) => s.puid))).every((r) => r.state === "submitted" && r.attempts === 2)).toBe(true);
    expect((await verifyTrail(sql, org)).valid).toBe(true);
  });

  it("three workers racing over 240 statements: each is submitted exactly once, with one sor_submitted event", async () => {
    const statements = Array.from({ length: 240 }, () => sampleStatement());
    for (let i = 0; i < statements.length; i += 80) expect((await enqueue(statements.slice(i, i + 80))).status).toBe(201);
    tdb.latencyMs = 300;
    // The CLI worker first (it takes a moment to start); the two function workers join once it
    // holds its first lease, so all three claim from the same queue at the same time.
    const cli = evidentAsync(["sor", "submit", "--batch-size", "40"], cliEnv());
    for (let i = 0; i < 200; i++) {
      const [{ n }] = await sql`select count(*)::int as n from evident.sor_outbox where lease_owner like 'cli:%'`;
      if (n > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const [a, b, c] = await Promise.all([submitPass(), submitPass(), cli]);
    expect(c.code).toBe(0);
    expect([a.body.claimed, b.body.claimed, JSON.parse(c.stdout).claimed].every((n) => n > 0)).toBe(true);
    const puids = statements.map((s) => String(s.puid));
    const sent = tdb.calls.filter((c) => c.route === "statements" && c.status === 201).flatMap((c) => c.puids);
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.sort()).toEqual([...puids].sort());
    for (const p of puids) expect(tdb.storeCount.get(p)).toBe(1);
    expect(a.body.submitted + b.body.submitted).toBeLessThanOrEqual(240);
    expect((await rows(puids)).every((r) => r.state === "submitted")).toBe(true);
    const events = await sorEvents(puids);
    expect(events).toHaveLength(240);
    expect(new Set(events.map((e) => e.target_id)).size).toBe(240);
    expect((await verifyTrail(sql, org)).valid).toBe(true);
    // And the operator's verifier agrees.
    const verified = evident(["verify", "--org", org], { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys });
    expect(verified.code).toBe(0);
  });
});

describe("evident sor", () => {
  it("validate prints each statement's verdict and errors as JSON, exit 1 if any is invalid", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sor-validate-"));
    const good = path.join(dir, "good.json");
    writeFileSync(good, JSON.stringify(sampleStatement()));
    expect(evident(["sor", "validate", good]).code).toBe(0);
    const mixed = path.join(dir, "mixed.json");
    writeFileSync(mixed, JSON.stringify({ statements: [sampleStatement(), sampleStatement({ puid: "not valid!" }), without(sampleStatement(), "category")] }));
    const out = evident(["sor", "validate", mixed]);
    expect(out.code).toBe(1);
    const verdict = JSON.parse(out.stdout);
    expect(verdict).toMatchObject({ valid: false, count: 3, invalid: 2 });
    expect(verdict.statements.map((s: { valid: boolean }) => s.valid)).toEqual([true, false, false]);
    expect(verdict.statements[1].errors).toEqual({ puid: ["The puid format is invalid."] });
    expect(verdict.statements[2].errors).toEqual({ category: ["The category field is required."] });
    const notJson = path.join(dir, "bad.json");
    writeFileSync(notJson, "{");
    expect(evident(["sor", "validate", notJson]).code).toBe(2);
  });

  it("replay <id> resubmits one dead letter; a submitted one is refused", async () => {
    const statement = sampleStatement();
    await enqueue([statement]);
    tdb.inject("statements", { kind: "status", status: 400, body: { message: "Bad Request" } });
    expect((await submitPass()).body.dead_lettered).toBe(1);
    const [row] = await rows([statement.puid]);
    expect(row).toMatchObject({ state: "dead_letter", last_status: 400, last_error: { body: { message: "Bad Request" } } });
    const requeued = evident(["sor", "retry", "--dead-letter", "--no-submit"], cliEnv());
    expect(requeued.code).toBe(0);
    expect(requeued.stdout).toMatch(/[1-9]\d* dead-lettered statement\(s\) back in the queue/);
    expect((await rows([statement.puid]))[0].state).toBe("pending");
    const replayed = await evidentAsync(["sor", "replay", row.id], cliEnv());
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ claimed: 1, submitted: 1 });
    const again = evident(["sor", "replay", row.id], cliEnv());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already accepted/);
  });

  it("a refused token stops the pass, leaves the statements pending, and is never printed", async () => {
    const statement = sampleStatement();
    await enqueue([statement]);
    const wrong = "wrong-token-0123456789";
    const out = await evidentAsync(["sor", "submit"], cliEnv({ DSA_TDB_TOKEN: wrong }));
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/refused the token \(HTTP 401\)/);
    expect(out.stdout + out.stderr).not.toContain(wrong);
    const [row] = await rows([statement.puid]);
    expect(row).toMatchObject({ state: "pending", last_status: 401 });
    await sql`update evident.sor_outbox set next_attempt_at = now() where id = ${row.id}`;
    const fixed = await evidentAsync(["sor", "submit"], cliEnv());
    expect(fixed.code).toBe(0);
    expect(fixed.stdout + fixed.stderr).not.toContain(testStack.tdbToken);
    expect((await rows([statement.puid]))[0].state).toBe("submitted");
  });

  it("status without the database says so (exit 2)", () => {
    expect(evident(["sor", "status"], {}).code).toBe(2);
    expect(evident(["sor", "submit"], { DB_URL: testStack.dbUrl }).code).toBe(2);
  });
});


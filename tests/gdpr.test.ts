// Personal data outside the signed core (canonical form v2), end to end against the real stack:
// events carry personal_data that is stored apart and committed to in the signed payload; reads and
// exports join it back; Art. 17 erasure removes one subject's data, is refused under a legal hold
// (and when the hold lookup fails), and leaves a trail that still verifies; tampering with the
// store (a value moved to another subject) or with a signed commitment is detected; the 30-day job
// anonymises exactly the pii_tagged personal data older than 30 days that no hold covers; consent
// events are queryable per subject.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CertifiedExport } from "../supabase/functions/_shared/certified-export/format.ts";
import { verifyCertifiedExport } from "../supabase/functions/_shared/certified-export/verify.ts";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import { eraseSubject } from "../supabase/functions/_shared/gdpr.ts";
import { checkPersonalData, CommitmentKey } from "../supabase/functions/_shared/personal.ts";
import { unstorableJson, unstorableString } from "../supabase/functions/_shared/schemas/values.ts";
import { appendAs, callFunction, createMember, createOrganization, keyring, sampleEvent, serviceToken, userToken, verifyTrail } from "./support/api.ts";
import { evident } from "./support/cli.ts";
import { scratchArchive } from "./support/archive.ts";
import { backfillPersonalMonth, commitmentKey } from "./support/personal.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("gdpr");
afterAll(async () => {
  await sql.end();
  scratch.remove();
});

// A month no other test writes: the anonymisation test's old personal data.
const oldMonth = "2021-09";

const gdpr = (token: string, init: Parameters<typeof callFunction>[1]) => callFunction("gdpr", { token, ...init });
const cliEnv = () => ({
  DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId,
  AUDIT_PII_COMMITMENT_KEY: testStack.piiCommitmentKey, USER: "dpo-oncall",
  AUDIT_EXPORT_SIGNING_KEY: testStack.exportSigningKey, EVIDENT_ARCHIVE_DIR: scratch.dir,
});
const cli = (args: string[]) => evident(args, cliEnv());
const verifyCli = (org: string) => cli(["verify", "--org", org]);

async function personalRows(org: string) {
  return await sql`
    select event_id, name, subject_id, value, erasure, erased_at is not null as erased from evident.personal_data
    where organization_id = ${org} order by event_created_at, name`;
}

function reportEvent(reporter: string, ip: string, reason: string, extra: Record<string, unknown> = {}) {
  return sampleEvent({
    event_type: "report_submitted", action: "report", actor_id: "reporting-service", actor_type: "service",
    metadata: { report_type: "illegal_content", is_trusted_flagger: false },
    personal_data: {
      reporter_id: { subject_id: reporter, value: reporter },
      reporter_ip: { subject_id: reporter, value: ip },
      reason_text: { subject_id: reporter, value: reason },
    },
    ...extra,
  });
}

describe("events with personal data", () => {
  let org: string;
  let moderator: string;
  let auditor: string;
  let admin: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "gdpr: personal data");
    moderator = await userToken(await createMember(sql, org, "moderator"));
    auditor = await userToken(await createMember(sql, org, "auditor"));
    admin = await userToken(await createMember(sql, org, "admin"));
  });

  it("are signed in canonical form v2 with commitments only; the values live in the erasable store", async () => {
    const appended = await appendAs(moderator, org, [
      reportEvent("user-ada", "203.0.113.7", "he posted my home address"),
      sampleEvent(),
    ]);
    expect(appended.status, JSON.stringify(appended.body)).toBe(201);
    const [v2, v1] = await sql`select canonical_version, personal_commitments, to_jsonb(e)::text as row from public.audit_events e where organization_id = ${org} order by seq`;
    expect(v2.canonical_version).toBe(2);
    expect(Object.keys(v2.personal_commitments).sort()).toEqual(["reason_text", "reporter_id", "reporter_ip"]);
    for (const secret of ["user-ada", "203.0.113.7", "home address"]) expect(v2.row).not.toContain(secret);
    expect(v1.canonical_version).toBe(1);
    expect(v1.personal_commitments).toBeNull();
    const stored = await personalRows(org);
    expect(stored.map((r) => [r.name, r.subject_id, r.value])).toEqual([
      ["reason_text", "user-ada", "he posted my home address"], ["reporter_id", "user-ada", "user-ada"], ["reporter_ip", "user-ada", "203.0.113.7"],
    ]);
    // Equal values in one event still get different commitments (nonce, name).
    expect(new Set(Object.values(v2.personal_commitments)).size).toBe(3);
    expect((await verifyTrail(sql, org)).valid).toBe(true);
  });

  it("reads back with the personal data joined in", async () => {
    const read = await callFunction("audit-events", { token: auditor, query: { organization_id: org, purpose: "checking a report" } });
    expect(read.status).toBe(200);
    expect(read.body.events[0].personal_data).toEqual({
      reporter_id: { subject_id: "user-ada", value: "user-ada" },
      reporter_ip: { subject_id: "user-ada", value: "203.0.113.7" },
      reason_text: { subject_id: "user-ada", value: "he posted my home address" },
    });
    expect(read.body.events[0].canonical_version).toBe(2);
    expect(read.body.events[1]).not.toHaveProperty("personal_data");
    expect(read.body.events[1]).not.toHaveProperty("personal_commitments");
  });

  it("refuses malformed personal data with a 400 and writes nothing", async () => {
    const before = await sql`select count(*)::int as n from public.audit_events where organization_id = ${org}`;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ "Reporter-IP": { subject_id: "u", value: "x" } }, /lower snake_case/],
      [{ reporter_ip: { subject_id: "u", value: null } }, /value is required/],
      [{ reporter_ip: { subject_id: "", value: "x" } }, /personal_data/],
      [{ reporter_ip: { value: "x" } }, /subject_id/],
      [{ reporter_ip: { subject_id: "u", value: "x", extra: 1 } }, /personal_data/],
      [{}, /leave it out/],
      [{ reporter_ip: { subject_id: "u", value: "a\u0000b" } }, /personal_data/],
    ];
    for (const [personal_data, message] of cases) {
      const response = await appendAs(moderator, org, [sampleEvent({ personal_data })]);
      expect(response.status, JSON.stringify(personal_data)).toBe(400);
      expect(JSON.stringify(response.body)).toMatch(message);
    }
    for (const type of ["gdpr_erasure", "gdpr_anonymisation"]) {
      const forged = await appendAs(moderator, org, [sampleEvent({ event_type: type })]);
      expect(forged.status).toBe(400);
      expect(JSON.stringify(forged.body)).toMatch(/written by Evident itself/);
    }
    const after = await sql`select count(*)::int as n from public.audit_events where organization_id = ${org}`;
    expect(after[0].n).toBe(before[0].n);
  });

  it("lets only admins (and the service role) erase, and refuses bad input with a 400", async () => {
    for (const token of [moderator, auditor]) {
      const refused = await gdpr(token, { path: "/erase", body: { organization_id: org, subject_id: "user-ada" } });
      expect(refused.status).toBe(403);
    }
    expect((await gdpr(admin, { path: "/erase", body: { organization_id: org } })).status).toBe(400);
    expect((await gdpr(admin, { path: "/erase", body: { organization_id: "nope", subject_id: "x" } })).status).toBe(400);
    expect((await gdpr(admin, { path: "/nowhere", body: {} })).status).toBe(404);
    expect((await gdpr(admin, { method: "GET", path: "/erase" })).status).toBe(405);
    expect((await personalRows(org)).every((r) => !r.erased)).toBe(true);
  });
});

describe("personal values through PostgreSQL and back", () => {
  it("any storable value and subject keeps matching its commitment after jsonb, and the entry verifies", async () => {
    const org = await createOrganization(sql, "gdpr: round trip");
    const token = serviceToken();
    const subject = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((x) => unstorableString(x, "s") === undefined);
    const values = fc.dictionary(
      fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
      fc.record({ subject_id: subject, value: fc.jsonValue({ maxDepth: 3 }).filter((v) => v !== null) }),
      { minKeys: 1, maxKeys: 4 },
    ).filter((p) => unstorableJson(p, "personal_data") === undefined);
    await fc.assert(fc.asyncProperty(values, async (personal_data) => {
      const appended = await appendAs(token, org, [sampleEvent({ personal_data })]);
      expect(appended.status, JSON.stringify(appended.body)).toBe(201);
    }), { numRuns: 40 });
    const check = await checkPersonalData(sql, org, commitmentKey());
    expect(check.problems).toEqual([]);
    expect(check.checked).toBeGreaterThanOrEqual(40);
    expect((await verifyTrail(sql, org)).valid).toBe(true);
  }, 120_000);
});

describe("Art. 17 erasure", () => {
  let org: string;
  let admin: string;
  let auditor: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "gdpr: erasure");
    admin = await userToken(await createMember(sql, org, "admin"));
    auditor = await userToken(await createMember(sql, org, "auditor"));
    const moderator = await userToken(await createMember(sql, org, "moderator"));
    const appended = await appendAs(moderator, org, [
      reportEvent("user-bob", "198.51.100.23", "bob's complaint text", { target_id: "post-1" }),
      reportEvent("user-bob", "198.51.100.24", "bob again", { target_id: "post-2" }),
      // One event holding two subjects' data: only Bob's goes.
      sampleEvent({
        target_id: "post-3",
        personal_data: { reporter_id: { subject_id: "user-bob", value: "user-bob" }, appellant_id: { subject_id: "user-cleo", value: "user-cleo" } },
      }),
      reportEvent("user-cleo", "192.0.2.99", "cleo's own report", { target_id: "post-4" }),
    ]);
    expect(appended.status, JSON.stringify(appended.body)).toBe(201);
  });

  it("erases every value of the subject, logs it without the data, and the full trail still verifies", async () => {
    const erased = await gdpr(admin, { path: "/erase", body: { organization_id: org, subject_id: "user-bob", request_reference: "DSR-2026-118" } });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toMatchObject({ organization_id: org, values_erased: 7, events_affected: 3 });
    expect(erased.body.subject_reference).toMatch(/^subject-hmac:[0-9a-f]{64}$/);
    expect(erased.body.subject_reference).toBe(commitmentKey().subjectReference(org, "user-bob"));

    const rows = await personalRows(org);
    expect(rows.filter((r) => r.erased)).toHaveLength(7);
    expect(rows.filter((r) => r.erased).every((r) => r.subject_id === null && r.value === null && r.erasure === "erased")).toBe(true);
    expect(rows.filter((r) => !r.erased).map((r) => r.subject_id)).toEqual(["user-cleo", "user-cleo", "user-cleo", "user-cleo"]);

    const [event] = await sql`select to_jsonb(e) as e from public.audit_events e where organization_id = ${org} and event_type = 'gdpr_erasure'`;
    expect(event.e).toMatchObject({ actor_type: "user", target_type: "data_subject", action: "erase", target_id: erased.body.subject_reference });
    expect(event.e.metadata).toMatchObject({ legal_basis: "GDPR Art. 17", values_erased: 7, events_affected: 3, request_reference: "DSR-2026-118" });
    for (const secret of ["user-bob", "198.51.100", "complaint"]) expect(JSON.stringify(event.e)).not.toContain(secret);

    expect((await verifyTrail(sql, org)).valid).toBe(true);
    const verified = verifyCli(org);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/personal data: 4 value\(s\) match their commitments, 7 erased/);
  });

  it("shows erased values as erased when reading", async () => {
    const read = await callFunction("audit-events", { token: auditor, query: { organization_id: org, purpose: "after the erasure" } });
    const mixed = read.body.events.find((e: { target_id: string }) => e.target_id === "post-3");
    expect(mixed.personal_data.appellant_id).toEqual({ subject_id: "user-cleo", value: "user-cleo" });
    expect(mixed.personal_data.reporter_id).toMatchObject({ erased: true, erasure: "erased" });
    expect(JSON.stringify(read.body)).not.toContain("user-bob");
  });

  it("never shows the erased subject's data in the CSV and Art. 15 exports", async () => {
    const exportText = async (path: string, query: Record<string, string>) => {
      const response = await fetch(functionUrl(`compliance-reports/${path}`, query), { headers: { authorization: `Bearer ${auditor}` } });
      expect(response.status).toBe(200);
      return await response.text();
    };
    const csv = await exportText("export/csv", { organization_id: org, purpose: "evidence after erasure" });
    expect(csv.split("\r\n")[0]).toContain("personal_commitments,personal_data,verified");
    expect(csv).toContain("user-cleo");
    expect(csv).not.toContain("user-bob");
    expect(csv).not.toContain("198.51.100");
    // Every row still verifies in the export's own check.
    expect(csv.split("\r\n").slice(1).filter(Boolean).every((line) => /,true,true,true,true,true,$/.test(line))).toBe(true);
    for (const query of [{}, { subject: "user-bob" }, { subject: "user-cleo" }] as Array<Record<string, string>>) {
      const text = await exportText("export/gdpr", { organization_id: org, purpose: "Art. 15 request", ...query });
      expect(text).not.toContain("198.51.100");
      expect(text).not.toMatch(/"value":"user-bob"|"subject_id":"user-bob"/);
      if ("subject" in query && query.subject === "user-cleo") {
        const body = JSON.parse(text);
        expect(body.events.map((e: { target_id: string }) => e.target_id).sort()).toEqual(["post-3", "post-4"]);
      }
    }
  });

  it("certifies v2 events for an authority without any personal data, and the package verifies offline", async () => {
    const legal = await userToken(await createMember(sql, org, "legal"));
    const created = await callFunction("authority-requests", { token: legal, body: {
      organization_id: org, authority: "Data Protection Commission", legal_basis: "GDPR Art. 58(1)", reference: "DPC-7",
      scope: { start: "2026-01-01T00:00:00Z", end: new Date(Date.now() + 86_400_000).toISOString(), event_types: ["report_submitted", "decision_made"] },
      response_deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const answer = await callFunction("authority-requests", { token: legal, method: "POST", path: `/${created.body.request.id}/respond` });
    expect(answer.status, JSON.stringify(answer.body).slice(0, 2000)).toBe(200);
    const pkg = answer.body as CertifiedExport;
    const v2 = pkg.events.filter((e) => e.entry.canonical_version === 2);
    expect(v2.length).toBe(4);
    expect(v2.every((e) => Object.keys(e.entry.personal_commitments ?? {}).length > 0)).toBe(true);
    const text = JSON.stringify(pkg);
    for (const secret of ["user-bob", "198.51.100", "bob's complaint", "192.0.2.99"]) expect(text).not.toContain(secret);
    const publicKey = ExportSigner.parse(testStack.exportSigningKey).publicKeyPem();
    expect(verifyCertifiedExport(pkg, [publicKey])).toMatchObject({ valid: true, problems: [] });
    const tampered = structuredClone(pkg);
    const entry = tampered.events.find((e) => e.entry.canonical_version === 2)!.entry;
    entry.personal_commitments = { ...entry.personal_commitments, reporter_id: "0".repeat(64) };
    expect(verifyCertifiedExport(tampered, [publicKey]).problems.join("\n")).toMatch(/entry_hash does not match its contents/);
  });

  it("is refused while a legal hold covers the subject, or an event holding its data, and changes nothing", async () => {
    const legal = await userToken(await createMember(sql, org, "legal"));
    const hold = await callFunction("legal-holds", { token: legal, body: { organization_id: org, scope: "target", target_id: "post-4", reason: "court order 4" } });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const before = await personalRows(org);
    const [{ n: eventsBefore }] = await sql`select count(*)::int as n from public.audit_events where organization_id = ${org} and event_type <> 'legal_hold'`;

    const refused = await gdpr(admin, { path: "/erase", body: { organization_id: org, subject_id: "user-cleo" } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(new RegExp(`erasure refused: hold ${hold.body.hold.id} on target post-4`));
    const byCli = cli(["gdpr", "erase", "--subject", "user-cleo", "--org", org]);
    expect(byCli.code, byCli.stdout + byCli.stderr).toBe(1);
    expect(byCli.stderr).toMatch(/erasure refused/);
    expect(await personalRows(org)).toEqual(before);

    // A subject hold, after the target hold is released, refuses it too.
    expect((await callFunction("legal-holds", { token: legal, path: `/${hold.body.hold.id}/release`, body: { reason: "order lifted" } })).status).toBe(200);
    const subjectHold = await callFunction("legal-holds", { token: legal, body: { organization_id: org, scope: "subject", subject_id: "user-cleo", reason: "litigation" } });
    expect((await gdpr(admin, { path: "/erase", body: { organization_id: org, subject_id: "user-cleo" } })).status).toBe(409);
    expect(await personalRows(org)).toEqual(before);
    // No erasure event was written by the refusals (only the hold events).
    const [{ n: eventsAfter }] = await sql`select count(*)::int as n from public.audit_events where organization_id = ${org} and event_type <> 'legal_hold'`;
    expect(eventsAfter).toBe(eventsBefore);

    // Released: the CLI erases (for every organisation holding the subject's data).
    expect((await callFunction("legal-holds", { token: legal, path: `/${subjectHold.body.hold.id}/release`, body: { reason: "settled" } })).status).toBe(200);
    const done = cli(["gdpr", "erase", "--subject", "user-cleo"]);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`erased 4 value\\(s\\) in 2 event\\(s\\) of ${org}`));
    expect((await personalRows(org)).every((r) => r.erased)).toBe(true);
    expect(verifyCli(org).code).toBe(0);
  });

  it("is refused when the hold lookup fails, and nothing is erased", async () => {
    const appended = await appendAs(admin, org, [reportEvent("user-dan", "192.0.2.1", "dan's report")]);
    expect(appended.status).toBe(201);
    // The writer loses its read on the holds for this one transaction: the lookup errors.
    await expect(sql.begin(async (tx) => {
      await tx`revoke select on evident.legal_holds from evident_writer`;
      await tx`set local role evident_writer`;
      await eraseSubject(tx as unknown as Parameters<typeof eraseSubject>[0], { actorId: "test", actorType: "operator" }, org, "user-dan", undefined, keyring(), commitmentKey());
    })).rejects.toThrow(/permission denied/);
    const dan = await sql`select count(*)::int as n from evident.personal_data where organization_id = ${org} and subject_id = 'user-dan'`;
    expect(dan[0].n).toBe(3);
  });
});

describe("tampering with personal data", () => {
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "gdpr: tampering");
    const moderator = await userToken(await createMember(sql, org, "moderator"));
    expect((await appendAs(moderator, org, [reportEvent("user-eve", "192.0.2.5", "eve's report"), reportEvent("user-fay", "192.0.2.6", "fay's")])).status).toBe(201);
  });

  it("refuses changes to the store through its guard, for every role", async () => {
    await expect(sql`update evident.personal_data set subject_id = 'user-mallory' where organization_id = ${org} and name = 'reporter_ip'`)
      .rejects.toThrow(/only erasure may change|already erased/);
    await expect(sql`delete from evident.personal_data where organization_id = ${org}`).rejects.toThrow(/DELETE on evident.personal_data is refused/);
    expect(verifyCli(org).code).toBe(0);
  });

  it("detects a value re-inserted under another subject, and a deleted row", async () => {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update evident.personal_data set subject_id = 'user-fay' where organization_id = ${org} and subject_id = 'user-eve' and name = 'reporter_ip'`;
    });
    const moved = verifyCli(org);
    expect(moved.code).toBe(1);
    expect(moved.stdout).toMatch(/personal data reporter_ip of event .* \(seq 1\): the value, its subject or its nonce does not match the signed commitment/);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update evident.personal_data set subject_id = 'user-eve' where organization_id = ${org} and name = 'reporter_ip' and value = '"192.0.2.5"'`;
    });
    expect(verifyCli(org).code).toBe(0);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`delete from evident.personal_data where organization_id = ${org} and subject_id = 'user-fay' and name = 'reason_text'`;
    });
    const deleted = verifyCli(org);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(/reason_text .*\(seq 2\): the signed commitment has no personal data row/);
  });

  it("detects a changed commitment in the signed entry", async () => {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        update public.audit_events set personal_commitments = jsonb_set(personal_commitments, '{reporter_id}', to_jsonb(repeat('0', 64)))
        where organization_id = ${org} and seq = 1`;
    });
    expect((await verifyTrail(sql, org)).failures.hash).toBeGreaterThan(0);
    const changed = verifyCli(org);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/first failing entry: seq 1/);
  });
});

describe("rotating the commitment key", () => {
  // Values committed under the key before a rotation (April) and under the new key (May): after the
  // rotation the old key is retired, and both months' values still check.
  const oldKey = testStack.piiCommitmentKey;
  const newKey = `rotated-${"k".repeat(40)}`;
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "gdpr: rotated commitment key");
    await backfillPersonalMonth(sql, org, "2021-04", [reportEvent("user-gus", "192.0.2.7", "before"), reportEvent("user-hal", "192.0.2.8", "before")], keyring());
    await backfillPersonalMonth(sql, org, "2021-05", [reportEvent("user-gus", "192.0.2.9", "after")], keyring(), CommitmentKey.parse(newKey));
  });
  const verifyWith = (keys: Record<string, string>) => {
    const run = evident(["verify", "--org", org, "--json"], { ...cliEnv(), ...keys });
    return { ...run, report: run.code === 2 ? undefined : JSON.parse(run.stdout).organizations[0] };
  };

  it("checks values committed under the retired key and under the new one", () => {
    const run = verifyWith({ AUDIT_PII_COMMITMENT_KEY: newKey, AUDIT_PII_COMMITMENT_RETIRED_KEYS: `not-this-one-${"x".repeat(32)}, ${oldKey}` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.personal_data).toMatchObject({ checked: 9, problems: [] });
  });

  it("reports every value whose key it is not given", () => {
    const withoutRetired = verifyWith({ AUDIT_PII_COMMITMENT_KEY: newKey });
    expect(withoutRetired.code).toBe(1);
    expect(withoutRetired.report.personal_data.problems.map((p: { seq: number }) => p.seq)).toEqual([1, 1, 1, 2, 2, 2]);
    const oldOnly = verifyWith({ AUDIT_PII_COMMITMENT_KEY: oldKey });
    expect(oldOnly.code).toBe(1);
    expect(oldOnly.report.personal_data.problems).toEqual([1, 1, 1].map(() => expect.objectContaining({
      seq: 3, problem: "the value, its subject or its nonce does not match the signed commitment",
    })));
  });

  it("refuses a retired key shorter than 32 bytes, without printing it", () => {
    const run = verifyWith({ AUDIT_PII_COMMITMENT_KEY: newKey, AUDIT_PII_COMMITMENT_RETIRED_KEYS: `${oldKey},short-secret` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/key 2 of AUDIT_PII_COMMITMENT_RETIRED_KEYS is 12 bytes; at least 32 are required/);
    expect(run.stderr).not.toContain("short-secret");
  });
});

describe("the 30-day anonymisation", () => {
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "gdpr: anonymisation");
    const personal = (subject: string) => ({ contact_email: { subject_id: subject, value: `${subject}@example.test` } });
    // Older than 30 days: tagged (goes), untagged (stays), tagged but held by subject, by target, by time.
    await backfillPersonalMonth(sql, org, oldMonth, [
      sampleEvent({ pii_tagged: true, target_id: "t-old-1", personal_data: personal("old-tagged") }),
      sampleEvent({ pii_tagged: false, target_id: "t-old-2", personal_data: personal("old-untagged") }),
      sampleEvent({ pii_tagged: true, target_id: "t-old-3", personal_data: personal("old-held-subject") }),
      sampleEvent({ pii_tagged: true, target_id: "t-old-held", personal_data: personal("old-held-target") }),
      sampleEvent({ pii_tagged: true, target_id: "t-old-5", timestamp: "2021-08-15T10:00:00.000000Z", personal_data: personal("old-held-time") }),
      sampleEvent({ pii_tagged: true, target_id: "t-old-6", personal_data: { a: { subject_id: "old-two", value: 1 }, b: { subject_id: "old-two", value: { nested: [true] } } } }),
    ] as never, keyring());
    const admin = await userToken(await createMember(sql, org, "admin"));
    // Recent: tagged, but not 30 days old yet.
    expect((await appendAs(admin, org, [sampleEvent({ pii_tagged: true, personal_data: personal("new-tagged") })])).status).toBe(201);
    await sql`
      insert into evident.legal_holds (organization_id, scope, subject_id, target_id, range_start, range_end, reason, applied_by) values
        (${org}, 'subject', 'old-held-subject', null, null, null, 'litigation', 'test'),
        (${org}, 'target', null, 't-old-held', null, null, 'preservation order', 'test'),
        (${org}, 'time_range', null, null, '2021-08-15T00:00:00Z', '2021-08-16T00:00:00Z', 'inquiry', 'test')`;
  }, 60_000);

  it("anonymises exactly the pii_tagged personal data older than 30 days that no hold covers, and logs it", async () => {
    // The SOC 2 retention control counts tagged events whose personal values are still held.
    const piiAwaiting = async () => {
      const report = await callFunction("compliance-reports", { token: serviceToken(), path: `/report/soc2/${org}`, query: { purpose: "retention check" } });
      expect(report.status, JSON.stringify(report.body)).toBe(200);
      return report.body.controls.find((c: { id: string }) => c.id === "retention_compliance").evidence.pii_requiring_anonymization;
    };
    expect(await piiAwaiting()).toBe(5);
    const run = cli(["gdpr", "anonymise", "--org", org, "--json"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const [result] = JSON.parse(run.stdout).organizations;
    expect(result).toMatchObject({ organization_id: org, values_anonymised: 3, values_held: 3 });
    const rows = await sql`
      select name, erasure, coalesce(subject_id, '-') as subject from evident.personal_data
      where organization_id = ${org} order by event_created_at, name`;
    expect(rows.map((r) => `${r.name}:${r.erasure ?? "kept"}:${r.subject}`)).toEqual([
      "contact_email:anonymised:-",
      "contact_email:kept:old-untagged",
      "contact_email:kept:old-held-subject",
      "contact_email:kept:old-held-target",
      "contact_email:kept:old-held-time",
      "a:anonymised:-",
      "b:anonymised:-",
      "contact_email:kept:new-tagged",
    ]);
    const [event] = await sql`select actor_id, actor_type, metadata from public.audit_events where organization_id = ${org} and event_type = 'gdpr_anonymisation'`;
    expect(event).toMatchObject({ actor_id: "dpo-oncall", actor_type: "operator", metadata: { values_anonymised: 3, values_held: 3, events_affected: 2 } });
    // Only the three held events still hold tagged personal data past 30 days.
    expect(await piiAwaiting()).toBe(3);
    expect(verifyCli(org).code).toBe(0);
    // The month of v2 entries seals and re-verifies against its manifest like any other.
    const sealed = cli(["seal", "--month", oldMonth]);
    expect(sealed.code, sealed.stdout + sealed.stderr).toBe(0);
    const month = cli(["verify", "--month", oldMonth]);
    expect(month.code, month.stdout + month.stderr).toBe(0);
  });

  it("does nothing (and logs nothing) when run again, and the service role runs it through the function", async () => {
    const again = await gdpr(serviceToken(), { path: "/anonymise", body: { organization_id: org } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.organizations).toEqual([expect.objectContaining({ values_anonymised: 0, values_held: 3, event: null })]);
    const [{ n }] = await sql`select count(*)::int as n from public.audit_events where organization_id = ${org} and event_type = 'gdpr_anonymisation'`;
    expect(n).toBe(1);
    // The service role without an organisation runs every one with old pii_tagged values left (here only held ones).
    const all = await gdpr(serviceToken(), { path: "/anonymise", body: {} });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.organizations.find((o: { organization_id: string }) => o.organization_id === org))
      .toMatchObject({ values_anonymised: 0, values_held: 3, event: null });
    // A member must name the organisation; only the service role runs every one.
    const admin = await userToken(await createMember(sql, org, "admin"));
    expect((await gdpr(admin, { path: "/anonymise", body: {} })).status).toBe(400);
  });

  it("schedules through pg_cron where present, and says what to run otherwise", async () => {
    const [{ answer }] = await sql`select evident.schedule_gdpr_anonymise('https://ref.supabase.co/functions/v1/gdpr/anonymise') as answer`;
    expect(answer).toMatch(/evident gdpr anonymise|scheduled evident-gdpr-anonymise|Vault/);
    await expect(sql`select evident.schedule_gdpr_anonymise('https://evil.example/x')`).rejects.toThrow(/function_url must be/);
  });
});

describe("consent tracking", () => {
  let org: string;
  let auditor: string;
  let moderator: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "gdpr: consent");
    auditor = await userToken(await createMember(sql, org, "auditor"));
    moderator = await userToken(await createMember(sql, org, "moderator"));
  });

  const consent = (type: string, subject: string, metadata: Record<string, unknown>): Record<string, unknown> => sampleEvent({
    event_type: type, actor_id: "consent-service", actor_type: "service", target_id: "processing-register", target_type: "consent",
    action: type === "consent_granted" ? "grant" : "withdraw", metadata,
    personal_data: { data_subject: { subject_id: subject, value: subject }, ip_address: { subject_id: subject, value: "192.0.2.44" } },
  });

  it("validates consent events: their metadata and exactly one data subject", async () => {
    expect((await appendAs(moderator, org, [sampleEvent({ event_type: "consent_granted", metadata: { purpose: "x", consent_version: "1" } })])).status).toBe(400);
    expect((await appendAs(moderator, org, [consent("consent_granted", "u1", { purpose: "marketing" })])).status).toBe(400);
    const twoSubjects = consent("consent_granted", "u1", { purpose: "marketing", consent_version: "1.0" });
    (twoSubjects.personal_data as Record<string, unknown>).other = { subject_id: "u2", value: "u2" };
    const refused = await appendAs(moderator, org, [twoSubjects]);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/exactly one data subject/);
  });

  it("answers per subject: the history and the current state per purpose, as an audited read", async () => {
    expect((await appendAs(moderator, org, [
      consent("consent_granted", "u1", { purpose: "marketing", consent_version: "1.0", method: "web_form" }),
      consent("consent_granted", "u1", { purpose: "analytics", consent_version: "1.0" }),
      consent("consent_granted", "u2", { purpose: "marketing", consent_version: "1.0" }),
      consent("consent_withdrawn", "u1", { purpose: "marketing" }),
    ])).status).toBe(201);
    const answer = await gdpr(auditor, { path: "/consent", query: { organization_id: org, subject: "u1", purpose: "DSR: show consent record" } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.events.map((e: { event_type: string }) => e.event_type)).toEqual(["consent_granted", "consent_granted", "consent_withdrawn"]);
    expect(answer.body.current.map((c: { purpose: string; status: string }) => `${c.purpose}:${c.status}`)).toEqual(["analytics:granted", "marketing:withdrawn"]);
    expect(answer.body.events[0].personal_data.data_subject).toEqual({ subject_id: "u1", value: "u1" });
    const [access] = await sql`select metadata from public.audit_events where organization_id = ${org} and seq = ${answer.body.access_event.seq}`;
    expect(access.metadata).toMatchObject({ purpose: "DSR: show consent record", query_parameters: { endpoint: "gdpr/consent", returned: 3 } });
    expect(JSON.stringify(access.metadata)).not.toContain("u1");

    const filtered = await gdpr(auditor, { path: "/consent", query: { organization_id: org, subject: "u1", purpose: "check", consent_purpose: "analytics" } });
    expect(filtered.body.events).toHaveLength(1);
    expect((await gdpr(auditor, { path: "/consent", query: { organization_id: org, subject: "u1" } })).status).toBe(400);
    expect((await gdpr(moderator, { path: "/consent", query: { organization_id: org, subject: "u1", purpose: "curious" } })).status).toBe(403);
    const byCli = cli(["gdpr", "consent", "--subject", "u1", "--org", org]);
    expect(byCli.code, byCli.stderr).toBe(0);
    expect(byCli.stdout).toMatch(/withdrawn marketing/);
  });

  it("forgets an erased subject's consent history", async () => {
    const admin = await userToken(await createMember(sql, org, "admin"));
    expect((await gdpr(admin, { path: "/erase", body: { organization_id: org, subject_id: "u2" } })).status).toBe(200);
    const answer = await gdpr(auditor, { path: "/consent", query: { organization_id: org, subject: "u2", purpose: "after erasure" } });
    expect(answer.body.events).toEqual([]);
  });
});

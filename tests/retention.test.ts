// Retention: a month leaves the database only through `evident retention drop`, which refuses every
// unmet condition with its reason (not sealed, archive missing or corrupted, retention not passed,
// a legal hold, older months still there, a failed hold lookup) and records each refusal and each
// drop as a retention_action event. Once dropped, the manifest stays as a tombstone and the trail
// still verifies everywhere (CLI, audit-verify, the quarterly report), anchored on its boundary.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvents } from "../supabase/functions/_shared/append.ts";
import { asWriter } from "../supabase/functions/_shared/db.ts";
import { eventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { createMember, createOrganization, keyring, sampleEvent, serviceToken, userToken } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident, evidentAsync } from "./support/cli.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("retention");
const archive = scratch.dir;
const damaged = scratchArchive("retention-damaged");
const exportKey = newExportKey();
afterAll(async () => {
  await sql`drop schema if exists evident_rehydrated_2017_03 cascade`;
  await sql.end();
  scratch.remove();
  damaged.remove();
});

const env = (extra: Record<string, string> = {}) => ({
  DB_URL: testStack.dbUrl,
  AUDIT_SIGNING_KEYS: testStack.signingKeys,
  AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId,
  AUDIT_EXPORT_SIGNING_KEY: exportKey,
  EVIDENT_ARCHIVE_DIR: archive,
  USER: "records-officer",
  ...extra,
});
const retention = (args: string[], extra: Record<string, string> = {}) => evident(["retention", ...args], env(extra));

const expired = "2018-01-01T00:00:00.000000Z";
let orgR: string; // 2017-03 and 2017-04, then live entries
let orgS: string; // 2017-04 only: its newest entry is in the month dropped
let orgT: string; // 2017-06, kept until 2099
let orgU: string; // 2017-08, never sealed

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks). */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(field), field = "");
    else if (c === "\r" && text[i + 1] === "\n") (row.push(field), rows.push(row), row = [], field = "", i++);
    else field += c;
  }
  if (field !== "" || row.length > 0) (row.push(field), rows.push(row));
  return rows;
}

const partitionExists = async (month: string) =>
  (await sql`select to_regclass(${`evident.audit_events_${month.replace("-", "_")}`}) is not null as exists`)[0].exists;
const retentionEvents = (org: string) =>
  sql`select action, metadata from public.audit_events where organization_id = ${org} and event_type = 'retention_action' order by seq`;

beforeAll(async () => {
  const ring = keyring();
  [orgR, orgS, orgT, orgU] = await Promise.all(["retention R", "retention S", "retention T", "retention U"].map((n) => createOrganization(sql, n)));
  await backfillMonth(sql, orgR, "2017-03", [
    sampleEvent({ actor_id: "moderator-held", retention_until: expired }),
    sampleEvent({ retention_until: expired }),
    sampleEvent({ retention_until: expired }),
  ], ring);
  await backfillMonth(sql, orgR, "2017-04", [sampleEvent({ retention_until: expired }), sampleEvent({ retention_until: expired })], ring);
  // A later month of orgR that is kept: once April is gone, its first link is checked against the tombstone.
  await backfillMonth(sql, orgR, "2017-05", [sampleEvent({ retention_until: "2099-01-01T00:00:00.000000Z" })], ring);
  await backfillMonth(sql, orgS, "2017-04", [sampleEvent({ retention_until: expired, target_id: "post-s" })], ring);
  await backfillMonth(sql, orgT, "2017-06", [sampleEvent({ retention_until: "2099-01-01T00:00:00.000000Z" })], ring);
  await backfillMonth(sql, orgU, "2017-08", [sampleEvent({ retention_until: expired })], ring);
  // orgR keeps working after its old months.
  await asWriter(sql, (tx) => appendEvents(tx, orgR, [eventInput.parse(sampleEvent()), eventInput.parse(sampleEvent())], ring));
  for (const month of ["2017-03", "2017-04", "2017-05", "2017-06"]) {
    const run = evident(["seal", "--month", month], env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
  }
});

describe("retention refuses each unmet condition, and records the refusal", () => {
  it("refuses a month whose organisations still have older entries (oldest first)", async () => {
    const run = retention(["drop", "--month", "2017-04"]);
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`NOT MET  oldest_first +organisation\\(s\\) ${orgR} still have entries before 2017-04-01`));
    expect(run.stdout).toMatch(/refused: audit_events_2017_04 is not dropped/);
    expect(await partitionExists("2017-04")).toBe(true);
    const [r] = await retentionEvents(orgR);
    expect(r).toMatchObject({ action: "drop", metadata: { month: "2017-04", outcome: "refused" } });
    expect(r.metadata.unmet).toEqual([{ condition: "oldest_first", detail: `organisation(s) ${orgR} still have entries before 2017-04-01: drop older months first` }]);
    // orgS is told too, without orgR's identifier.
    const [s] = await retentionEvents(orgS);
    expect(s.metadata.unmet[0].detail).toBe("organisation(s) another organisation still have entries before 2017-04-01: drop older months first");
  });

  it("refuses a month an active legal hold covers, naming the organisation", async () => {
    const applied = evident(["holds", "apply", "--org", orgR, "--subject", "moderator-held", "--reason", "litigation hold", "--json"], env());
    expect(applied.code, applied.stderr).toBe(0);
    const holdId = JSON.parse(applied.stdout).hold.id;
    const run = retention(["drop", "--month", "2017-03"]);
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`NOT MET  no_legal_hold +an active legal hold covers entries of organisation\\(s\\) ${orgR}`));
    expect(await partitionExists("2017-03")).toBe(true);
    const released = evident(["holds", "release", holdId, "--reason", "case closed"], env());
    expect(released.code, released.stderr).toBe(0);

    // A time-range hold over the month's event times refuses too.
    const range = evident(["holds", "apply", "--org", orgR, "--from", "2017-03-01T00:00:00Z", "--to", "2017-03-02T00:00:00Z", "--reason", "regulator inquiry", "--json"], env());
    expect(range.code, range.stderr).toBe(0);
    expect(retention(["check", "--month", "2017-03"]).stdout).toMatch(/NOT MET  no_legal_hold/);
    expect(evident(["holds", "release", JSON.parse(range.stdout).hold.id, "--reason", "inquiry closed"], env()).code).toBe(0);
  });

  it("refuses, and records the refusal, when a hold arrives between the check and the drop", async () => {
    // The command's check passes; the drop then waits for the month's lock, held here, while a
    // hold is applied. Once it has the lock, evident.retention_drop_month finds the hold (EVR01).
    const locker = await sql.reserve();
    let run: Awaited<ReturnType<typeof evidentAsync>>;
    let holdId: string;
    try {
      await locker`begin`;
      await locker`lock table evident.audit_events_2017_03 in access share mode`;
      const drop = evidentAsync(["retention", "drop", "--month", "2017-03"], env());
      const waiting = () => sql`select 1 from pg_locks where relation = 'evident.audit_events_2017_03'::regclass and not granted`;
      for (let i = 0; i < 300 && (await waiting()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await waiting()).toHaveLength(1);
      [{ id: holdId }] = await sql`
        insert into evident.legal_holds (organization_id, scope, subject_id, reason, applied_by)
        values (${orgR}, 'subject', 'moderator-held', 'late litigation hold', 'counsel') returning id`;
      await locker`commit`;
      run = await drop;
    } finally {
      locker.release();
    }
    try {
      expect(run.code, run.stderr + run.stdout).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`NOT MET  no_legal_hold +an active legal hold covers entries of organisation\\(s\\) ${orgR}`));
      expect(run.stdout).toMatch(/refused: audit_events_2017_03 is not dropped/);
      expect(await partitionExists("2017-03")).toBe(true);
      const events = await retentionEvents(orgR);
      // Only the refusal: the drop's own event rolled back with it.
      expect(events.at(-1)).toMatchObject({ metadata: { month: "2017-03", outcome: "refused", unmet: [{ condition: "no_legal_hold" }] } });
      expect(events.filter((e) => e.metadata.outcome === "dropped")).toHaveLength(0);
    } finally {
      await sql`update evident.legal_holds set released_at = now(), released_by = 'counsel', release_reason = 'case closed' where id = ${holdId!}`;
    }
  });

  it("refuses when the hold lookup fails (exit 2), and drops nothing", async () => {
    await sql.begin(async (tx) => {
      await tx`select set_config('evident.allow_audit_ddl', 'on', true)`;
      await tx`alter table evident.legal_holds rename to legal_holds_unreadable`;
    });
    try {
      const run = retention(["drop", "--month", "2017-03"]);
      expect(run.code, run.stderr + run.stdout).toBe(2);
      expect(run.stderr).toMatch(/legal_holds/);
      expect(await partitionExists("2017-03")).toBe(true);
    } finally {
      await sql.begin(async (tx) => {
        await tx`select set_config('evident.allow_audit_ddl', 'on', true)`;
        await tx`alter table evident.legal_holds_unreadable rename to legal_holds`;
      });
    }
  });

  it("refuses when the archived copy is missing or does not verify", async () => {
    cpSync(archive, damaged.dir, { recursive: true });
    const file = path.join(damaged.dir, "events", "2017-03.ndjson.gz");
    const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n").filter(Boolean);
    writeFileSync(file, gzipSync(lines.slice(1).map((l) => l + "\n").join("")));
    const corrupted = retention(["drop", "--month", "2017-03", "--archive", damaged.dir]);
    expect(corrupted.code, corrupted.stderr + corrupted.stdout).toBe(1);
    expect(corrupted.stdout).toMatch(/NOT MET  archived_copy_verifies +.*holds 2 entries, the manifest 3/);
    const empty = scratchArchive("retention-empty");
    try {
      const missing = retention(["drop", "--month", "2017-03", "--archive", empty.dir]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toMatch(/NOT MET  archived_copy_verifies +the archive holds no manifest for 2017-03/);
    } finally {
      empty.remove();
    }
    expect(await partitionExists("2017-03")).toBe(true);
  });

  it("refuses a month whose entries are still within retention", async () => {
    const run = retention(["drop", "--month", "2017-06"]);
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(/NOT MET  retention_passed +1 entries are within retention \(the last until 2099-01-01T00:00:00\.000000Z\)/);
    expect(run.stdout).toMatch(/met {6}archived_copy_verifies/);
  });

  it("refuses a month that is not sealed (and so not archived)", async () => {
    const run = retention(["drop", "--month", "2017-08"]);
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(/NOT MET  sealed +audit_events_2017_08 is not sealed: run evident seal --month 2017-08 first/);
    expect(run.stdout).toMatch(/NOT MET  archived_copy_verifies/);
    expect(await partitionExists("2017-08")).toBe(true);
  });

  it("keeps the DDL guard closed to anything but the retention function", async () => {
    await expect(sql`drop table evident.audit_events_2017_03`).rejects.toMatchObject({ code: "EVW02" });
    await expect(sql`select evident.retention_drop_month('2017-06-01', ${"0".repeat(64)}, 'someone')`).rejects.toMatchObject({
      code: "EVR01", message: expect.stringMatching(/retention refuses to drop audit_events_2017_06: retention_passed/),
    });
    await expect(sql`select evident.retention_drop_month('2017-03-01', null, 'someone')`).rejects.toMatchObject({ code: "EVR01" });
  });
});

// Where personal data is kept apart from the signed core (canonical form v2), a hold on the subject
// of a personal value covers its event, whoever the event's actor and target are. Runs once the
// personal-data store exists (it is built on another branch).
const personalStore = (await sql`select to_regclass('evident.personal_data') is not null as exists`)[0].exists as boolean;
describe.skipIf(!personalStore)("retention with personal data kept apart (canonical form v2)", () => {
  it("refuses a month whose personal values belong to a held subject", async () => {
    const support = "./support/personal.ts";
    const { backfillPersonalMonth } = await import(/* @vite-ignore */ support);
    const org = await createOrganization(sql, "retention personal");
    await backfillPersonalMonth(sql, org, "2017-09", [
      sampleEvent({ actor_id: "moderator-9", target_id: "post-9", personal_data: { reporter_id: { subject_id: "reporter-held", value: "reporter-held" } } }),
    ], keyring());
    expect(retention(["check", "--month", "2017-09"]).stdout).toMatch(/met {6}no_legal_hold/);
    const applied = evident(["holds", "apply", "--org", org, "--subject", "reporter-held", "--reason", "litigation hold", "--json"], env());
    expect(applied.code, applied.stderr).toBe(0);
    const check = retention(["check", "--month", "2017-09"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`NOT MET  no_legal_hold +an active legal hold covers entries of organisation\\(s\\) ${org}`));
  });
});

describe("retention drops a month when every condition is met", () => {
  it("checks, then drops the oldest month: the partition goes, the manifest stays as the tombstone, each organisation records it", async () => {
    const check = retention(["check", "--month", "2017-03"]);
    expect(check.code, check.stderr + check.stdout).toBe(0);
    expect(check.stdout).not.toMatch(/NOT MET/);

    const run = retention(["drop", "--month", "2017-03"]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/dropped audit_events_2017_03: 3 entries/);
    expect(await partitionExists("2017-03")).toBe(false);
    const [tombstone] = await sql`select t.dropped_by, t.record_count, m.organization_roots from evident.retention_tombstones t
      join public.partition_manifests m using (partition_name) where partition_name = 'audit_events_2017_03'`;
    expect(tombstone).toMatchObject({ dropped_by: "records-officer", record_count: "3" });
    const boundary = tombstone.organization_roots.find((r: { organization_id: string }) => r.organization_id === orgR);
    expect(boundary).toMatchObject({ last_seq: 3 });
    const dropped = (await retentionEvents(orgR)).filter((e) => e.metadata.outcome === "dropped");
    expect(dropped).toEqual([{ action: "drop", metadata: expect.objectContaining({
      month: "2017-03", entries: 3, boundary: { last_seq: 3, last_hash: boundary.last_hash }, archive_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    }) }]);

    // Verification continues from the tombstone's boundary.
    const verify = evident(["verify", "--org", orgR], env());
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
    const month = evident(["verify", "--month", "2017-03"], env());
    expect(month.code, month.stderr + month.stdout).toBe(0);
    expect(month.stdout).toMatch(/dropped {3}2017-03: removed by retention/);
    // Dropping it again is refused.
    const again = retention(["drop", "--month", "2017-03"]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/NOT MET  not_dropped +audit_events_2017_03 was dropped already/);
  });

  it("drops the next month, including an organisation whose newest entry was in it, and everything still verifies", async () => {
    const run = retention(["drop", "--month", "2017-04"]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/dropped audit_events_2017_04: 3 entries/);
    for (const org of [orgR, orgS]) {
      const verify = evident(["verify", "--org", org], env());
      expect(verify.code, verify.stderr + verify.stdout).toBe(0);
      const [{ n }] = await sql`select count(*)::int as n from public.audit_events where organization_id = ${org} and created_at < '2017-05-01'`;
      expect(n).toBe(0);
    }
    // The kept month after the dropped ones still verifies against its manifest, its first entry
    // linked to the boundary the tombstone recorded.
    const kept = evident(["verify", "--month", "2017-05"], env());
    expect(kept.code, kept.stderr + kept.stdout).toBe(0);
    expect(kept.stdout).toMatch(/ok {8}2017-05: 1 entries match the signed manifest/);
    // orgS's head moved to its retention_action event (seq 3, after the refusal at seq 2); its first
    // remaining entry links to the dropped month's last one, which the tombstone records.
    const [head] = await sql`select h.seq, e.event_type from evident.chain_heads h
      join public.audit_events e on e.organization_id = h.organization_id and e.seq = h.seq where h.organization_id = ${orgS}`;
    expect(head).toMatchObject({ seq: "3", event_type: "retention_action" });
    const [first] = await sql`select seq, previous_hash from public.audit_events where organization_id = ${orgS} order by seq limit 1`;
    const [boundary] = await sql`select last_seq, last_hash from evident.retention_boundaries(array[${orgS}::uuid])`;
    expect(boundary).toEqual({ last_seq: "1", last_hash: first.previous_hash });
    expect(first.seq).toBe("2");
    // And orgS can keep appending.
    await asWriter(sql, (tx) => appendEvents(tx, orgS, [eventInput.parse(sampleEvent())], keyring()));
    expect(evident(["verify", "--org", orgS], env()).code).toBe(0);

    const verified = await fetch(functionUrl("audit-verify", { organization_id: orgR }), { headers: { authorization: `Bearer ${serviceToken()}` } });
    expect(await verified.json()).toMatchObject({ organization_id: orgR, valid: true, head: { matches: true } });
    const admin = await createMember(sql, orgR, "admin");
    const quarterly = await fetch(functionUrl(`compliance-reports/report/quarterly/${orgR}`, { purpose: "quarterly self-assessment" }), {
      headers: { authorization: `Bearer ${await userToken(admin)}` },
    });
    const report = await quarterly.json();
    expect(report.findings.integrity_status, JSON.stringify(report.reasons)).toBe("PASS");
    expect(report.findings.backup_integrity, JSON.stringify(report.reasons)).toBe("PASS");
    // The CSV evidence export verifies every remaining row, the first one against the tombstone.
    const csv = await fetch(functionUrl("compliance-reports/export/csv", { organization_id: orgR, purpose: "evidence for the auditor" }), {
      headers: { authorization: `Bearer ${await userToken(admin)}` },
    });
    expect(csv.status).toBe(200);
    const [header, ...rows] = csvRows(await csv.text());
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.map((r) => r[header.indexOf("verified")])).toEqual(rows.map(() => "true"));
    expect(rows[0][header.indexOf("seq")]).toBe("6");
  });

  it("erases the dropped month's personal values with it, each row naming the retention event", async () => {
    const support = "./support/personal.ts";
    const { backfillPersonalMonth } = await import(/* @vite-ignore */ support);
    const org = await createOrganization(sql, "retention personal, dropped");
    await backfillPersonalMonth(sql, org, "2016-02", [
      sampleEvent({ retention_until: expired, personal_data: { reporter_id: { subject_id: "reporter-1", value: "reporter-1" } } }),
      sampleEvent({ retention_until: expired, personal_data: { ip: { subject_id: "reporter-2", value: "192.0.2.7" }, note: { subject_id: "reporter-2", value: "free text" } } }),
    ], keyring());
    expect(evident(["seal", "--month", "2016-02"], env()).code).toBe(0);
    const run = retention(["drop", "--month", "2016-02"]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const [event] = await sql`select id, metadata from public.audit_events where organization_id = ${org} and event_type = 'retention_action'`;
    expect(event.metadata).toMatchObject({ outcome: "dropped", entries: 2, personal_values_erased: 3 });
    const rows = await sql`select value, subject_id, nonce, erasure, erasure_event_id from evident.personal_data where organization_id = ${org}`;
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.value === null && r.subject_id === null && r.nonce === null && r.erasure === "erased" && r.erasure_event_id === event.id)).toBe(true);
    const verify = evident(["verify", "--org", org], env({ AUDIT_PII_COMMITMENT_KEY: testStack.piiCommitmentKey }));
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
  });

  it("still restores a dropped month from its archive", async () => {
    const run = evident(["rehydrate", "--month", "2017-03", "--archive", archive], env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/3 entries restored into evident_rehydrated_2017_03 and verified/);
  });
});

// The month archive: sealing writes the month's entries beside its manifest; `evident archive
// verify` (the weekly drill) checks an archived month with nothing but the files and the keys, and
// records its outcome for the quarterly report; `evident rehydrate` restores a month into its own
// schema and verifies it there. Every way of damaging the archive is detected.
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryColumns } from "../supabase/functions/_shared/trail.ts";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { createMember, createOrganization, keyring, sampleEvent, userToken } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident } from "./support/cli.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("month-archive");
const archive = scratch.dir;
const exportKey = newExportKey();
const copies: Array<{ remove: () => void }> = [];
afterAll(async () => {
  await sql`drop schema if exists evident_rehydrated_2022_04 cascade`;
  await sql`drop schema if exists evident_rehydrated_2022_03 cascade`;
  await sql.end();
  scratch.remove();
  for (const c of copies) c.remove();
});

const env = (extra: Record<string, string> = {}) => ({
  DB_URL: testStack.dbUrl,
  AUDIT_SIGNING_KEYS: testStack.signingKeys,
  AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId,
  AUDIT_EXPORT_SIGNING_KEY: exportKey,
  EVIDENT_ARCHIVE_DIR: archive,
  ...extra,
});
// The drill needs no database: only the archive and the HMAC keyring.
const offline = (extra: Record<string, string> = {}) => ({ AUDIT_SIGNING_KEYS: testStack.signingKeys, ...extra });

const march = "2022-03";
const april = "2022-04";
let orgA: string;
let orgB: string;

/** A copy of the archive to damage. */
function copyArchive(name: string): string {
  const copy = scratchArchive(name);
  copies.push(copy);
  cpSync(archive, copy.dir, { recursive: true });
  return copy.dir;
}
const eventsPath = (dir: string, month: string) => path.join(dir, "events", `${month}.ndjson.gz`);
const readLines = (dir: string, month: string) => gunzipSync(readFileSync(eventsPath(dir, month))).toString("utf8").split("\n").filter(Boolean);
const writeLines = (dir: string, month: string, lines: string[]) => writeFileSync(eventsPath(dir, month), gzipSync(lines.map((l) => l + "\n").join("")));

beforeAll(async () => {
  const ring = keyring();
  orgA = await createOrganization(sql, "archived A");
  orgB = await createOrganization(sql, "archived B");
  await backfillMonth(sql, orgA, march, Array.from({ length: 5 }, (_, i) => sampleEvent({ metadata: { action: "content_removed", n: i, note: "ünïcode \u2028 line" } })), ring);
  await backfillMonth(sql, orgA, april, Array.from({ length: 4 }, () => sampleEvent({ event_type: "appeal_decided", action: "decide", metadata: { outcome: "upheld" } })), ring);
  await backfillMonth(sql, orgB, april, Array.from({ length: 6 }, (_, i) => sampleEvent({ pii_tagged: i % 2 === 0 })), ring);
  for (const month of [march, april]) {
    const run = evident(["seal", "--month", month], env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
  }
});

describe("sealing archives the month's events", () => {
  it("writes every entry once, as evident.audit_entries returns it, in (organization_id, seq) order, with a sha256 file", async () => {
    const lines = readLines(archive, april);
    const rows = await sql`select ${sql(entryColumns as unknown as string[])}
      from evident.audit_entries where created_at_instant >= '2022-04-01T00:00:00Z' and created_at_instant < '2022-05-01T00:00:00Z'
      order by organization_id, seq`;
    expect(lines).toHaveLength(10);
    expect(lines.map((l) => JSON.parse(l))).toEqual(rows.map((r) => ({ ...r, seq: Number(r.seq), canonical_version: Number(r.canonical_version) })));
    const sum = readFileSync(`${eventsPath(archive, april)}.sha256`, "utf8");
    expect(sum).toMatch(new RegExp(`^[0-9a-f]{64}  ${april}\\.ndjson\\.gz\\n$`));
  });

  it("writes the events of a month sealed before they were archived when seal runs again, and never overwrites a copy", async () => {
    const copy = copyArchive("reseal");
    const before = readFileSync(eventsPath(copy, march));
    const again = evident(["seal", "--month", march], env({ EVIDENT_ARCHIVE_DIR: copy }));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/archived/);
    expect(readFileSync(eventsPath(copy, march))).toEqual(before);

    rmSync(eventsPath(copy, march));
    rmSync(`${eventsPath(copy, march)}.sha256`);
    const rewrite = evident(["seal", "--month", march], env({ EVIDENT_ARCHIVE_DIR: copy }));
    expect(rewrite.code, rewrite.stderr).toBe(0);
    expect(rewrite.stdout).toMatch(/archived 5 entries/);
    expect(evident(["archive", "verify", "--month", march, "--archive", copy], offline()).code).toBe(0);
  });
});

describe("evident archive verify (the backup drill)", () => {
  it("verifies archived months with the files and keys alone", () => {
    const run = evident(["archive", "verify", "--month", march, "--month", april, "--archive", archive], offline());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/ok {8}2022-03: 5 archived entries match the signed manifest/);
    expect(run.stdout).toMatch(/ok {8}2022-04: 10 archived entries/);
  });

  const corruptions: Array<[string, (dir: string) => void, RegExp, boolean?]> = [
    ["an entry's contents rewritten (and its sha256 file too)", (dir) => {
      const lines = readLines(dir, april);
      const entry = JSON.parse(lines[2]);
      entry.metadata = { outcome: "reversed" };
      lines[2] = JSON.stringify(entry);
      writeLines(dir, april, lines);
      writeFileSync(`${eventsPath(dir, april)}.sha256`, `${createHash("sha256").update(readFileSync(eventsPath(dir, april))).digest("hex")}  ${april}.ndjson.gz\n`);
    }, /entry seq (3|8) fails \(hash\)/], // the third line: seq 3 of one organisation, or seq 8 of orgA (5 entries in March)
    ["an entry deleted", (dir) => writeLines(dir, april, readLines(dir, april).filter((_, i) => i !== 5)), /holds 9 entries, the manifest 10/],
    ["two entries swapped", (dir) => {
      const lines = readLines(dir, april);
      [lines[0], lines[1]] = [lines[1], lines[0]];
      writeLines(dir, april, lines);
    }, /fails \(sequence, chain\)|fails \(chain, sequence\)|fails \(sequence/],
    ["a line that is not JSON", (dir) => writeLines(dir, april, [...readLines(dir, april).slice(0, 3), "{\"id\":", ...readLines(dir, april).slice(3)]), /line 4 of 2022-04\.ndjson\.gz is not JSON/],
    ["the file truncated", (dir) => {
      const bytes = readFileSync(eventsPath(dir, april));
      writeFileSync(eventsPath(dir, april), bytes.subarray(0, Math.floor(bytes.length / 2)));
    }, /does not decompress|does not match its \.sha256/],
    ["a bit flipped in the compressed file", (dir) => {
      const bytes = readFileSync(eventsPath(dir, april));
      bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      writeFileSync(eventsPath(dir, april), bytes);
    }, /does not match its \.sha256/],
    ["the events file missing", (dir) => {
      rmSync(eventsPath(dir, april));
    }, /holds no events for 2022-04/],
    ["the manifest's root rewritten", (dir) => {
      const file = path.join(dir, "manifests", `${april}.json`);
      const signed = JSON.parse(readFileSync(file, "utf8"));
      signed.manifest.checksum = "0".repeat(64);
      writeFileSync(file, JSON.stringify(signed));
    }, /the manifest's signature does not verify/],
    ["the public key replaced", (dir) => {
      const file = path.join(dir, "manifests", `${april}.json`);
      const { manifest } = JSON.parse(readFileSync(file, "utf8"));
      const other = createPublicKey(createPrivateKey({ key: Buffer.from(newExportKey(), "base64"), format: "der", type: "pkcs8" }));
      writeFileSync(path.join(dir, "keys", `${manifest.signing_key_id}.pem`), other.export({ type: "spki", format: "pem" }));
    }, /the manifest was signed by ed25519-[0-9a-f]{16}, the public key is ed25519-/, true],
  ];

  it.each(corruptions)("detects %s (exit 1, with the reason)", (name, damage, reason, sharedFile) => {
    const dir = copyArchive(name.replace(/\W+/g, "-").slice(0, 30));
    damage(dir);
    const run = evident(["archive", "verify", "--month", april, "--archive", dir], offline());
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(/CORRUPTED 2022-04/);
    expect(run.stdout).toMatch(reason);
    expect(run.stdout).toMatch(/backup verification FAILED/);
    // The untouched month still verifies in the same archive (unless the damaged file is the key both share).
    if (!sharedFile) expect(evident(["archive", "verify", "--month", march, "--archive", dir], offline()).code).toBe(0);
  });

  it("with --all, checks every month the database sealed: one missing from the archive fails", () => {
    const dir = copyArchive("drill-all");
    rmSync(path.join(dir, "manifests", `${march}.json`));
    const run = evident(["archive", "verify", "--all", "--archive", dir], env());
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(/CORRUPTED 2022-03:\n {10}the archive holds no manifest for 2022-03/);
    expect(run.stdout).toMatch(/ok {8}2022-04/);
  });

  it("records each organisation's drill outcome as a backup_verified event, which the quarterly report reads", async () => {
    const dir = copyArchive("drill");
    rmSync(path.join(dir, "manifests", `${march}.json`));
    // (Months named, not --all: other test files seal months of their own in this database.)
    const failed = evident(["archive", "verify", "--month", march, "--month", april, "--record", "--archive", dir], env());
    expect(failed.code, failed.stderr + failed.stdout).toBe(1);
    expect(failed.stdout).toMatch(/the archive holds no manifest for 2022-03/);
    const [a] = await sql`select metadata from public.audit_events where organization_id = ${orgA} and event_type = 'backup_verified' order by seq desc limit 1`;
    expect(a.metadata).toMatchObject({ valid: false, months_failed: [march] });
    expect(a.metadata.months_checked).toEqual(expect.arrayContaining([march, april]));
    const [b] = await sql`select metadata from public.audit_events where organization_id = ${orgB} and event_type = 'backup_verified' order by seq desc limit 1`;
    // orgB is only in April, which verified: its drill passed.
    expect(b.metadata).toMatchObject({ valid: true, months_failed: [] });
    expect(b.metadata.months_checked).toContain(april);
    expect(b.metadata.months_checked).not.toContain(march);

    // The quarterly report's backup integrity, and the SOC 2 report's backup_verification control,
    // read the newest drill.
    const admin = await createMember(sql, orgA, "admin");
    const fetchReport = async (kind: "quarterly" | "soc2", purpose: string) => {
      const response = await fetch(functionUrl(`compliance-reports/report/${kind}/${orgA}`, { purpose }), {
        headers: { authorization: `Bearer ${await userToken(admin)}` },
      });
      expect(response.status).toBe(200);
      return await response.json();
    };
    const report = () => fetchReport("quarterly", "quarterly self-assessment");
    const soc2Backups = async () =>
      (await fetchReport("soc2", "SOC 2 evidence")).controls.find((c: { id: string }) => c.id === "backup_verification");
    const bad = await report();
    expect(bad.findings.backup_integrity).toBe("FAIL");
    expect(bad.reasons.backup_integrity).toMatch(/backup-verification drill of .* failed for 2022-03/);
    expect(await soc2Backups()).toMatchObject({ status: "FAIL", reason: expect.stringMatching(/drill of .* failed for 2022-03/) });

    const passed = evident(["archive", "verify", "--month", march, "--month", april, "--record", "--archive", archive], env());
    expect(passed.code, passed.stderr + passed.stdout).toBe(0);
    expect(passed.stdout).toMatch(/recorded backup_verified in 2 organisation/);
    const good = await report();
    expect(good.reasons.backup_integrity).toMatch(/backup-verification drill of .* restored and verified \d+ archived month/);
    expect(good.findings.backup_integrity).toBe("PASS");
    expect(await soc2Backups()).toMatchObject({ status: "PASS", reason: expect.stringMatching(/restored and verified \d+ archived month/) });
    // The drill's events are ordinary signed entries: the whole chain still verifies.
    expect(evident(["verify", "--org", orgA], env()).code).toBe(0);
  });
});

describe("evident rehydrate", () => {
  it("restores a month into its own schema and verifies it against the signed manifest; the live trail is untouched", async () => {
    const live = await sql`select count(*)::int as n from public.audit_events`;
    const run = evident(["rehydrate", "--month", april, "--archive", archive], env());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/ok {8}2022-04: 10 entries restored into evident_rehydrated_2022_04 and verified/);
    const restored = await sql`select organization_id, seq, entry_hash, created_at from evident_rehydrated_2022_04.audit_entries order by organization_id, seq`;
    const original = await sql`select organization_id, seq, entry_hash, created_at from evident.audit_entries
      where created_at_instant >= '2022-04-01T00:00:00Z' and created_at_instant < '2022-05-01T00:00:00Z' order by organization_id, seq`;
    expect(restored).toEqual(original);
    expect((await sql`select count(*)::int as n from public.audit_events`)[0].n).toBe(live[0].n);
    // API roles cannot read the copy.
    const [grants] = await sql`select has_schema_privilege('anon', 'evident_rehydrated_2022_04', 'usage') as anon,
      has_schema_privilege('authenticated', 'evident_rehydrated_2022_04', 'usage') as authenticated`;
    expect(grants).toEqual({ anon: false, authenticated: false });
  });

  it("refuses to restore over an existing copy without --replace (exit 2), and restores again with it", () => {
    const again = evident(["rehydrate", "--month", april, "--archive", archive], env());
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/evident_rehydrated_2022_04 exists already/);
    expect(evident(["rehydrate", "--month", april, "--archive", archive, "--replace"], env()).code).toBe(0);
  });

  it("detects a corrupted archive: a rewritten entry is restored but does not verify (exit 1)", async () => {
    const dir = copyArchive("rehydrate-bad");
    const lines = readLines(dir, march);
    const entry = JSON.parse(lines[1]);
    entry.actor_id = "someone-else";
    lines[1] = JSON.stringify(entry);
    writeLines(dir, march, lines);
    const run = evident(["rehydrate", "--month", march, "--archive", dir], env());
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(/CORRUPTED 2022-03: 5 entries restored into evident_rehydrated_2022_03, which does not verify/);
    expect(run.stdout).toMatch(/entry seq 2 fails \(hash\)/);
    expect(run.stdout).toMatch(/does not match its \.sha256/);
    const [{ n }] = await sql`select count(*)::int as n from evident_rehydrated_2022_03.audit_events where actor_id = 'someone-else'`;
    expect(n).toBe(1);
  });

  it("detects an archived manifest that is not the one the database recorded", () => {
    const dir = copyArchive("rehydrate-foreign");
    // Another database's seal of the same month: signed by another key, consistent in itself.
    const file = path.join(dir, "manifests", `${april}.json`);
    const signed = JSON.parse(readFileSync(file, "utf8"));
    signed.signature = Buffer.from(Buffer.from(signed.signature, "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64");
    writeFileSync(file, JSON.stringify(signed));
    const run = evident(["rehydrate", "--month", april, "--archive", dir, "--replace"], env());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/not the one this database recorded/);
    expect(run.stdout).toMatch(/the manifest's signature does not verify/);
  });

  it("cannot run without an archived month (exit 2)", () => {
    const run = evident(["rehydrate", "--month", "2022-01", "--archive", archive], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/holds no manifest for 2022-01/);
    expect(existsSync(path.join(archive, "events", "2022-01.ndjson.gz"))).toBe(false);
  });
});

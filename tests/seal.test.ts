// evident seal: a finished month becomes a signed manifest whose roots anyone can recompute, is
// published to the archive, is never sealed twice, and is refused when the month does not verify.
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hexToBytes } from "../supabase/functions/_shared/crypto.ts";
import { ExportSigner, verifyExportSignature } from "../supabase/functions/_shared/export-key.ts";
import { canonicalBytes, manifestBytes, sealedOrganizationMonth } from "../supabase/functions/_shared/manifest.ts";
import { merkleRoot } from "../supabase/functions/_shared/merkle/root.ts";
import { monthBounds, sealMonth } from "../supabase/functions/_shared/seal.ts";
import { createOrganization, keyring, sampleEvent } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident, evidentAsync } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("archive");
const archive = scratch.dir;
const exportKey = newExportKey();
afterAll(async () => {
  await sql.end();
  scratch.remove();
});

const sealCli = (args: string[], env: Record<string, string> = {}) =>
  evident(["seal", ...args], {
    DB_URL: testStack.dbUrl,
    AUDIT_SIGNING_KEYS: testStack.signingKeys,
    AUDIT_EXPORT_SIGNING_KEY: exportKey,
    EVIDENT_ARCHIVE_DIR: archive,
    ...env,
  });

const month = "2026-08";
let orgA: string;
let orgB: string;

beforeAll(async () => {
  const ring = keyring();
  orgA = await createOrganization(sql, "sealed A");
  orgB = await createOrganization(sql, "sealed B");
  await backfillMonth(sql, orgA, month, [
    sampleEvent({ event_type: "report_submitted", action: "report", metadata: { report_type: "illegal_content", is_trusted_flagger: true, trusted_flagger_id: "tf-1" }, timestamp: "2026-08-02T10:00:00.000000Z" }),
    sampleEvent({ event_type: "report_submitted", action: "report", metadata: { report_type: "policy_violation", is_trusted_flagger: false }, timestamp: "2026-07-31T23:00:00.000000Z" }),
    sampleEvent({ metadata: { action: "content_removed" }, timestamp: "2026-08-03T00:00:00.000000Z" }),
    sampleEvent({ event_type: "appeal_decided", action: "decide", metadata: { outcome: "upheld" }, timestamp: "2026-08-04T00:00:00.000000Z" }),
  ], ring);
  await backfillMonth(sql, orgB, month, Array.from({ length: 7 }, () => sampleEvent({ timestamp: "2026-08-10T00:00:00.000000Z" })), ring);
});

describe("evident seal", () => {
  it("seals a finished month into a signed manifest and publishes it", async () => {
    const run = sealCli(["--month", month]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/sealed 2026-08: 11 entries from 2 organisation\(s\)/);

    const [row] = await sql`select * from public.partition_manifests where partition_name = 'audit_events_2026_08'`;
    expect(row).toMatchObject({ record_count: "11", verification_status: "sealed" });
    expect(row.partition_start_date.toISOString().slice(0, 10)).toBe("2026-08-01");
    expect(row.partition_end_date.toISOString().slice(0, 10)).toBe("2026-08-31");

    // The checksum is the RFC 6962 root over the month's entry hashes in (organization_id, seq) order,
    // recomputed here from the rows themselves.
    const hashes = await sql`select organization_id, seq, entry_hash from public.audit_events
      where created_at >= '2026-08-01T00:00:00Z' and created_at < '2026-09-01T00:00:00Z' order by organization_id, seq`;
    expect(row.checksum).toBe(Buffer.from(merkleRoot(hashes.map((h) => hexToBytes(h.entry_hash)))).toString("hex"));
    const [{ sealed_at: manifestSealedAt }] = await sql`
      select evident.canonical_timestamp(sealed_at) as sealed_at from public.partition_manifests where partition_name = 'audit_events_2026_08'`;
    const publicKeyPem = ExportSigner.parse(exportKey).publicKeyPem();
    for (const org of [orgA, orgB]) {
      const own = hashes.filter((h) => h.organization_id === org);
      const { signature, ...root } = row.organization_roots.find((r: { organization_id: string }) => r.organization_id === org);
      // Each organisation's part is signed on its own too, so it can be shown without the rest.
      const statement = sealedOrganizationMonth({ ...row, partition_name: row.partition_name, checksum: row.checksum, signing_key_id: row.signing_key_id, partition_start_date: "2026-08-01", partition_end_date: "2026-08-31",
        record_count: Number(row.record_count), sealed_at: manifestSealedAt }, root);
      expect(verifyExportSignature(canonicalBytes(statement), signature, publicKeyPem)).toBe(true);
      expect(verifyExportSignature(canonicalBytes({ ...statement, count: statement.count + 1 }), signature, publicKeyPem)).toBe(false);
      expect(root).toEqual({
        organization_id: org,
        first_seq: 1,
        last_seq: own.length,
        count: own.length,
        root: Buffer.from(merkleRoot(own.map((h) => hexToBytes(h.entry_hash)))).toString("hex"),
        last_hash: own[own.length - 1].entry_hash,
      });
    }

    // Aggregates by the month of each event's own timestamp, as the transparency SQL counts.
    expect(row.aggregates.by_organization[orgA]).toEqual({
      "2026-07": { events: { report_submitted: 1 }, report_types: { policy_violation: 1 }, decision_actions: {}, appeal_outcomes: {}, trusted_flagger_reports: 0, trusted_flagger_ids: [] },
      "2026-08": {
        events: { report_submitted: 1, decision_made: 1, appeal_decided: 1 },
        report_types: { illegal_content: 1 },
        decision_actions: { content_removed: 1 },
        appeal_outcomes: { upheld: 1 },
        trusted_flagger_reports: 1,
        trusted_flagger_ids: ["tf-1"],
      },
    });

    // The published copy verifies with the published public key, and matches the database row.
    const published = JSON.parse(readFileSync(path.join(archive, "manifests", "2026-08.json"), "utf8"));
    const pem = readFileSync(path.join(archive, "keys", `${published.manifest.signing_key_id}.pem`), "utf8");
    expect(verifyExportSignature(manifestBytes(published.manifest), published.signature, pem)).toBe(true);
    expect(published.signature).toBe(row.signature);
    expect(published.manifest.checksum).toBe(row.checksum);
    const edited = { ...published.manifest, record_count: 10 };
    expect(verifyExportSignature(manifestBytes(edited), published.signature, pem)).toBe(false);
  });

  it("never seals a month twice, and leaves the first seal as it was", async () => {
    const [before] = await sql`select sealed_at, signature from public.partition_manifests where partition_name = 'audit_events_2026_08'`;
    const file = path.join(archive, "manifests", "2026-08.json");
    const written = statSync(file).mtimeMs;
    const run = sealCli(["--month", month]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/was sealed at .*never sealed again/);
    const [after] = await sql`select sealed_at, signature from public.partition_manifests where partition_name = 'audit_events_2026_08'`;
    expect(after).toEqual(before);
    expect(statSync(file).mtimeMs).toBe(written);
    await expect(sql`select evident.record_manifest(${sql.json({ partition_name: "audit_events_2026_08" })})`).rejects.toMatchObject({ code: "EVM02" });
  });

  it("answers already sealed, and publishes the recorded manifest, when another sealer records the month first", async () => {
    const other = "2018-06";
    const org = await createOrganization(sql, "sealed by another");
    await backfillMonth(sql, org, other, Array.from({ length: 4 }, () => sampleEvent()), keyring());
    // The CLI checks the month and builds its manifest, then waits to record it behind this lock;
    // meanwhile the other sealer (as the scheduled audit-maintenance function would) records it.
    const locker = await sql.reserve();
    let run: Awaited<ReturnType<typeof evidentAsync>>;
    try {
      await locker`begin`;
      await locker`lock table public.partition_manifests in share row exclusive mode`;
      const cli = evidentAsync(["seal", "--month", other], {
        DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_EXPORT_SIGNING_KEY: exportKey, EVIDENT_ARCHIVE_DIR: archive,
      });
      const queued = () => sql`select 1 from pg_locks where relation = 'public.partition_manifests'::regclass and not granted`;
      for (let i = 0; i < 300 && (await queued()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await queued()).toHaveLength(1);
      expect(await sealMonth(locker, monthBounds(other)!, keyring(), ExportSigner.parse(exportKey))).toMatchObject({ status: "sealed" });
      await locker`commit`;
      run = await cli;
    } finally {
      locker.release();
    }
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2018-06 was sealed at .*never sealed again/);
    expect(run.stdout).toMatch(/published its recorded manifest to .*2018-06\.json/);
    const [recorded] = await sql`select signature from public.partition_manifests where partition_name = 'audit_events_2018_06'`;
    expect(JSON.parse(readFileSync(path.join(archive, "manifests", `${other}.json`), "utf8")).signature).toBe(recorded.signature);
  });

  it("shows in the GrowBro guide's integrity query, run as an analyst", async () => {
    const rows = await sql.begin(async (tx) => {
      await tx`set local role evident_analyst`;
      return await tx.unsafe(`SELECT pm.partition_name, pm.record_count, pm.verification_status, pm.checksum
        FROM partition_manifests pm ORDER BY pm.partition_start_date DESC LIMIT 12`);
    });
    expect(rows.find((r) => r.partition_name === "audit_events_2026_08")).toMatchObject({ record_count: "11", verification_status: "sealed" });
  });

  it("refuses a month that does not verify, naming the entry, and records nothing", async () => {
    const org = await createOrganization(sql, "tampered month");
    await backfillMonth(sql, org, "2026-06", Array.from({ length: 5 }, () => sampleEvent()), keyring());
    const tamper = (statement: string) => sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx.unsafe(statement, [org]);
    });
    const refused = (run: ReturnType<typeof sealCli>, failure: string) => {
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`refused: 2026-06 does not verify\\n  ${org}: first failing entry seq 3 \\(${failure}\\)`));
      expect(existsSync(path.join(archive, "manifests", "2026-06.json"))).toBe(false);
    };
    // Contents rewritten under an unchanged hash: only a full seal recomputes them.
    await tamper("update public.audit_events set action = 'rewritten' where organization_id = $1 and seq = 3");
    refused(sealCli(["--month", "2026-06", "--full"]), "hash");
    // A stored hash rewritten to match: the signature over it fails, in either mode.
    await tamper("update public.audit_events set entry_hash = encode(sha256(entry_hash::bytea), 'hex') where organization_id = $1 and seq = 3");
    refused(sealCli(["--month", "2026-06"]), "signature");
    expect(await sql`select 1 from public.partition_manifests where partition_name = 'audit_events_2026_06'`).toHaveLength(0);

    // A link cut, in another month: the chain breaks there.
    const cut = await createOrganization(sql, "link cut");
    await backfillMonth(sql, cut, "2024-10", Array.from({ length: 5 }, () => sampleEvent()), keyring());
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.audit_events set previous_hash = repeat('0', 64) where organization_id = ${cut} and seq = 3`;
    });
    const run = sealCli(["--month", "2024-10"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`refused: 2024-10 does not verify\\n  ${cut}: first failing entry seq 3 \\(chain\\)`));
  });

  it("seals by links and signatures by default; a full seal and a sealed month's verification recompute contents", async () => {
    const org = await createOrganization(sql, "contents rewritten before sealing");
    const rows = await backfillMonth(sql, org, "2024-11", Array.from({ length: 4 }, () => sampleEvent()), keyring());
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.audit_events set action = 'rewritten' where organization_id = ${org} and seq = 2`;
    });
    const run = sealCli(["--month", "2024-11"]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // The seal committed to the hash the entry was signed with, not to the rewritten contents...
    const [row] = await sql`select organization_roots from public.partition_manifests where partition_name = 'audit_events_2024_11'`;
    const root = row.organization_roots.find((r: { organization_id: string }) => r.organization_id === org);
    expect(root.root).toBe(Buffer.from(merkleRoot(rows.map((r) => hexToBytes(r.entry_hash)))).toString("hex"));
    // ...so verifying the sealed month names the rewritten entry.
    const check = evident(["verify", "--month", "2024-11"], { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_EXPORT_SIGNING_KEY: exportKey });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`organization ${org}: entry seq 2 fails \\(hash\\)`));
  });

  it("refuses to seal over a manifest file this database did not write", async () => {
    const org = await createOrganization(sql, "stray archive file");
    await backfillMonth(sql, org, "2026-04", [sampleEvent()], keyring());
    mkdirSync(path.join(archive, "manifests"), { recursive: true });
    writeFileSync(path.join(archive, "manifests", "2026-04.json"), "{}");
    const run = sealCli(["--month", "2026-04"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/already holds .*2026-04\.json, which this database did not seal/);
    expect(await sql`select 1 from public.partition_manifests where partition_name = 'audit_events_2026_04'`).toHaveLength(0);
  });

  it("will not seal a month that has not ended, or run without what it needs", () => {
    const thisMonth = new Date().toISOString().slice(0, 7);
    const current = sealCli(["--month", thisMonth]);
    expect(current.code).toBe(2);
    expect(current.stderr).toMatch(/is not finished yet/);
    expect(sealCli(["--month", "2026-13"]).stderr).toMatch(/not of the form YYYY-MM/);
    const noKey = sealCli(["--month", "2026-05"], { AUDIT_EXPORT_SIGNING_KEY: "" });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/AUDIT_EXPORT_SIGNING_KEY is not set/);
    const wrongKind = sealCli(["--month", "2026-05"], {
      AUDIT_EXPORT_SIGNING_KEY: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
    });
    expect(wrongKind.stderr).toMatch(/an Ed25519 key is required/);
  });
});

describe("evident verify --month", () => {
  const verifyCli = (args: string[], env: Record<string, string> = {}) =>
    evident(["verify", ...args], {
      DB_URL: testStack.dbUrl,
      AUDIT_SIGNING_KEYS: testStack.signingKeys,
      AUDIT_EXPORT_SIGNING_KEY: exportKey,
      ...env,
    });
  const status = async () =>
    (await sql`select verification_status, last_verified_at from public.partition_manifests where partition_name = 'audit_events_2026_08'`)[0];

  it("confirms an intact sealed month and records it as verified", async () => {
    const run = verifyCli(["--month", month]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/ok +2026-08: 11 entries match the signed manifest/);
    expect((await status()).verification_status).toBe("verified");
  });

  it("works from the published public key alone", () => {
    const published = JSON.parse(readFileSync(path.join(archive, "manifests", "2026-08.json"), "utf8"));
    const pem = path.join(archive, "keys", `${published.manifest.signing_key_id}.pem`);
    const run = verifyCli(["--month", month, "--public-key", pem], { AUDIT_EXPORT_SIGNING_KEY: "" });
    expect(run.code, run.stderr).toBe(0);
  });

  it("finds a month edited after sealing, names what changed, and records it as tampered", async () => {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`delete from public.audit_events where organization_id = ${orgB} and seq = 7`;
      await tx`update evident.chain_heads h set seq = 6, entry_hash = e.entry_hash, created_at = e.created_at
        from public.audit_events e where e.organization_id = h.organization_id and e.seq = 6 and h.organization_id = ${orgB}`;
    });
    // The newest entry is gone and the head rewound to match: every remaining link holds, but the
    // checkpoint sealing signed names the missing entry ...
    const chain = evident(["verify", "--org", orgB], { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys });
    expect(chain.code).toBe(1);
    expect(chain.stdout).toMatch(/no longer holds entry seq 7, which the checkpoint of .* signed/);
    // ... and the sealed month no longer matches its manifest.
    const run = verifyCli(["--month", month, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.problems).toEqual(expect.arrayContaining([
      "the month holds 10 entries, the manifest 11",
      expect.stringMatching(/^the month's Merkle root is [0-9a-f]{64}, the manifest's [0-9a-f]{64}$/),
      expect.stringMatching(new RegExp(`^organization ${orgB}: entries 1\\.\\.6 \\(6\\) do not match the sealed 1\\.\\.7 \\(7\\)`)),
    ]));
    expect((await status()).verification_status).toBe("tampered");
  });

  it("fails a manifest signed by another key", () => {
    const other = newExportKey();
    const run = verifyCli(["--month", month, "--json"], { AUDIT_EXPORT_SIGNING_KEY: other });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).problems[0]).toMatch(/signature does not verify/);
  });

  it("catches a manifest edited in the database: its signature no longer verifies", async () => {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.partition_manifests set record_count = 10, verification_status = 'verified' where partition_name = 'audit_events_2026_08'`;
    });
    const run = verifyCli(["--month", month, "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).problems[0]).toMatch(/the manifest's signature does not verify/);
    expect((await status()).verification_status).toBe("tampered");
  });

  it("exits 2 for a month that was never sealed", () => {
    const run = verifyCli(["--month", "2026-04"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/has not been sealed/);
  });
});

// Signed checkpoints catch what the chain cannot: the newest entries deleted and the head rewound
// to match. The database's checkpoints catch it while they stand; the archived copy, whose
// signature is checked, catches it even after a superuser deletes those too.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointBytes } from "../supabase/functions/_shared/checkpoint.ts";
import { hexToBytes } from "../supabase/functions/_shared/crypto.ts";
import { merkleRoot } from "../supabase/functions/_shared/merkle/root.ts";
import { verifyExportSignature } from "../supabase/functions/_shared/export-key.ts";
import { appendAs, createOrganization, sampleEvent, serviceToken } from "./support/api.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("checkpoints");
const archive = scratch.dir;
const exportKey = newExportKey();
afterAll(async () => {
  await sql.end();
  scratch.remove();
});

const cli = (args: string[], env: Record<string, string> = {}) =>
  evident(args, {
    DB_URL: testStack.dbUrl,
    AUDIT_SIGNING_KEYS: testStack.signingKeys,
    AUDIT_EXPORT_SIGNING_KEY: exportKey,
    EVIDENT_ARCHIVE_DIR: archive,
    ...env,
  });

let org: string;
beforeAll(async () => {
  org = await createOrganization(sql, "checkpointed");
  expect((await appendAs(serviceToken(), org, Array.from({ length: 10 }, () => sampleEvent()))).status).toBe(201);
});

describe("evident checkpoint", () => {
  it("signs and publishes the head of every organisation whose head moved", async () => {
    const run = cli(["checkpoint", "--org", org, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const mine = JSON.parse(run.stdout).checkpoints.find((c: { checkpoint: { organization_id: string } }) => c.checkpoint.organization_id === org);
    const [head] = await sql`select seq, entry_hash from evident.chain_heads where organization_id = ${org}`;
    expect(mine.checkpoint).toMatchObject({ seq: 10, entry_hash: head.entry_hash, checkpoint_version: 2 });
    // Its tree head: the RFC 6962 root over the organisation's ten entries of this month.
    const hashes = await sql`select entry_hash from public.audit_events where organization_id = ${org} order by seq`;
    const [{ partition }] = await sql`select 'audit_events_' || to_char(now() at time zone 'UTC', 'YYYY_MM') as partition`;
    expect(mine.checkpoint.tree).toEqual({
      partition_name: partition,
      first_seq: 1,
      size: 10,
      root: Buffer.from(merkleRoot(hashes.map((h) => hexToBytes(h.entry_hash)))).toString("hex"),
    });

    const file = path.join(archive, "checkpoints", org, "000000000010.json");
    const published = JSON.parse(readFileSync(file, "utf8"));
    const pem = readFileSync(path.join(archive, "keys", `${published.checkpoint.signing_key_id}.pem`), "utf8");
    expect(verifyExportSignature(checkpointBytes(published.checkpoint), published.signature, pem)).toBe(true);
    expect(await sql`select seq from evident.checkpoints where organization_id = ${org}`).toEqual([{ seq: "10" }]);
  });

  it("signs nothing new for a head that has not moved", () => {
    const run = cli(["checkpoint", "--org", org, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).checkpoints).toEqual([]);
  });

  it("never vouches for a head that names no entry, and says so", async () => {
    const broken = await createOrganization(sql, "bogus head");
    expect((await appendAs(serviceToken(), broken, [sampleEvent()])).status).toBe(201);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update evident.chain_heads set entry_hash = repeat('e', 64) where organization_id = ${broken}`;
    });
    const run = cli(["checkpoint", "--org", broken]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`REFUSED +${broken} at seq 1: the chain head names no entry of the trail`));
    expect(await sql`select 1 from evident.checkpoints where organization_id = ${broken}`).toHaveLength(0);
  });

  it("refuses a head whose month holds a planted or missing entry, and still signs the others in the run", async () => {
    const planted = await createOrganization(sql, "planted entry");
    const fine = await createOrganization(sql, "fine, same run");
    expect((await appendAs(serviceToken(), planted, [sampleEvent(), sampleEvent(), sampleEvent()])).status).toBe(201);
    expect((await appendAs(serviceToken(), fine, [sampleEvent()])).status).toBe(201);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into public.audit_events select gen_random_uuid(), organization_id, seq, previous_hash, entry_hash, signature,
          key_id, canonical_version, event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp",
          retention_until, pii_tagged, created_at + interval '1 millisecond', personal_commitments
        from public.audit_events where organization_id = ${planted} and seq = 2`;
    });
    const run = cli(["checkpoint", "--json"]);
    expect(run.code, run.stderr).toBe(1);
    const { checkpoints, refused } = JSON.parse(run.stdout);
    expect(refused).toContainEqual({ organization_id: planted, seq: 3, reason: expect.stringMatching(/number 4, not one per seq/) });
    expect(checkpoints.map((c: { checkpoint: { organization_id: string } }) => c.checkpoint.organization_id)).toContain(fine);
    expect(await sql`select 1 from evident.checkpoints where organization_id = ${planted}`).toHaveLength(0);
  });

  it("refuses to record a checkpoint for an entry that is not in the trail", async () => {
    await expect(sql`select evident.record_checkpoint(${sql.json({ organization_id: org, seq: 99, entry_hash: "a".repeat(64) })})`)
      .rejects.toMatchObject({ code: "EVK01" });
  });

  it("keeps checkpoints append-only and out of API roles' reach", async () => {
    await expect(sql`delete from evident.checkpoints where organization_id = ${org}`).rejects.toMatchObject({ code: "EVW01" });
    await expect(sql`update evident.checkpoints set seq = 1 where organization_id = ${org}`).rejects.toMatchObject({ code: "EVW01" });
    for (const role of ["anon", "authenticated", "service_role"]) {
      await expect(sql.begin(async (tx) => {
        await tx.unsafe(`set local role ${role}`);
        await tx`select evident.record_checkpoint('{}'::jsonb)`;
      })).rejects.toMatchObject({ code: "42501" });
    }
  });

  it("catches a deleted tail with a rewound head, from the database and from the archive", async () => {
    expect(cli(["verify", "--org", org, "--archive", archive]).code).toBe(0);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`delete from public.audit_events where organization_id = ${org} and seq > 8`;
      await tx`update evident.chain_heads h set seq = 8, entry_hash = e.entry_hash, created_at = e.created_at
        from public.audit_events e where e.organization_id = h.organization_id and e.seq = 8 and h.organization_id = ${org}`;
    });
    const fromDatabase = cli(["verify", "--org", org]);
    expect(fromDatabase.code).toBe(1);
    expect(fromDatabase.stdout).toMatch(/no longer holds entry seq 10, which the checkpoint of .* signed: entries were removed/);

    // A superuser removes the checkpoint rows as well: the database alone can no longer tell ...
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`delete from evident.checkpoints where organization_id = ${org}`;
    });
    expect(cli(["verify", "--org", org]).code).toBe(0);
    // ... the archive still can.
    const fromArchive = cli(["verify", "--org", org, "--archive", archive, "--json"]);
    expect(fromArchive.code).toBe(1);
    expect(JSON.parse(fromArchive.stdout).organizations[0].checkpoint_problems[0]).toMatch(/^archive: the trail no longer holds entry seq 10/);
  });

  it("does not trust an archived checkpoint whose signature fails", () => {
    const folder = path.join(archive, "checkpoints", org);
    const file = path.join(folder, readdirSync(folder).sort().pop()!);
    const published = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...published, checkpoint: { ...published.checkpoint, seq: 8 } }));
    const run = cli(["verify", "--org", org, "--archive", archive, "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).organizations[0].checkpoint_problems).toEqual(["the archived checkpoint at seq 8 does not verify with the public key"]);
  });
});

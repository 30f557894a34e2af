// The audit-maintenance function: what pg_cron calls (through pg_net) to checkpoint, seal and verify
// where Supabase runs it, and the CLI's half of the hand-off: `evident seal` and `evident
// checkpoint` publish to the archive what the function signed and recorded. Only explicit months
// and this file's own organisations are touched: the tests share one database.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previousMonth } from "../supabase/functions/audit-maintenance/handlers.ts";
import { appendAs, callFunction, createMember, createOrganization, keyring, sampleEvent, serviceToken, userToken } from "./support/api.ts";
import { scratchArchive } from "./support/archive.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("maintenance");
afterAll(async () => {
  await sql.end();
  scratch.remove();
});

const maintenance = (body: unknown, token = serviceToken()) => callFunction("audit-maintenance", { token, body });
// The CLI with the functions' own export key: what an operator's archiver host holds.
const cli = (args: string[], archive = scratch.dir) =>
  evident(args, {
    DB_URL: testStack.dbUrl,
    AUDIT_SIGNING_KEYS: testStack.signingKeys,
    AUDIT_EXPORT_SIGNING_KEY: testStack.exportSigningKey,
    EVIDENT_ARCHIVE_DIR: archive,
  });

/** Runs `change` with triggers off, then puts back what `restore` says, whatever happens between. */
async function whileTampered(change: string, restore: string, during: () => Promise<void>) {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx.unsafe(change);
  });
  try {
    await during();
  } finally {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx.unsafe(restore);
    });
  }
}

describe("who may call it, and what", () => {
  it("is for the service role only", async () => {
    const org = await createOrganization(sql, "maintenance: members");
    const admin = await userToken(await createMember(sql, org, "admin"));
    const refused = await maintenance({ task: "checkpoint" }, admin);
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toMatch(/service role only/);
    expect((await callFunction("audit-maintenance", { body: { task: "checkpoint" } })).status).toBe(401);
    expect((await callFunction("audit-maintenance", { token: serviceToken(), method: "GET" })).status).toBe(405);
  });

  it("refuses a body it cannot act on, naming what is wrong", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /task must be "checkpoint", "seal" or "verify"/],
      [{ task: "vacuum" }, /task must be/],
      [{ task: "seal", month: "2019-13" }, /month: expected a month as YYYY-MM/],
      [{ task: "seal", month: "2019-05", extra: 1 }, /extra/],
      [{ task: "verify", organization_id: "nope" }, /organization_id: expected a UUID/],
      [{ task: "verify", since: "yesterday" }, /since/],
    ];
    for (const [body, message] of cases) {
      const response = await maintenance(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((response.body as { error: { message: string } }).error.message).toMatch(message);
    }
  });

  it("takes the previous UTC month by default", () => {
    expect(previousMonth(new Date("2026-12-01T00:20:00Z"))).toBe("2026-11");
    expect(previousMonth(new Date("2027-01-01T00:20:00Z"))).toBe("2026-12");
    expect(previousMonth(new Date("2026-03-31T23:59:59Z"))).toBe("2026-02");
  });
});

describe("checkpoint", () => {
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "maintenance: checkpoints");
    expect((await appendAs(serviceToken(), org, [sampleEvent(), sampleEvent()])).status).toBe(201);
  });

  it("signs the head of every organisation that moved, once", async () => {
    const first = await maintenance({ task: "checkpoint" });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const mine = (first.body as { signed: Array<{ checkpoint: { organization_id: string; seq: number } }> }).signed
      .filter((s) => s.checkpoint.organization_id === org);
    expect(mine.map((s) => s.checkpoint.seq)).toEqual([2]);
    const [stored] = await sql`select seq from evident.checkpoints where organization_id = ${org}`;
    expect(Number(stored.seq)).toBe(2);

    const again = await maintenance({ task: "checkpoint" });
    expect((again.body as { signed: Array<{ checkpoint: { organization_id: string } }> }).signed
      .some((s) => s.checkpoint.organization_id === org)).toBe(false);
  });

  it("reaches the archive through evident checkpoint, which checks its signature first", async () => {
    const run = cli(["checkpoint", "--org", org]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`published ${org} at seq 2`));
    const file = path.join(scratch.dir, "checkpoints", org, "000000000002.json");
    expect(JSON.parse(readFileSync(file, "utf8")).checkpoint).toMatchObject({ organization_id: org, seq: 2 });

    // A stored checkpoint edited in place is refused, not published.
    const elsewhere = scratchArchive("maintenance-tampered");
    try {
      await whileTampered(
        `update evident.checkpoints set entry_hash = repeat('0', 64) where organization_id = '${org}'`,
        `update evident.checkpoints c set entry_hash = e.entry_hash from public.audit_events e
           where c.organization_id = '${org}' and e.organization_id = c.organization_id and e.seq = c.seq`,
        async () => {
          const refused = cli(["checkpoint", "--org", org], elsewhere.dir);
          expect(refused.code).toBe(1);
          expect(refused.stdout).toMatch(/does not verify with the export keys: not published/);
          expect(existsSync(path.join(elsewhere.dir, "checkpoints", org))).toBe(false);
        },
      );
    } finally {
      elsewhere.remove();
    }
  });
});

describe("seal", () => {
  const month = "2019-05"; // no other test writes here
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "maintenance: seal");
    await backfillMonth(sql, org, month, Array.from({ length: 12 }, (_, i) => sampleEvent({ metadata: { action: "content_removed", n: i } })), keyring());
  });

  it("refuses a month that has not ended, and one that does not verify, recording nothing", async () => {
    const future = await maintenance({ task: "seal", month: "2099-01" });
    expect(future.status).toBe(409);
    expect(JSON.stringify(future.body)).toMatch(/2099-01 has not ended yet/);

    await whileTampered(
      `update public.audit_events set signature = repeat('0', 64) where organization_id = '${org}' and seq = 5`,
      `update public.audit_events set signature = '${(await sql`select signature from public.audit_events where organization_id = ${org} and seq = 5`)[0].signature}' where organization_id = '${org}' and seq = 5`,
      async () => {
        const refused = await maintenance({ task: "seal", month });
        expect(refused.status).toBe(409);
        expect(refused.body).toMatchObject({ error: { code: "trail_not_verified" } });
        expect(JSON.stringify(refused.body)).toMatch(/"seq":5/);
      },
    );
    expect(await sql`select 1 from public.partition_manifests where partition_name = 'audit_events_2019_05'`).toHaveLength(0);
  });

  it("seals a finished month once, signed with the export key, and checkpoints its organisations", async () => {
    const sealed = await maintenance({ task: "seal", month });
    expect(sealed.status, JSON.stringify(sealed.body)).toBe(200);
    expect(sealed.body).toMatchObject({ status: "sealed", month, record_count: 12, organizations: 1, checkpoints: 1 });
    const [manifest] = await sql`select record_count, checksum from public.partition_manifests where partition_name = 'audit_events_2019_05'`;
    expect(manifest).toMatchObject({ record_count: "12", checksum: (sealed.body as { checksum: string }).checksum });

    const again = await maintenance({ task: "seal", month });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "already_sealed" });
  });

  it("answers already_sealed to the loser of two seals of one month at once", async () => {
    const other = await createOrganization(sql, "maintenance: racing seals");
    await backfillMonth(sql, other, "2019-07", Array.from({ length: 5 }, () => sampleEvent()), keyring());
    // Both runs get past their checks and wait to record the manifest until this lock goes: then
    // one records it, and the other meets it (a unique violation, or EVM02 if it came later).
    const locker = await sql.reserve();
    let both: Awaited<ReturnType<typeof maintenance>>[];
    try {
      await locker`begin`;
      await locker`lock table public.partition_manifests in share row exclusive mode`;
      const racing = Promise.all([maintenance({ task: "seal", month: "2019-07" }), maintenance({ task: "seal", month: "2019-07" })]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await locker`commit`;
      both = await racing;
    } finally {
      locker.release();
    }
    expect(both.map((r) => r.status), JSON.stringify(both.map((r) => r.body))).toEqual([200, 200]);
    expect(both.map((r) => (r.body as { status: string }).status).sort()).toEqual(["already_sealed", "sealed"]);
  });

  it("is published by evident seal, whose archive then verifies offline", () => {
    const run = cli(["seal", "--month", month]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/published its recorded manifest to .*2019-05\.json/);
    expect(run.stdout).toMatch(/archived 12 entries/);
    const published = JSON.parse(readFileSync(path.join(scratch.dir, "manifests", `${month}.json`), "utf8"));
    expect(published.manifest).toMatchObject({ partition_name: "audit_events_2019_05", record_count: 12 });
    const offline = evident(["archive", "verify", "--month", month, "--archive", scratch.dir], {
      AUDIT_SIGNING_KEYS: testStack.signingKeys,
      DB_URL: testStack.dbUrl,
      AUDIT_EXPORT_SIGNING_KEY: testStack.exportSigningKey,
    });
    expect(offline.code, offline.stderr + offline.stdout).toBe(0);
  });

  it("never publishes a recorded manifest whose signature does not verify", async () => {
    const elsewhere = scratchArchive("maintenance-manifest");
    try {
      const [{ signature }] = await sql`select signature from public.partition_manifests where partition_name = 'audit_events_2019_05'`;
      await whileTampered(
        `update public.partition_manifests set record_count = 13 where partition_name = 'audit_events_2019_05'`,
        `update public.partition_manifests set record_count = 12, signature = '${signature}' where partition_name = 'audit_events_2019_05'`,
        async () => {
          const refused = cli(["seal", "--month", month], elsewhere.dir);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(/recorded manifest of 2019-05 does not verify/);
          expect(existsSync(path.join(elsewhere.dir, "manifests", `${month}.json`))).toBe(false);
        },
      );
    } finally {
      elsewhere.remove();
    }
  });
});

describe("verify", () => {
  const month = "2019-06"; // no other test writes here
  let org: string;
  beforeAll(async () => {
    org = await createOrganization(sql, "maintenance: verify");
    await backfillMonth(sql, org, month, Array.from({ length: 9 }, () => sampleEvent()), keyring());
    expect((await maintenance({ task: "seal", month })).status).toBe(200);
  });
  const verifyEvents = async () => (await sql`
    select metadata from public.audit_events where organization_id = ${org} and event_type = 'audit_verification' order by seq`).map((r) => r.metadata);

  it("verifies recent entries, the head, the checkpoint and the sealed months, and logs the run", async () => {
    const run = await maintenance({ task: "verify", organization_id: org, since: "2019-06-01T00:00:00Z" });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({
      valid: true,
      organizations: [{ organization_id: org, checked: 9, valid: true, head: { matches: true }, checkpoint_problems: [] }],
      months: [{ month, valid: true, problems: [] }],
    });
    const [manifest] = await sql`select verification_status, last_verified_at from public.partition_manifests where partition_name = 'audit_events_2019_06'`;
    expect(manifest.verification_status).toBe("verified");
    expect(manifest.last_verified_at).not.toBeNull();
    expect(await verifyEvents()).toEqual([expect.objectContaining({ scope: "scheduled", checked: 9, valid: true, head_matches: true })]);

    // By default the window starts at the previous month: these entries are older.
    const recent = await maintenance({ task: "verify", organization_id: org });
    expect(recent.body).toMatchObject({ valid: true, organizations: [{ checked: 1 }], months: [] });
  });

  it("passes an organisation with no entries in the window: its head is where the walk starts", async () => {
    const dormant = await createOrganization(sql, "maintenance: dormant");
    await backfillMonth(sql, dormant, "2019-08", Array.from({ length: 3 }, () => sampleEvent()), keyring());
    const run = await maintenance({ task: "verify", organization_id: dormant });
    expect(run.body).toMatchObject({ valid: true, organizations: [{ checked: 0, valid: true, head: { head_seq: 3, matches: true } }] });
  });

  it("reports an organisation it cannot verify or log as such, instead of failing the whole run", async () => {
    // The organisation's row deleted under its trail (a superuser, constraints off): logging the
    // run then fails for it, and only for it.
    const orphan = await createOrganization(sql, "maintenance: orphaned trail");
    expect((await appendAs(serviceToken(), orphan, [sampleEvent()])).status).toBe(201);
    const [row] = await sql`select * from public.organizations where id = ${orphan}`;
    await whileTampered(
      `delete from public.organizations where id = '${orphan}'`,
      `insert into public.organizations (id, name, created_at) values ('${orphan}', '${row.name}', '${row.created_at.toISOString()}')`,
      async () => {
        const broken = await maintenance({ task: "verify", organization_id: orphan });
        expect(broken.status).toBe(200);
        expect(broken.body).toMatchObject({
          valid: false,
          organizations: [{ organization_id: orphan, valid: false, error: expect.stringMatching(/^could not be verified: /) }],
        });
      },
    );
  });

  it("finds a rewritten entry, names it, records the month as tampered, and logs that too", async () => {
    const [{ action }] = await sql`select action from public.audit_events where organization_id = ${org} and seq = 4`;
    await whileTampered(
      `update public.audit_events set action = 'rewritten' where organization_id = '${org}' and seq = 4`,
      `update public.audit_events set action = '${action}' where organization_id = '${org}' and seq = 4`,
      async () => {
        const run = await maintenance({ task: "verify", organization_id: org, since: "2019-06-01T00:00:00Z" });
        expect(run.status).toBe(200);
        expect(run.body).toMatchObject({ valid: false, organizations: [{ valid: false, first_failure: { seq: 4 } }], months: [{ month, valid: false }] });
        const [manifest] = await sql`select verification_status from public.partition_manifests where partition_name = 'audit_events_2019_06'`;
        expect(manifest.verification_status).toBe("tampered");
      },
    );
    expect((await verifyEvents()).at(-1)).toMatchObject({ valid: false, first_failure_seq: 4 });
  });

  it("verifies every organisation when none is named, each reported and logged on its own", async () => {
    // From now: only the new organisation's entry is in the window; for the others, their heads and
    // newest checkpoints are what is checked. This file's organisation gets a checkpoint that no
    // longer matches its trail (reversing the hash twice restores it).
    const since = new Date().toISOString();
    const intact = await createOrganization(sql, "maintenance: all, intact");
    expect((await appendAs(serviceToken(), intact, [sampleEvent()])).status).toBe(201);
    const logged = (organizationId: string) => sql`
      select count(*)::int as n from public.audit_events where organization_id = ${organizationId} and event_type = 'audit_verification'`;
    const [before] = await logged(intact);
    await whileTampered(
      `update evident.checkpoints set entry_hash = reverse(entry_hash) where organization_id = '${org}'`,
      `update evident.checkpoints set entry_hash = reverse(entry_hash) where organization_id = '${org}'`,
      async () => {
        const run = await maintenance({ task: "verify", since });
        expect(run.status, JSON.stringify(run.body).slice(0, 500)).toBe(200);
        const body = run.body as { valid: boolean; organizations: Array<{ organization_id: string; valid: boolean }> };
        const everyone = await sql`select id::text from public.organizations union select organization_id::text from evident.chain_heads`;
        expect(body.organizations.map((r) => r.organization_id).sort()).toEqual(everyone.map((r) => r.id).sort());
        expect(body.valid).toBe(false);
        expect(body.organizations.find((r) => r.organization_id === org)).toMatchObject({ valid: false, checkpoint_problems: [expect.any(String)] });
        expect(body.organizations.find((r) => r.organization_id === intact)).toMatchObject({ valid: true, checked: 1, head: { matches: true } });
      },
    );
    const [after] = await logged(intact);
    expect(after.n).toBe(before.n + 1);
  });
});

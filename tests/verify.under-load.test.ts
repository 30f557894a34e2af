// Verification while the organisation is being appended to (issue 18): an append that commits
// between reading the trail and reading its head must never look like a rewound head. Each way of
// verifying runs repeatedly during a steady stream of appends and must report the trail valid
// every time; and what a moved head really looks like (entries beyond it) is still found.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAgainstHead } from "../supabase/functions/_shared/verify.ts";
import { verifyOrganizationInParallel } from "../src/cli/verify/parallel.ts";
import { appendAs, callFunction, createOrganization, keyring, sampleEvent, serviceToken } from "./support/api.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());
let org: string;

beforeAll(async () => {
  org = await createOrganization(sql, "verify under load");
  expect((await appendAs(serviceToken(), org, Array.from({ length: 200 }, () => sampleEvent()))).status).toBe(201);
});

/** Runs `verify` `times` times while four writers append single events, and returns its verdicts. */
async function duringAppends<T>(times: number, verify: () => Promise<T>): Promise<T[]> {
  let appending = true;
  const writers = Array.from({ length: 4 }, async () => {
    while (appending) expect((await appendAs(serviceToken(), org, [sampleEvent()])).status).toBe(201);
  });
  const verdicts: T[] = [];
  try {
    for (let i = 0; i < times; i++) verdicts.push(await verify());
  } finally {
    appending = false;
    await Promise.all(writers);
  }
  return verdicts;
}

describe("verification under concurrent appends", () => {
  it("audit-verify never reports a valid trail as tampered", async () => {
    const runs = await duringAppends(40, () => callFunction("audit-verify", { token: serviceToken(), query: { organization_id: org } }));
    const bad = runs.filter((run) => run.status !== 200 || run.body.valid !== true || run.body.head?.matches !== true);
    expect(bad.map((run) => run.body)).toEqual([]);
    // The verdicts recorded in the trail are all valid too.
    const [{ invalid }] = await sql`
      select count(*)::int as invalid from public.audit_events
      where organization_id = ${org} and event_type = 'audit_verification' and (metadata ->> 'valid')::boolean is false`;
    expect(invalid).toBe(0);
  });

  it("the scheduled verification in audit-maintenance never does either", async () => {
    const runs = await duringAppends(15, () => callFunction("audit-maintenance", { token: serviceToken(), body: { task: "verify", organization_id: org } }));
    const bad = runs.filter((run) => run.status !== 200 || run.body.organizations?.[0]?.valid !== true);
    expect(bad.map((run) => run.body.organizations)).toEqual([]);
  });

  it("nor does the walk on worker threads that evident verify runs", async () => {
    const runs = await duringAppends(10, () => verifyAgainstHead(sql, org, keyring(), {
      walk: (through) => verifyOrganizationInParallel(sql, org, { dbUrl: testStack.dbUrl, signingKeys: testStack.signingKeys, jobs: 2, chunkSize: 50, through }),
    }));
    expect(runs.filter((run) => !run.summary.valid || !run.head.matches)).toEqual([]);
  });

  it("while an entry planted beyond the head is still found", async () => {
    const [last] = await sql`select * from public.audit_events where organization_id = ${org} order by seq desc limit 1`;
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into public.audit_events select gen_random_uuid(), organization_id, seq + 1, entry_hash, entry_hash, signature, key_id,
          canonical_version, event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp",
          retention_until, pii_tagged, created_at, personal_commitments
        from public.audit_events where id = ${last.id}`;
    });
    try {
      const run = await verifyAgainstHead(sql, org, keyring());
      expect(run.summary.valid).toBe(true); // everything up to the head verifies...
      expect(run.head).toMatchObject({ matches: false, entries_beyond_head: true }); // ...but the head is not the end
      // The functions refuse to record anything on such a chain.
      const refused = await callFunction("audit-verify", { token: serviceToken(), query: { organization_id: org } });
      expect(refused).toMatchObject({ status: 409, body: { error: { code: "chain_conflict" } } });
    } finally {
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`delete from public.audit_events where organization_id = ${org} and seq = ${Number(last.seq) + 1}`;
      });
    }
  });
});

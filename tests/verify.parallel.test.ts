// `evident verify` spreads a long trail over worker threads (src/cli/verify/parallel.ts). Whatever
// the trail holds, the joined result must be exactly what one sequential walk reports: the same
// counts of each failure, the same first failing entry, the same end. Here random tampering,
// aimed mostly at the seams between chunks (deleted, duplicated, edited and swapped entries), is
// committed, verified both ways, and undone. Chunks of 40 entries over pages of 7, so every case
// crosses many seams.
import fc from "fast-check";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SealedEntry } from "../supabase/functions/_shared/entry.ts";
import { verifyOrganization } from "../supabase/functions/_shared/verify.ts";
import { verifyOrganizationInParallel } from "../src/cli/verify/parallel.ts";
import { createOrganization, keyring, sampleEvent } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { adminSql, testStack } from "./support/stack.ts";
import { evident } from "./support/cli.ts";

const sql = adminSql({ max: 2 });
afterAll(() => sql.end());
const ring = keyring();
const month = "2019-04"; // no other test writes here
const trailLength = 400;
const chunkSize = 40;
let org: string;
let rows: SealedEntry[];

const parallel = (options: { from?: string; to?: string; workerHeapMb?: number } = {}) =>
  verifyOrganizationInParallel(sql, org, {
    dbUrl: testStack.dbUrl, signingKeys: testStack.signingKeys, jobs: 2, chunkSize, pageSize: 7, ...options,
  });

beforeAll(async () => {
  org = await createOrganization(sql, "parallel verification");
  rows = await backfillMonth(sql, org, month, Array.from({ length: trailLength }, (_, i) =>
    sampleEvent({ metadata: { action: "content_removed", n: i } })), ring);
});

/** Puts the trail back exactly as it was written, whatever a case did to it. */
async function restore() {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`delete from public.audit_events where organization_id = ${org}`;
    await tx`
      insert into public.audit_events (id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
        event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at)
      select id, organization_id, seq, previous_hash, entry_hash, signature, key_id, 1,
        event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at
      from jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) as r(
        id uuid, organization_id uuid, seq bigint, previous_hash text, entry_hash text, signature text, key_id text,
        event_type text, actor_id text, actor_type text, target_id text, target_type text, action text, metadata jsonb,
        "timestamp" timestamptz, retention_until timestamptz, pii_tagged boolean, created_at timestamptz)`;
  });
}

// A seam is where one chunk ends and the next begins: seq 40k and 40k + 1.
const seamSeq = fc.integer({ min: 1, max: trailLength / chunkSize - 1 }).chain((k) => fc.constantFrom(k * chunkSize - 1, k * chunkSize, k * chunkSize + 1));
const anySeq = fc.oneof({ weight: 3, arbitrary: seamSeq }, { weight: 1, arbitrary: fc.integer({ min: 1, max: trailLength - 1 }) });

type Tamper = (tx: postgres.TransactionSql, seq: number) => Promise<unknown>;
const tampers: Record<string, Tamper> = {
  delete: (tx, seq) => tx`delete from public.audit_events where organization_id = ${org} and seq = ${seq}`,
  deleteRun: (tx, seq) => tx`delete from public.audit_events where organization_id = ${org} and seq between ${seq} and ${seq + 3}`,
  editContents: (tx, seq) => tx`update public.audit_events set action = 'edited' where organization_id = ${org} and seq = ${seq}`,
  editHash: (tx, seq) => tx`update public.audit_events set entry_hash = encode(sha256(entry_hash::bytea), 'hex') where organization_id = ${org} and seq = ${seq}`,
  swapContents: (tx, seq) => tx`
    update public.audit_events e set metadata = o.metadata from public.audit_events o
    where e.organization_id = ${org} and o.organization_id = ${org}
      and ((e.seq = ${seq} and o.seq = ${seq + 1}) or (e.seq = ${seq + 1} and o.seq = ${seq}))`,
  duplicate: (tx, seq) => tx`
    insert into public.audit_events select gen_random_uuid(), organization_id, seq, previous_hash, entry_hash, signature, key_id,
      canonical_version, event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp",
      retention_until, pii_tagged, created_at + interval '1 microsecond', personal_commitments
    from public.audit_events where organization_id = ${org} and seq = ${seq}
    order by created_at desc limit 1`,
  // Seq 1 stays: the genesis check constraint (seq 1 and only seq 1 without a previous hash) holds
  // even with triggers off, so the database itself refuses that renumbering.
  renumber: (tx, seq) => tx`update public.audit_events set seq = seq + 1000 where organization_id = ${org} and seq = ${Math.max(seq, 2)}`,
};

describe("parallel verification", () => {
  it("verifies an intact trail across its chunks, as the sequential walk does", async () => {
    const joined = await parallel();
    expect(joined).toEqual(await verifyOrganization(sql, org, ring));
    expect(joined).toMatchObject({ valid: true, checked: trailLength, last_seq: trailLength });
  });

  it("reports exactly what the sequential walk reports, for any tampering at or between seams", async () => {
    let tampered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...Object.keys(tampers)), anySeq), { minLength: 1, maxLength: 3 }),
        async (cases) => {
          try {
            await sql.begin(async (tx) => {
              await tx`set local session_replication_role = replica`;
              for (const [kind, seq] of cases) await tampers[kind](tx, seq);
            });
            const sequential = await verifyOrganization(sql, org, ring, { pageSize: 7 });
            // (A cut tail leaves a valid, shorter chain, which only the head comparison catches;
            // swapping the same pair twice changes nothing.)
            if (!sequential.valid || sequential.checked !== trailLength) tampered += 1;
            expect(await parallel()).toEqual(sequential);
          } finally {
            await restore();
          }
        },
      ),
      { numRuns: 25 },
    );
    // Most cases did change what the walk sees.
    expect(tampered).toBeGreaterThan(15);
  }, 300_000);

  it("reads a row planted with an existing seq even where a page ends on that seq", async () => {
    // Pages of 7: seq 119 ends the 17th page. Keyed on seq alone, the next page (seq > 119) would
    // skip the planted copy, and a forged row would never be checked.
    try {
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tampers.duplicate(tx, 119);
        await tx`update public.audit_events set action = 'forged' where organization_id = ${org} and seq = 119
          and created_at = (select max(created_at) from public.audit_events where organization_id = ${org} and seq = 119)`;
      });
      const walk = await verifyOrganization(sql, org, ring, { pageSize: 7 });
      expect(walk).toMatchObject({ valid: false, checked: trailLength + 1, first_failure: { seq: 119 } });
      expect(await parallel()).toEqual(walk);
    } finally {
      await restore();
    }
  });

  it("keeps to a bounded number of chunks when a planted row's seq is far beyond the trail", async () => {
    try {
      await sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`insert into public.audit_events select gen_random_uuid(), organization_id, 1000000000000, previous_hash, entry_hash,
            signature, key_id, canonical_version, event_type, actor_id, actor_type, target_id, target_type, action, metadata,
            "timestamp", retention_until, pii_tagged, created_at, personal_commitments
          from public.audit_events where organization_id = ${org} and seq = 200`;
      });
      const started = performance.now();
      const joined = await parallel();
      expect(performance.now() - started).toBeLessThan(60_000);
      expect(joined).toEqual(await verifyOrganization(sql, org, ring));
      expect(joined).toMatchObject({ valid: false, checked: trailLength + 1, last_seq: 1000000000000 });
    } finally {
      await restore();
    }
  });

  it("joins time-bounded walks the same way", async () => {
    const from = `${month}-01T00:01:10Z`;
    const to = `${month}-01T00:05:30Z`;
    const joined = await parallel({ from, to });
    expect(joined).toEqual(await verifyOrganization(sql, org, ring, { from, to }));
    expect(joined.checked).toBe(260);
  });

  it("walks the trail in this thread when a worker runs out of its heap", async () => {
    // A 1 MB heap cannot even load the worker: every worker fails, and the walk still completes.
    const joined = await parallel({ workerHeapMb: 1 });
    expect(joined).toEqual(await verifyOrganization(sql, org, ring));
  });

  it("is what evident verify runs, with --jobs", () => {
    const env = { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys };
    const run = evident(["verify", "--org", org, "--jobs", "2", "--json"], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).organizations[0]).toMatchObject({ checked: trailLength, valid: true });
    expect(evident(["verify", "--org", org, "--jobs", "0"], env).code).toBe(2);
  });
});

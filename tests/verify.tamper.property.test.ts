// Tampering that only a superuser can do (triggers off for the session), generated at random and
// each case rolled back afterwards: every one is detected, and localised to the entry where the
// trail stops verifying. Deleting the newest entries is caught by the chain head comparison.
// (Deleting the tail *and* rewinding the head leaves a valid shorter chain: that needs signed
// checkpoints outside the database, and is not claimed here.)
import fc from "fast-check";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealEntry } from "../supabase/functions/_shared/entry.ts";
import { Keyring } from "../supabase/functions/_shared/keyring.ts";
import { canonicalTimestamp } from "../supabase/functions/_shared/time.ts";
import { checkHead, verifyOrganization } from "../supabase/functions/_shared/verify.ts";
import { appendAs, createOrganization, keyring, sampleEvent, serviceToken } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql({ max: 2 });
afterAll(() => sql.end());
const ring = keyring();
const trailLength = 30;
let org: string;

beforeAll(async () => {
  org = await createOrganization(sql, "tamper target");
  const events = Array.from({ length: trailLength }, (_, i) =>
    sampleEvent({ metadata: { action: "content_removed", n: i, note: `entry ${i}` }, pii_tagged: i % 5 === 0 }));
  expect((await appendAs(serviceToken(), org, events)).status).toBe(201);
});

class RolledBack extends Error {}

/** Runs `tamper` with triggers off, then verifies, all in one transaction that is rolled back. */
async function tamperAndVerify(tamper: (tx: postgres.TransactionSql) => Promise<unknown>) {
  let outcome: { summary: Awaited<ReturnType<typeof verifyOrganization>>; headMatches: boolean } | undefined;
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tamper(tx);
    const summary = await verifyOrganization(tx, org, ring, { pageSize: 7 });
    outcome = { summary, headMatches: (await checkHead(tx, summary)).matches };
    throw new RolledBack();
  }).catch((error) => {
    if (!(error instanceof RolledBack)) throw error;
  });
  return outcome!;
}

const editableColumns = {
  actor_id: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set actor_id = actor_id || 'x' where organization_id = ${org} and seq = ${seq}`,
  action: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set action = 'edited' where organization_id = ${org} and seq = ${seq}`,
  target_id: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set target_id = 'other-target' where organization_id = ${org} and seq = ${seq}`,
  metadata: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set metadata = metadata || '{"n": -1}' where organization_id = ${org} and seq = ${seq}`,
  metadata_key_added: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set metadata = metadata || '{"extra": true}' where organization_id = ${org} and seq = ${seq}`,
  timestamp: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set "timestamp" = "timestamp" + interval '1 microsecond' where organization_id = ${org} and seq = ${seq}`,
  retention_until: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set retention_until = retention_until - interval '5 years' where organization_id = ${org} and seq = ${seq}`,
  pii_tagged: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set pii_tagged = not pii_tagged where organization_id = ${org} and seq = ${seq}`,
  event_type: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set event_type = 'appeal_filed' where organization_id = ${org} and seq = ${seq}`,
  entry_hash: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set entry_hash = encode(sha256(entry_hash::bytea), 'hex') where organization_id = ${org} and seq = ${seq}`,
  signature: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set signature = encode(sha256(signature::bytea), 'hex') where organization_id = ${org} and seq = ${seq}`,
  key_id: (tx: postgres.TransactionSql, seq: number) => tx`update public.audit_events set key_id = 'other-key' where organization_id = ${org} and seq = ${seq}`,
};

type Case =
  | { kind: "edit"; column: keyof typeof editableColumns; seq: number }
  | { kind: "previous_hash"; seq: number }
  | { kind: "delete"; seq: number }
  | { kind: "swap"; a: number; b: number }
  | { kind: "forged"; secret: string };

const seqArb = fc.integer({ min: 1, max: trailLength });
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ kind: fc.constant("edit" as const), column: fc.constantFrom(...Object.keys(editableColumns) as Array<keyof typeof editableColumns>), seq: seqArb }),
  fc.record({ kind: fc.constant("previous_hash" as const), seq: fc.integer({ min: 2, max: trailLength }) }),
  fc.record({ kind: fc.constant("delete" as const), seq: seqArb }),
  fc.tuple(seqArb, seqArb).filter(([a, b]) => a !== b).map(([a, b]) => ({ kind: "swap" as const, a, b })),
  fc.stringMatching(/^[A-Za-z0-9]{32,48}$/).map((secret) => ({ kind: "forged" as const, secret })),
);

async function apply(tx: postgres.TransactionSql, c: Case) {
  switch (c.kind) {
    case "edit":
      return await editableColumns[c.column](tx, c.seq);
    case "previous_hash":
      return await tx`update public.audit_events set previous_hash = encode(sha256(previous_hash::bytea), 'hex') where organization_id = ${org} and seq = ${c.seq}`;
    case "delete":
      return await tx`delete from public.audit_events where organization_id = ${org} and seq = ${c.seq}`;
    case "swap":
      // Two entries trade everything they say (who, what, metadata), keeping their places.
      return await tx`
        update public.audit_events e set actor_id = o.actor_id, action = o.action, target_id = o.target_id, metadata = o.metadata
        from public.audit_events o
        where e.organization_id = ${org} and o.organization_id = ${org}
          and ((e.seq = ${c.a} and o.seq = ${c.b}) or (e.seq = ${c.b} and o.seq = ${c.a}))`;
    case "forged": {
      // A perfectly chained next entry, signed with a key that is not Evident's, with the head
      // moved onto it so that nothing but the signature gives it away.
      const [head] = await tx`select seq, entry_hash, evident.canonical_timestamp(created_at) as created_at from evident.chain_heads where organization_id = ${org}`;
      const forger = Keyring.parse(`${ring.activeKeyId}:${c.secret}`, ring.activeKeyId);
      const now = canonicalTimestamp(new Date().toISOString())!;
      const entry = sealEntry({
        id: crypto.randomUUID(), organization_id: org, seq: Number(head.seq) + 1, previous_hash: head.entry_hash,
        key_id: ring.activeKeyId, event_type: "decision_made", actor_id: "forger", actor_type: "user", target_id: "post-1",
        target_type: "content", action: "restore", metadata: { action: "no_action" }, timestamp: now,
        created_at: head.created_at, retention_until: "2040-01-01T00:00:00.000000Z", pii_tagged: false,
      }, forger);
      await tx`
        insert into public.audit_events (id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
          event_type, actor_id, actor_type, target_id, target_type, action, metadata, "timestamp", retention_until, pii_tagged, created_at)
        values (${entry.id}, ${org}, ${entry.seq}, ${entry.previous_hash}, ${entry.entry_hash}, ${entry.signature}, ${entry.key_id}, 1,
          ${entry.event_type}, ${entry.actor_id}, ${entry.actor_type}, ${entry.target_id}, ${entry.target_type}, ${entry.action},
          ${tx.json(entry.metadata as postgres.JSONValue)}, ${entry.timestamp}::text::timestamptz, ${entry.retention_until}::text::timestamptz,
          false, ${entry.created_at}::text::timestamptz)`;
      return await tx`update evident.chain_heads set seq = ${entry.seq}, entry_hash = ${entry.entry_hash} where organization_id = ${org}`;
    }
  }
}

/** Where verification must first fail for each kind of tampering. */
function expectedFirstFailure(c: Case): number | "head" {
  switch (c.kind) {
    case "edit":
    case "previous_hash":
      return c.seq;
    case "delete":
      return c.seq === trailLength ? "head" : c.seq + 1;
    case "swap":
      return Math.min(c.a, c.b);
    case "forged":
      return trailLength + 1;
  }
}

describe("tamper detection", () => {
  it("the untouched trail verifies", async () => {
    const outcome = await tamperAndVerify(async () => {});
    expect(outcome.summary).toMatchObject({ valid: true, checked: trailLength });
    expect(outcome.headMatches).toBe(true);
  });

  it("1,000 generated tamperings are each detected and localised", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const outcome = await tamperAndVerify((tx) => apply(tx, c));
        const expected = expectedFirstFailure(c);
        const label = JSON.stringify({ c, summary: outcome.summary, headMatches: outcome.headMatches });
        if (expected === "head") {
          // Every remaining link holds: only the head shows the newest entry is gone.
          expect(outcome.summary.valid, label).toBe(true);
          expect(outcome.headMatches, label).toBe(false);
        } else {
          expect(outcome.summary.valid, label).toBe(false);
          expect(outcome.summary.first_failure?.seq, label).toBe(expected);
        }
        const key = c.kind === "edit" ? `edit ${c.column}` : c.kind;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }),
      { numRuns: 1000 },
    );
    // Every kind of tampering came up.
    expect([...seen.keys()].length).toBe(Object.keys(editableColumns).length + 4);
  }, 300_000);

  it("the trail is untouched afterwards", async () => {
    const summary = await verifyOrganization(sql, org, ring);
    expect(summary).toMatchObject({ valid: true, checked: trailLength });
  });
});

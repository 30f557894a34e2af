// Tampering that only a superuser can do (triggers off for the session), generated at random and
// each case rolled back afterwards: every one is detected, and localised to the entry where the
// trail stops verifying. Deleting the newest entries is caught by the chain head comparison;
// deleting them *and* rewinding the head leaves a valid shorter chain, caught by the signed
// checkpoint (the copy kept outside the database, and the stored one). Edits to a stored
// checkpoint or to a sealed month's manifest break their Ed25519 signatures.
import fc from "fast-check";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointHeads, type SignedCheckpoint, latestStoredCheckpoint, signedCheckpointProblems } from "../supabase/functions/_shared/checkpoint.ts";
import { sealEntry } from "../supabase/functions/_shared/entry.ts";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import { monthBounds, sealMonth, verifySealedMonth } from "../supabase/functions/_shared/seal.ts";
import { Keyring } from "../supabase/functions/_shared/keyring.ts";
import { canonicalTimestamp } from "../supabase/functions/_shared/time.ts";
import { verifyAgainstHead, verifyOrganization } from "../supabase/functions/_shared/verify.ts";
import { appendAs, createOrganization, keyring, sampleEvent, serviceToken } from "./support/api.ts";
import { newExportKey } from "./support/archive.ts";
import { backfillMonth } from "./support/backfill.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql({ max: 2 });
afterAll(() => sql.end());
const ring = keyring();
const trailLength = 30;
const signer = ExportSigner.parse(newExportKey());
const publicKeys = new Map([[signer.keyId, signer.publicKeyPem()]]);
// A month no other test writes to, sealed here so its manifest can be tampered with.
const sealed = monthBounds("2025-12")!;
let org: string;
/** The checkpoint of the trail's head, as the archive keeps it: out of a superuser's reach. */
let archived: SignedCheckpoint;

beforeAll(async () => {
  org = await createOrganization(sql, "tamper target");
  const events = Array.from({ length: trailLength }, (_, i) =>
    sampleEvent({ metadata: { action: "content_removed", n: i, note: `entry ${i}` }, pii_tagged: i % 5 === 0 }));
  expect((await appendAs(serviceToken(), org, events)).status).toBe(201);
  const run = await checkpointHeads(sql, signer, [org]);
  archived = run.signed[0];
  expect(archived.checkpoint.seq).toBe(trailLength);

  const sealedOrg = await createOrganization(sql, "sealed tamper target");
  await backfillMonth(sql, sealedOrg, sealed.month, Array.from({ length: 5 }, () => sampleEvent()), ring);
  expect((await sealMonth(sql, sealed, ring, signer)).status).toBe("sealed");
});

class RolledBack extends Error {}

interface Outcome {
  summary: Awaited<ReturnType<typeof verifyOrganization>>;
  headMatches: boolean;
  /** From the stored checkpoint and from the archived copy. */
  checkpointProblems: string[];
  manifestProblems: string[];
}

/**
 * Runs `tamper` with triggers off, then verifies everything `evident verify` does (the trail, its
 * head, its checkpoints, the sealed month), all in one transaction that is rolled back.
 */
async function tamperAndVerify(tamper: (tx: postgres.TransactionSql) => Promise<unknown>) {
  let outcome: Outcome | undefined;
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tamper(tx);
    const { summary, head } = await verifyAgainstHead(tx, org, ring);
    const stored = await latestStoredCheckpoint(tx, org);
    const checkpointProblems = [
      ...(stored ? await signedCheckpointProblems(tx, stored, publicKeys) : ["the stored checkpoints are gone"]),
      ...await signedCheckpointProblems(tx, archived, publicKeys, "archive"),
    ];
    const month = await verifySealedMonth(tx, sealed, ring, signer.publicKeyPem());
    outcome = {
      summary,
      headMatches: head.matches,
      checkpointProblems,
      manifestProblems: month.status === "checked" ? month.problems : ["the manifest is gone"],
    };
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

const checkpointEdits = {
  entry_hash: (tx: postgres.TransactionSql) => tx`update evident.checkpoints set entry_hash = encode(sha256(entry_hash::bytea), 'hex') where organization_id = ${org}`,
  checkpointed_at: (tx: postgres.TransactionSql) => tx`update evident.checkpoints set checkpointed_at = checkpointed_at - interval '1 day' where organization_id = ${org}`,
  tree_root: (tx: postgres.TransactionSql) => tx`update evident.checkpoints set tree = jsonb_set(tree, '{root}', to_jsonb(repeat('0', 64))) where organization_id = ${org}`,
  rewound_with_tail: (tx: postgres.TransactionSql) => tx`update evident.checkpoints set seq = seq - 1 where organization_id = ${org}`,
};

const manifestEdits = {
  record_count: (tx: postgres.TransactionSql) => tx`update public.partition_manifests set record_count = record_count + 1 where partition_name = ${sealed.partitionName}`,
  checksum: (tx: postgres.TransactionSql) => tx`update public.partition_manifests set checksum = repeat('a', 64) where partition_name = ${sealed.partitionName}`,
  organization_root: (tx: postgres.TransactionSql) => tx`
    update public.partition_manifests set organization_roots = jsonb_set(organization_roots, '{0,root}', to_jsonb(repeat('b', 64)))
    where partition_name = ${sealed.partitionName}`,
  aggregates: (tx: postgres.TransactionSql) => tx`update public.partition_manifests set aggregates = '{"by_organization": {}}' where partition_name = ${sealed.partitionName}`,
  sealed_at: (tx: postgres.TransactionSql) => tx`update public.partition_manifests set sealed_at = sealed_at + interval '1 second' where partition_name = ${sealed.partitionName}`,
  deleted_month_entry: (tx: postgres.TransactionSql) => tx`
    delete from public.audit_events where created_at >= ${sealed.start}::text::timestamptz and created_at < ${sealed.end}::text::timestamptz
      and seq = 5`,
};

type Case =
  | { kind: "edit"; column: keyof typeof editableColumns; seq: number }
  | { kind: "previous_hash"; seq: number }
  | { kind: "delete"; seq: number }
  | { kind: "swap"; a: number; b: number }
  | { kind: "forged"; secret: string }
  | { kind: "truncate"; keep: number }
  | { kind: "checkpoint"; edit: keyof typeof checkpointEdits }
  | { kind: "manifest"; edit: keyof typeof manifestEdits };

const seqArb = fc.integer({ min: 1, max: trailLength });
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ kind: fc.constant("edit" as const), column: fc.constantFrom(...Object.keys(editableColumns) as Array<keyof typeof editableColumns>), seq: seqArb }),
  fc.record({ kind: fc.constant("previous_hash" as const), seq: fc.integer({ min: 2, max: trailLength }) }),
  fc.record({ kind: fc.constant("delete" as const), seq: seqArb }),
  fc.tuple(seqArb, seqArb).filter(([a, b]) => a !== b).map(([a, b]) => ({ kind: "swap" as const, a, b })),
  fc.stringMatching(/^[A-Za-z0-9]{32,48}$/).map((secret) => ({ kind: "forged" as const, secret })),
  fc.record({ kind: fc.constant("truncate" as const), keep: fc.integer({ min: 1, max: trailLength - 1 }) }),
  fc.record({ kind: fc.constant("checkpoint" as const), edit: fc.constantFrom(...Object.keys(checkpointEdits) as Array<keyof typeof checkpointEdits>) }),
  fc.record({ kind: fc.constant("manifest" as const), edit: fc.constantFrom(...Object.keys(manifestEdits) as Array<keyof typeof manifestEdits>) }),
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
    case "truncate": {
      // Cut the newest entries and rewind the head onto the new last one: a valid, shorter chain.
      await tx`delete from public.audit_events where organization_id = ${org} and seq > ${c.keep}`;
      return await tx`
        update evident.chain_heads h set seq = e.seq, entry_hash = e.entry_hash, created_at = e.created_at
        from public.audit_events e where h.organization_id = ${org} and e.organization_id = ${org} and e.seq = ${c.keep}`;
    }
    case "checkpoint":
      if (c.edit === "rewound_with_tail") {
        // The whole cover-up: tail cut, head rewound, and the stored checkpoint moved to match.
        await apply(tx, { kind: "truncate", keep: trailLength - 1 });
      }
      return await checkpointEdits[c.edit](tx);
    case "manifest":
      return await manifestEdits[c.edit](tx);
  }
}

/** Where verification must first fail for each kind of tampering. */
function expectedFirstFailure(c: Case): number | "head" | "checkpoint" | "manifest" {
  switch (c.kind) {
    case "truncate":
      return "checkpoint";
    case "checkpoint":
      return "checkpoint";
    case "manifest":
      return "manifest";
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
    expect(outcome.checkpointProblems).toEqual([]);
    expect(outcome.manifestProblems).toEqual([]);
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
        } else if (expected === "checkpoint") {
          // The chain that is left verifies; a signed checkpoint shows what was cut or altered.
          expect(outcome.summary.valid && outcome.headMatches, label).toBe(true);
          const problems = outcome.checkpointProblems.join("\n");
          if (c.kind === "truncate") {
            expect(outcome.summary.last_seq, label).toBe(c.keep);
            expect(problems, label).toMatch(new RegExp(`no longer holds entry seq ${trailLength}, which the checkpoint`));
          } else if (c.kind === "checkpoint" && c.edit === "rewound_with_tail") {
            // Moving the stored checkpoint breaks its signature; the archived copy names the cut.
            expect(problems, label).toMatch(/does not verify with key .*: it was altered/);
            expect(problems, label).toMatch(new RegExp(`archive: the trail no longer holds entry seq ${trailLength}`));
          } else {
            expect(problems, label).toMatch(new RegExp(`the checkpoint at seq ${trailLength} does not verify with key .*: it was altered`));
          }
        } else if (expected === "manifest") {
          expect(outcome.summary.valid && outcome.headMatches, label).toBe(true);
          expect(outcome.manifestProblems.length, label).toBeGreaterThan(0);
          if (c.kind === "manifest" && c.edit !== "deleted_month_entry") {
            expect(outcome.manifestProblems[0], label).toMatch(/the manifest's signature does not verify/);
          } else {
            expect(outcome.manifestProblems.join("\n"), label).toMatch(/the month holds 4 entries, the manifest 5/);
          }
        } else {
          expect(outcome.summary.valid, label).toBe(false);
          expect(outcome.summary.first_failure?.seq, label).toBe(expected);
          expect(outcome.manifestProblems, label).toEqual([]);
        }
        const key = c.kind === "edit" ? `edit ${c.column}` : c.kind === "checkpoint" || c.kind === "manifest" ? `${c.kind} ${c.edit}` : c.kind;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }),
      { numRuns: 1000 },
    );
    // Every kind of tampering came up.
    expect([...seen.keys()].length).toBe(
      Object.keys(editableColumns).length + 5 + Object.keys(checkpointEdits).length + Object.keys(manifestEdits).length);
  }, 300_000);

  it("the trail is untouched afterwards", async () => {
    const summary = await verifyOrganization(sql, org, ring);
    expect(summary).toMatchObject({ valid: true, checked: trailLength });
    const month = await verifySealedMonth(sql, sealed, ring, signer.publicKeyPem());
    expect(month).toMatchObject({ status: "checked", valid: true });
  });
});

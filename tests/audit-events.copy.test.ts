// The bulk write path (append-write.ts): batches from copyFromEntries on stream through COPY into a
// staging table while they are sealed, and the final INSERT travels with the COMMIT. It must write
// exactly what the small path writes, refuse exactly what the chain check refuses, and leave
// nothing behind when it fails at any point.
import { afterAll, describe, expect, it } from "vitest";
import { appendEvents } from "../supabase/functions/_shared/append.ts";
import { copyFromEntries, type StagedEntry, writeEntries } from "../supabase/functions/_shared/append-write.ts";
import { asWriter, sendWithCommit } from "../supabase/functions/_shared/db.ts";
import { checkEntry, sealEntry } from "../supabase/functions/_shared/entry.ts";
import { eventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { entryColumns, toEntry } from "../supabase/functions/_shared/trail.ts";
import { countEvents, createOrganization, keyring, sampleEvent, verifyTrail } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());
const ring = keyring();

// Every character COPY's text format gives meaning to, and some it does not.
const awkward = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "\\.", "quote\"s", "ünïcödé ✓ 𝄞", "trailing\\"];

function awkwardEvent(i: number, idempotencyKey?: string) {
  const text = awkward[i % awkward.length];
  return eventInput.parse(sampleEvent({
    actor_id: `${text} actor ${i}`,
    target_id: `${text} target ${i}`,
    action: `${text} action`,
    metadata: { action: "content_removed", note: text, nested: { list: [text, i, i / 7, true, null] }, [`key ${text}`]: i },
    ...(idempotencyKey === undefined ? {} : { idempotency_key: idempotencyKey }),
  }));
}

async function storedEntries(org: string) {
  return (await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries where organization_id = ${org} order by seq`).map(toEntry);
}

async function headSeq(org: string): Promise<number> {
  const [row] = await sql`select seq from evident.chain_heads where organization_id = ${org}`;
  return row ? Number(row.seq) : 0;
}

describe("batches through COPY", () => {
  it("store every value exactly as it was signed, at the threshold and above it", async () => {
    const org = await createOrganization(sql, "copy values");
    for (const size of [copyFromEntries - 1, copyFromEntries, 1000]) {
      const events = Array.from({ length: size }, (_, i) => awkwardEvent(i));
      await asWriter(sql, (tx) => appendEvents(tx, org, events, ring));
    }
    const entries = await storedEntries(org);
    expect(entries).toHaveLength(2 * copyFromEntries - 1 + 1000);
    for (const entry of entries) expect(checkEntry(entry, ring)).toEqual({ hash_valid: true, signature_valid: true });
    const last = entries.slice(-1000);
    for (const [i, entry] of last.entries()) {
      expect(entry.actor_id).toBe(`${awkward[i % awkward.length]} actor ${i}`);
      expect(entry.metadata).toEqual(JSON.parse(JSON.stringify(awkwardEvent(i).metadata)));
    }
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: entries.length });
  });

  it("record idempotency keys, and a resent batch replays without writing", async () => {
    const org = await createOrganization(sql, "copy replays");
    const events = Array.from({ length: 200 }, (_, i) => awkwardEvent(i, `batch-key ${awkward[i % awkward.length]} ${i}`));
    const first = await asWriter(sql, (tx) => appendEvents(tx, org, events, ring));
    expect(first.every((event) => !event.replayed)).toBe(true);
    const [{ keys }] = await sql`select count(*)::int as keys from evident.idempotency_keys where organization_id = ${org}`;
    expect(keys).toBe(200);

    // Half old, half new: the old half replays, the new half is appended after the first batch.
    const mixed = [...events.slice(100), ...Array.from({ length: 100 }, (_, i) => awkwardEvent(i, `second ${i}`))];
    const second = await asWriter(sql, (tx) => appendEvents(tx, org, mixed, ring));
    expect(second.slice(0, 100)).toEqual(first.slice(100).map((event) => ({ ...event, replayed: true })));
    expect(second.slice(100).map((event) => event.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 201 + i));
    expect(await countEvents(sql, org)).toBe(300);
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 300 });
  });

  it("refuse a batch whose links are broken: the chain check runs on the bulk path too", async () => {
    const org = await createOrganization(sql, "copy chain check");
    await asWriter(sql, (tx) => appendEvents(tx, org, [awkwardEvent(0)], ring));
    const error = await asWriter(sql, async (tx) => {
      const [head] = await tx`select * from evident.begin_append(${org}::uuid)`;
      const staged: StagedEntry[] = Array.from({ length: copyFromEntries + 8 }, (_, i) => {
        const fields = {
          ...awkwardEvent(i), id: crypto.randomUUID(), organization_id: org, seq: Number(head.head_seq) + 1 + i,
          // Every entry claims the head as its predecessor: a fork from the second entry on.
          previous_hash: head.head_hash, key_id: ring.activeKeyId, timestamp: head.created_at, created_at: head.created_at,
          retention_until: "2099-01-01T00:00:00.000000Z", pii_tagged: false,
        };
        return { sealed: sealEntry(fields, ring), idempotencyKey: null, requestHash: null };
      });
      await writeEntries(tx, staged, staged.length);
    }).catch((e) => e);
    expect(error).toMatchObject({ code: "EVC02" });
    expect(await headSeq(org)).toBe(1);
    expect(await countEvents(sql, org)).toBe(1);
  });

  it("write nothing when sealing fails in the middle of the stream, and leave the connection usable", async () => {
    const org = await createOrganization(sql, "copy failure");
    const failure = new Error("sealing failed after 50 rows");
    const error = await asWriter(sql, async (tx) => {
      const [head] = await tx`select * from evident.begin_append(${org}::uuid)`;
      function* entries(): Generator<StagedEntry> {
        let previous: string | null = head.head_hash;
        for (let i = 0; i < 100; i++) {
          if (i === 50) throw failure;
          const sealed = sealEntry({
            ...awkwardEvent(i), id: crypto.randomUUID(), organization_id: org, seq: i + 1, previous_hash: previous,
            key_id: ring.activeKeyId, timestamp: head.created_at, created_at: head.created_at,
            retention_until: "2099-01-01T00:00:00.000000Z", pii_tagged: false,
          }, ring);
          previous = sealed.entry_hash;
          yield { sealed, idempotencyKey: null, requestHash: null };
        }
      }
      await writeEntries(tx, entries(), 100);
    }).catch((e) => e);
    expect(error).toBe(failure);
    expect(await countEvents(sql, org)).toBe(0);
    // Every connection of the pool still appends, through both paths.
    for (let i = 0; i < 6; i++) {
      await asWriter(sql, (tx) => appendEvents(tx, org, Array.from({ length: i % 2 ? 1 : copyFromEntries }, (_, j) => awkwardEvent(j)), ring));
    }
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 3 + 3 * copyFromEntries });
  });
  it("fail, not hang, when PostgreSQL refuses the COPY after its last chunk", async () => {
    const org = await createOrganization(sql, "copy refused");
    const started = performance.now();
    const error = await asWriter(sql, async (tx) => {
      const [head] = await tx`select * from evident.begin_append(${org}::uuid)`;
      const staged: StagedEntry[] = Array.from({ length: copyFromEntries }, (_, i) => ({
        sealed: {
          ...sealEntry({
            ...awkwardEvent(i), id: crypto.randomUUID(), organization_id: org, seq: i + 1, previous_hash: null,
            key_id: ring.activeKeyId, timestamp: head.created_at, created_at: head.created_at,
            retention_until: "2099-01-01T00:00:00.000000Z", pii_tagged: false,
          }, ring),
          // A value the staging table's types refuse: only PostgreSQL notices, after the data is sent.
          ...(i === copyFromEntries - 1 ? { timestamp: "not a time" } : {}),
        },
        idempotencyKey: null,
        requestHash: null,
      }));
      await writeEntries(tx, staged, staged.length);
    }).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await countEvents(sql, org)).toBe(0);
    await asWriter(sql, (tx) => appendEvents(tx, org, Array.from({ length: copyFromEntries }, (_, j) => awkwardEvent(j)), ring));
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: copyFromEntries });
  });
});

describe("statements sent with the COMMIT", () => {
  it("a failure among them fails the transaction with its own error and undoes everything before it", async () => {
    const org = await createOrganization(sql, "commit pipeline");
    const error = await asWriter(sql, async (tx) => {
      await appendEvents(tx, org, [awkwardEvent(0)], ring); // its INSERT is sent with the COMMIT
      await sendWithCommit(tx, tx`select 1 / 0`);
      // Work that goes on meets the aborted transaction (25P02); the cause is what is reported.
      await tx`select 1`;
    }).catch((e) => e);
    expect(error).toMatchObject({ code: "22012" });
    expect(await countEvents(sql, org)).toBe(0);
    expect(await headSeq(org)).toBe(0);
  });

  it("a failed append's own statement is the error reported, not the aborted COMMIT behind it", async () => {
    const org = await createOrganization(sql, "commit pipeline 2");
    const error = await asWriter(sql, async (tx) => {
      const [event] = await appendEvents(tx, org, [awkwardEvent(0)], ring);
      // The same seq again: the chain check refuses it when the pipelined statements run.
      await sendWithCommit(tx, tx`insert into public.audit_events select * from public.audit_events where id = ${event.id}`);
    }).catch((e) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/^(EVC01|23505)$/) });
    expect(await countEvents(sql, org)).toBe(0);
  });
});

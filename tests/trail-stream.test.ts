// The COPY reader verification streams entries through (trail-stream.ts): it must read every
// entry exactly as evident.audit_entries renders it, whatever its values hold, and leave its
// connection usable after every stream, however quickly the stream's output arrives.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEvents } from "../supabase/functions/_shared/append.ts";
import { asWriter } from "../supabase/functions/_shared/db.ts";
import { eventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { unstorableJson, unstorableString } from "../supabase/functions/_shared/schemas/values.ts";
import { entriesCopyStatement, forEachEntries } from "../supabase/functions/_shared/trail-stream.ts";
import { entryColumns, type StoredEntry, toEntry } from "../supabase/functions/_shared/trail.ts";
import { createOrganization, keyring } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql({ max: 1 });
afterAll(() => sql.end());
const ring = keyring();
let org: string;

beforeAll(async () => {
  org = await createOrganization(sql, "trail stream");
});

async function streamed(range: Parameters<typeof forEachEntries>[2]): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  await forEachEntries(sql, org, range, (batch) => entries.push(...batch));
  return entries;
}

async function viaView(): Promise<StoredEntry[]> {
  return (await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries where organization_id = ${org} order by seq, created_at_instant`).map(toEntry);
}

const text = fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((s) => unstorableString(s, "s") === undefined);
const metadata = fc.dictionary(fc.string({ unit: "binary", maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  .filter((m) => unstorableJson(m, "metadata") === undefined);

describe("the COPY trail reader", () => {
  it("reads every entry as evident.audit_entries renders it, whatever the values hold", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ actor_id: text, target_id: text, action: text, metadata }), { minLength: 1, maxLength: 8 }), async (values) => {
        const events = values.map((v) => eventInput.parse({ event_type: "trail.stream", actor_type: "user", target_type: "content", ...v }));
        await asWriter(sql, (tx) => appendEvents(tx, org, events, ring));
      }),
      { numRuns: 40 },
    );
    const expected = await viaView();
    expect(await streamed({ afterSeq: 0 })).toEqual(expected);
    expect(await streamed({ afterSeq: 10, throughSeq: 20 })).toEqual(expected.filter((e) => e.seq > 10 && e.seq <= 20));
  });

  it("leaves its connection usable after many short streams", async () => {
    // Short ranges often arrive whole before the reader listens; postgres.js then pauses the socket
    // and, unless the reader resumes it, the next statement on the connection never gets an answer.
    for (let i = 0; i < 60; i++) {
      const answer = await Promise.race([
        streamed({ afterSeq: i % 20, throughSeq: (i % 20) + 40 }).then(() => sql`select 1 as ok`),
        new Promise((resolve) => setTimeout(() => resolve("no answer"), 5000)),
      ]);
      expect(answer, `stream ${i}`).toEqual([{ ok: 1 }]);
    }
  });

  it("refuses to build a statement from values that are not what they claim to be", () => {
    expect(() => entriesCopyStatement("x'; drop table t; --", { afterSeq: 0 })).toThrow(RangeError);
    expect(() => entriesCopyStatement(org, { afterSeq: 0, from: "2026-01-01'); drop table t; --" })).toThrow(RangeError);
    expect(() => entriesCopyStatement(org, { afterSeq: 1.5 })).toThrow(RangeError);
  });

  it("fails with the handler's error and keeps the connection usable", async () => {
    const failure = new Error("handler failed");
    await expect(forEachEntries(sql, org, { afterSeq: 0 }, () => { throw failure; })).rejects.toBe(failure);
    expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
  });
});

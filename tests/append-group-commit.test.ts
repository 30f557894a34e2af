// Group commit (supabase/functions/_shared/append-group-commit.ts): appends that arrive while a
// transaction is in flight share the next one, and every caller still gets the answer it would have
// got alone. Driven directly against the test database, so that which requests share a group is
// known: one request is put in flight first, and the requests issued while it runs form the next
// group. Rows written by one transaction share its xmin, which shows what was grouped.
import { afterAll, describe, expect, it } from "vitest";
import { AppendGroupCommit, type AppendRequest, defaultGroupLimits } from "../supabase/functions/_shared/append-group-commit.ts";
import type { AppendedEvent } from "../supabase/functions/_shared/append.ts";
import type { Caller } from "../supabase/functions/_shared/auth.ts";
import { sealEntry } from "../supabase/functions/_shared/entry.ts";
import { ApiError, fromDatabaseError } from "../supabase/functions/_shared/errors.ts";
import type { EventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { uuidV7 } from "../supabase/functions/_shared/uuid.ts";
import {
  appendAs,
  countEvents,
  createMember,
  createOrganization,
  keyring,
  sampleEvent,
  serviceToken,
  verifyTrail,
} from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql({ max: 12 });
afterAll(() => sql.end());

const service: Caller = { kind: "service", actorId: "service_role" };
const user = (userId: string): Caller => ({ kind: "user", actorId: userId, userId });
const event = (overrides: Partial<EventInput> = {}) => sampleEvent(overrides) as EventInput;
const groups = () => new AppendGroupCommit(() => sql, keyring(), { ...defaultGroupLimits, inFlight: 1 });

type Answer = { events: AppendedEvent[] } | { error: unknown };
const settle = (promise: Promise<AppendedEvent[]>): Promise<Answer> => promise.then((events) => ({ events }), (error) => ({ error }));

/**
 * Puts one request in flight, then issues `requests` while it runs: they form the next group
 * together. Resolves with each request's answer.
 */
async function inOneGroup(appends: AppendGroupCommit, requests: AppendRequest[]): Promise<Answer[]> {
  const blocker = await createOrganization(sql, "blocker");
  const first = appends.append({ caller: service, organizationId: blocker, events: [event()] });
  const answers = requests.map((request) => settle(appends.append(request)));
  await first;
  return await Promise.all(answers);
}

/** The API error an answer stands for: a refusal as it is, a database error as the endpoint maps it. */
function refusalOf(answer: Answer): ApiError {
  expect("error" in answer, JSON.stringify(answer)).toBe(true);
  const error = (answer as { error: unknown }).error;
  return error instanceof ApiError ? error : fromDatabaseError(error) ?? (() => { throw error; })();
}

function eventsOf(answer: Answer): AppendedEvent[] {
  if ("error" in answer) throw answer.error;
  return answer.events;
}

async function transactionsOf(ids: string[]): Promise<Set<string>> {
  const rows = await sql`select xmin::text as xmin from public.audit_events where id = any(${ids}::uuid[])`;
  expect(rows).toHaveLength(ids.length);
  return new Set(rows.map((row) => row.xmin));
}

describe("group commit", () => {
  it("keeps every chain gapless and unforked under many concurrent single appends to several organisations", async () => {
    const appends = groups();
    const orgs = await Promise.all(Array.from({ length: 6 }, (_, i) => createOrganization(sql, `group ${i}`)));
    // Four writers per organisation, 25 appends each, all at once.
    const acknowledged = await Promise.all(orgs.flatMap((org) => Array.from({ length: 4 }, async () => {
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) ids.push(...(await appends.append({ caller: service, organizationId: org, events: [event()] })).map((e) => e.id));
      return { org, ids };
    })));
    for (const org of orgs) {
      const ids = acknowledged.filter((writer) => writer.org === org).flatMap((writer) => writer.ids);
      expect(new Set(ids).size).toBe(100);
      expect(await countEvents(sql, org)).toBe(100);
      expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 100, last_seq: 100 });
    }
    // They did share transactions: far fewer than one per request.
    const all = acknowledged.flatMap((writer) => writer.ids);
    expect((await transactionsOf(all)).size).toBeLessThan(all.length / 3);
  });

  it("answers each request of a group as if alone: refusals on their own merits leave the others written", async () => {
    const appends = groups();
    const [a, b, c, tampered] = await Promise.all(["a", "b", "c", "tampered"].map((name) => createOrganization(sql, `merits ${name}`)));
    const moderator = await createMember(sql, a, "moderator");
    const auditor = await createMember(sql, b, "auditor");
    expect((await appends.append({ caller: service, organizationId: a, events: [event({ idempotency_key: "known" })] }))[0].seq).toBe(1);
    expect((await appends.append({ caller: service, organizationId: tampered, events: [event()] }))[0].seq).toBe(1);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update evident.chain_heads set entry_hash = repeat('e', 64) where organization_id = ${tampered}`;
    });
    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, ".000000Z");

    const answers = await inOneGroup(appends, [
      { caller: user(moderator), organizationId: a, events: [event(), event()] },
      { caller: service, organizationId: a, events: [event(), event({ timestamp: future })] },
      { caller: user(auditor), organizationId: b, events: [event()] },
      { caller: service, organizationId: crypto.randomUUID(), events: [event()] },
      { caller: service, organizationId: a, events: [event({ idempotency_key: "known", action: "changed" })] },
      { caller: service, organizationId: tampered, events: [event()] },
      { caller: service, organizationId: b, events: [event()] },
      { caller: user(moderator), organizationId: a, events: [event()] },
      { caller: service, organizationId: c, events: [event(), event(), event()] },
    ]);

    expect(eventsOf(answers[0]).map((e) => e.seq)).toEqual([2, 3]);
    expect(refusalOf(answers[1])).toMatchObject({ status: 400, code: "invalid_request", message: expect.stringMatching(/events\[1\]\.timestamp .* lies in the future/) });
    expect(refusalOf(answers[2])).toMatchObject({ status: 403, code: "forbidden" });
    expect(refusalOf(answers[3])).toMatchObject({ status: 404, code: "not_found" });
    expect(refusalOf(answers[4])).toMatchObject({ status: 409, code: "conflict", message: expect.stringMatching(/already used for a different event/) });
    expect(refusalOf(answers[5])).toMatchObject({ status: 409, code: "chain_conflict", message: expect.stringMatching(/disagrees with its trail/) });
    expect(eventsOf(answers[6]).map((e) => e.seq)).toEqual([1]);
    // Numbered after the requests before it that were written, not after the refused one.
    expect(eventsOf(answers[7]).map((e) => e.seq)).toEqual([4]);
    expect(eventsOf(answers[8]).map((e) => e.seq)).toEqual([1, 2, 3]);

    const written = [0, 6, 7, 8].flatMap((i) => eventsOf(answers[i]).map((e) => e.id));
    expect((await transactionsOf(written)).size).toBe(1);
    expect(await countEvents(sql, a)).toBe(4);
    expect(await countEvents(sql, tampered)).toBe(1);
    for (const [org, count] of [[a, 4], [b, 1], [c, 3]] as const) {
      expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: count, last_seq: count });
    }
  });

  it("treats one idempotency key used twice in a group as if the requests ran one after the other", async () => {
    const appends = groups();
    const [org, other] = await Promise.all([createOrganization(sql, "keys in a group"), createOrganization(sql, "same key elsewhere")]);
    const same = event({ idempotency_key: "k-1" });
    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, ".000000Z");
    const answers = await inOneGroup(appends, [
      { caller: service, organizationId: org, events: [same] },
      // The same event again: a replay of the one just written in this group.
      { caller: service, organizationId: org, events: [{ ...same }, event()] },
      // The same key with another event: refused.
      { caller: service, organizationId: org, events: [{ ...same, action: "other" }] },
      // Another organisation's keys are its own.
      { caller: service, organizationId: other, events: [{ ...same, action: "other" }] },
      // A key whose first request is refused is not used: the next request with it writes.
      { caller: service, organizationId: org, events: [event({ idempotency_key: "k-2" }), event({ timestamp: future })] },
      { caller: service, organizationId: org, events: [event({ idempotency_key: "k-2" })] },
    ]);
    const [written] = eventsOf(answers[0]);
    expect(written).toMatchObject({ seq: 1, replayed: false });
    expect(eventsOf(answers[1])).toEqual([{ ...written, replayed: true }, expect.objectContaining({ seq: 2, replayed: false })]);
    expect(refusalOf(answers[2])).toMatchObject({ status: 409, code: "conflict" });
    expect(eventsOf(answers[3])).toEqual([expect.objectContaining({ seq: 1, replayed: false })]);
    expect(refusalOf(answers[4])).toMatchObject({ status: 400 });
    expect(eventsOf(answers[5])).toEqual([expect.objectContaining({ seq: 3, replayed: false })]);
    // All of it decided in the group, in one transaction (no fallback to one transaction each).
    expect((await transactionsOf([0, 1, 3, 5].flatMap((i) => eventsOf(answers[i]).filter((e) => !e.replayed).map((e) => e.id)))).size).toBe(1);

    // Committed: alone now, the key replays the same event, and its hash and signature are the stored ones.
    const again = await appends.append({ caller: service, organizationId: org, events: [same] });
    expect(again).toEqual([{ ...written, replayed: true }]);
    const [stored] = await sql`select entry_hash, signature from public.audit_events where organization_id = ${org} and seq = 1`;
    expect(written).toMatchObject({ entry_hash: stored.entry_hash, signature: stored.signature });
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 3 });
  });

  it("runs each request alone when the group's transaction fails for a reason no request was charged with beforehand", async () => {
    const appends = groups();
    const [a, b, planted] = await Promise.all(["a", "b", "planted"].map((name) => createOrganization(sql, `fallback ${name}`)));
    // A head the function cannot tell from a sound one, but the database's chain check refuses to
    // extend: it names a correctly signed entry dated an hour ahead (planted with triggers off, as
    // only a superuser could), so every new entry would lie before it (EVC03).
    const [genesis] = await appends.append({ caller: service, organizationId: planted, events: [event()] });
    const [{ ahead }] = await sql`select to_char((now() + interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ahead`;
    const entry = sealEntry({
      id: uuidV7(), organization_id: planted, seq: 2, previous_hash: genesis.entry_hash, key_id: keyring().activeKeyId,
      event_type: "decision_made", actor_id: "moderator-1", actor_type: "user", target_id: "post-1", target_type: "content",
      action: "remove", metadata: { action: "content_removed" }, timestamp: ahead, created_at: ahead,
      retention_until: "2040-01-01T00:00:00.000000Z", pii_tagged: false,
    }, keyring());
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into public.audit_events select * from jsonb_populate_record(null::public.audit_events, ${tx.json(entry as never)})`;
      await tx`update evident.chain_heads set seq = 2, entry_hash = ${entry.entry_hash}, created_at = ${ahead}::text::timestamptz where organization_id = ${planted}`;
    });

    const keyed = event({ idempotency_key: "x" });
    const answers = await inOneGroup(appends, [
      { caller: service, organizationId: a, events: [keyed] },
      { caller: service, organizationId: planted, events: [event()] },
      { caller: service, organizationId: b, events: [event(), event()] },
      { caller: service, organizationId: a, events: [{ ...keyed }] },
    ]);
    expect(refusalOf(answers[1])).toMatchObject({ status: 409, code: "chain_conflict", details: { sqlstate: "EVC03" } });
    const [first] = eventsOf(answers[0]);
    expect(first).toMatchObject({ seq: 1, replayed: false });
    expect(eventsOf(answers[2]).map((e) => e.seq)).toEqual([1, 2]);
    // Alone too, the second request with the key comes after the first and replays it.
    expect(eventsOf(answers[3])).toEqual([{ ...first, replayed: true }]);
    // Each in a transaction of its own, and nothing of the failed group's transaction is left.
    expect((await transactionsOf([first.id, eventsOf(answers[2])[0].id])).size).toBe(2);
    expect(await countEvents(sql, a)).toBe(1);
    expect(await countEvents(sql, b)).toBe(2);
    expect(await countEvents(sql, planted)).toBe(2);
    for (const [org, count] of [[a, 1], [b, 2]] as const) expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: count });
  });

  it("bounds a group by requests and events", async () => {
    const appends = new AppendGroupCommit(() => sql, keyring(), { ...defaultGroupLimits, maxRequests: 3, maxEvents: 5, inFlight: 1 });
    const org = await createOrganization(sql, "bounded");
    const sizes = [1, 1, 1, 1, 2, 2, 2, 4];
    const answers = await inOneGroup(appends, sizes.map((n) => ({ caller: service, organizationId: org, events: Array.from({ length: n }, () => event()) })));
    const ids = answers.map((answer) => eventsOf(answer).map((e) => e.id));
    const xmins = await Promise.all(ids.map(async (group) => [...await transactionsOf(group)][0]));
    // [1, 1, 1] (three requests), [1, 2, 2] (five events), [2] then [4] (a sixth event is one too many).
    expect(xmins.map((x) => xmins.indexOf(x))).toEqual([0, 0, 0, 3, 3, 3, 6, 7]);
    expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 14 });

  });
});

describe("a group that waits", () => {
  it("does not hold back the requests after it: a head lock held elsewhere delays only its own organisation", async () => {
    const appends = new AppendGroupCommit(() => sql, keyring(), { ...defaultGroupLimits, inFlight: 1, stalledAfterMs: 100 });
    const [held, free] = await Promise.all([createOrganization(sql, "held"), createOrganization(sql, "free")]);
    await appends.append({ caller: service, organizationId: held, events: [event()] });
    const holder = await sql.reserve();
    try {
      await holder`begin`;
      await holder`select 1 from evident.chain_heads where organization_id = ${held} for update`;
      const waiting = settle(appends.append({ caller: service, organizationId: held, events: [event()] }));
      const started = Date.now();
      expect(await appends.append({ caller: service, organizationId: free, events: [event()] })).toEqual([expect.objectContaining({ seq: 1 })]);
      expect(Date.now() - started).toBeLessThan(5_000);
      await holder`commit`;
      expect(eventsOf(await waiting)).toEqual([expect.objectContaining({ seq: 2 })]);
    } finally {
      holder.release();
    }
    expect(await verifyTrail(sql, held)).toMatchObject({ valid: true, checked: 2 });
  });
});

describe("group commit over HTTP", () => {
  it("concurrent requests with refusals among them: the others are written, every chain verifies", async () => {
    const orgs = await Promise.all(Array.from({ length: 4 }, (_, i) => createOrganization(sql, `http group ${i}`)));
    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, ".000000Z");
    const responses = await Promise.all(Array.from({ length: 48 }, (_, i) =>
      appendAs(serviceToken(), orgs[i % 4], i % 6 === 5 ? [sampleEvent(), sampleEvent({ timestamp: future })] : [sampleEvent()])));
    responses.forEach((response, i) => expect(response.status, JSON.stringify(response.body)).toBe(i % 6 === 5 ? 400 : 201));
    for (const org of orgs) {
      const written = responses.filter((response, i) => i % 4 === orgs.indexOf(org) && response.status === 201).length;
      expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: written, last_seq: written });
    }
  });
});

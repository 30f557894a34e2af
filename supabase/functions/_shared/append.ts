// The one write path. Every capability that records something (the audit-events endpoint, the
// audited read path, and later SoR submission, authority requests, retention) appends here, inside
// a transaction already switched to the evident_writer role:
//   lock the head and look up the idempotency keys (one round trip) → re-verify the head against
//   the trail → number the new events → link, hash and sign them while they stream to the
//   database → insert them and record their keys, sent with the COMMIT (append-write.ts).
// Several callers' batches, of one organisation or several, can share one transaction
// (appendBatches; append-group-commit.ts gathers them): each is decided as if it ran alone.
// The database's chain trigger re-checks every link, so a bug here cannot fork the chain.
import canonicalize from "canonicalize";
import type { WriterTransaction } from "./db.ts";
import { type EntryFields } from "./canonical.ts";
import { sha256Hex } from "./crypto.ts";
import { checkEntry, sealEntryInPlace } from "./entry.ts";
import { prepareStaging, type StagedEntry, writeEntries } from "./append-write.ts";
import { ApiError } from "./errors.ts";
import type { Keyring } from "./keyring.ts";
import { commitmentKeyFromEnv, commitPersonalData, insertPersonalRows, type PersonalRow } from "./personal.ts";
import { retentionUntil } from "./retention.ts";
import type { EventInput } from "./schemas/events.ts";
import { epochMicros } from "./time.ts";
import { toEntry } from "./trail.ts";
import { uuidV7 } from "./uuid.ts";

/** How far in the future (by the database clock) an event's own timestamp may lie. */
export const maxFutureSkewMicros = 5n * 60n * 1_000_000n;

export interface AppendedEvent {
  id: string;
  seq: number;
  entry_hash: string;
  signature: string;
  key_id: string;
  created_at: string;
  /** True when an earlier request with the same idempotency key wrote this event. */
  replayed: boolean;
}

/** One caller's events for one organisation. */
export interface AppendBatch {
  organizationId: string;
  events: EventInput[];
}

/** What one batch came to: its events, or the refusal it gets, exactly as if it had run alone. */
export type AppendOutcome = { events: AppendedEvent[] } | { refused: unknown };

interface Head {
  seq: number;
  entryHash: string | null;
  headCreatedAt: string | null;
  /** The database clock, read after the head lock was granted: the batch's created_at. */
  now: string;
  trailBeyondHead: boolean;
  headEntry: Record<string, unknown> | null;
}

/** An idempotency key already used: in the trail, or by a batch before in the same transaction. */
interface UsedKey {
  requestHash: string;
  /** Complete once its entry is sealed. */
  result: AppendedEvent;
}

/** One organisation's chain during a transaction: its locked head and what the batches add to it. */
interface Chain {
  organizationId: string;
  head: Head;
  /** Set when the head disagrees with the trail: every batch of the organisation is refused. */
  headRefusal?: ApiError;
  /** The last seq numbered so far. */
  seq: number;
  usedKeys: Map<string, UsedKey>;
  unsealed: UnsealedEntry[];
}

interface UnsealedEntry {
  fields: EntryFields;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** Filled in with the hash and signature once sealed. */
  result: AppendedEvent;
}

/** A batch that will be written: its results in event order, replays pointing at what they replay. */
interface PlannedBatch {
  results: Array<AppendedEvent | { replayOf: AppendedEvent }>;
  unsealed: UnsealedEntry[];
  personalRows: PersonalRow[];
  usedKeys: Array<[string, UsedKey]>;
}

/** Appends one batch; throws what refuses it. */
export async function appendEvents(
  tx: WriterTransaction,
  organizationId: string,
  events: EventInput[],
  keyring: Keyring,
): Promise<AppendedEvent[]> {
  const [outcome] = await appendBatches(tx, [{ organizationId, events }], keyring);
  if ("refused" in outcome) throw outcome.refused;
  return outcome.events;
}

/**
 * Appends several batches in one transaction, in the order given: each organisation's head is
 * locked once, every batch is decided on its own (a refused one writes nothing and changes nothing
 * for the others, and a batch after another with the same idempotency key replays it or is refused
 * with 409, as if they had run one after the other), and the accepted events of all of them go in
 * the same statements. A failure of those statements fails the whole transaction; the caller then
 * decides what to retry (append-group-commit.ts runs each batch alone).
 */
export async function appendBatches(tx: WriterTransaction, batches: AppendBatch[], keyring: Keyring): Promise<AppendOutcome[]> {
  // What a replay must match: only events that name an idempotency key have one.
  const requestHashes = batches.map(({ events }) =>
    events.map((event) => event.idempotency_key === undefined ? "" : sha256Hex(canonicalize(event) ?? ""))
  );
  // Heads are locked in a fixed order (by organisation id), so two transactions that lock several
  // cannot deadlock. The replay lookup travels with the locks in one round trip and runs after
  // every lock is granted (a connection runs its statements in order), so it sees every key
  // committed before.
  const organizations = [...new Set(batches.map(({ organizationId }) => organizationId.toLowerCase()))].sort();
  const lookups = Promise.all([lockHeads(tx, organizations), findUsedKeys(tx, batches)]);
  prepareStaging(tx, batches.reduce((sum, { events }) => sum + events.length, 0));
  const [heads, used] = await lookups;

  const chains = new Map<string, Chain>(organizations.map((organizationId, i) => {
    const head = heads[i];
    return [organizationId, { organizationId, head, headRefusal: headRefusal(organizationId, head, keyring), seq: head.seq, usedKeys: new Map(), unsealed: [] }];
  }));
  for (const row of used) chains.get(row.organization_id)!.usedKeys.set(row.idempotency_key, { requestHash: row.request_hash, result: row.result });

  const personalRows: PersonalRow[] = [];
  const plans = batches.map((batch, index): PlannedBatch | { refused: unknown } => {
    const chain = chains.get(batch.organizationId.toLowerCase())!;
    try {
      const plan = planBatch(chain, batch, requestHashes[index], keyring);
      // Accepted: its events and keys count for the batches after it.
      chain.seq += plan.unsealed.length;
      chain.unsealed.push(...plan.unsealed);
      for (const [key, usedKey] of plan.usedKeys) chain.usedKeys.set(key, usedKey);
      personalRows.push(...plan.personalRows);
      return plan;
    } catch (refusal) {
      return { refused: refusal };
    }
  });

  const count = [...chains.values()].reduce((sum, chain) => sum + chain.unsealed.length, 0);
  if (count > 0) await writeEntries(tx, sealChains([...chains.values()], keyring), count);
  await insertPersonalRows(tx, personalRows);
  return plans.map((plan) =>
    "refused" in plan ? plan : { events: plan.results.map((result) => "replayOf" in result ? { ...result.replayOf, replayed: true } : result) }
  );
}

/**
 * Numbers one batch's new events after what the chain holds so far, or throws what refuses it.
 * Everything that can refuse a batch is decided here, before anything is written, and nothing of
 * the chain is changed: the caller adds an accepted batch to it.
 */
function planBatch(chain: Chain, { organizationId, events }: AppendBatch, requestHashes: string[], keyring: Keyring): PlannedBatch {
  for (const [index, event] of events.entries()) {
    const used = event.idempotency_key === undefined ? undefined : chain.usedKeys.get(event.idempotency_key);
    if (used && used.requestHash !== requestHashes[index]) {
      throw new ApiError(409, "conflict", `idempotency_key ${JSON.stringify(event.idempotency_key)} was already used for a different event`);
    }
  }
  if (chain.headRefusal) throw chain.headRefusal;
  const { head } = chain;
  const plan: PlannedBatch = { results: [], unsealed: [], personalRows: [], usedKeys: [] };
  // Read only when an event carries personal data: without the key such an event cannot be written.
  const commitmentKey = events.some((event) => event.personal_data !== undefined) ? commitmentKeyFromEnv() : undefined;
  let seq = chain.seq;
  const nowMicros = epochMicros(head.now);

  events.forEach((event, index) => {
    const used = event.idempotency_key === undefined ? undefined : chain.usedKeys.get(event.idempotency_key);
    if (used) {
      plan.results.push({ replayOf: used.result });
      return;
    }
    const timestamp = event.timestamp ?? head.now;
    if (epochMicros(timestamp) > nowMicros + maxFutureSkewMicros) {
      throw new ApiError(400, "invalid_request", `events[${index}].timestamp ${timestamp} lies in the future (database clock ${head.now})`, {
        issues: [{ path: `events[${index}].timestamp`, message: "lies more than 5 minutes in the future" }],
      });
    }
    const retention = event.retention_until ?? retentionUntil(event.event_type, head.now);
    if (epochMicros(retention) <= nowMicros) {
      throw new ApiError(400, "invalid_request", `events[${index}].retention_until ${retention} has already passed`, {
        issues: [{ path: `events[${index}].retention_until`, message: "must lie in the future" }],
      });
    }
    seq += 1;
    const fields: EntryFields = {
      id: uuidV7(),
      organization_id: organizationId,
      seq,
      previous_hash: null, // linked when sealed, in order
      key_id: keyring.activeKeyId,
      event_type: event.event_type,
      actor_id: event.actor_id,
      actor_type: event.actor_type,
      target_id: event.target_id,
      target_type: event.target_type,
      action: event.action,
      metadata: event.metadata,
      timestamp,
      created_at: head.now,
      retention_until: retention,
      pii_tagged: event.pii_tagged ?? false,
    };
    if (event.personal_data !== undefined) {
      // Canonical form v2: the values go to the erasable store, their commitments into the payload.
      const personal = commitPersonalData(commitmentKey!, fields, event.personal_data);
      fields.personal_commitments = personal.commitments;
      plan.personalRows.push(...personal.rows);
    }
    const result: AppendedEvent = { id: fields.id, seq, entry_hash: "", signature: "", key_id: fields.key_id, created_at: head.now, replayed: false };
    plan.results.push(result);
    const requestHash = event.idempotency_key === undefined ? null : requestHashes[index];
    plan.unsealed.push({ fields, idempotencyKey: event.idempotency_key ?? null, requestHash, result });
    if (event.idempotency_key !== undefined) plan.usedKeys.push([event.idempotency_key, { requestHash: requestHashes[index], result }]);
  });
  return plan;
}

/** Every chain's new entries, sealed in order, each chain continuing from its head. */
function* sealChains(chains: Chain[], keyring: Keyring): Generator<StagedEntry> {
  for (const chain of chains) yield* sealInOrder(chain.unsealed, chain.head.entryHash, keyring);
}

/** The entries sealed one after another, each linked to the hash of the one before. */
function* sealInOrder(entries: UnsealedEntry[], headHash: string | null, keyring: Keyring): Generator<StagedEntry> {
  let previousHash = headHash;
  for (const entry of entries) {
    entry.fields.previous_hash = previousHash;
    const sealed = sealEntryInPlace(entry.fields, keyring);
    previousHash = sealed.entry_hash;
    entry.result.entry_hash = sealed.entry_hash;
    entry.result.signature = sealed.signature;
    yield { sealed, idempotencyKey: entry.idempotencyKey, requestHash: entry.requestHash };
  }
}

/** Locks the organisations' heads, in the order given, in one statement; their heads in that order. */
async function lockHeads(tx: WriterTransaction, organizations: string[]): Promise<Head[]> {
  // execute(): dispatched now, in call order, ahead of the statements issued after it. The lateral
  // call runs once per organisation, in the array's order.
  const rows = await tx`
    select h.*
    from unnest(${organizations}::uuid[]) with ordinality as o(organization_id, n)
    cross join lateral evident.begin_append(o.organization_id) h
    order by o.n`.execute();
  return rows.map((row) => ({
    seq: Number(row.head_seq),
    entryHash: row.head_hash,
    headCreatedAt: row.head_created_at,
    // If the database clock went back behind the head, the chain check refuses the insert (EVC03).
    now: row.created_at,
    trailBeyondHead: row.trail_beyond_head,
    headEntry: row.head_entry,
  }));
}

/**
 * The persisted head must be the trail's last entry, intact. Anything else means the head or the
 * trail was changed outside this path: refuse to extend a chain we cannot vouch for.
 */
function headRefusal(organizationId: string, head: Head, keyring: Keyring): ApiError | undefined {
  const refusal = (why: string) =>
    new ApiError(409, "chain_conflict", `the persisted chain head of organization ${organizationId} disagrees with its trail: ${why}; appends are refused until an operator investigates`);
  if (head.trailBeyondHead) return refusal(`entries exist after head seq ${head.seq}`);
  if (head.seq === 0) return undefined;
  if (!head.headEntry) return refusal(`no entry with seq ${head.seq} at ${head.headCreatedAt}`);
  const entry = toEntry(head.headEntry);
  if (entry.entry_hash !== head.entryHash) return refusal(`entry ${head.seq} has hash ${entry.entry_hash}, the head records ${head.entryHash}`);
  const check = checkEntry(entry, keyring);
  if (!check.hash_valid || !check.signature_valid) {
    return refusal(`entry ${head.seq} fails verification (${check.error ?? (check.hash_valid ? "bad signature" : "hash mismatch")})`);
  }
  return undefined;
}

/** The batches' idempotency keys that the trail already holds, with what each wrote. */
async function findUsedKeys(
  tx: WriterTransaction,
  batches: AppendBatch[],
): Promise<Array<{ organization_id: string; idempotency_key: string; request_hash: string; result: AppendedEvent }>> {
  const organizations: string[] = [];
  const keys: string[] = [];
  const asked = new Set<string>();
  for (const { organizationId, events } of batches) {
    for (const { idempotency_key: key } of events) {
      // Two batches of a group may name the same key: asked once.
      if (key === undefined || asked.has(`${organizationId} ${key}`)) continue;
      asked.add(`${organizationId} ${key}`);
      organizations.push(organizationId);
      keys.push(key);
    }
  }
  if (keys.length === 0) return [];
  const rows = await tx`
    select k.organization_id, k.idempotency_key, k.request_hash, e.id, e.seq, e.entry_hash, e.signature, e.key_id, e.created_at
    from unnest(${organizations}::uuid[], ${keys}::text[]) as w(organization_id, idempotency_key)
    join evident.idempotency_keys k on k.organization_id = w.organization_id and k.idempotency_key = w.idempotency_key
    join evident.audit_entries e
      on e.organization_id = k.organization_id and e.seq = k.seq and e.created_at_instant = k.created_at`.execute();
  return rows.map((row) => ({
    organization_id: row.organization_id,
    idempotency_key: row.idempotency_key,
    request_hash: row.request_hash,
    result: {
      id: row.id,
      seq: Number(row.seq),
      entry_hash: row.entry_hash,
      signature: row.signature,
      key_id: row.key_id,
      created_at: row.created_at,
      replayed: false,
    },
  }));
}

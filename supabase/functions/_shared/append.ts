// The one write path. Every capability that records something (the audit-events endpoint, the
// audited read path, and later SoR submission, authority requests, retention) appends here, inside
// a transaction already switched to the evident_writer role:
//   lock the head and look up the idempotency keys (one round trip) → re-verify the head against
//   the trail → number the new events → link, hash and sign them while they stream to the
//   database → insert them and record their keys, sent with the COMMIT (append-write.ts).
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

interface Head {
  seq: number;
  entryHash: string | null;
  headCreatedAt: string | null;
  /** The database clock, read after the head lock was granted: the batch's created_at. */
  now: string;
  trailBeyondHead: boolean;
  headEntry: Record<string, unknown> | null;
}

export async function appendEvents(
  tx: WriterTransaction,
  organizationId: string,
  events: EventInput[],
  keyring: Keyring,
): Promise<AppendedEvent[]> {
  // What a replay must match: only events that name an idempotency key have one.
  const requestHashes = events.map((event) => event.idempotency_key === undefined ? "" : sha256Hex(canonicalize(event) ?? ""));
  // The replay lookup travels with the head lock in one round trip. It runs after the lock is
  // granted (a connection runs its statements in order), so it sees every key committed before.
  const lookups = Promise.all([
    lockHead(tx, organizationId),
    findReplays(tx, organizationId, events, requestHashes),
  ]);
  prepareStaging(tx, events.length);
  const [head, replays] = await lookups;
  verifyHead(organizationId, head, keyring);

  const results: AppendedEvent[] = [];
  const unsealed: UnsealedEntry[] = [];
  const personalRows: PersonalRow[] = [];
  // Read only when an event carries personal data: without the key such an event cannot be written.
  const commitmentKey = events.some((event) => event.personal_data !== undefined) ? commitmentKeyFromEnv() : undefined;
  let seq = head.seq;
  const nowMicros = epochMicros(head.now);

  // Everything that can refuse the request is decided before the first row is written.
  events.forEach((event, index) => {
    const replay = event.idempotency_key === undefined ? undefined : replays.get(event.idempotency_key);
    if (replay) {
      results.push({ ...replay, replayed: true });
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
      personalRows.push(...personal.rows);
    }
    const result: AppendedEvent = { id: fields.id, seq, entry_hash: "", signature: "", key_id: fields.key_id, created_at: head.now, replayed: false };
    results.push(result);
    unsealed.push({
      fields,
      idempotencyKey: event.idempotency_key ?? null,
      requestHash: event.idempotency_key === undefined ? null : requestHashes[index],
      result,
    });
  });

  if (unsealed.length > 0) await writeEntries(tx, sealInOrder(unsealed, head.entryHash, keyring), unsealed.length);
  await insertPersonalRows(tx, personalRows);
  return results;
}

interface UnsealedEntry {
  fields: EntryFields;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** Filled in with the hash and signature once sealed. */
  result: AppendedEvent;
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

async function lockHead(tx: WriterTransaction, organizationId: string): Promise<Head> {
  // execute(): dispatched now, in call order, ahead of the statements issued after it.
  const [row] = await tx`select * from evident.begin_append(${organizationId}::uuid)`.execute();
  return {
    seq: Number(row.head_seq),
    entryHash: row.head_hash,
    headCreatedAt: row.head_created_at,
    // If the database clock went back behind the head, the chain check refuses the insert (EVC03).
    now: row.created_at,
    trailBeyondHead: row.trail_beyond_head,
    headEntry: row.head_entry,
  };
}

/**
 * The persisted head must be the trail's last entry, intact. Anything else means the head or the
 * trail was changed outside this path: refuse to extend a chain we cannot vouch for.
 */
function verifyHead(organizationId: string, head: Head, keyring: Keyring) {
  const refuse = (why: string): never => {
    throw new ApiError(409, "chain_conflict", `the persisted chain head of organization ${organizationId} disagrees with its trail: ${why}; appends are refused until an operator investigates`);
  };
  if (head.trailBeyondHead) refuse(`entries exist after head seq ${head.seq}`);
  if (head.seq === 0) return;
  if (!head.headEntry) refuse(`no entry with seq ${head.seq} at ${head.headCreatedAt}`);
  const entry = toEntry(head.headEntry!);
  if (entry.entry_hash !== head.entryHash) refuse(`entry ${head.seq} has hash ${entry.entry_hash}, the head records ${head.entryHash}`);
  const check = checkEntry(entry, keyring);
  if (!check.hash_valid || !check.signature_valid) {
    refuse(`entry ${head.seq} fails verification (${check.error ?? (check.hash_valid ? "bad signature" : "hash mismatch")})`);
  }
}

async function findReplays(
  tx: WriterTransaction,
  organizationId: string,
  events: EventInput[],
  requestHashes: string[],
): Promise<Map<string, Omit<AppendedEvent, "replayed">>> {
  const wanted = events.flatMap((event) => event.idempotency_key === undefined ? [] : [event.idempotency_key]);
  const replays = new Map<string, Omit<AppendedEvent, "replayed">>();
  if (wanted.length === 0) return replays;
  const rows = await tx`
    select k.idempotency_key, k.request_hash, e.id, e.seq, e.entry_hash, e.signature, e.key_id, e.created_at
    from evident.idempotency_keys k
    join evident.audit_entries e
      on e.organization_id = k.organization_id and e.seq = k.seq and e.created_at_instant = k.created_at
    where k.organization_id = ${organizationId}::uuid and k.idempotency_key = any(${wanted}::text[])`.execute();
  const hashByKey = new Map(events.map((event, index) => [event.idempotency_key, requestHashes[index]]));
  for (const row of rows) {
    if (row.request_hash !== hashByKey.get(row.idempotency_key)) {
      throw new ApiError(409, "conflict", `idempotency_key ${JSON.stringify(row.idempotency_key)} was already used for a different event`);
    }
    replays.set(row.idempotency_key, {
      id: row.id,
      seq: Number(row.seq),
      entry_hash: row.entry_hash,
      signature: row.signature,
      key_id: row.key_id,
      created_at: row.created_at,
    });
  }
  return replays;
}


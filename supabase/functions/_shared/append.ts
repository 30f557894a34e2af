// The one write path. Every capability that records something (the audit-events endpoint, the
// audited read path, and later SoR submission, authority requests, retention) appends here, inside
// a transaction already switched to the evident_writer role:
//   lock the head → re-verify it against the trail → replay known idempotency keys →
//   number, link, hash and sign the new events → insert them → record their keys.
// The database's chain trigger re-checks every link, so a bug here cannot fork the chain.
import canonicalize from "canonicalize";
import type postgres from "postgres";
import type { WriterTransaction } from "./db.ts";
import { type EntryFields } from "./canonical.ts";
import { sha256Hex } from "./crypto.ts";
import { checkEntry, sealEntry } from "./entry.ts";
import { ApiError } from "./errors.ts";
import type { Keyring } from "./keyring.ts";
import { commitmentKeyFromEnv, commitPersonalData, insertPersonalRows, type PersonalRow } from "./personal.ts";
import { retentionUntil } from "./retention.ts";
import type { EventInput } from "./schemas/events.ts";
import { epochMicros } from "./time.ts";
import { toEntry } from "./trail.ts";

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
  const head = await lockHead(tx, organizationId);
  verifyHead(organizationId, head, keyring);

  const requestHashes = events.map((event) => sha256Hex(canonicalize(event) ?? ""));
  const replays = await findReplays(tx, organizationId, events, requestHashes);

  const results: AppendedEvent[] = [];
  const rows: Array<ReturnType<typeof sealEntry>> = [];
  const personalRows: PersonalRow[] = [];
  // Read only when an event carries personal data: without the key such an event cannot be written.
  const commitmentKey = events.some((event) => event.personal_data !== undefined) ? commitmentKeyFromEnv() : undefined;
  const keys: Array<{ idempotency_key: string; request_hash: string; seq: number; created_at: string }> = [];
  let seq = head.seq;
  let previousHash = head.entryHash;
  const nowMicros = epochMicros(head.now);

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
      id: crypto.randomUUID(),
      organization_id: organizationId,
      seq,
      previous_hash: previousHash,
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
    const sealed = sealEntry(fields, keyring);
    rows.push(sealed);
    previousHash = sealed.entry_hash;
    if (event.idempotency_key !== undefined) {
      keys.push({ idempotency_key: event.idempotency_key, request_hash: requestHashes[index], seq, created_at: head.now });
    }
    results.push({
      id: sealed.id,
      seq,
      entry_hash: sealed.entry_hash,
      signature: sealed.signature,
      key_id: sealed.key_id,
      created_at: sealed.created_at,
      replayed: false,
    });
  });

  if (rows.length > 0) await insertEntries(tx, organizationId, rows, keys);
  await insertPersonalRows(tx, personalRows);
  return results;
}

async function lockHead(tx: WriterTransaction, organizationId: string): Promise<Head> {
  const [row] = await tx`select * from evident.begin_append(${organizationId}::uuid)`;
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
    where k.organization_id = ${organizationId}::uuid and k.idempotency_key = any(${wanted}::text[])`;
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

/** The entries and their idempotency keys, in one statement (one round trip). */
async function insertEntries(
  tx: WriterTransaction,
  organizationId: string,
  rows: Array<ReturnType<typeof sealEntry>>,
  keys: Array<{ idempotency_key: string; request_hash: string; seq: number; created_at: string }>,
) {
  await tx`
    with appended as (
      insert into public.audit_events (
        id, organization_id, seq, previous_hash, entry_hash, signature, key_id, canonical_version,
        event_type, actor_id, actor_type, target_id, target_type, action, metadata,
        "timestamp", retention_until, pii_tagged, created_at, personal_commitments)
      select r.id, r.organization_id, r.seq, r.previous_hash, r.entry_hash, r.signature, r.key_id, r.canonical_version,
             r.event_type, r.actor_id, r.actor_type, r.target_id, r.target_type, r.action, r.metadata,
             r."timestamp", r.retention_until, r.pii_tagged, r.created_at, r.personal_commitments
      from jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) as r(
        id uuid, organization_id uuid, seq bigint, previous_hash text, entry_hash text, signature text, key_id text,
        canonical_version smallint, event_type text, actor_id text, actor_type text, target_id text, target_type text,
        action text, metadata jsonb, "timestamp" timestamptz, retention_until timestamptz, pii_tagged boolean,
        created_at timestamptz, personal_commitments jsonb)
      order by r.seq
    )
    insert into evident.idempotency_keys (organization_id, idempotency_key, request_hash, seq, created_at)
    select ${organizationId}::uuid, k.idempotency_key, k.request_hash, k.seq, k.created_at
    from jsonb_to_recordset(${tx.json(keys)})
      as k(idempotency_key text, request_hash text, seq bigint, created_at timestamptz)`;
}

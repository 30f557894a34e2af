// Reading entries back exactly as they were signed (through evident.audit_entries).
import type { SealedEntry } from "./entry.ts";
import type postgres from "postgres";

export type Queryable = postgres.Sql | postgres.TransactionSql;

export interface StoredEntry extends SealedEntry {
  seq: number;
}

/** Maps a row of evident.audit_entries to the entry it stores. */
export function toEntry(row: Record<string, unknown>): StoredEntry {
  const entry: StoredEntry = {
    id: row.id as string,
    organization_id: row.organization_id as string,
    seq: Number(row.seq),
    previous_hash: row.previous_hash as string | null,
    entry_hash: row.entry_hash as string,
    signature: row.signature as string,
    key_id: row.key_id as string,
    canonical_version: Number(row.canonical_version),
    event_type: row.event_type as string,
    actor_id: row.actor_id as string,
    actor_type: row.actor_type as string,
    target_id: row.target_id as string,
    target_type: row.target_type as string,
    action: row.action as string,
    metadata: row.metadata as Record<string, unknown>,
    timestamp: row.timestamp as string,
    created_at: row.created_at as string,
    retention_until: row.retention_until as string,
    pii_tagged: row.pii_tagged as boolean,
  };
  // Canonical form v2 only; a v1 entry reads exactly as before, without the member.
  if (row.personal_commitments != null) entry.personal_commitments = row.personal_commitments as Record<string, string>;
  return entry;
}

export const entryColumns = [
  "id", "organization_id", "seq", "previous_hash", "entry_hash", "signature", "key_id", "canonical_version",
  "event_type", "actor_id", "actor_type", "target_id", "target_type", "action", "metadata", "timestamp",
  "created_at", "retention_until", "pii_tagged", "personal_commitments",
] as const;

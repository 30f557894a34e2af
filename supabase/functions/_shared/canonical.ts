// Canonical form, version 1: the exact bytes an entry's hash and signature cover. Specified in
// docs/canonical-form.md, with test vectors in testdata/canonical-v1/. Everything that hashes or
// verifies an entry, in the functions, the CLI or the tests, goes through this module.
import canonicalize from "canonicalize";
import { sha256Hex } from "./crypto.ts";
import { canonicalTimestampPattern } from "./time.ts";

export const canonicalVersion = 1;

/** Every signed field of an entry, as stored. Timestamps are canonical strings (see time.ts). */
export interface EntryFields {
  id: string;
  organization_id: string;
  seq: number;
  previous_hash: string | null;
  key_id: string;
  event_type: string;
  actor_id: string;
  actor_type: string;
  target_id: string;
  target_type: string;
  action: string;
  metadata: Record<string, unknown>;
  timestamp: string;
  created_at: string;
  retention_until: string;
  pii_tagged: boolean;
}

export class CanonicalFormError extends Error {
  override name = "CanonicalFormError";
}

/** The v1 payload object. Refuses values that have no single canonical rendering. */
export function canonicalPayloadV1(fields: EntryFields): Record<string, unknown> {
  for (const name of ["timestamp", "created_at", "retention_until"] as const) {
    if (!canonicalTimestampPattern.test(fields[name])) {
      throw new CanonicalFormError(`${name} ${JSON.stringify(fields[name])} is not a canonical UTC timestamp`);
    }
  }
  if (!Number.isSafeInteger(fields.seq) || fields.seq < 1) throw new CanonicalFormError(`seq ${fields.seq} is not a positive safe integer`);
  return {
    canonical_version: canonicalVersion,
    id: fields.id.toLowerCase(),
    organization_id: fields.organization_id.toLowerCase(),
    seq: fields.seq,
    previous_hash: fields.previous_hash,
    key_id: fields.key_id,
    event_type: fields.event_type,
    actor_id: fields.actor_id,
    actor_type: fields.actor_type,
    target_id: fields.target_id,
    target_type: fields.target_type,
    action: fields.action,
    metadata: fields.metadata,
    timestamp: fields.timestamp,
    created_at: fields.created_at,
    retention_until: fields.retention_until,
    pii_tagged: fields.pii_tagged,
  };
}

/** RFC 8785 (JCS) text of the payload. */
export function canonicalTextV1(fields: EntryFields): string {
  const text = canonicalize(canonicalPayloadV1(fields));
  if (text === undefined) throw new CanonicalFormError("payload has no JSON rendering");
  return text;
}

export function canonicalBytesV1(fields: EntryFields): Uint8Array {
  return new TextEncoder().encode(canonicalTextV1(fields));
}

/** entry_hash: lowercase hex SHA-256 of the canonical bytes. */
export function entryHashV1(fields: EntryFields): string {
  return sha256Hex(canonicalBytesV1(fields));
}

// Canonical forms, versions 1 and 2: the exact bytes an entry's hash and signature cover. Specified
// in docs/canonical-form.md, with test vectors in testdata/canonical-v1/ and testdata/canonical-v2/.
// Version 2 is version 1 plus `personal_commitments`: keyed commitments to personal values kept
// outside the signed core (evident.personal_data), so they can be erased while the entry verifies.
// Everything that hashes or verifies an entry, in the functions, the CLI or the tests, goes through
// this module.
import canonicalize from "canonicalize";
import { sha256Hex } from "./crypto.ts";
import { canonicalTimestampPattern } from "./time.ts";

export const canonicalVersion = 1;
/** The versions this module can hash. A row of any other version is undecodable. */
export const knownCanonicalVersions = [1, 2] as const;
/** Names of personal values (payload keys of personal_commitments). */
export const personalNamePattern = /^[a-z][a-z0-9_]{0,63}$/;
const commitmentPattern = /^[0-9a-f]{64}$/;

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
  /** Canonical form v2 only: {name: commitment hex}. Absent (or null) in v1 entries. */
  personal_commitments?: Record<string, string> | null;
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
  if (fields.personal_commitments != null) throw new CanonicalFormError("a canonical_version 1 entry carries no personal_commitments");
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
  return canonicalText(fields, 1);
}

export function canonicalBytesV1(fields: EntryFields): Uint8Array {
  return new TextEncoder().encode(canonicalTextV1(fields));
}

/** entry_hash: lowercase hex SHA-256 of the canonical bytes. */
export function entryHashV1(fields: EntryFields): string {
  return sha256Hex(canonicalText(fields, 1));
}

/** The v2 payload: the v1 members with canonical_version 2, plus personal_commitments. */
export function canonicalPayloadV2(fields: EntryFields): Record<string, unknown> {
  const commitments = fields.personal_commitments;
  if (commitments == null || typeof commitments !== "object" || Array.isArray(commitments)) {
    throw new CanonicalFormError("a canonical_version 2 entry needs a personal_commitments object");
  }
  const names = Object.keys(commitments);
  if (names.length === 0) throw new CanonicalFormError("personal_commitments is empty (an entry without personal data is version 1)");
  for (const name of names) {
    if (!personalNamePattern.test(name)) throw new CanonicalFormError(`personal_commitments name ${JSON.stringify(name)} is not lower snake_case`);
    if (typeof commitments[name] !== "string" || !commitmentPattern.test(commitments[name])) {
      throw new CanonicalFormError(`personal_commitments.${name} is not 64 lowercase hex digits`);
    }
  }
  return { ...canonicalPayloadV1({ ...fields, personal_commitments: null }), canonical_version: 2, personal_commitments: commitments };
}

/** The payload of the given version; an unknown version is refused. */
export function canonicalPayload(fields: EntryFields, version: number): Record<string, unknown> {
  if (version === 1) return canonicalPayloadV1(fields);
  if (version === 2) return canonicalPayloadV2(fields);
  throw new CanonicalFormError(`unknown canonical_version ${version}`);
}

/** The version a new entry is written in: 2 when it carries personal commitments, else 1. */
export function canonicalVersionFor(fields: EntryFields): 1 | 2 {
  return fields.personal_commitments != null && Object.keys(fields.personal_commitments).length > 0 ? 2 : 1;
}

/**
 * RFC 8785 text of the payload of the given version: byte for byte what `canonicalize(payload)`
 * returns (tests/canonical.fast.property.test.ts holds it to that over generated entries), in about half
 * the time, because verification spends most of its time here. A payload's member names are fixed
 * per version, so their RFC 8785 order (UTF-16 code units, which is also how Array.prototype.sort
 * compares strings) is worked out once; string members are rendered directly, and only values of
 * other types (metadata and commitments, whose keys vary) go through the library.
 */
export function canonicalText(fields: EntryFields, version: number): string {
  const payload = canonicalPayload(fields, version);
  let text = "{";
  for (const [name, prefix] of memberPrefixes(version, payload)) {
    const value = payload[name];
    let rendered: string | undefined;
    if (typeof value === "string") {
      // The library refuses lone surrogates (they have no UTF-8 form); so does this.
      if (!isWellFormed(value)) throw new CanonicalFormError(`${name} contains a lone surrogate`);
      rendered = JSON.stringify(value);
    } else if (value !== undefined && typeof value !== "symbol") {
      rendered = canonicalize(value);
    }
    if (rendered === undefined) continue;
    text += (text.length === 1 ? prefix : `,${prefix}`) + rendered;
  }
  return `${text}}`;
}

const prefixesByVersion = new Map<number, Array<[string, string]>>();

/**
 * The payload's members in RFC 8785 order, each with its rendered `"name":` prefix. Every payload
 * builder above sets every member of its version (a missing value is `undefined`, skipped as the
 * library skips it), so the first payload of a version names them all.
 */
function memberPrefixes(version: number, payload: Record<string, unknown>): Array<[string, string]> {
  let prefixes = prefixesByVersion.get(version);
  if (!prefixes) {
    prefixes = Object.keys(payload).sort().map((name) => [name, `${JSON.stringify(name)}:`]);
    prefixesByVersion.set(version, prefixes);
  }
  return prefixes;
}

// String.prototype.isWellFormed (ES2024) is in every runtime this runs on (Node 20, Deno 2), but
// not yet in the TypeScript lib this repository compiles against.
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** entry_hash of an entry in the given canonical version. */
export function entryHash(fields: EntryFields, version: number): string {
  return sha256Hex(canonicalText(fields, version));
}

/** One personal value as its commitment covers it (docs/canonical-form.md §10.2). */
export interface PersonalRecord {
  organization_id: string;
  event_id: string;
  name: string;
  subject_id: string;
  value: unknown;
  /** 16 random bytes, lowercase hex. */
  nonce: string;
}

/** The commitment message: RFC 8785 text of the record, as UTF-8 bytes. */
export function commitmentBytes(record: PersonalRecord): Uint8Array {
  if (!personalNamePattern.test(record.name)) throw new CanonicalFormError(`personal value name ${JSON.stringify(record.name)} is not lower snake_case`);
  if (!/^[0-9a-f]{32}$/.test(record.nonce)) throw new CanonicalFormError("nonce is not 32 lowercase hex digits");
  const text = canonicalize({
    commitment_version: 1,
    organization_id: record.organization_id.toLowerCase(),
    event_id: record.event_id.toLowerCase(),
    name: record.name,
    subject_id: record.subject_id,
    value: record.value,
    nonce: record.nonce,
  });
  if (text === undefined) throw new CanonicalFormError("personal value has no JSON rendering");
  return new TextEncoder().encode(text);
}

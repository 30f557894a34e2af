// One entry's integrity: sealing new entries and checking stored ones. The chain (sequence and
// links between entries) is checked by whoever walks the entries in order.
import { canonicalText, canonicalVersionFor, type EntryFields, entryHash, knownCanonicalVersions } from "./canonical.ts";
import { sha256 } from "./crypto.ts";
import type { Keyring } from "./keyring.ts";

export interface SealedEntry extends EntryFields {
  entry_hash: string;
  signature: string;
  canonical_version: number;
}

export function sealEntry(fields: EntryFields, keyring: Keyring): SealedEntry {
  return sealEntryInPlace({ ...fields }, keyring);
}

/**
 * sealEntry without the copy: adds entry_hash, signature and canonical_version to `fields` itself
 * and returns it. The append path seals thousands of entries a batch, each built for this alone;
 * the digest is hashed once and signed as bytes, with no hex round trip.
 */
export function sealEntryInPlace(fields: EntryFields, keyring: Keyring): SealedEntry {
  const sealed = fields as SealedEntry;
  sealed.canonical_version = canonicalVersionFor(fields);
  const digest = sha256(canonicalText(fields, sealed.canonical_version));
  sealed.entry_hash = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("hex");
  sealed.signature = keyring.signDigest(digest, fields.key_id);
  return sealed;
}

export interface EntryCheck {
  hash_valid: boolean;
  signature_valid: boolean;
  /** Why the entry could not be checked at all (unknown version, undecodable payload, unknown key). */
  error?: string;
}

/** Recomputes the stored entry's hash and signature. Fails closed on anything it cannot read. */
export function checkEntry(stored: SealedEntry, keyring: Keyring): EntryCheck {
  if (!(knownCanonicalVersions as readonly number[]).includes(stored.canonical_version)) {
    return { hash_valid: false, signature_valid: false, error: `unknown canonical_version ${stored.canonical_version}` };
  }
  let recomputed: string;
  try {
    recomputed = entryHash(stored, stored.canonical_version);
  } catch (error) {
    return { hash_valid: false, signature_valid: false, error: `payload does not decode: ${(error as Error).message}` };
  }
  // A plain comparison: entry hashes are public (exports carry them), so timing reveals nothing.
  const hash_valid = recomputed === stored.entry_hash;
  if (!keyring.has(stored.key_id)) {
    return { hash_valid, signature_valid: false, error: `signing key ${stored.key_id} is not in the keyring` };
  }
  // The signature is checked over the stored hash, so a row whose hash alone was edited fails both.
  return { hash_valid, signature_valid: keyring.verify(stored.entry_hash, stored.signature, stored.key_id) };
}

// Walks one organisation's entries in seq order and checks each against its predecessor: the
// checks of the QWED guide (hash_valid, signature_valid, chain_valid, genesis rules) plus sequence
// continuity. Holds only the previous entry, so a trail of any length verifies in constant memory.
import { checkEntry, type EntryCheck } from "./entry.ts";
import type { Keyring } from "./keyring.ts";
import type { StoredEntry } from "./trail.ts";

export type FailureKind = "hash" | "signature" | "chain" | "sequence" | "undecodable";

export interface EntryVerdict {
  seq: number;
  id: string;
  hash_valid: boolean;
  signature_valid: boolean;
  chain_valid: boolean;
  sequence_valid: boolean;
  failures: FailureKind[];
  detail?: string;
}

export interface ChainSummary {
  organization_id: string;
  checked: number;
  valid: boolean;
  failures: Record<FailureKind, number>;
  first_failure?: EntryVerdict;
  last_seq: number | null;
  last_hash: string | null;
}

/** What places an entry in its chain: enough to check links and signatures, not contents. */
export type ChainLink = Pick<StoredEntry, "id" | "organization_id" | "seq" | "previous_hash" | "entry_hash" | "signature" | "key_id">;

export class ChainVerifier {
  #expectedSeq: number;
  #previousHash: string | null;
  #checked = 0;
  #failures: Record<FailureKind, number> = { hash: 0, signature: 0, chain: 0, sequence: 0, undecodable: 0 };
  #first: EntryVerdict | undefined;
  #lastSeq: number | null = null;

  /**
   * Starts at genesis by default; a range that begins mid-chain starts from the entry before it
   * (its seq and entry_hash), as a tombstoned month's recorded boundary does.
   */
  constructor(
    readonly organizationId: string,
    private readonly keyring: Keyring,
    start: { seq: number; hash: string | null } = { seq: 0, hash: null },
  ) {
    this.#expectedSeq = start.seq + 1;
    this.#previousHash = start.hash;
  }

  /**
   * Checks everything: the entry's contents against its hash, its signature, and its place in the
   * chain. `check`: checkEntry's result for this entry when it was computed elsewhere (on another
   * thread: src/cli/verify/entry-checker.ts); the chain checks are this walk's, in order.
   */
  push(entry: StoredEntry, check: EntryCheck = checkEntry(entry, this.keyring)): EntryVerdict {
    return this.#record(entry, check);
  }

  /**
   * Checks what a seal commits to: the entry's place in the chain and the signature over its
   * stored hash, without recomputing the hash from its contents (hash_valid is not checked and
   * reads true). A stored hash that was altered fails the signature; contents altered under an
   * unchanged hash are left to a full walk (push), which compares them with that hash forever.
   * `hashBytes`: the entry_hash already decoded (and so known to be hex), when the caller has it.
   */
  pushLink(link: ChainLink, hashBytes?: Uint8Array): EntryVerdict {
    const known = this.keyring.has(link.key_id);
    const signature_valid = known && (hashBytes
      ? this.keyring.verifyDigest(hashBytes, link.signature, link.key_id)
      : this.keyring.verify(link.entry_hash, link.signature, link.key_id));
    return this.#record(link, {
      hash_valid: true,
      signature_valid,
      ...(known ? {} : { error: `signing key ${link.key_id} is not in the keyring` }),
    });
  }

  #record(entry: ChainLink, check: EntryCheck): EntryVerdict {
    const failures: FailureKind[] = [];
    if (check.error?.startsWith("payload does not decode") || check.error?.startsWith("unknown canonical_version")) {
      failures.push("undecodable");
    }
    if (!check.hash_valid) failures.push("hash");
    if (!check.signature_valid) failures.push("signature");

    const sequence_valid = entry.seq === this.#expectedSeq && entry.organization_id === this.organizationId;
    if (!sequence_valid) failures.push("sequence");

    // Genesis must name no predecessor; every other entry must name the one before it.
    const chain_valid = entry.seq === 1
      ? entry.previous_hash === null && this.#previousHash === null
      : entry.previous_hash !== null && entry.previous_hash === this.#previousHash;
    if (!chain_valid) failures.push("chain");

    const verdict: EntryVerdict = {
      seq: entry.seq,
      id: entry.id,
      hash_valid: check.hash_valid,
      signature_valid: check.signature_valid,
      chain_valid,
      sequence_valid,
      failures,
      ...(check.error ? { detail: check.error } : {}),
    };
    if (!sequence_valid && !verdict.detail) verdict.detail = `expected seq ${this.#expectedSeq}, found ${entry.seq}`;

    this.#checked += 1;
    for (const kind of failures) this.#failures[kind] += 1;
    if (failures.length > 0 && !this.#first) this.#first = verdict;
    // Continue from what is actually there, so one deletion is reported once, not for every later entry.
    this.#expectedSeq = entry.seq + 1;
    this.#previousHash = entry.entry_hash;
    this.#lastSeq = entry.seq;
    return verdict;
  }

  /** Entries checked so far. */
  get checked(): number {
    return this.#checked;
  }

  summary(): ChainSummary {
    return {
      organization_id: this.organizationId,
      checked: this.#checked,
      valid: this.#first === undefined,
      failures: { ...this.#failures },
      ...(this.#first ? { first_failure: this.#first } : {}),
      last_seq: this.#lastSeq,
      last_hash: this.#previousHash,
    };
  }
}

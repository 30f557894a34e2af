// RFC 6962 (Certificate Transparency) Merkle tree hashing, section 2.1: domain-separated so a leaf
// can never pass for an interior node. A sealed month's checksum is the root over its entries'
// hashes; each leaf's input is the 32 raw bytes of an entry_hash.
import { createHash } from "node:crypto";

export const emptyRoot = createHash("sha256").digest();

export function leafHash(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(Uint8Array.of(0)).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash("sha256").update(Uint8Array.of(1)).update(left).update(right).digest();
}

/** Largest power of two strictly below n (n > 1): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

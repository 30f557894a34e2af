// RFC 6962 (Certificate Transparency) Merkle tree hashing, section 2.1: domain-separated so a leaf
// can never pass for an interior node. A sealed month's checksum is the root over its entries'
// hashes; each leaf's input is the 32 raw bytes of an entry_hash.
// Each input is assembled into one buffer and hashed in one call: sealing hashes about three nodes
// per entry, and a Hash object per node (create, update, digest) costs twice as much.
import { sha256 } from "../crypto.ts";

export const emptyRoot: Uint8Array = sha256(new Uint8Array(0));

// Hashing copies its input before returning, so one scratch buffer per shape serves every call.
const leafInput = new Uint8Array(33);
const nodeInput = new Uint8Array(65);
nodeInput[0] = 1;

export function leafHash(data: Uint8Array): Uint8Array {
  if (data.length !== 32) return sha256(Uint8Array.of(0, ...data));
  leafInput.set(data, 1);
  return sha256(leafInput);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) return sha256(Uint8Array.of(1, ...left, ...right));
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return sha256(nodeInput);
}

/** Largest power of two strictly below n (n > 1): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Inclusion proofs (RFC 6962 section 2.1.1, PATH(m, D[n])): the sibling hashes from a leaf up to
// the root, built from the leaf hashes of the whole tree.
import { leafHash, nodeHash, splitPoint } from "./hash.ts";

/** The audit path for leaf `index` in the tree over `leaves` (their data, not yet hashed). */
export function inclusionProof(leaves: Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${leaves.length} leaves`);
  }
  return path(index, leaves.map(leafHash));
}

function path(index: number, hashes: Uint8Array[]): Uint8Array[] {
  if (hashes.length === 1) return [];
  const k = splitPoint(hashes.length);
  return index < k
    ? [...path(index, hashes.slice(0, k)), subtreeRoot(hashes.slice(k))]
    : [...path(index - k, hashes.slice(k)), subtreeRoot(hashes.slice(0, k))];
}

function subtreeRoot(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 1) return hashes[0];
  const k = splitPoint(hashes.length);
  return nodeHash(subtreeRoot(hashes.slice(0, k)), subtreeRoot(hashes.slice(k)));
}

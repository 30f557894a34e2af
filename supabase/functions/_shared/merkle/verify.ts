// Verifying an inclusion proof without the tree (RFC 9162 section 2.1.3.2): what an auditor runs
// offline against a signed root.
import { timingSafeEqual } from "node:crypto";
import { leafHash, nodeHash } from "./hash.ts";

export class RootMismatchError extends Error {
  override name = "RootMismatchError";
}

/** The root a proof leads to, or an error when the proof's length does not fit the tree size. */
export function rootFromInclusionProof(data: Uint8Array, index: number, size: number, proof: Uint8Array[]): Uint8Array {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${size} leaves`);
  }
  let fn = index;
  let sn = size - 1;
  let hash = leafHash(data);
  for (const sibling of proof) {
    if (sn === 0) throw new RangeError("the proof is longer than the tree is deep");
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new RangeError("the proof is shorter than the tree is deep");
  return hash;
}

/** Throws RootMismatchError unless the proof puts `data` at `index` in the tree with `root`. */
export function verifyInclusion(data: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array): void {
  const computed = rootFromInclusionProof(data, index, size, proof);
  if (computed.length !== root.length || !timingSafeEqual(computed, root)) {
    throw new RootMismatchError(`the proof for leaf ${index} of ${size} leads to ${hex(computed)}, not ${hex(root)}`);
  }
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

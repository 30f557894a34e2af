// A whole RFC 6962 tree held in memory, for producing many inclusion proofs from one set of
// leaves (a certified export proves dozens of entries against the same month). Built bottom-up,
// carrying an odd last node up a level unchanged: for every size this gives exactly the tree of
// RFC 6962 section 2.1, whose split is the largest power of two below n. Memory: about 2n hashes.
import { emptyRoot, leafHash, nodeHash } from "./hash.ts";

export class MerkleTree {
  readonly #levels: Uint8Array[][];

  /** `leaves` are the leaf data (for Evident, the raw bytes of each entry_hash), in order. */
  constructor(leaves: Uint8Array[]) {
    const levels = [leaves.map(leafHash)];
    while (levels[levels.length - 1].length > 1) {
      const below = levels[levels.length - 1];
      const above: Uint8Array[] = [];
      for (let i = 0; i + 1 < below.length; i += 2) above.push(nodeHash(below[i], below[i + 1]));
      if (below.length % 2 === 1) above.push(below[below.length - 1]);
      levels.push(above);
    }
    this.#levels = levels;
  }

  get size(): number {
    return this.#levels[0].length;
  }

  root(): Uint8Array {
    return this.size === 0 ? emptyRoot : this.#levels[this.#levels.length - 1][0];
  }

  /** PATH(index, D[n]) of RFC 6962 section 2.1.1: sibling hashes from the leaf up. */
  proof(index: number): Uint8Array[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`leaf index ${index} is outside a tree of ${this.size} leaves`);
    }
    const path: Uint8Array[] = [];
    let position = index;
    for (let level = 0; level < this.#levels.length - 1; level++) {
      const nodes = this.#levels[level];
      const sibling = position ^ 1;
      // A last node without a sibling is carried up unchanged and adds nothing to the path.
      if (sibling < nodes.length) path.push(nodes[sibling]);
      position >>= 1;
    }
    return path;
  }
}

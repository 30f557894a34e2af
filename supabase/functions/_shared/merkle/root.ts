// The root of a tree of any size, fed one leaf at a time in constant memory: keeps the roots of
// the perfect subtrees that make up the leaves so far (at most one per bit of the count).
import { emptyRoot, leafHash, nodeHash } from "./hash.ts";

/**
 * The latest interior node computed at each height, by its two children (compared by identity).
 * Trees fed the same leaf objects and sharing one memo compute a node they have in common once: a
 * sealed month's tree and the tree of its first organisation, for instance, share every node.
 */
export class NodeMemo {
  #left: Uint8Array[] = [];
  #right: Uint8Array[] = [];
  #node: Uint8Array[] = [];

  node(height: number, left: Uint8Array, right: Uint8Array): Uint8Array {
    if (this.#left[height] === left && this.#right[height] === right) return this.#node[height];
    const node = nodeHash(left, right);
    this.#left[height] = left;
    this.#right[height] = right;
    this.#node[height] = node;
    return node;
  }
}

export class MerkleRoot {
  #stack: Array<{ size: number; height: number; hash: Uint8Array }> = [];
  #count = 0;

  constructor(private readonly memo?: NodeMemo) {}

  get size(): number {
    return this.#count;
  }

  /** Adds a leaf by its data (for Evident: the raw bytes of an entry_hash). */
  push(data: Uint8Array): void {
    this.pushLeafHash(leafHash(data));
  }

  /** Adds a leaf already hashed with leafHash (one leaf shared by several trees is hashed once). */
  pushLeafHash(hash: Uint8Array): void {
    let node = { size: 1, height: 0, hash };
    // Two subtrees of equal size merge into one of twice the size, as in a binary counter.
    while (this.#stack.length > 0 && this.#stack[this.#stack.length - 1].size === node.size) {
      const left = this.#stack.pop()!;
      const merged = this.memo ? this.memo.node(node.height, left.hash, node.hash) : nodeHash(left.hash, node.hash);
      node = { size: left.size * 2, height: node.height + 1, hash: merged };
    }
    this.#stack.push(node);
    this.#count += 1;
  }

  /** MTH of everything pushed so far (RFC 6962 section 2.1). */
  root(): Uint8Array {
    if (this.#stack.length === 0) return emptyRoot;
    let hash = this.#stack[this.#stack.length - 1].hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) hash = nodeHash(this.#stack[i].hash, hash);
    return hash;
  }
}

/** Root of a list of leaves held in memory. */
export function merkleRoot(leaves: Uint8Array[]): Uint8Array {
  const tree = new MerkleRoot();
  for (const leaf of leaves) tree.push(leaf);
  return tree.root();
}

// RFC 6962 Merkle trees: roots against Certificate Transparency's reference data and against a
// direct transcription of the RFC's recursive definition; inclusion proofs that verify for every
// leaf of every tree size, and fail for any corruption.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyRoot, leafHash, nodeHash, splitPoint } from "../supabase/functions/_shared/merkle/hash.ts";
import { merkleRoot, MerkleRoot, NodeMemo } from "../supabase/functions/_shared/merkle/root.ts";
import { MerkleTree } from "../supabase/functions/_shared/merkle/tree.ts";
import { RootMismatchError, rootFromInclusionProof, verifyInclusion } from "../supabase/functions/_shared/merkle/verify.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const vectors = JSON.parse(readFileSync(new URL("../testdata/merkle/rfc6962-roots.json", import.meta.url), "utf8")) as {
  leaves: string[];
  roots: string[];
};

// MTH(D[n]) exactly as RFC 6962 section 2.1 writes it, with nothing shared with the module but
// the two primitives it defines.
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return createHash("sha256").digest();
  if (leaves.length === 1) return createHash("sha256").update(Buffer.concat([Buffer.of(0), leaves[0]])).digest();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash("sha256").update(Buffer.concat([Buffer.of(1), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k))])).digest();
}

// PATH(m, D[n]) exactly as RFC 6962 section 2.1.1 writes it.
function referencePath(index: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return index < k
    ? [...referencePath(index, leaves.slice(0, k)), referenceRoot(leaves.slice(k))]
    : [...referencePath(index - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

const inclusionProof = (leaves: Uint8Array[], index: number) => new MerkleTree(leaves).proof(index);

const leafData = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("Merkle roots", () => {
  it("match Certificate Transparency's reference roots for 0 to 8 leaves", () => {
    const leaves = vectors.leaves.map((h) => Buffer.from(h, "hex"));
    vectors.roots.forEach((root, n) => {
      expect(hex(merkleRoot(leaves.slice(0, n))), `${n} leaves`).toBe(root);
    });
    expect(hex(emptyRoot)).toBe(vectors.roots[0]);
  });

  it("match the RFC's recursive definition for any number of leaves, streamed one at a time", () => {
    fc.assert(fc.property(fc.array(leafData, { maxLength: 300 }), (leaves) => {
      const tree = new MerkleRoot();
      leaves.forEach((leaf) => tree.push(leaf));
      expect(tree.size).toBe(leaves.length);
      expect(hex(tree.root())).toBe(hex(referenceRoot(leaves)));
    }), { numRuns: 300 });
  });

  it("separate leaves from nodes", () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    // A leaf whose data is two hashes is not the node over them (second-preimage resistance).
    expect(hex(leafHash(Buffer.concat([a, b])))).not.toBe(hex(nodeHash(a, b)));
    expect(splitPoint(2)).toBe(1);
    expect(splitPoint(5)).toBe(4);
    expect(splitPoint(8)).toBe(4);
  });
});

describe("inclusion proofs", () => {
  const tree = fc.array(leafData, { minLength: 1, maxLength: 70 }).chain((leaves) =>
    fc.record({ leaves: fc.constant(leaves), index: fc.integer({ min: 0, max: leaves.length - 1 }) }));

  it("are the RFC's PATH, from a tree built bottom-up whose root is the RFC's MTH", () => {
    fc.assert(fc.property(tree, ({ leaves, index }) => {
      const built = new MerkleTree(leaves);
      expect(hex(built.root())).toBe(hex(referenceRoot(leaves)));
      expect(built.proof(index).map(hex)).toEqual(referencePath(index, leaves).map(hex));
    }), { numRuns: 500 });
    expect(hex(new MerkleTree([]).root())).toBe(hex(emptyRoot));
  });

  it("verify for every leaf against the root", () => {
    fc.assert(fc.property(tree, ({ leaves, index }) => {
      const root = merkleRoot(leaves);
      const proof = inclusionProof(leaves, index);
      expect(() => verifyInclusion(leaves[index], index, leaves.length, proof, root)).not.toThrow();
    }), { numRuns: 500 });
  });

  it("fail for another leaf, another index, a changed or missing sibling, or another root", () => {
    fc.assert(fc.property(tree, fc.integer({ min: 0, max: 31 }), ({ leaves, index }, byte) => {
      const root = merkleRoot(leaves);
      const proof = inclusionProof(leaves, index);
      const n = leaves.length;
      const changedLeaf = Uint8Array.from(leaves[index]);
      changedLeaf[byte] ^= 0xff;
      expect(() => verifyInclusion(changedLeaf, index, n, proof, root)).toThrow(RootMismatchError);
      // (A wrong tree size is not something a proof can show: a proof for leaf 0 of 3 has the
      // shape of one for leaf 0 of 4. Size and root are bound together by signing both, as
      // checkpoints and manifests do.)
      const changedRoot = Uint8Array.from(root);
      changedRoot[byte] ^= 0x01;
      expect(() => verifyInclusion(leaves[index], index, n, proof, changedRoot)).toThrow(RootMismatchError);
      if (proof.length > 0) {
        const changedProof = proof.map((p) => Uint8Array.from(p));
        changedProof[byte % proof.length][byte] ^= 0x80;
        expect(() => verifyInclusion(leaves[index], index, n, changedProof, root)).toThrow(RootMismatchError);
        expect(() => verifyInclusion(leaves[index], index, n, proof.slice(1), root)).toThrow();
        expect(() => verifyInclusion(leaves[index], index, n, [...proof, proof[0]], root)).toThrow();
      }
      const other = (index + 1) % n;
      // With identical data at two places, the same proof rightly holds for both.
      if (n > 1 && hex(leaves[other]) !== hex(leaves[index])) {
        expect(() => verifyInclusion(leaves[index], other, n, proof, root)).toThrow();
        expect(() => verifyInclusion(leaves[other], index, n, proof, root)).toThrow(RootMismatchError);
      }
    }), { numRuns: 500 });
  });

  it("refuse an index outside the tree", () => {
    const leaves = [new Uint8Array(32)];
    expect(() => inclusionProof(leaves, 1)).toThrow(RangeError);
    expect(() => rootFromInclusionProof(leaves[0], 1, 1, [])).toThrow(RangeError);
    expect(() => rootFromInclusionProof(leaves[0], -1, 1, [])).toThrow(RangeError);
  });
});

describe("trees sharing a NodeMemo (a sealed month and its organisations)", () => {
  it("reuses a node only for the very same two children", () => {
    const memo = new NodeMemo();
    const [a, b, c] = ["a", "b", "c"].map((x) => createHash("sha256").update(x).digest());
    const ab = memo.node(0, a, b);
    expect(memo.node(0, a, b)).toBe(ab);
    expect(hex(memo.node(0, a, c))).toBe(hex(nodeHash(a, c)));
    expect(hex(memo.node(0, c, b))).toBe(hex(nodeHash(c, b)));
    expect(hex(memo.node(0, Uint8Array.from(a), b))).toBe(hex(nodeHash(a, b)));
  });

  it("give every tree the root it has alone, whatever the organisations' sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const memo = new NodeMemo();
        const month = new MerkleRoot(memo);
        const all: Uint8Array[] = [];
        sizes.forEach((size, org) => {
          const tree = new MerkleRoot(memo);
          const leaves = Array.from({ length: size }, (_, i) => createHash("sha256").update(`${org}:${i}`).digest());
          for (const leaf of leaves) {
            const hashed = leafHash(leaf);
            // The organisation's tree first, then the month's, as sealing feeds them.
            tree.pushLeafHash(hashed);
            month.pushLeafHash(hashed);
          }
          all.push(...leaves);
          expect(hex(tree.root())).toBe(hex(referenceRoot(leaves)));
        });
        expect(hex(month.root())).toBe(hex(referenceRoot(all)));
      }),
      { numRuns: 300 },
    );
  });
});

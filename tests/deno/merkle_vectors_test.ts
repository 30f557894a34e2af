// RFC 6962 roots under Deno, against the same reference data the vitest suite uses.
import { merkleRoot } from "../../supabase/functions/_shared/merkle/root.ts";

const vectors = JSON.parse(await Deno.readTextFile(new URL("../../testdata/merkle/rfc6962-roots.json", import.meta.url)));
const fromHex = (hex: string) => new Uint8Array(hex.match(/../g)?.map((b: string) => parseInt(b, 16)) ?? []);
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("RFC 6962 reference roots for 0 to 8 leaves", () => {
  const leaves = vectors.leaves.map(fromHex);
  vectors.roots.forEach((root: string, n: number) => {
    const got = toHex(merkleRoot(leaves.slice(0, n)));
    if (got !== root) throw new Error(`${n} leaves: expected ${root}, got ${got}`);
  });
});

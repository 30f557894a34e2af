// The committed vectors are the contract a third-party verifier implements. Each vector is checked
// twice: against our implementation, and against Node's own crypto on the listed canonical bytes,
// so the file itself stays internally consistent.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { canonicalTextV1, entryHashV1, type EntryFields } from "../supabase/functions/_shared/canonical.ts";
import { checkEntry, sealEntry } from "../supabase/functions/_shared/entry.ts";
import { Keyring } from "../supabase/functions/_shared/keyring.ts";

interface Vector { name: string; fields: EntryFields; canonical: string; entry_hash: string; signature: string }
const file = JSON.parse(readFileSync(new URL("../testdata/canonical-v1/vectors.json", import.meta.url), "utf8")) as {
  key: { id: string; secret: string };
  vectors: Vector[];
};
const keyring = Keyring.parse(`${file.key.id}:${file.key.secret}`, file.key.id);

describe("canonical form v1 test vectors", () => {
  it("has vectors", () => expect(file.vectors.length).toBeGreaterThanOrEqual(7));

  for (const vector of file.vectors) {
    describe(vector.name, () => {
      it("renders the listed canonical text", () => {
        expect(canonicalTextV1(vector.fields)).toBe(vector.canonical);
      });
      it("entry_hash is SHA-256 of the canonical UTF-8 bytes", () => {
        expect(createHash("sha256").update(Buffer.from(vector.canonical, "utf8")).digest("hex")).toBe(vector.entry_hash);
        expect(entryHashV1(vector.fields)).toBe(vector.entry_hash);
      });
      it("signature is HMAC-SHA256 over the raw hash bytes", () => {
        const expected = createHmac("sha256", Buffer.from(file.key.secret, "utf8"))
          .update(Buffer.from(vector.entry_hash, "hex")).digest("hex");
        expect(expected).toBe(vector.signature);
        expect(sealEntry(vector.fields, keyring).signature).toBe(vector.signature);
      });
      it("verifies as stored and fails once any signed field changes", () => {
        const stored = { ...vector.fields, entry_hash: vector.entry_hash, signature: vector.signature, canonical_version: 1 };
        expect(checkEntry(stored, keyring)).toEqual({ hash_valid: true, signature_valid: true });
        expect(checkEntry({ ...stored, actor_id: stored.actor_id + "x" }, keyring).hash_valid).toBe(false);
      });
    });
  }
});

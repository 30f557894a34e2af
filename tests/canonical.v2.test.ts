// Canonical form v2: the committed vectors (checked against our code and against node:crypto on
// the listed bytes alone), and properties over arbitrary entries and personal values: a v2 entry
// seals and verifies without its personal values; changing, adding or dropping a commitment breaks
// its hash; a commitment matches its record and nothing else (another subject, value, nonce, name,
// event or key); a v1 entry never carries commitments.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalText, canonicalTextV1, commitmentBytes, type EntryFields, entryHash, type PersonalRecord } from "../supabase/functions/_shared/canonical.ts";
import { checkEntry, sealEntry } from "../supabase/functions/_shared/entry.ts";
import { Keyring } from "../supabase/functions/_shared/keyring.ts";
import { CommitmentKey, commitPersonalData } from "../supabase/functions/_shared/personal.ts";

interface Vector {
  name: string;
  fields: EntryFields;
  personal: Array<{ record: PersonalRecord; commitment_text: string; commitment: string }>;
  canonical: string;
  entry_hash: string;
  signature: string;
}
const file = JSON.parse(readFileSync(new URL("../testdata/canonical-v2/vectors.json", import.meta.url), "utf8")) as {
  key: { id: string; secret: string };
  commitment_key: { secret: string };
  vectors: Vector[];
};
const keyring = Keyring.parse(`${file.key.id}:${file.key.secret}`, file.key.id);
const committer = CommitmentKey.parse(file.commitment_key.secret);

describe("canonical form v2 test vectors", () => {
  it("has vectors", () => expect(file.vectors.length).toBeGreaterThanOrEqual(3));
  for (const vector of file.vectors) {
    describe(vector.name, () => {
      it("renders the listed canonical text, hash and signature", () => {
        expect(canonicalText(vector.fields, 2)).toBe(vector.canonical);
        expect(createHash("sha256").update(Buffer.from(vector.canonical, "utf8")).digest("hex")).toBe(vector.entry_hash);
        expect(entryHash(vector.fields, 2)).toBe(vector.entry_hash);
        expect(createHmac("sha256", Buffer.from(file.key.secret, "utf8")).update(Buffer.from(vector.entry_hash, "hex")).digest("hex")).toBe(vector.signature);
        expect(sealEntry(vector.fields, keyring)).toMatchObject({ canonical_version: 2, entry_hash: vector.entry_hash, signature: vector.signature });
      });
      it("is the v1 payload with canonical_version 2 and personal_commitments", () => {
        const { personal_commitments, ...v1Fields } = vector.fields;
        const expected = { ...JSON.parse(canonicalTextV1(v1Fields)), canonical_version: 2, personal_commitments };
        expect(vector.canonical).toBe(canonicalize(expected));
      });
      it("commits to each personal value with the listed bytes", () => {
        for (const p of vector.personal) {
          expect(new TextDecoder().decode(commitmentBytes(p.record))).toBe(p.commitment_text);
          expect(createHmac("sha256", Buffer.from(file.commitment_key.secret, "utf8")).update(Buffer.from(p.commitment_text, "utf8")).digest("hex")).toBe(p.commitment);
          expect(committer.matches(p.record, p.commitment)).toBe(true);
          expect(vector.fields.personal_commitments![p.record.name]).toBe(p.commitment);
        }
      });
      it("verifies as stored, without the personal values, and fails when a commitment changes", () => {
        const stored = { ...vector.fields, entry_hash: vector.entry_hash, signature: vector.signature, canonical_version: 2 };
        expect(checkEntry(stored, keyring)).toEqual({ hash_valid: true, signature_valid: true });
        const [name] = Object.keys(stored.personal_commitments!);
        const changed = { ...stored, personal_commitments: { ...stored.personal_commitments, [name]: "0".repeat(64) } };
        expect(checkEntry(changed, keyring).hash_valid).toBe(false);
        // Read as v1 (commitments dropped or not), it does not verify: there is no fallback.
        expect(checkEntry({ ...stored, canonical_version: 1 }, keyring).hash_valid).toBe(false);
        const { personal_commitments: _, ...withoutCommitments } = stored;
        expect(checkEntry({ ...withoutCommitments, canonical_version: 1 }, keyring).hash_valid).toBe(false);
      });
    });
  }
  it("keeps the chained vector linked to the first", () => {
    expect(file.vectors[1].fields.previous_hash).toBe(file.vectors[0].entry_hash);
  });
});

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ maxDepth: 3 },
    fc.string({ unit: "grapheme" }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(),
    fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 })),
})).value;
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/);
const personalValue = json.filter((v) => v !== null && v !== undefined) as fc.Arbitrary<NonNullable<unknown>>;
const personalInput = fc.dictionary(name, fc.record({
  subject_id: fc.string({ minLength: 1, maxLength: 40 }),
  value: personalValue,
}), { minKeys: 1, maxKeys: 5 });
const fields = fc.record({
  id: fc.uuid(), organization_id: fc.uuid(), seq: fc.integer({ min: 1, max: 1e9 }),
  actor_id: fc.string({ minLength: 1 }), target_id: fc.string({ minLength: 1 }), metadata: fc.dictionary(fc.string(), json, { maxKeys: 4 }),
  pii_tagged: fc.boolean(),
}).map((f) => ({
  ...f, previous_hash: f.seq === 1 ? null : "a".repeat(64), key_id: file.key.id, event_type: "report_submitted", actor_type: "user",
  target_type: "content", action: "report", timestamp: "2026-03-01T12:00:00.000000Z", created_at: "2026-03-01T12:00:00.250001Z",
  retention_until: "2033-03-01T12:00:00.250001Z",
} as EntryFields));

describe("canonical form v2 properties", () => {
  it("seals and verifies any entry with personal data, through a JSON round trip, without the values", () => {
    fc.assert(fc.property(fields, personalInput, (f, input) => {
      const { commitments, rows } = commitPersonalData(committer, f, input);
      const sealed = sealEntry({ ...f, personal_commitments: commitments }, keyring);
      expect(sealed.canonical_version).toBe(2);
      const reread = JSON.parse(JSON.stringify(sealed));
      expect(checkEntry(reread, keyring)).toEqual({ hash_valid: true, signature_valid: true });
      for (const row of rows) expect(committer.matches(JSON.parse(JSON.stringify(row)), commitments[row.name])).toBe(true);
    }), { numRuns: 200 });
  });

  it("detects any change, addition or removal of a commitment", () => {
    fc.assert(fc.property(fields, personalInput, fc.nat(), fc.integer({ min: 0, max: 2 }), (f, input, pick, how) => {
      const { commitments } = commitPersonalData(committer, f, input);
      const sealed = sealEntry({ ...f, personal_commitments: commitments }, keyring);
      const names = Object.keys(commitments);
      const target = names[pick % names.length];
      const edited = { ...commitments };
      if (how === 0) edited[target] = (edited[target][0] === "0" ? "1" : "0") + edited[target].slice(1);
      else if (how === 1) edited.zz_added = "f".repeat(64);
      else if (names.length > 1) delete edited[target];
      else edited[target] = "e".repeat(64);
      expect(checkEntry({ ...sealed, personal_commitments: edited }, keyring).hash_valid).toBe(false);
    }), { numRuns: 200 });
  });

  it("matches a commitment only with its own record and key", () => {
    const other = CommitmentKey.parse("another-commitment-key-of-at-least-32-bytes!");
    fc.assert(fc.property(fields, personalInput, fc.string({ minLength: 1 }), (f, input, otherSubject) => {
      const { rows } = commitPersonalData(committer, f, input);
      const row = rows[0];
      const ok = committer.matches(row, row.commitment);
      expect(ok).toBe(true);
      if (otherSubject !== row.subject_id) expect(committer.matches({ ...row, subject_id: otherSubject }, row.commitment)).toBe(false);
      expect(committer.matches({ ...row, value: [row.value] }, row.commitment)).toBe(false);
      expect(committer.matches({ ...row, nonce: row.nonce.replace(/^./, (c) => (c === "0" ? "1" : "0")) }, row.commitment)).toBe(false);
      expect(committer.matches({ ...row, name: `${row.name}x` }, row.commitment)).toBe(false);
      expect(committer.matches({ ...row, event_id: "00000000-0000-4000-8000-000000000000" }, row.commitment)).toBe(false);
      expect(other.matches(row, row.commitment)).toBe(false);
    }), { numRuns: 200 });
  });

  it("gives equal values different commitments (fresh nonce per value)", () => {
    fc.assert(fc.property(fields, personalValue, (f, value) => {
      const a = commitPersonalData(committer, f, { v: { subject_id: "s", value } }).commitments.v;
      const b = commitPersonalData(committer, f, { v: { subject_id: "s", value } }).commitments.v;
      expect(a).not.toBe(b);
    }), { numRuns: 100 });
  });

  it("refuses commitments in a v1 payload and malformed ones in v2", () => {
    const f = { ...file.vectors[0].fields };
    expect(() => canonicalTextV1(f)).toThrow(/carries no personal_commitments/);
    expect(() => canonicalText({ ...f, personal_commitments: {} }, 2)).toThrow(/empty/);
    expect(() => canonicalText({ ...f, personal_commitments: { Bad: "a".repeat(64) } }, 2)).toThrow(/snake_case/);
    expect(() => canonicalText({ ...f, personal_commitments: { ok: "A".repeat(64) } }, 2)).toThrow(/hex/);
    expect(() => canonicalText(f, 3)).toThrow(/unknown canonical_version 3/);
    expect(checkEntry({ ...f, entry_hash: file.vectors[0].entry_hash, signature: file.vectors[0].signature, canonical_version: 3 }, keyring).error).toMatch(/unknown canonical_version/);
  });
});

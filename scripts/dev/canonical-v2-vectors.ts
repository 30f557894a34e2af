// Prints canonical-form v2 test vectors as JSON (entries with personal data outside the signed
// core). The committed testdata/canonical-v2/vectors.json is the reference; this script made it
// once. Regenerating it after a change to the canonical form would hide that change.
//   npx tsx scripts/dev/canonical-v2-vectors.ts > testdata/canonical-v2/vectors.json
import { canonicalText, commitmentBytes, type EntryFields, entryHash, type PersonalRecord } from "../../supabase/functions/_shared/canonical.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { CommitmentKey } from "../../supabase/functions/_shared/personal.ts";

const key = { id: "vector-key-1", secret: "evident-test-vector-secret-0123456789abcdef" };
const commitmentSecret = "evident-test-vector-commitment-key-0123456789";
const keyring = Keyring.parse(`${key.id}:${key.secret}`, key.id);
const committer = CommitmentKey.parse(commitmentSecret);

const base: Omit<EntryFields, "personal_commitments"> = {
  id: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
  organization_id: "5d2c1f0e-8b7a-4c6d-9e5f-1a2b3c4d5e6f",
  seq: 1,
  previous_hash: null,
  key_id: key.id,
  event_type: "report_submitted",
  actor_id: "reporting-service",
  actor_type: "service",
  target_id: "post-4711",
  target_type: "content",
  action: "report",
  metadata: { report_type: "illegal_content", is_trusted_flagger: false },
  timestamp: "2026-03-01T12:00:00.000000Z",
  created_at: "2026-03-01T12:00:00.250001Z",
  retention_until: "2033-03-01T12:00:00.250001Z",
  pii_tagged: true,
};

type Values = Array<[name: string, subject: string, value: unknown, nonce: string]>;
const cases: Array<[string, string, Omit<EntryFields, "personal_commitments">, Values]> = [
  ["reporter", "A report with the reporter's id, IP address and free-text reason as personal data.", base, [
    ["reporter_id", "user-ada", "user-ada", "000102030405060708090a0b0c0d0e0f"],
    ["reporter_ip", "user-ada", "203.0.113.7", "101112131415161718191a1b1c1d1e1f"],
    ["reason_text", "user-ada", "Er hat meine Adresse veröffentlicht ☹", "202122232425262728292a2b2c2d2e2f"],
  ]],
  ["equal-values", "Two equal values in one entry: the nonce and the name make their commitments differ.", {
    ...base, id: "9b2d4c1a-0e6f-4a5b-8c7d-1e2f3a4b5c6d", seq: 2, pii_tagged: false,
  }, [
    ["reporter_id", "user-ada", "user-ada", "303132333435363738393a3b3c3d3e3f"],
    ["appellant_id", "user-ada", "user-ada", "303132333435363738393a3b3c3d3e3f"],
  ]],
  ["structured-value", "Values may be any JSON: numbers as RFC 8785 renders them, objects with sorted keys, non-BMP characters.", {
    ...base, id: "c56a4180-65aa-42ec-a945-5fd21dec0538", event_type: "consent_granted", action: "grant",
    metadata: { purpose: "marketing", consent_version: "1.0" },
  }, [
    ["data_subject", "kunde-😀-7", "kunde-😀-7", "404142434445464748494a4b4c4d4e4f"],
    ["consent_context", "kunde-😀-7", { z: 1e21, a: [0.1, true, null], "é": "x" }, "505152535455565758595a5b5c5d5e5f"],
  ]],
];
// The chained case's previous_hash is the first case's hash, as in a real chain.
const vectors = [];
let previous: string | null = null;
for (const [name, description, fieldsWithout, values] of cases) {
  const fields: EntryFields = { ...fieldsWithout, previous_hash: fieldsWithout.seq === 1 ? null : previous };
  const personal = values.map(([valueName, subject_id, value, nonce]) => {
    const record: PersonalRecord = { organization_id: fields.organization_id, event_id: fields.id, name: valueName, subject_id, value, nonce };
    return { record, commitment_text: new TextDecoder().decode(commitmentBytes(record)), commitment: committer.commit(record) };
  });
  fields.personal_commitments = Object.fromEntries(personal.map((p) => [p.record.name, p.commitment]));
  const canonical = canonicalText(fields, 2);
  const entry_hash = entryHash(fields, 2);
  previous = entry_hash;
  vectors.push({ name, description, fields, personal, canonical, entry_hash, signature: keyring.sign(entry_hash) });
}

console.log(JSON.stringify({
  version: 2,
  key: { ...key, note: "Test key only. signature = HMAC-SHA256(UTF-8 bytes of secret, 32 raw bytes of entry_hash)." },
  commitment_key: {
    secret: commitmentSecret,
    note: "Test key only. commitment = HMAC-SHA256(UTF-8 bytes of secret, UTF-8 bytes of commitment_text), commitment_text = RFC 8785 of the record plus commitment_version 1.",
  },
  vectors,
}, null, 2));

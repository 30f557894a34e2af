// Prints canonical-form v1 test vectors as JSON. The committed testdata/canonical-v1/vectors.json
// is the reference; this script made it and is kept to show how. Regenerating it after a change
// to the canonical form would hide that change: tests compare against the committed file.
//   npx tsx scripts/dev/canonical-vectors.ts > testdata/canonical-v1/vectors.json
import { canonicalTextV1, type EntryFields, entryHashV1 } from "../../supabase/functions/_shared/canonical.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";

const key = { id: "vector-key-1", secret: "evident-test-vector-secret-0123456789abcdef" };
const keyring = Keyring.parse(`${key.id}:${key.secret}`, key.id);

const base: EntryFields = {
  id: "0b7f6a52-5c0e-4d4b-9a43-3f1c2d9e8a10",
  organization_id: "5d2c1f0e-8b7a-4c6d-9e5f-1a2b3c4d5e6f",
  seq: 1,
  previous_hash: null,
  key_id: key.id,
  event_type: "decision_made",
  actor_id: "moderator-17",
  actor_type: "user",
  target_id: "post-4711",
  target_type: "content",
  action: "remove",
  metadata: { action: "content_removed", reason: "illegal_content" },
  timestamp: "2026-03-01T12:00:00.000000Z",
  created_at: "2026-03-01T12:00:00.250001Z",
  retention_until: "2033-03-01T12:00:00.250001Z",
  pii_tagged: false,
};

const cases: Array<[string, string, EntryFields]> = [];
cases.push(["genesis", "First entry of a chain: previous_hash is null.", base]);
const genesisHash = entryHashV1(base);
cases.push(["chained", "Second entry: previous_hash is the genesis entry_hash.", {
  ...base,
  id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
  seq: 2,
  previous_hash: genesisHash,
  event_type: "report_submitted",
  action: "report",
  metadata: { report_type: "policy_violation", is_trusted_flagger: true, trusted_flagger_id: "tf-9" },
  timestamp: "2026-03-01T11:59:59.999999Z",
  pii_tagged: true,
}]);
cases.push(["key-order-and-unicode", "Keys sort by UTF-16 code units (RFC 8785 §3.2.3); strings keep non-ASCII as UTF-8, escape only what JSON requires.", {
  ...base,
  metadata: {
    "é": "café ☕", "z": "line\nbreak\t\"quoted\" \\ slash /", "A": "non-BMP 😀 𝄞", "aa": "\u001f control", "a": "",
    "\u20ac": "euro", "\ud83d\ude00": "emoji key",
  },
}]);
cases.push(["numbers", "Numbers render as ECMAScript Number.prototype.toString (RFC 8785 §3.2.2.3).", {
  ...base,
  metadata: { big: 1e21, small: 1e-7, tenth: 0.1, third: 1 / 3, negative_zero: -0, safe: 9007199254740991, exp: 123e-20, int: 100 },
}]);
cases.push(["nested", "Objects and arrays nest; empty ones are kept.", {
  ...base,
  metadata: { list: [3, 1, 2, { b: [], a: {} }], flags: [true, false, null], deep: { x: { y: { z: "end" } } } },
}]);
cases.push(["empty-metadata", "Metadata may be an empty object.", { ...base, metadata: {} }]);
cases.push(["leap-retention", "Retention seven years after 29 February lands on 28 February.", {
  ...base,
  created_at: "2028-02-29T23:59:59.000000Z",
  timestamp: "2028-02-29T23:59:58.123456Z",
  retention_until: "2035-02-28T23:59:59.000000Z",
}]);

const vectors = cases.map(([name, description, fields]) => {
  const canonical = canonicalTextV1(fields);
  const entry_hash = entryHashV1(fields);
  return { name, description, fields, canonical, entry_hash, signature: keyring.sign(entry_hash) };
});

console.log(JSON.stringify({
  version: 1,
  key: { ...key, note: "Test key only. signature = HMAC-SHA256(UTF-8 bytes of secret, 32 raw bytes of entry_hash)." },
  vectors,
}, null, 2));

// The same vectors under Deno: the edge functions' runtime must agree byte for byte with Node.
import { canonicalTextV1, entryHashV1 } from "../../supabase/functions/_shared/canonical.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";

const file = JSON.parse(await Deno.readTextFile(new URL("../../testdata/canonical-v1/vectors.json", import.meta.url)));
const keyring = Keyring.parse(`${file.key.id}:${file.key.secret}`, file.key.id);

function assertEquals(actual: unknown, expected: unknown, what: string) {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

for (const vector of file.vectors) {
  Deno.test(`canonical v1 vector ${vector.name}`, () => {
    assertEquals(canonicalTextV1(vector.fields), vector.canonical, "canonical text");
    assertEquals(entryHashV1(vector.fields), vector.entry_hash, "entry_hash");
    assertEquals(keyring.sign(vector.entry_hash), vector.signature, "signature");
  });
}

// Canonical form v2 (personal data outside the signed core): entries and commitments.
import { canonicalText, entryHash } from "../../supabase/functions/_shared/canonical.ts";
import { CommitmentKey } from "../../supabase/functions/_shared/personal.ts";

const v2 = JSON.parse(await Deno.readTextFile(new URL("../../testdata/canonical-v2/vectors.json", import.meta.url)));
const v2Keyring = Keyring.parse(`${v2.key.id}:${v2.key.secret}`, v2.key.id);
const committer = CommitmentKey.parse(v2.commitment_key.secret);
for (const vector of v2.vectors) {
  Deno.test(`canonical v2 vector ${vector.name}`, () => {
    assertEquals(canonicalText(vector.fields, 2), vector.canonical, "canonical text");
    assertEquals(entryHash(vector.fields, 2), vector.entry_hash, "entry_hash");
    assertEquals(v2Keyring.sign(vector.entry_hash), vector.signature, "signature");
    for (const p of vector.personal) assertEquals(committer.commit(p.record), p.commitment, `commitment ${p.record.name}`);
  });
}

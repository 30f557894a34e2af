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

// evident verify-export <export.json> --public-key <key.pem> [--public-key <older.pem> ...] [--json]
// Checks a certified export offline, with nothing but the file and the export public key(s): the
// package signature, every event's hash against its canonical form, every inclusion proof against
// the signed roots, and those roots' own signatures (docs/certified-export.md). No database, no
// secret. Pass every public key the export and its anchors name (after a rotation, the old one too).
// Exit 0: valid; 1: invalid, with every reason; 2: could not run (unreadable file, no key).
import { readOfflineInputs } from "../offline-inputs.ts";
import { verifyCertifiedExport } from "../../../supabase/functions/_shared/certified-export/verify.ts";

export async function verifyExport(values: { "public-key"?: string[]; json: boolean }, positionals: string[]): Promise<number> {
  const { input, keys } = readOfflineInputs("verify-export", positionals, values["public-key"]);
  const result = verifyCertifiedExport(input, keys);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else if (result.valid) {
    console.log(`VALID  certified export for request ${result.request_id}: ${result.events} event(s) of organization ${result.organization_id}, signed by ${result.signed_by}`);
  } else {
    console.log(`INVALID  ${positionals[0]}: ${result.problems.length} problem(s)`);
    for (const problem of result.problems) console.log(`  ${problem}`);
  }
  return result.valid ? 0 : 1;
}

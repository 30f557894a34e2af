// evident verify-report <report.json> --public-key <key.pem> [--public-key …] [--csv FILE …] [--json]
// Checks a DSA transparency report offline: its Ed25519 signature with the export public key, that
// each template part matches its signed CSV hash, and that each CSV file given is one of its parts,
// unchanged. No database, no secret. Exit 0: valid; 1: invalid, with every reason; 2: could not run.
import { readFileSync } from "node:fs";
import { readOfflineInputs } from "../offline-inputs.ts";
import { verifyTransparencyReport } from "../../../supabase/functions/_shared/dsa/verify.ts";

export async function verifyReport(values: { "public-key"?: string[]; csv?: string[]; json: boolean }, positionals: string[]): Promise<number> {
  const { input, keys } = readOfflineInputs("verify-report", positionals, values["public-key"]);
  const csv = Object.fromEntries((values.csv ?? []).map((file) => [file, readFileSync(file, "utf8")]));
  const result = verifyTransparencyReport(input, keys, csv);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else if (result.valid) {
    console.log(`VALID  ${result.status} DSA transparency report of ${result.organization_id}, ${result.period?.from}/${result.period?.to}, signed by ${result.signed_by}` +
      (Object.keys(csv).length > 0 ? `; ${Object.keys(csv).length} CSV file(s) match it` : ""));
  } else {
    console.log(`INVALID  ${positionals[0]}: ${result.problems.length} problem(s)`);
    for (const problem of result.problems) console.log(`  ${problem}`);
  }
  return result.valid ? 0 : 1;
}

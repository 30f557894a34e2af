// What the offline verifiers (verify-export, verify-report) read: one signed JSON document and the
// export public keys given with --public-key. Usage errors become exit 2 through main.ts.
import { readFileSync } from "node:fs";

export function readOfflineInputs(command: string, positionals: string[], keyFiles: string[] | undefined): { input: unknown; keys: string[] } {
  if (positionals.length !== 1) throw new Error(`give exactly one file: evident ${command} <file.json> --public-key <key.pem>`);
  if (!keyFiles || keyFiles.length === 0) throw new Error("--public-key <key.pem> is required (GET /functions/v1/audit-keys serves it)");
  const keys = keyFiles.map((file) => readFileSync(file, "utf8"));
  try {
    return { input: JSON.parse(readFileSync(positionals[0], "utf8")), keys };
  } catch (error) {
    throw new Error(`${positionals[0]} is not a readable JSON file: ${(error as Error).message}`);
  }
}

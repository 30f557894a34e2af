// evident checkpoint [--org <uuid>] [--json]
// Signs every organisation's chain head that moved since its last checkpoint with
// AUDIT_EXPORT_SIGNING_KEY, records it, and publishes it to the archive folder
// (checkpoints/<organization>/<seq>.json). Run it every few minutes while events flow; `evident
// seal` runs it too. A head that names no entry of its trail is never signed: it is reported and
// the exit code is 1. Exit 0: done; 1: some heads refused; 2: could not run.
import { parseArgs } from "node:util";
import { checkpointHeads } from "../../../supabase/functions/_shared/checkpoint.ts";
import { ExportSigner } from "../../../supabase/functions/_shared/export-key.ts";
import { archiveDir, publishCheckpoint, publishKey } from "../archive.ts";
import { cliDatabase } from "../database.ts";

export async function checkpoint(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { org: { type: "string" }, json: { type: "boolean", default: false } },
    strict: true,
  });
  if (values.org !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.org)) {
    throw new Error(`--org ${values.org} is not a UUID`);
  }
  const signer = ExportSigner.fromEnv();
  const sql = cliDatabase();
  try {
    const { signed, refused } = await checkpointHeads(sql, signer, values.org ? [values.org.toLowerCase()] : undefined);
    const dir = archiveDir();
    publishKey(dir, signer);
    for (const s of signed) publishCheckpoint(dir, s);
    if (values.json) console.log(JSON.stringify({ checkpoints: signed, refused }, null, 2));
    else {
      for (const s of signed) console.log(`checkpoint ${s.checkpoint.organization_id} at seq ${s.checkpoint.seq}`);
      for (const r of refused) console.log(`REFUSED   ${r.organization_id} at seq ${r.seq}: ${r.reason}`);
      console.log(`${signed.length} checkpoint(s) signed by ${signer.keyId}, published to ${dir}`);
    }
    return refused.length === 0 ? 0 : 1;
  } finally {
    await sql.end();
  }
}

// evident checkpoint [--org <uuid>] [--json]
// Signs every organisation's chain head that moved since its last checkpoint with
// AUDIT_EXPORT_SIGNING_KEY, records it, and publishes it to the archive folder
// (checkpoints/<organization>/<seq>.json). Run it every few minutes while events flow; `evident
// seal` runs it too. Where pg_cron checkpoints through the audit-maintenance function, run it to
// copy each organisation's newest stored checkpoint (its signature checked) into the archive. A head that names no entry of its trail is never signed: it is reported and
// the exit code is 1. Exit 0: done; 1: some heads refused; 2: could not run.
import {
  checkpointBytes,
  checkpointHeads,
  latestStoredCheckpoint,
  type SignedCheckpoint,
} from "../../../supabase/functions/_shared/checkpoint.ts";
import { ExportSigner, exportVerificationKeys, verifyExportSignature } from "../../../supabase/functions/_shared/export-key.ts";
import { archiveDir, archivedCheckpointExists, publishCheckpoint, publishKey, publishPublicKey } from "../archive.ts";
import { cliDatabase } from "../database.ts";

export async function checkpoint(values: { org?: string; json: boolean }): Promise<number> {
  if (values.org !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.org)) {
    throw new Error(`--org ${values.org} is not a UUID`);
  }
  const signer = ExportSigner.fromEnv();
  const sql = cliDatabase();
  try {
    const organizations = values.org ? [values.org.toLowerCase()] : undefined;
    const { signed, refused } = await checkpointHeads(sql, signer, organizations);
    const dir = archiveDir();
    publishKey(dir, signer);
    for (const s of signed) publishCheckpoint(dir, s);
    // Checkpoints signed elsewhere (the audit-maintenance function on pg_cron) reach the archive
    // here: each organisation's newest stored one, if the archive lacks it and its signature verifies.
    const publicKeys = exportVerificationKeys(signer);
    const heads = organizations ?? (await sql`select organization_id from evident.chain_heads order by 1`).map((r) => r.organization_id as string);
    const copied: SignedCheckpoint[] = [];
    for (const organizationId of heads) {
      const stored = await latestStoredCheckpoint(sql, organizationId);
      if (!stored || signed.some((s) => s.checkpoint.organization_id === organizationId && s.checkpoint.seq === stored.checkpoint.seq)) continue;
      if (archivedCheckpointExists(dir, stored)) continue;
      const pem = publicKeys.get(stored.checkpoint.signing_key_id);
      if (!pem || !verifyExportSignature(checkpointBytes(stored.checkpoint), stored.signature, pem)) {
        refused.push({ organization_id: organizationId, seq: stored.checkpoint.seq, reason: "the stored checkpoint does not verify with the export keys: not published" });
        continue;
      }
      publishCheckpoint(dir, stored);
      publishPublicKey(dir, stored.checkpoint.signing_key_id, pem);
      copied.push(stored);
    }
    if (values.json) console.log(JSON.stringify({ checkpoints: signed, published_stored: copied, refused }, null, 2));
    else {
      for (const s of signed) console.log(`checkpoint ${s.checkpoint.organization_id} at seq ${s.checkpoint.seq}`);
      for (const s of copied) console.log(`published ${s.checkpoint.organization_id} at seq ${s.checkpoint.seq} (signed ${s.checkpoint.checkpointed_at})`);
      for (const r of refused) console.log(`REFUSED   ${r.organization_id} at seq ${r.seq}: ${r.reason}`);
      console.log(`${signed.length} checkpoint(s) signed by ${signer.keyId}, published to ${dir}`);
    }
    return refused.length === 0 ? 0 : 1;
  } finally {
    await sql.end();
  }
}

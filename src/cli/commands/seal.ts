// evident seal --month YYYY-MM [--full] [--json]
// Seals a finished month: checks every entry's link, sequence and signature (with --full, also its
// contents against its hash, as `evident verify` does), computes its RFC 6962 roots and aggregates,
// signs the manifest with AUDIT_EXPORT_SIGNING_KEY (Ed25519), records it in partition_manifests
// and publishes it to the archive folder (EVIDENT_ARCHIVE_DIR, default .evident/archive):
//   manifests/YYYY-MM.json        {"manifest": <signed payload>, "signature": <base64 Ed25519>}
//   keys/<signing_key_id>.pem     the public key that verifies it
//   events/YYYY-MM.ndjson.gz      the month's entries, one per line, and its .sha256
// For a month already sealed (by the audit-maintenance function on pg_cron, or by an interrupted
// run), it publishes what the archive lacks: the recorded manifest, once its signature verifies,
// and the month's events.
// Exit 0: sealed, or already sealed (never resealed); 1: the month does not verify, refused;
// 2: could not run (including a month not yet finished).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { checkpointHeads } from "../../../supabase/functions/_shared/checkpoint.ts";
import { ExportSigner, exportVerificationKeys, verifyExportSignature } from "../../../supabase/functions/_shared/export-key.ts";
import { manifestBytes } from "../../../supabase/functions/_shared/manifest.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { monthBounds, readManifest, sealedByAnother, sealMonth } from "../../../supabase/functions/_shared/seal.ts";
import { archiveDir, publishCheckpoint, publishKey, publishPublicKey } from "../archive.ts";
import { eventsFile, type WriteOutcome, writeMonthEvents } from "../month-archive.ts";
import { cliDatabase } from "../database.ts";
import { progress } from "../progress.ts";

export async function seal(values: { month?: string; full: boolean; json: boolean }): Promise<number> {
  if (!values.month) throw new Error("--month YYYY-MM is required");
  const bounds = monthBounds(values.month);
  if (!bounds) throw new Error(`--month ${values.month} is not of the form YYYY-MM`);
  const keyring = Keyring.forVerification(process.env.AUDIT_SIGNING_KEYS);
  const signer = ExportSigner.fromEnv();

  // Three connections: the month's pass, its counts and its DSA facts run side by side.
  const sql = cliDatabase(3);
  try {
    // An archive file for a month this database has not sealed comes from somewhere else (another
    // database, or one reset since): refuse before recording anything, rather than leave the
    // database and the archive disagreeing.
    const file = path.join(archiveDir(), "manifests", `${values.month}.json`);
    const [sealed] = await sql`select 1 from public.partition_manifests where partition_name = ${bounds.partitionName}`;
    if (!sealed && existsSync(file)) {
      throw new Error(`the archive already holds ${file}, which this database did not seal; move it away or set EVIDENT_ARCHIVE_DIR`);
    }
    // The partition's row estimate (no extra pass over the month) is the total the ETA is reckoned on.
    const [estimate] = values.json ? [] : await sql`
      select greatest(c.reltuples, 0)::bigint as rows from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relname = ${bounds.partitionName}`;
    const bar = progress(`sealing ${values.month}`, Number(estimate?.rows ?? 0), values.json);
    const outcome = await sealMonth(sql, bounds, keyring, signer, {
      full: values.full,
      onProgress: (n) => bar.update(n),
    }).catch((error) => sealedByAnother(sql, bounds, error)).finally(() => bar.done());
    let archived: WriteOutcome | undefined;
    let published: string | undefined;
    if (outcome.status === "sealed") {
      const dir = archiveDir();
      mkdirSync(path.join(dir, "manifests"), { recursive: true });
      writeFileSync(path.join(dir, "manifests", `${values.month}.json`),
        JSON.stringify({ manifest: outcome.manifest, signature: outcome.signature }, null, 2) + "\n", { flag: "wx" });
      publishKey(dir, signer);
      // Every seal also checkpoints the month's organisations, so their newest entries are covered too.
      const organizations = outcome.manifest.organization_roots.map((r) => r.organization_id);
      if (organizations.length > 0) {
        const run = await checkpointHeads(sql, signer, organizations);
        for (const signed of run.signed) publishCheckpoint(dir, signed);
        for (const r of run.refused) console.error(`evident seal: not checkpointed: ${r.organization_id} at seq ${r.seq}: ${r.reason}`);
      }
      archived = await writeMonthEvents(sql, dir, bounds, outcome.manifest);
    } else if (outcome.status === "already_sealed") {
      // A month sealed elsewhere (by the audit-maintenance function, which has no archive) or whose
      // publishing was interrupted gets what the archive lacks: its manifest, once its signature
      // verifies, and its events.
      const dir = archiveDir();
      const recorded = await readManifest(sql, bounds.partitionName);
      if (recorded && !existsSync(file)) {
        const pem = exportVerificationKeys(signer).get(recorded.manifest.signing_key_id);
        if (!pem || !verifyExportSignature(manifestBytes(recorded.manifest), recorded.signature, pem)) {
          console.error(`evident seal: the recorded manifest of ${values.month} does not verify with key ${recorded.manifest.signing_key_id}: not published`);
          return 1;
        }
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify({ manifest: recorded.manifest, signature: recorded.signature }, null, 2) + "\n", { flag: "wx" });
        publishPublicKey(dir, recorded.manifest.signing_key_id, pem);
        published = file;
      }
      if (recorded && !existsSync(eventsFile(dir, values.month))) archived = await writeMonthEvents(sql, dir, bounds, recorded.manifest);
    }
    if (values.json) console.log(JSON.stringify({ ...outcome, ...(published ? { published } : {}), ...(archived ? { archived } : {}) }, null, 2));
    else if (outcome.status === "sealed") {
      console.log(`sealed ${values.month}: ${outcome.manifest.record_count} entries from ${outcome.manifest.organization_roots.length} organisation(s), root ${outcome.manifest.checksum}, signed by ${outcome.manifest.signing_key_id}`);
      console.log(`published to ${path.join(archiveDir(), "manifests", `${values.month}.json`)}`);
    } else if (outcome.status === "already_sealed") {
      console.log(`${values.month} was sealed at ${outcome.sealed_at}; a sealed month is never sealed again`);
      if (published) console.log(`published its recorded manifest to ${published}`);
    } else if (outcome.status === "not_finished") {
      console.error(`evident seal: ${values.month} is not finished yet (it ends at ${outcome.ends})`);
    } else {
      console.log(`refused: ${values.month} does not verify`);
      for (const f of outcome.failures) {
        console.log(`  ${f.organization_id}: first failing entry seq ${f.first_failure?.seq} (${f.first_failure?.failures.join(", ")})`);
      }
    }
    if (!values.json && archived?.status === "written") {
      console.log(`archived ${archived.count} entries to ${archived.file} (sha256 ${archived.sha256})`);
    }
    return outcome.status === "sealed" || outcome.status === "already_sealed" ? 0 : outcome.status === "not_finished" ? 2 : 1;
  } finally {
    await sql.end();
  }
}

// evident rehydrate --month YYYY-MM [--archive DIR] [--public-key PEM] [--replace] [--json]
// Restores an archived month (events/YYYY-MM.ndjson.gz beside manifests/YYYY-MM.json) into its own
// schema, evident_rehydrated_YYYY_MM (never into the live trail), then verifies the restored
// copy against the signed manifest: the Ed25519 signature (with --public-key, or the archive's
// keys/<signing_key_id>.pem), every entry's hash and HMAC signature (AUDIT_SIGNING_KEYS), the
// chain links within the month from the organisations' boundaries, and the recomputed Merkle
// roots. The schema has the live trail's shape: audit_events (the trail's columns, without its
// constraints) and audit_entries (canonical timestamps), readable by the operator who ran this
// and nobody else.
// Exit 0: restored and valid; 1: the archive is corrupted or tampered (each reason printed; a copy
// that loads but does not verify is left in the schema for inspection, one that does not load is
// not kept); 2: could not run (no such archived month, the
// schema exists without --replace, no database).
import { existsSync, readFileSync } from "node:fs";
import type postgres from "postgres";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { manifestProblems, monthBounds, monthPassOver } from "../../../supabase/functions/_shared/seal.ts";
import { entryColumns } from "../../../supabase/functions/_shared/trail.ts";
import { archiveDir } from "../archive.ts";
import { withEntryChecker } from "../verify/entry-checker.ts";
import { cliDatabase } from "../database.ts";
import { progress } from "../progress.ts";
import { archiveAnchors, archivedBatches, checksumProblems, CorruptArchive, eventsFile, manifestKey, readArchivedManifest } from "../month-archive.ts";

export function rehydratedSchema(month: string): string {
  return `evident_rehydrated_${month.replace("-", "_")}`;
}

export interface RehydrateOptions {
  month?: string;
  archive?: string;
  "public-key"?: string;
  replace?: boolean;
  json?: boolean;
}

export async function rehydrate(options: RehydrateOptions | string[]): Promise<number> {
  // An argument list (as scripts/bench/archive.ts passes one) goes through the CLI's own parser.
  if (Array.isArray(options)) return await (await import("../main.ts")).main(["rehydrate", ...options]);
  const values = { ...options, replace: options.replace === true, json: options.json === true };
  if (!values.month) throw new Error("--month YYYY-MM is required");
  const bounds = monthBounds(values.month);
  if (!bounds) throw new Error(`--month ${values.month} is not of the form YYYY-MM`);
  const dir = values.archive ?? archiveDir();
  const keyring = Keyring.forVerification(process.env.AUDIT_SIGNING_KEYS);
  const signed = readArchivedManifest(dir, values.month);
  if (!signed) throw new Error(`${dir} holds no manifest for ${values.month} (manifests/${values.month}.json)`);
  const file = eventsFile(dir, values.month);
  if (!existsSync(file)) throw new Error(`${dir} holds no events for ${values.month} (events/${values.month}.ndjson.gz)`);
  const { manifest, signature } = signed;
  const key = manifestKey(dir, manifest, values["public-key"] ? readFileSync(values["public-key"], "utf8") : undefined);
  const schema = rehydratedSchema(values.month);

  const sql = cliDatabase();
  try {
    const [exists] = await sql`select 1 from pg_catalog.pg_namespace where nspname = ${schema}`;
    if (exists && !values.replace) throw new Error(`schema ${schema} exists already: pass --replace to restore it again`);

    const { problems } = await checksumProblems(dir, values.month);
    if (!key.pem) problems.push(key.problem!);
    // The database's own record of the seal, when it has one, must be the archived manifest.
    const [recorded] = await sql`select signature from public.partition_manifests where partition_name = ${bounds.partitionName}`;
    if (recorded && recorded.signature !== signature) problems.push(`the archived manifest is not the one this database recorded for ${values.month} (signatures differ)`);

    let loaded = 0;
    const bar = progress(`restoring ${values.month}`, Number(manifest.record_count) || 0, values.json);
    try {
      await sql.begin(async (tx) => {
        if (exists) await tx`drop schema ${tx(schema)} cascade`;
        await createRehydratedSchema(tx, schema);
        for await (const batch of archivedBatches(file, 2000)) {
          await tx`insert into ${tx(schema)}.audit_events
            select * from jsonb_populate_recordset(null::${tx(schema)}.audit_events, ${tx.json(batch as unknown as postgres.JSONValue)})`;
          loaded += batch.length;
          bar.update(loaded);
        }
        await tx`analyze ${tx(schema)}.audit_events`;
      }).finally(() => bar.done());
    } catch (error) {
      // A line that is not an entry, or one whose values do not fit the trail's types: nothing is kept.
      if (error instanceof CorruptArchive) problems.push(error.message);
      else if ((error as { code?: string }).code?.startsWith("22")) problems.push(`the archived entries do not load: ${(error as Error).message}`);
      else throw error;
      return report(values.month, schema, false, problems, 0, values.json, false);
    }

    if (key.pem) {
      const rows = sql`select ${sql(entryColumns as unknown as string[])} from ${sql(schema)}.audit_entries order by organization_id, seq`;
      const anchors = archiveAnchors(dir, values.month, new Map([[manifest.signing_key_id, key.pem]]));
      const bar = progress(`verifying ${values.month}`, Number(manifest.record_count) || 0, values.json);
      const pass = await withEntryChecker({ signingKeys: process.env.AUDIT_SIGNING_KEYS }, (checker) =>
        monthPassOver(rows.cursor(5000), anchors, keyring, "full", { checker, onProgress: (n) => bar.update(n) })).finally(() => bar.done());
      problems.push(...manifestProblems(manifest, signature, key.pem, pass));
    }
    return report(values.month, schema, problems.length === 0, problems, loaded, values.json, true);
  } finally {
    await sql.end();
  }
}

function report(month: string, schema: string, valid: boolean, problems: string[], loaded: number, json: boolean, restored: boolean): number {
  if (json) console.log(JSON.stringify({ month, schema: restored ? schema : null, restored: loaded, valid, problems }, null, 2));
  else if (valid) console.log(`ok        ${month}: ${loaded} entries restored into ${schema} and verified against the signed manifest`);
  else {
    console.log(`CORRUPTED ${month}: ${restored ? `${loaded} entries restored into ${schema}, which does not verify` : "nothing restored"}`);
    for (const problem of problems) console.log(`          ${problem}`);
  }
  return valid ? 0 : 1;
}

/**
 * The restored month's schema: a table with every column of the live trail and none of its
 * constraints (a damaged copy still loads, to be examined), and a view rendering the entry columns
 * as evident.audit_entries does. Both follow the live trail's columns, whatever they are.
 */
async function createRehydratedSchema(tx: postgres.TransactionSql, schema: string) {
  await tx`create schema ${tx(schema)}`;
  await tx`revoke all on schema ${tx(schema)} from public`;
  await tx`comment on schema ${tx(schema)} is 'An archived month restored by evident rehydrate: a copy, never the live trail.'`;
  await tx`create table ${tx(schema)}.audit_events as select * from public.audit_events with no data`;
  await tx`alter table ${tx(schema)}.audit_events enable row level security`;
  await tx`revoke all on ${tx(schema)}.audit_events from public, anon, authenticated`;
  const canonical = new Set(["timestamp", "created_at", "retention_until"]);
  const columns = entryColumns.map((c) => canonical.has(c) ? tx`evident.canonical_timestamp(${tx(c)}) as ${tx(c)}` : tx`${tx(c)}`);
  const list = columns.reduce((all, c, i) => (i === 0 ? c : tx`${all}, ${c}`));
  await tx`
    create view ${tx(schema)}.audit_entries with (security_invoker = true) as
    select ${list}, created_at as created_at_instant, "timestamp" as timestamp_instant
    from ${tx(schema)}.audit_events`;
  await tx`revoke all on ${tx(schema)}.audit_entries from public, anon, authenticated`;
}

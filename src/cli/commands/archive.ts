// evident archive verify (--month YYYY-MM … | --all) [--archive DIR] [--public-key PEM] [--record] [--json]
// The weekly backup-verification drill (docs/runbooks/rehydration.md): checks archived months
// without touching the database: the manifest's Ed25519 signature, the events file against its
// .sha256, and a full pass over every archived entry (hash, HMAC signature, links, sequence) whose
// recomputed Merkle roots must equal the manifest's. --all checks every month the database has
// sealed and every month the archive holds (a sealed month missing from the archive fails).
// --record appends the outcome to each covered organisation's trail as a `backup_verified` event
// (through the signed append path), which the quarterly report's "backup integrity" reads.
// Exit 0: every month valid; 1: a month is missing, corrupted or tampered (each reason printed);
// 2: could not run.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { appendEvents } from "../../../supabase/functions/_shared/append.ts";
import { asWriter } from "../../../supabase/functions/_shared/db.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { eventInput } from "../../../supabase/functions/_shared/schemas/events.ts";
import { monthBounds } from "../../../supabase/functions/_shared/seal.ts";
import { archiveDir } from "../archive.ts";
import { cliDatabase } from "../database.ts";
import { type ArchiveCheck, checkArchivedMonth } from "../month-archive.ts";
import { progress } from "../progress.ts";

export async function verifyArchive(values: {
  month?: string[];
  all: boolean;
  archive?: string;
  "public-key"?: string;
  record: boolean;
  json: boolean;
}): Promise<number> {
  if (!values.all && !values.month?.length) throw new Error("--month YYYY-MM (repeatable) or --all is required");
  const dir = values.archive ?? archiveDir();
  const keyring = Keyring.forVerification(process.env.AUDIT_SIGNING_KEYS);
  const publicKeyPem = values["public-key"] ? readFileSync(values["public-key"], "utf8") : undefined;
  const months = new Set(values.month ?? []);
  for (const month of months) if (!monthBounds(month)) throw new Error(`--month ${month} is not of the form YYYY-MM`);

  const needsDatabase = values.all || values.record;
  const sql = needsDatabase ? cliDatabase() : undefined;
  try {
    // What the database sealed: the months --all covers, and who each month's drill is recorded for.
    const sealed = sql
      ? await sql`select to_char(partition_start_date, 'YYYY-MM') as month, array(select r ->> 'organization_id' from jsonb_array_elements(organization_roots) r) as organizations
          from public.partition_manifests order by partition_start_date`
      : [];
    if (values.all) {
      for (const s of sealed) months.add(s.month);
      const folder = path.join(dir, "manifests");
      if (existsSync(folder)) for (const f of readdirSync(folder)) if (/^\d{4}-\d{2}\.json$/.test(f)) months.add(f.slice(0, 7));
    }
    const checks: ArchiveCheck[] = [];
    for (const month of [...months].sort()) {
      let bar: ReturnType<typeof progress> | undefined;
      const check = await checkArchivedMonth(dir, monthBounds(month)!, keyring, publicKeyPem, (checked, total) => {
        bar ??= progress(`checking archived ${month}`, total, values.json);
        bar.update(checked);
      }).finally(() => bar?.done());
      checks.push(check);
    }
    const valid = checks.every((c) => c.valid);

    let recorded: string[] = [];
    if (values.record && sql) {
      const organizationsOf = new Map<string, string[]>();
      for (const s of sealed) organizationsOf.set(s.month, s.organizations);
      for (const c of checks) {
        if (!organizationsOf.has(c.month) && c.manifest) organizationsOf.set(c.month, c.manifest.organization_roots.map((r) => r.organization_id));
      }
      recorded = await recordDrill(sql, checks, organizationsOf);
    }

    if (values.json) console.log(JSON.stringify({ valid, months: checks.map(({ manifest: _m, signature: _s, ...c }) => c), recorded_for: recorded }, null, 2));
    else {
      for (const c of checks) {
        if (c.valid) console.log(`ok        ${c.month}: ${c.record_count} archived entries match the signed manifest (root ${c.manifest?.checksum})`);
        else {
          console.log(`CORRUPTED ${c.month}:`);
          for (const problem of c.problems) console.log(`          ${problem}`);
        }
      }
      if (checks.length === 0) console.log("no sealed or archived months to check");
      if (values.record) console.log(`recorded backup_verified in ${recorded.length} organisation(s)`);
      console.log(valid ? `backup verified: ${checks.length} month(s)` : "backup verification FAILED");
    }
    return valid ? 0 : 1;
  } finally {
    await sql?.end();
  }
}

/** One backup_verified event per organisation the checked months cover: its months, and whether all verified. */
async function recordDrill(sql: ReturnType<typeof cliDatabase>, checks: ArchiveCheck[], organizationsOf: Map<string, string[]>): Promise<string[]> {
  const keyring = Keyring.fromEnv();
  const byOrganization = new Map<string, ArchiveCheck[]>();
  for (const c of checks) for (const org of organizationsOf.get(c.month) ?? []) byOrganization.set(org, [...(byOrganization.get(org) ?? []), c]);
  const recorded: string[] = [];
  for (const [organization, own] of [...byOrganization].sort(([a], [b]) => a.localeCompare(b))) {
    const failed = own.filter((c) => !c.valid);
    const event = eventInput.parse({
      event_type: "backup_verified",
      actor_id: process.env.USER || "operator",
      actor_type: "operator",
      target_id: "archive",
      target_type: "archive",
      action: "verify",
      metadata: {
        valid: failed.length === 0,
        months_checked: own.map((c) => c.month),
        months_failed: failed.map((c) => c.month),
        // The reasons name months, files, organisations and sequence numbers, never event contents.
        // Another organisation's identifiers never enter this one's trail.
        problems: failed.flatMap((c) => c.problems
          .filter((p) => !(organizationsOf.get(c.month) ?? []).some((other) => other !== organization && p.includes(other)))
          .map((p) => `${c.month}: ${p}`)).slice(0, 20),
      },
    });
    await asWriter(sql, (tx) => appendEvents(tx, organization, [event], keyring));
    recorded.push(organization);
  }
  return recorded;
}

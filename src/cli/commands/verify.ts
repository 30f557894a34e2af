// evident verify [--org <uuid>] [--from <timestamp>] [--to <timestamp>] [--archive <dir>] [--jobs <n>] [--json]
// evident verify --month YYYY-MM [--public-key <file.pem>] [--json]
// Recomputes every entry's hash and signature and every link, organisation by organisation,
// streaming a page at a time. Without --to it also checks that the trail ends at the persisted
// chain head, and that it still holds the entry its latest signed checkpoint names (in the database,
// and with --archive also the archived one, whose signature is checked: a deleted tail with a
// rewound head is otherwise invisible). A long trail is verified by --jobs worker threads (default:
// one per core, at most 8), each over its own connection (src/cli/verify/parallel.ts); --json gives
// each organisation's elapsed_ms. Exit 0: valid; 1: tampering found, with the
// first failing entry and the count of each kind; 2: could not run.
// With --month: re-verifies a sealed month against its manifest (signature, entries, roots) and
// records the outcome on it (verified or tampered), recomputing the entries on --jobs worker
// threads (src/cli/verify/entry-checker.ts). The public key comes from --public-key, or is
// derived from AUDIT_EXPORT_SIGNING_KEY.
// Keys: AUDIT_SIGNING_KEYS (every key any row names).
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { canonicalTimestamp } from "../../../supabase/functions/_shared/time.ts";
import { verifyAgainstHead } from "../../../supabase/functions/_shared/verify.ts";
import { withEntryChecker } from "../verify/entry-checker.ts";
import { defaultJobs, verifyOrganizationInParallel } from "../verify/parallel.ts";
import { readFileSync } from "node:fs";
import {
  checkpointBytes,
  checkpointProblem,
  latestStoredCheckpoint,
  signedCheckpointProblems,
} from "../../../supabase/functions/_shared/checkpoint.ts";
import { publicKeysById, verifyExportSignature } from "../../../supabase/functions/_shared/export-key.ts";
import type { Queryable } from "../../../supabase/functions/_shared/trail.ts";
import { latestArchivedCheckpoint } from "../archive.ts";
import { ExportSigner } from "../../../supabase/functions/_shared/export-key.ts";
import { monthBounds, verifySealedMonth } from "../../../supabase/functions/_shared/seal.ts";
import { cliDatabase, cliDatabaseUrl } from "../database.ts";
import { progress } from "../progress.ts";
import { checkPersonalData, CommitmentKey, commitmentKeyVariable, retiredCommitmentKeysVariable, type PersonalCheck } from "../../../supabase/functions/_shared/personal.ts";

/** The options `evident verify` takes (parsed by commander in ../main.ts). */
export interface VerifyOptions {
  org?: string;
  from?: string;
  to?: string;
  month?: string;
  archive?: string;
  "public-key"?: string;
  jobs?: string;
  json: boolean;
}

export async function verify(values: VerifyOptions): Promise<number> {
  const jobs = values.jobs === undefined ? defaultJobs() : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new Error(`--jobs ${values.jobs} is not a whole number from 1 to 64`);
  const from = values.from === undefined ? undefined : canonicalTimestamp(values.from);
  const to = values.to === undefined ? undefined : canonicalTimestamp(values.to);
  if (values.from !== undefined && !from) throw new Error(`--from ${values.from} is not an ISO 8601 timestamp with an offset`);
  if (values.to !== undefined && !to) throw new Error(`--to ${values.to} is not an ISO 8601 timestamp with an offset`);
  if (values.org !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.org)) {
    throw new Error(`--org ${values.org} is not a UUID`);
  }
  const keyring = Keyring.forVerification(process.env.AUDIT_SIGNING_KEYS);
  if (values.month !== undefined) return await verifyMonth(values.month, values["public-key"], keyring, jobs, values.json);
  const archivePublicKey = values.archive === undefined ? undefined : publicKeyFrom(values["public-key"]);

  // Personal data outside the signed core (canonical form v2) is checked against its signed
  // commitments when the commitment key is given; without it, only the entries are verified.
  const commitmentKey = process.env[commitmentKeyVariable]
    ? CommitmentKey.parse(process.env[commitmentKeyVariable], process.env[retiredCommitmentKeysVariable])
    : undefined;
  const sql = cliDatabase();
  try {
    const organizations = values.org
      ? [values.org.toLowerCase()]
      // Every tenant, and every chain: an organisation whose head row was deleted is still walked
      // (and its missing head reported).
      : (await sql`
          select id as organization_id from public.organizations
          union select organization_id from evident.chain_heads
          order by 1`).map((r) => r.organization_id as string);
    if (values.org) {
      const [known] = await sql`select 1 from public.organizations where id = ${values.org}::uuid`;
      if (!known) throw new Error(`organization ${values.org} does not exist`);
    }

    const reports = [];
    for (const organizationId of organizations) {
      const [{ total }] = await sql`select coalesce(max(seq), 0)::bigint as total from evident.chain_heads where organization_id = ${organizationId}::uuid`;
      const bar = progress(`verifying ${organizationId}`, Number(total), values.json);
      const started = performance.now();
      const walk = (through?: number) => verifyOrganizationInParallel(sql, organizationId, {
        dbUrl: cliDatabaseUrl(),
        signingKeys: process.env.AUDIT_SIGNING_KEYS!,
        jobs,
        from, to, through,
        onProgress: (_, checked) => bar.update(checked),
      });
      // Up to now: against the chain head, read before the walk, whatever is appended meanwhile.
      const { summary, head } = to === undefined
        ? await verifyAgainstHead(sql, organizationId, keyring, { from, walk })
        : { summary: await walk(), head: undefined };
      const elapsed_ms = Math.round(performance.now() - started);
      bar.done();
      const checkpoint_problems = to === undefined
        ? await checkpointProblems(sql, organizationId, values.archive, archivePublicKey)
        : [];
      const personal_data: PersonalCheck | null = commitmentKey && to === undefined && from === undefined
        ? await checkPersonalData(sql, organizationId, commitmentKey)
        : null;
      reports.push({
        ...summary,
        elapsed_ms,
        valid: summary.valid && (head?.matches ?? true) && checkpoint_problems.length === 0 && (personal_data?.problems.length ?? 0) === 0,
        ...(head ? { head } : {}),
        checkpoint_problems,
        personal_data,
      });
    }

    const valid = reports.every((r) => r.valid);
    if (values.json) {
      console.log(JSON.stringify({ valid, organizations: reports }, null, 2));
    } else {
      for (const r of reports) {
        const personal = r.personal_data
          ? `; personal data: ${r.personal_data.checked} value(s) match their commitments, ${r.personal_data.erased} erased`
          : "";
        if (r.valid) {
          console.log(`ok        ${r.organization_id}: ${r.checked} entries verified${r.last_seq ? ` (through seq ${r.last_seq})` : ""}${personal}`);
          continue;
        }
        const kinds = Object.entries(r.failures).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ");
        console.log(`TAMPERED  ${r.organization_id}: ${r.checked} entries checked${kinds ? `; failures: ${kinds}` : ""}`);
        if (r.first_failure) {
          console.log(`          first failing entry: seq ${r.first_failure.seq} (id ${r.first_failure.id}): ${r.first_failure.failures.join(", ")}${r.first_failure.detail ? ` — ${r.first_failure.detail}` : ""}`);
        }
        for (const problem of r.checkpoint_problems) console.log(`          ${problem}`);
        for (const p of r.personal_data?.problems ?? []) {
          console.log(`          personal data ${p.name} of event ${p.event_id}${p.seq === null ? "" : ` (seq ${p.seq})`}: ${p.problem}`);
        }
        if (r.head && !r.head.matches) {
          console.log(`          the trail ends at seq ${r.last_seq ?? 0} but the chain head is at seq ${r.head.head_seq}: entries are missing or the head was moved`);
        }
      }
      console.log(valid ? `valid: ${reports.length} organisation(s)` : "tampering found");
    }
    return valid ? 0 : 1;
  } finally {
    await sql.end();
  }
}

async function verifyMonth(month: string, publicKeyFile: string | undefined, keyring: Keyring, jobs: number, json: boolean): Promise<number> {
  const bounds = monthBounds(month);
  if (!bounds) throw new Error(`--month ${month} is not of the form YYYY-MM`);
  const publicKeyPem = publicKeyFrom(publicKeyFile);
  const sql = cliDatabase();
  try {
    let bar: ReturnType<typeof progress> | undefined;
    const started = performance.now();
    const check = await withEntryChecker({ signingKeys: process.env.AUDIT_SIGNING_KEYS, jobs }, (checker) =>
      verifySealedMonth(sql, bounds, keyring, publicKeyPem, {
        checker,
        onProgress: (checked, total) => (bar ??= progress(`verifying ${month}`, total, json)).update(checked),
      })).finally(() => bar?.done());
    if (check.status === "not_sealed") {
      console.error(`evident verify: ${month} has not been sealed`);
      return 2;
    }
    if (check.status === "dropped") {
      // Its entries left the database through retention; the archived copy is what verifies now.
      if (json) console.log(JSON.stringify({ month, dropped_at: check.dropped_at, archive_sha256: check.archive_sha256 }, null, 2));
      else console.log(`dropped   ${month}: removed by retention at ${check.dropped_at}; check its archived copy with evident archive verify --month ${month}`);
      return 0;
    }
    const elapsed_ms = Math.round(performance.now() - started);
    if (json) console.log(JSON.stringify({ month, valid: check.valid, problems: check.problems, entry_failures: check.entry_failures, elapsed_ms }, null, 2));
    else if (check.valid) console.log(`ok        ${month}: ${check.manifest.record_count} entries match the signed manifest (root ${check.manifest.checksum})`);
    else {
      console.log(`TAMPERED  ${month}:`);
      for (const problem of check.problems) console.log(`          ${problem}`);
    }
    return check.valid ? 0 : 1;
  } finally {
    await sql.end();
  }
}

/** The export public key: from a PEM file, or derived from AUDIT_EXPORT_SIGNING_KEY. */
function publicKeyFrom(file: string | undefined): string {
  return file ? readFileSync(file, "utf8") : ExportSigner.fromEnv().publicKeyPem();
}

/** The trail must still hold what the latest checkpoints signed: the database's and the archive's. */
async function checkpointProblems(sql: Queryable, organizationId: string, archive?: string, publicKeyPem?: string): Promise<string[]> {
  const keys = publicKeyPem ? publicKeysById([publicKeyPem]) : new Map<string, string>();
  const problems: string[] = [];
  const stored = await latestStoredCheckpoint(sql, organizationId);
  if (stored) problems.push(...await signedCheckpointProblems(sql, stored, keys));
  if (archive !== undefined) {
    const archived = latestArchivedCheckpoint(archive, organizationId);
    if (archived) {
      if (!verifyExportSignature(checkpointBytes(archived.checkpoint), archived.signature, publicKeyPem!)) {
        problems.push(`the archived checkpoint at seq ${archived.checkpoint.seq} does not verify with the public key`);
      } else {
        const problem = await checkpointProblem(sql, archived.checkpoint);
        if (problem) problems.push(`archive: ${problem}`);
      }
    }
  }
  return problems;
}

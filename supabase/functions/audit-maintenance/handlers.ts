// The three scheduled tasks. Each runs in writer transactions (evident_writer), the only role
// that may record manifests, checkpoints and verification outcomes.
//   checkpoint  sign every organisation's head that moved since its last checkpoint, after signing
//               the pending Data API access records into their chains (access-log.ts)
//   access_log  only sign the pending Data API access records (every organisation's, or one's)
//   seal        seal a finished month (default: the previous UTC month) and checkpoint its organisations
//   verify      verify every organisation's (or one's) recent entries (default: since the start of
//               the previous month), its head and its latest stored checkpoint, logging each run as
//               an audit_verification event; and re-verify the sealed months in that window (for one
//               organisation: those holding its entries) against their manifests, recording
//               verified or tampered on each.
import { z } from "zod";
import { appendEvents } from "../_shared/append.ts";
import type { Caller } from "../_shared/auth.ts";
import { signPendingAccessRecords } from "../_shared/access-log.ts";
import { checkpointHeads, latestStoredCheckpoint, signedCheckpointProblems } from "../_shared/checkpoint.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { type ExportSigner, exportVerificationKeys } from "../_shared/export-key.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { monthBounds, sealedByAnother, sealMonth, verifySealedMonth } from "../_shared/seal.ts";
import { eventInput } from "../_shared/schemas/events.ts";
import { parseInput } from "../_shared/schemas/parse.ts";
import { timestamp, uuid } from "../_shared/schemas/values.ts";
import { verifyAgainstHead } from "../_shared/verify.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  signer: ExportSigner;
  caller: Caller;
}

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "expected a month as YYYY-MM");
const task = z.discriminatedUnion("task", [
  z.strictObject({ task: z.literal("checkpoint") }),
  z.strictObject({ task: z.literal("access_log"), organization_id: uuid.optional() }),
  z.strictObject({ task: z.literal("seal"), month: month.optional() }),
  z.strictObject({ task: z.literal("verify"), organization_id: uuid.optional(), since: timestamp.optional() }),
], { error: (issue) => issue.code === "invalid_union" ? 'task must be "checkpoint", "seal" or "verify" (or "access_log")' : undefined });

export async function maintenanceHandler(request: Request, context: Context): Promise<Response> {
  if (context.caller.kind !== "service") throw new ApiError(403, "forbidden", "audit-maintenance is for the service role only");
  const body = parseInput(task, await readJsonBody(request, 4096), "request body");
  if (body.task === "checkpoint") return await checkpointTask(context);
  if (body.task === "access_log") return json(200, { task: "access_log", ...await signPendingAccessRecords(context.sql, context.keyring, body.organization_id) });
  if (body.task === "seal") return await sealTask(context, body.month ?? previousMonth(new Date()));
  return await verifyTask(context, body.organization_id, body.since ?? monthBounds(previousMonth(new Date()))!.start);
}

/** YYYY-MM of the UTC month before the one `now` is in. */
export function previousMonth(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

async function checkpointTask({ sql, keyring, signer }: Context): Promise<Response> {
  // Data API reads recorded since the last run join their chains first, so the heads this run
  // signs cover them (issue 18: every read recorded; no SQL signs, this function does).
  const accessLog = await signPendingAccessRecords(sql, keyring);
  const run = await asWriter(sql, (tx) => checkpointHeads(tx, signer));
  return json(200, { task: "checkpoint", signed: run.signed, refused: run.refused, access_log: accessLog });
}

async function sealTask({ sql, keyring, signer }: Context, monthName: string): Promise<Response> {
  const bounds = monthBounds(monthName)!;
  const outcome = await asWriter(sql, (tx) => sealMonth(tx, bounds, keyring, signer))
    .catch((error) => sealedByAnother(sql, bounds, error));
  if (outcome.status === "not_finished") {
    throw new ApiError(409, "conflict", `${monthName} has not ended yet (it ends at ${outcome.ends})`);
  }
  if (outcome.status === "does_not_verify") {
    throw new ApiError(409, "trail_not_verified", `${monthName} does not verify: it was not sealed`, {
      failures: outcome.failures.map((f) => ({ organization_id: f.organization_id, failures: f.failures, first_failure: f.first_failure })),
    });
  }
  if (outcome.status === "already_sealed") {
    return json(200, { task: "seal", month: monthName, status: "already_sealed", sealed_at: outcome.sealed_at });
  }
  // As `evident seal` does: the month's organisations are checkpointed, so their newest entries
  // are covered too. Publishing the manifest and the month's events to the archive is the CLI's
  // part (`evident seal --month` on a sealed month writes what the archive lacks).
  const organizations = outcome.manifest.organization_roots.map((r) => r.organization_id);
  const run = organizations.length === 0 ? { signed: [], refused: [] } : await asWriter(sql, (tx) => checkpointHeads(tx, signer, organizations));
  const { manifest } = outcome;
  return json(200, {
    task: "seal",
    month: monthName,
    status: "sealed",
    record_count: manifest.record_count,
    checksum: manifest.checksum,
    organizations: organizations.length,
    signing_key_id: manifest.signing_key_id,
    checkpoints: run.signed.length,
    refused_checkpoints: run.refused,
  });
}

async function verifyTask({ sql, keyring, signer }: Context, organizationId: string | undefined, since: string): Promise<Response> {
  const publicKeys = exportVerificationKeys(signer);
  const organizations = organizationId
    ? [organizationId.toLowerCase()]
    // Every tenant and every chain, as `evident verify` walks them: an organisation whose head row
    // was deleted is still verified (and its missing head reported).
    : (await sql`select id as organization_id from public.organizations union select organization_id from evident.chain_heads order by 1`)
      .map((r) => r.organization_id as string);
  const reports: Array<Record<string, unknown> & { valid: boolean }> = [];
  for (const org of organizations) {
    // One organisation that cannot be checked (or its run not logged) is reported as such; it does
    // not keep the others from being verified.
    reports.push(await asWriter(sql, async (tx) => {
      const { summary, head } = await verifyAgainstHead(tx, org, keyring, { from: since });
      const stored = await latestStoredCheckpoint(tx, org);
      const checkpoint_problems = stored ? await signedCheckpointProblems(tx, stored, publicKeys) : [];
      const valid = summary.valid && head.matches && checkpoint_problems.length === 0;
      await appendEvents(tx, org, [eventInput.parse({
        event_type: "audit_verification",
        actor_id: "service_role",
        actor_type: "service",
        target_id: org,
        target_type: "audit_trail",
        action: "verify",
        metadata: {
          scope: "scheduled", start: since, end: null, checked: summary.checked, valid, failures: summary.failures,
          first_failure_seq: summary.first_failure?.seq ?? null, head_matches: head.matches, checkpoint_problems,
        },
      })], keyring);
      return { ...summary, valid, head, checkpoint_problems };
    }).catch((error: Error) => ({ organization_id: org, valid: false, error: `could not be verified: ${error.message}` })));
  }

  // Sealed months in the window (for one organisation: those holding its entries), newest first,
  // each re-verified against its signed manifest.
  const sealed = await sql`
    select to_char(partition_start_date, 'YYYY-MM') as month, signing_key_id from public.partition_manifests m
    where partition_end_date >= ${since}::text::timestamptz::date
      and not exists (select 1 from evident.retention_tombstones t where t.partition_name = m.partition_name)
      ${organizationId ? sql`and m.organization_roots @> ${sql.json([{ organization_id: organizationId.toLowerCase() }])}` : sql``}
    order by partition_start_date desc`;
  const months = [];
  for (const { month: name, signing_key_id } of sealed) {
    const pem = publicKeys.get(signing_key_id);
    if (!pem) {
      months.push({ month: name, valid: false, problems: [`no public key ${signing_key_id} is known (AUDIT_EXPORT_RETIRED_PUBLIC_KEYS)`] });
      continue;
    }
    try {
      const check = await asWriter(sql, (tx) => verifySealedMonth(tx, monthBounds(name)!, keyring, pem));
      if (check.status === "checked") months.push({ month: name, valid: check.valid, problems: check.problems });
    } catch (error) {
      months.push({ month: name, valid: false, problems: [`could not be verified: ${(error as Error).message}`] });
    }
  }
  const valid = reports.every((r) => r.valid) && months.every((m) => m.valid);
  return json(200, { task: "verify", since, valid, organizations: reports, months });
}

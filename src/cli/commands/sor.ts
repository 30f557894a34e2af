// evident sor <subcommand>: Statements of Reasons to the Commission's Transparency Database.
//   validate <file.json>     check statements against the Commission's rules, offline; prints JSON
//   status [--json]          the outbox: counts per state, due now, expired leases, dead letters
//   submit [options]         one submission pass (what pg_cron or the sor-submit function runs)
//   retry --dead-letter      put every dead letter back in the queue, then submit
//   replay <id>              put one statement back in the queue and submit it alone
// The database comes from DB_URL / DATABASE_URL; the API from DSA_TDB_URL and DSA_TDB_TOKEN (never
// printed); signing keys from AUDIT_SIGNING_KEYS / AUDIT_ACTIVE_KEY_ID (sor_submitted events).
// Exit 0: done (or all valid); 1: something is invalid, dead-lettered or refused; 2: could not run.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { TdbClient, tdbConfigFromEnv } from "../../../supabase/functions/_shared/sor/client.ts";
import { statementErrors } from "../../../supabase/functions/_shared/sor/contract.ts";
import { findStatement, outboxStatus, requeueStatements } from "../../../supabase/functions/_shared/sor/outbox.ts";
import { type SubmitReport, submitDue } from "../../../supabase/functions/_shared/sor/submit.ts";
import { cliDatabase } from "../database.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const usage = `usage: evident sor validate <file.json>
       evident sor status [--json]
       evident sor submit [--max-batches N] [--batch-size N] [--lease-seconds N]
       evident sor retry --dead-letter [--no-submit]
       evident sor replay <outbox-id>`;

export async function sor(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "validate": return validate(rest);
    case "status": return status(rest);
    case "submit": return submit(rest);
    case "retry": return retry(rest);
    case "replay": return replay(rest);
    default:
      console.error(sub ? `evident sor: unknown subcommand ${sub}\n${usage}` : usage);
      return 2;
  }
}

function validate(args: string[]): number {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new Error(`give one file\n${usage}`);
  const text = readFileSync(positionals[0], "utf8");
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new Error(`${positionals[0]} is not JSON: ${(error as Error).message}`);
  }
  // One statement, a list of them, or a batch body {"statements": [...]}.
  const list = Array.isArray(input) ? input
    : input !== null && typeof input === "object" && Array.isArray((input as { statements?: unknown }).statements)
    ? (input as { statements: unknown[] }).statements
    : [input];
  const statements = list.map((statement, index) => {
    const errors = statementErrors(statement, "multi");
    const puid = (statement as { puid?: unknown } | null)?.puid;
    return { index, puid: typeof puid === "string" ? puid : null, valid: Object.keys(errors).length === 0, errors };
  });
  const valid = statements.every((s) => s.valid);
  console.log(JSON.stringify({ valid, count: statements.length, invalid: statements.filter((s) => !s.valid).length, statements }, null, 2));
  return valid ? 0 : 1;
}

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } }, strict: true });
  const sql = cliDatabase();
  try {
    const s = await outboxStatus(sql);
    if (values.json) console.log(JSON.stringify(s, null, 2));
    else {
      console.log(`pending ${s.counts.pending} (due now ${s.due_now}), submitting ${s.counts.submitting} (expired leases ${s.expired_leases}), submitted ${s.counts.submitted}, dead_letter ${s.counts.dead_letter}`);
      if (s.oldest_pending_at) console.log(`oldest pending statement queued at ${s.oldest_pending_at}`);
      for (const d of s.dead_letters) {
        console.log(`DEAD LETTER ${d.id} puid ${d.puid} after ${d.attempts} attempt(s), status ${d.last_status ?? "-"}: ${JSON.stringify(d.last_error)}`);
      }
    }
    return s.counts.dead_letter > 0 ? 1 : 0;
  } finally {
    await sql.end();
  }
}

function workerId(): string {
  return `cli:${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

function printReport(report: SubmitReport): number {
  console.log(JSON.stringify(report, null, 2));
  if (report.stopped) console.error(`stopped: ${report.stopped}`);
  return report.stopped || report.dead_lettered > 0 ? 1 : 0;
}

async function runPass(options: { maxBatches?: number; batchSize?: number; leaseSeconds?: number; onlyId?: string }): Promise<SubmitReport> {
  const client = new TdbClient(tdbConfigFromEnv());
  const keyring = Keyring.fromEnv();
  const sql = cliDatabase();
  try {
    return await submitDue(sql, keyring, client, { workerId: workerId(), budgetMs: 10 * 60_000, ...options });
  } finally {
    await sql.end();
  }
}

const positiveInt = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--${name} must be a positive integer`);
  return Number(value);
};

async function submit(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "max-batches": { type: "string" }, "batch-size": { type: "string" }, "lease-seconds": { type: "string" } },
    strict: true,
  });
  const options = {
    maxBatches: positiveInt("max-batches", values["max-batches"]),
    batchSize: positiveInt("batch-size", values["batch-size"]),
    leaseSeconds: positiveInt("lease-seconds", values["lease-seconds"]),
  };
  return printReport(await runPass(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))));
}

async function retry(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "dead-letter": { type: "boolean", default: false }, "no-submit": { type: "boolean", default: false } },
    strict: true,
  });
  if (!values["dead-letter"]) throw new Error(`say what to retry: --dead-letter\n${usage}`);
  const sql = cliDatabase();
  let ids: string[];
  try {
    ids = await requeueStatements(sql);
  } finally {
    await sql.end();
  }
  console.log(`${ids.length} dead-lettered statement(s) back in the queue`);
  if (values["no-submit"] || ids.length === 0) return 0;
  return printReport(await runPass({}));
}

async function replay(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || !uuidPattern.test(positionals[0])) throw new Error(`give one outbox id (a UUID)\n${usage}`);
  const id = positionals[0].toLowerCase();
  const sql = cliDatabase();
  try {
    const row = await findStatement(sql, id);
    if (!row) {
      console.error(`no statement ${id} in the outbox`);
      return 1;
    }
    if (row.state === "submitted") {
      console.error(`statement ${id} (puid ${row.puid}) was already accepted${row.commission_uuid ? ` as ${row.commission_uuid}` : ""}; nothing to replay`);
      return 1;
    }
    if (row.state === "submitting") {
      console.error(`statement ${id} is leased by ${row.lease_owner} until ${row.lease_expires_at}; replay it after that`);
      return 1;
    }
    await requeueStatements(sql, id);
  } finally {
    await sql.end();
  }
  const report = await runPass({ onlyId: id, maxBatches: 1 });
  return printReport(report);
}

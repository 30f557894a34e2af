// evident sor <subcommand>: Statements of Reasons to the Commission's Transparency Database.
// validate, submit, retry and replay print JSON reports (with or without --json); status prints
// a summary, or JSON with --json.
//   validate <file.json>     check statements against the Commission's rules, offline
//   status [--json]          the outbox: counts per state, due now, expired leases, dead letters
//   submit [options]         one submission pass (what pg_cron or the sor-submit function runs)
//   retry --dead-letter      put every dead letter back in the queue, then submit
//   replay <id>              put one statement back in the queue and submit it alone
// The database comes from DB_URL / DATABASE_URL; the API from DSA_TDB_URL and DSA_TDB_TOKEN (never
// printed); signing keys from AUDIT_SIGNING_KEYS / AUDIT_ACTIVE_KEY_ID (sor_submitted events).
// Exit 0: done (or all valid); 1: something is invalid, dead-lettered or refused; 2: could not run.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { TdbClient, tdbConfigFromEnv } from "../../../supabase/functions/_shared/sor/client.ts";
import { statementErrors } from "../../../supabase/functions/_shared/sor/contract.ts";
import { findStatement, outboxStatus, requeueStatements } from "../../../supabase/functions/_shared/sor/outbox.ts";
import { type SubmitReport, submitDue } from "../../../supabase/functions/_shared/sor/submit.ts";
import { cliDatabase } from "../database.ts";
import { progress } from "../progress.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validate(file: string): number {
  const positionals = [file];
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

export async function status(values: { json: boolean }): Promise<number> {
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

/** The Transparency Database client, counting the statements each request carried (for the progress bar). */
class CountingClient extends TdbClient {
  constructor(config: ConstructorParameters<typeof TdbClient>[0], private readonly onSent: (statements: number) => void) {
    super(config);
  }

  override async submitBatch(statementTexts: string[]) {
    const result = await super.submitBatch(statementTexts);
    this.onSent(statementTexts.length);
    return result;
  }

  override async submitOne(statementText: string) {
    const result = await super.submitOne(statementText);
    this.onSent(1);
    return result;
  }
}

async function runPass(options: { maxBatches?: number; batchSize?: number; leaseSeconds?: number; onlyId?: string }, quiet = false): Promise<SubmitReport> {
  const config = tdbConfigFromEnv();
  const keyring = Keyring.fromEnv();
  const sql = cliDatabase();
  try {
    const due = options.onlyId ? 1 : (await outboxStatus(sql)).due_now;
    const bar = progress("submitting statements", due, quiet, "statements");
    const client = new CountingClient(config, (n) => bar.increment(n));
    try {
      return await submitDue(sql, keyring, client, { workerId: workerId(), budgetMs: 10 * 60_000, ...options });
    } finally {
      bar.done();
    }
  } finally {
    await sql.end();
  }
}

const positiveInt = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--${name} must be a positive integer`);
  return Number(value);
};

export async function submit(values: { "max-batches"?: string; "batch-size"?: string; "lease-seconds"?: string; json: boolean }): Promise<number> {
  const options = {
    maxBatches: positiveInt("max-batches", values["max-batches"]),
    batchSize: positiveInt("batch-size", values["batch-size"]),
    leaseSeconds: positiveInt("lease-seconds", values["lease-seconds"]),
  };
  return printReport(await runPass(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)), values.json));
}

export async function retry(values: { "dead-letter"?: boolean; submit: boolean; json: boolean }): Promise<number> {
  if (!values["dead-letter"]) throw new Error("say what to retry: --dead-letter");
  const sql = cliDatabase();
  let ids: string[];
  try {
    ids = await requeueStatements(sql);
  } finally {
    await sql.end();
  }
  // With --json, stdout carries only JSON: the count goes to stderr.
  (values.json ? console.error : console.log)(`${ids.length} dead-lettered statement(s) back in the queue`);
  if (!values.submit || ids.length === 0) {
    if (values.json) console.log(JSON.stringify({ requeued: ids.length }, null, 2));
    return 0;
  }
  return printReport(await runPass({}, values.json));
}

export async function replay(outboxId: string, values: { json: boolean }): Promise<number> {
  const positionals = [outboxId];
  if (!uuidPattern.test(positionals[0])) throw new Error("give one outbox id (a UUID): evident sor replay <outbox-id>");
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
  const report = await runPass({ onlyId: id, maxBatches: 1 }, values.json);
  return printReport(report);
}

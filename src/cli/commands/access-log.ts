// evident access-log sign [--org <uuid>] [--json]
// Signs every Data API read recorded in evident.access_log (public.read_audit_events) and not yet in
// the chain into its organisation's chain as an audit_access event, as the audit-maintenance
// function does before each checkpoint (_shared/access-log.ts). No SQL signs: the HMAC key is in
// AUDIT_SIGNING_KEYS / AUDIT_ACTIVE_KEY_ID, here as in the functions. Run it with `evident
// checkpoint` from an external scheduler where pg_cron does not call the function. Exit 0: every
// pending record signed; 1: some organisation's chain refused its records (they stay pending);
// 2: could not run.
import { signPendingAccessRecords } from "../../../supabase/functions/_shared/access-log.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { cliDatabase } from "../database.ts";

export async function accessLogSign(values: { org?: string; json: boolean }): Promise<number> {
  if (values.org !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.org)) {
    throw new Error(`--org ${values.org} is not a UUID`);
  }
  const keyring = Keyring.fromEnv();
  const sql = cliDatabase();
  try {
    const run = await signPendingAccessRecords(sql, keyring, values.org?.toLowerCase());
    const [{ pending }] = await sql`select count(*)::int as pending from evident.pending_access_records(${values.org?.toLowerCase() ?? null}::uuid)`;
    if (values.json) console.log(JSON.stringify({ ...run, still_pending: pending }));
    else {
      console.log(`${run.signed} Data API read(s) signed into the chain; ${pending} still pending`);
      for (const r of run.refused) console.log(`REFUSED   ${r.organization_id}: ${r.reason}`);
    }
    return run.refused.length === 0 ? 0 : 1;
  } finally {
    await sql.end();
  }
}

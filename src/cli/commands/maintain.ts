// evident maintain [--months N] [--json]
// Ensures audit_events partitions exist for the current month and N after it (default 3), then
// reports how far ahead the trail can take writes. The same call pg_cron makes daily
// (evident.schedule_maintenance); run this from any scheduler where pg_cron is not available.
import { cliDatabase } from "../database.ts";

export async function maintain(values: { months: string; json: boolean }): Promise<number> {
  const months = Number(values.months);
  if (!Number.isInteger(months) || months < 0 || months > 120) throw new Error(`--months must be a whole number from 0 to 120, got ${values.months}`);
  const sql = cliDatabase();
  try {
    const partitions = (await sql`select evident.create_audit_partitions(${months}) as name`).map((r) => r.name as string);
    const [{ ahead }] = await sql`select evident.partition_months_ahead() as ahead`;
    const result = { partitions, months_ahead: ahead as number };
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(`partitions in place: ${partitions.join(", ")}`);
      console.log(`writes are covered for the current month and ${ahead} month(s) after it`);
    }
    return result.months_ahead >= months ? 0 : 1;
  } finally {
    await sql.end();
  }
}

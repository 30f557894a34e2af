import type { Sql } from "./db.ts";

export interface Health {
  status: "ok" | "degraded";
  problems: string[];
  database: { server_version: string };
  migrations: { latest: string | null };
  partitions: { months_ahead: number };
  pg_cron: boolean;
}

/** Fewer whole months of partitions ahead than this is reported as degraded. */
export const minimumMonthsAhead = 1;

export async function readHealth(sql: Sql): Promise<Health> {
  const [row] = await sql`
    select
      current_setting('server_version') as server_version,
      (select max(version) from supabase_migrations.schema_migrations) as latest_migration,
      evident.partition_months_ahead() as months_ahead,
      exists (select 1 from pg_extension where extname = 'pg_cron') as pg_cron`;
  const problems: string[] = [];
  if (row.months_ahead < 0) problems.push("no partition exists for the current month");
  else if (row.months_ahead < minimumMonthsAhead) {
    problems.push(`partitions reach only ${row.months_ahead} month(s) ahead; run select evident.create_audit_partitions(3)`);
  }
  return {
    status: problems.length === 0 ? "ok" : "degraded",
    problems,
    database: { server_version: row.server_version },
    migrations: { latest: row.latest_migration },
    partitions: { months_ahead: row.months_ahead },
    pg_cron: row.pg_cron,
  };
}

// The functions' one database pool. Supabase gives every function SUPABASE_DB_URL; through a
// transaction pooler (port 6543) prepared statements must be off.
import postgres from "postgres";
import { readEnv, requireEnv } from "./env.ts";

export type Sql = postgres.Sql;

let pool: Sql | undefined;

export function database(): Sql {
  if (!pool) {
    const url = requireEnv("SUPABASE_DB_URL");
    pool = postgres(url, {
      max: Number(readEnv("EVIDENT_DB_POOL_SIZE") ?? "20"),
      prepare: !/:6543\//.test(url),
      onnotice: () => {},
      connection: { application_name: "evident-functions" },
    });
  }
  return pool;
}

/**
 * Runs `work` in one transaction as the evident_writer role: the only privileges audit writes
 * and audited reads need, whatever the pool connected as.
 */
export async function asWriter<T>(sql: Sql, work: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return await sql.begin(async (tx) => {
    // Sent without waiting, so it travels in the same round trip as work's first query; the
    // connection runs them in order, and a failure here aborts the transaction either way.
    const [, result] = await Promise.all([tx`set local role evident_writer`.execute(), work(tx)]);
    return result;
  }) as T;
}

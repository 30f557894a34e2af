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
      // A request waits at most this long for a connection to a database that is down, then gets
      // a 503, instead of the driver's default 30 s.
      connect_timeout: Number(readEnv("EVIDENT_DB_CONNECT_TIMEOUT") ?? "10"),
      prepare: !/:6543\//.test(url),
      onnotice: () => {},
      connection: { application_name: "evident-functions" },
    });
  }
  return pool;
}

/** A connection inside a writer transaction (see asWriter). */
export type WriterTransaction = postgres.Sql;

/**
 * Runs `work` in one transaction as the evident_writer role: the only privileges audit writes
 * and audited reads need, whatever the pool connected as.
 *
 * BEGIN and SET ROLE are sent without waiting for their answers, so they travel in the same round
 * trip as work's first query; PostgreSQL runs a connection's statements in order, and if either
 * fails, everything after it in the transaction fails too. That saves two of the round trips a
 * single-event append would otherwise spend.
 */
export async function asWriter<T>(sql: Sql, work: (tx: WriterTransaction) => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  const opened = Promise.all([
    connection`begin`.execute(),
    connection`set local role evident_writer`.execute(),
  ]);
  try {
    const result = await work(connection);
    await opened;
    await connection`commit`;
    return result;
  } catch (error) {
    await opened.catch(() => {});
    await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}

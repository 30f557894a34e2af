// The functions' one database pool. Supabase gives every function SUPABASE_DB_URL; through a
// transaction pooler (port 6543) prepared statements must be off.
import postgres from "postgres";
import { readEnv, requireEnv } from "./env.ts";
import { isDatabaseUnavailable } from "./errors.ts";
import { socketWithoutDelay } from "./pg-socket.ts";

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
      ...socketWithoutDelay,
      connection: { application_name: "evident-functions" },
    });
  }
  return pool;
}

/** A connection inside a writer transaction (see asWriter). */
export type WriterTransaction = postgres.Sql;

// Statements a transaction's work issued without waiting for them: they travel with the COMMIT.
const beforeCommit = new WeakMap<WriterTransaction, Array<Promise<unknown>>>();

/**
 * Issues a statement of a writer transaction without waiting for its answer: asWriter sends COMMIT
 * right behind it, in the same round trip, and fails the transaction if it failed. PostgreSQL runs a
 * connection's statements in order, and a COMMIT after a failed statement only rolls back, so
 * nothing it would have written survives. For the last writes of an append, whose answer nothing
 * else in the transaction needs. In a transaction asWriter did not open (nothing would wait for the
 * statement), it is awaited here instead.
 */
export async function sendWithCommit(tx: WriterTransaction, statement: postgres.PendingQuery<postgres.Row[]>): Promise<void> {
  const list = beforeCommit.get(tx);
  if (!list) {
    await statement;
    return;
  }
  const pending = statement.execute().then(() => {});
  // Observed here so that a failure is never an unhandled rejection; asWriter rethrows it.
  pending.catch(() => {});
  list.push(pending);
}

/**
 * Runs `work` in one transaction as the evident_writer role: the only privileges audit writes
 * and audited reads need, whatever the pool connected as.
 *
 * BEGIN and SET ROLE are sent without waiting for their answers, so they travel in the same round
 * trip as work's first query; PostgreSQL runs a connection's statements in order, and if either
 * fails, everything after it in the transaction fails too. Statements work issued through
 * sendWithCommit travel with the COMMIT. A single-event append is thereby two round trips: lock the
 * head, then insert and commit.
 */
export async function asWriter<T>(sql: Sql, work: (tx: WriterTransaction) => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  beforeCommit.set(connection, []);
  const opened = Promise.all([
    connection`begin`.execute(),
    connection`set local role evident_writer`.execute(),
  ]);
  try {
    const result = await work(connection);
    await opened;
    const pending = beforeCommit.get(connection) ?? [];
    const committed = connection`commit`.execute();
    // Every pending statement's failure is reported before the COMMIT's answer counts.
    await Promise.all(pending);
    await committed;
    return result;
  } catch (error) {
    await opened.catch(() => {});
    const settled = await Promise.allSettled(beforeCommit.get(connection) ?? []);
    // A statement that failed unawaited is the cause; what failed after it only saw the aborted
    // transaction (25P02).
    const cause = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected")?.reason ?? error;
    // On a lost connection PostgreSQL has rolled back already, and postgres.js would hold a
    // ROLLBACK issued on the dead reserved connection forever (seen when the database was killed).
    if (!isDatabaseUnavailable(cause)) await connection`rollback`.catch(() => {});
    throw cause;
  } finally {
    beforeCommit.delete(connection);
    connection.release();
  }
}

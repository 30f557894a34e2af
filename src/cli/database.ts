import postgres from "postgres";

/**
 * The database the CLI works on: DB_URL (the name `npm run status` prints) or DATABASE_URL. One
 * connection, unless a command runs independent statements side by side (sealing: the pass, the
 * counts and the DSA facts).
 */
export function cliDatabase(connections = 1): postgres.Sql {
  return postgres(cliDatabaseUrl(), { max: connections, onnotice: () => {}, connect_timeout: 10 });
}

export function cliDatabaseUrl(): string {
  const url = process.env.DB_URL || process.env.DATABASE_URL;
  if (!url) throw new Error("set DB_URL (or DATABASE_URL) to the database's connection string");
  return url;
}

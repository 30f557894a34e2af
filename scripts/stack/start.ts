// npm start: the whole local stack in the foreground until Ctrl-C. Data persists in .evident/data
// (git-ignored); `npm run reset` empties it. Set DATABASE_URL to use another PostgreSQL instead.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dataDir, defaultApiPort, defaultDbPort, stackEnvFile, stateDir } from "./config.ts";
import { loadLocalSecrets } from "./secrets.ts";
import { startStack } from "./stack.ts";
import { formatEnv } from "./status-format.ts";

mkdirSync(stateDir, { recursive: true });
const stack = await startStack({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir,
  persistent: true,
  dbPort: Number(process.env.EVIDENT_DB_PORT ?? defaultDbPort),
  apiPort: Number(process.env.EVIDENT_API_PORT ?? defaultApiPort),
  functionEnv: loadLocalSecrets(),
  log: (line) => console.log(line),
});

writeFileSync(stackEnvFile, formatEnv({ ...stack.statusEnv(), STACK_PID: String(process.pid) }), { mode: 0o600 });
console.log(`\nEvident is running. Functions: ${stack.apiUrl}/functions/v1/<name>  Database: ${stack.dbUrl}`);
console.log("`npm run status` prints the keys. Ctrl-C stops everything.\n");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the functions gateway and the database…`);
  await stack.stop();
  rmSync(stackEnvFile, { force: true });
  console.log("stopped.");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

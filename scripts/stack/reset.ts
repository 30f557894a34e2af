// npm run reset: forget the local database so the next `npm start` begins empty. Local signing
// secrets (.evident/secrets.env) are kept; delete that file to have new ones generated.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dataDir, stackEnvFile } from "./config.ts";
import { parseEnv } from "./status-format.ts";

if (existsSync(stackEnvFile)) {
  const pid = Number(parseEnv(readFileSync(stackEnvFile, "utf8")).STACK_PID);
  let alive = false;
  try {
    process.kill(pid, 0);
    alive = true;
  } catch { /* not running */ }
  if (alive) {
    console.error(`The stack is running (pid ${pid}); stop it with Ctrl-C before resetting.`);
    process.exit(1);
  }
}
rmSync(dataDir, { recursive: true, force: true });
console.log(`Removed ${dataDir}. The next \`npm start\` creates an empty database.`);

// npm run status: the running stack's variables, named as `supabase status -o env` names them.
// The keys are local-only: signed with Supabase's public local-development JWT secret.
import { existsSync, readFileSync } from "node:fs";
import { stackEnvFile } from "./config.ts";
import { formatEnv, parseEnv } from "./status-format.ts";

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const values = existsSync(stackEnvFile) ? parseEnv(readFileSync(stackEnvFile, "utf8")) : undefined;
if (!values || !running(Number(values.STACK_PID))) {
  console.error("The local stack is not running: start it with `npm start`.");
  process.exit(1);
}
delete values.STACK_PID;
process.stdout.write(formatEnv(values));

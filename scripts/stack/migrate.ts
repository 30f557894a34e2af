// Applies supabase/migrations with the real Supabase CLI, exactly as a deployment would.
import { spawn } from "node:child_process";
import { bin, repoRoot } from "./config.ts";

export async function pushMigrations(dbUrl: string, log: (line: string) => void = console.log): Promise<void> {
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(bin("supabase"), ["db", "push", "--db-url", dbUrl, "--yes", "--workdir", repoRoot], {
      cwd: repoRoot,
      env: { ...process.env, SUPABASE_YES: "1", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => output.push(chunk));
    }
    child.on("error", reject);
    child.on("exit", (status) => resolve(status ?? 1));
  });
  const text = output.join("").replaceAll(dbUrl, "<db-url>");
  if (code !== 0) throw new Error(`supabase db push failed (exit ${code}):\n${text}`);
  for (const line of text.split("\n")) if (/^Applying migration|^Finished|up to date/i.test(line.trim())) log(line.trim());
}

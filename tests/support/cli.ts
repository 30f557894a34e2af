// Runs the `evident` command as an operator would: a subprocess with only the environment given.
import { spawn, spawnSync } from "node:child_process";
import { repoRoot } from "../../scripts/stack/config.ts";

export function evident(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["bin/evident.mjs", ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `evident` without blocking this process, for tests whose own event loop must keep going
 * meanwhile (a local server it calls, or a lock it waits on): spawnSync would freeze it.
 */
export function evidentAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/evident.mjs", ...args], { cwd: repoRoot, env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

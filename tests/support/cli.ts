// Runs the `evident` command as an operator would: a subprocess with only the environment given.
import { spawnSync } from "node:child_process";
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

// Secrets for the local stack's functions. Generated once per checkout into .evident/secrets.env
// (git-ignored, mode 0600) unless the variables are already set in the environment. There is no
// built-in default: a deployment sets its own with `supabase secrets set`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { localSecretsFile, stateDir } from "./config.ts";
import { formatEnv, parseEnv } from "./status-format.ts";

export function generateLocalSecrets(): Record<string, string> {
  return {
    AUDIT_SIGNING_KEYS: `local-1:${randomBytes(32).toString("base64url")}`,
    AUDIT_ACTIVE_KEY_ID: "local-1",
  };
}

export function loadLocalSecrets(): Record<string, string> {
  if (!existsSync(localSecretsFile)) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(localSecretsFile, formatEnv(generateLocalSecrets()), { mode: 0o600 });
  }
  const stored = parseEnv(readFileSync(localSecretsFile, "utf8"));
  // Variables set in the environment win, so a developer can try production-like keys locally.
  for (const name of Object.keys(stored)) if (process.env[name]) stored[name] = process.env[name]!;
  return stored;
}

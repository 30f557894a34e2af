// Secrets for the local stack's functions. Generated once per checkout into .evident/secrets.env
// (git-ignored, mode 0600) unless the variables are already set in the environment. There is no
// built-in default: a deployment sets its own with `supabase secrets set`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { localSecretsFile, stateDir } from "./config.ts";
import { formatEnv, parseEnv } from "./status-format.ts";

export function generateLocalSecrets(): Record<string, string> {
  return {
    AUDIT_SIGNING_KEYS: `local-1:${randomBytes(32).toString("base64url")}`,
    AUDIT_ACTIVE_KEY_ID: "local-1",
    // HMAC key of the commitments to personal data (canonical form v2, docs/gdpr.md).
    AUDIT_PII_COMMITMENT_KEY: randomBytes(32).toString("base64url"),
    AUDIT_EXPORT_SIGNING_KEY: generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
  };
}

/** Function settings with no local default, handed to the functions only when set. */
export const optionalFunctionVariables = [
  "AUDIT_EXPORT_RETIRED_PUBLIC_KEYS", "AUDIT_PII_COMMITMENT_RETIRED_KEYS", "DSA_TDB_URL", "DSA_TDB_TOKEN",
  // The origins browsers may call from (supabase/functions/_shared/cors.ts; "*" when unset).
  "EVIDENT_CORS_ORIGINS",
];

export function loadLocalSecrets(): Record<string, string> {
  if (!existsSync(localSecretsFile)) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(localSecretsFile, formatEnv(generateLocalSecrets()), { mode: 0o600 });
  }
  const stored = parseEnv(readFileSync(localSecretsFile, "utf8"));
  // Checkouts from before a secret existed get it added, keeping the ones they have.
  const missing = Object.entries(generateLocalSecrets()).filter(([name]) => !(name in stored));
  if (missing.length > 0) {
    Object.assign(stored, Object.fromEntries(missing));
    writeFileSync(localSecretsFile, formatEnv(stored), { mode: 0o600 });
  }
  // Variables set in the environment win, so a developer can try production-like keys locally;
  // optional ones (no local default) pass through when set.
  for (const name of [...Object.keys(stored), ...optionalFunctionVariables]) if (process.env[name]) stored[name] = process.env[name]!;
  return stored;
}

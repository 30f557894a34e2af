// Supabase's API keys that are not JWTs: `sb_publishable_…` (what the legacy anon key was) and
// `sb_secret_…` (what the legacy service_role key was). Hosted Supabase gives every function the
// project's keys as JSON dictionaries, name → key:
//   SUPABASE_PUBLISHABLE_KEYS   {"default": "sb_publishable_…", …}
//   SUPABASE_SECRET_KEYS        {"default": "sb_secret_…", …}
// (SUPABASE_PUBLISHABLE_KEY / SUPABASE_SECRET_KEY, a single key, where those are not set, as
// self-hosted setups export them). Callers send such a key in the `apikey` header; supabase-js
// also repeats it as `Authorization: Bearer`. Keys are compared in constant time, and never logged
// or echoed in an error.
import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigurationError, readEnv } from "./env.ts";

export type ApiKeyKind = "publishable" | "secret";

const prefixes: Record<ApiKeyKind, string> = { publishable: "sb_publishable_", secret: "sb_secret_" };

/** Whether a credential has the shape of a new API key (rather than a JWT). */
export function isApiKey(value: string): boolean {
  return value.startsWith(prefixes.publishable) || value.startsWith(prefixes.secret);
}

const digest = (value: string) => createHash("sha256").update(value).digest();

export class ApiKeys {
  private constructor(private readonly keys: Array<{ kind: ApiKeyKind; digest: Uint8Array }>) {}

  static readonly none = new ApiKeys([]);

  /** Keys from the JSON dictionaries (or single keys) of each kind; wrong shapes are refused, naming the variable only. */
  static parse(variables: { publishable?: string; secret?: string; publishableSingle?: string; secretSingle?: string }): ApiKeys {
    const keys: Array<{ kind: ApiKeyKind; digest: Uint8Array }> = [];
    const add = (kind: ApiKeyKind, dictionary: string | undefined, single: string | undefined, names: [string, string]) => {
      let values: unknown[] = [];
      if (dictionary) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(dictionary);
        } catch {
          throw new ConfigurationError(`${names[0]} is not a JSON object of key names to keys`);
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          throw new ConfigurationError(`${names[0]} is not a JSON object of key names to keys`);
        }
        values = Object.values(parsed);
      } else if (single) {
        values = [single];
      }
      for (const value of values) {
        if (typeof value !== "string" || !value.startsWith(prefixes[kind]) || value.length < prefixes[kind].length + 16) {
          throw new ConfigurationError(`${dictionary ? names[0] : names[1]} holds a value that is not a ${prefixes[kind]}… key`);
        }
        keys.push({ kind, digest: digest(value) });
      }
    };
    add("publishable", variables.publishable, variables.publishableSingle, ["SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_PUBLISHABLE_KEY"]);
    add("secret", variables.secret, variables.secretSingle, ["SUPABASE_SECRET_KEYS", "SUPABASE_SECRET_KEY"]);
    return new ApiKeys(keys);
  }

  static fromEnv(): ApiKeys {
    const variables = {
      publishable: readEnv("SUPABASE_PUBLISHABLE_KEYS"),
      secret: readEnv("SUPABASE_SECRET_KEYS"),
      publishableSingle: readEnv("SUPABASE_PUBLISHABLE_KEY"),
      secretSingle: readEnv("SUPABASE_SECRET_KEY"),
    };
    const cacheKey = JSON.stringify(variables);
    if (cached?.cacheKey !== cacheKey) cached = { cacheKey, keys: ApiKeys.parse(variables) };
    return cached.keys;
  }

  get size(): number {
    return this.keys.length;
  }

  /** Which kind of this project's key the value is, or undefined if it is none of them. Constant time per key. */
  match(value: string): ApiKeyKind | undefined {
    const candidate = digest(value);
    let found: ApiKeyKind | undefined;
    for (const key of this.keys) if (timingSafeEqual(candidate, key.digest) && found === undefined) found = key.kind;
    return found;
  }
}

let cached: { cacheKey: string; keys: ApiKeys } | undefined;
